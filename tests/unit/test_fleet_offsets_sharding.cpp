// Fleet sharding where the offsets come from `__consumer_offsets`: a group's shard is its
// offsets partition (Kafka's mapping), offsets partition o is owned with coordination
// partition o mod P, and each agent reads exactly the offsets partitions of its shards.
#include <catch2/catch.hpp>

#include <deque>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "fleet/ownership.hpp"
#include "fleet/shard_hash.hpp"
#include "kafka/offsets_partition.hpp"

using namespace std::chrono_literals;
using ks::fleet::GroupSharding;
using ks::fleet::Ownership;
using Clock = std::chrono::steady_clock;

namespace {

// An agent of a fleet with a valid lease on `partitions` of 12.
void own(Ownership& o, std::vector<int> partitions) {
  o.assign(std::move(partitions), 12);
  REQUIRE(o.renew(o.assignment_id(), Clock::now(), 60s));
}

}  // namespace

TEST_CASE("offsets sharding: a group belongs to the owner of its offsets partition",
          "[fleet][offsets-sharding]") {
  Ownership a(true, GroupSharding::offsets_partition);
  own(a, {0, 3, 6, 9});
  CHECK_FALSE(a.owns_group("orders"));  // offsets partition count not known yet: nothing
  a.set_offsets_partition_count(50);
  for (int i = 0; i < 500; ++i) {
    const std::string g = "group-" + std::to_string(i);
    const int o = ks::kafka::offsets_partition_of(g, 50);
    CHECK(a.owns_group(g) == (o % 12 % 3 == 0));
    CHECK(a.view().owns_group(g) == a.owns_group(g));
    // A different group-to-shard map than the admin API's name hash for some groups.
  }
  int differ = 0;
  for (int i = 0; i < 500; ++i) {
    const std::string g = "group-" + std::to_string(i);
    differ += ks::fleet::group_shard(g, GroupSharding::offsets_partition, 12, 50) !=
              ks::fleet::group_shard(g, GroupSharding::name_hash, 12, 50);
  }
  CHECK(differ > 300);
  // The admin API keeps the name hash.
  Ownership b(true, GroupSharding::name_hash);
  own(b, {0, 3, 6, 9});
  for (int i = 0; i < 100; ++i) {
    const std::string g = "group-" + std::to_string(i);
    CHECK(b.owns_group(g) == (ks::fleet::shard_of(g, 12) % 3 == 0));
  }
}

TEST_CASE("offsets sharding: agents read disjoint offsets partitions covering all of them",
          "[fleet][offsets-sharding]") {
  for (const int offsets_partitions : {10, 50, 7}) {
    INFO(offsets_partitions << " offsets partitions");
    std::deque<Ownership> agents;  // not movable (a mutex inside)
    for (int i = 0; i < 3; ++i) agents.emplace_back(true, GroupSharding::offsets_partition);
    // Round-robin over 12 coordination partitions, as the fleet's assignor does.
    for (int i = 0; i < 3; ++i) {
      own(agents[static_cast<std::size_t>(i)], {i, i + 3, i + 6, i + 9});
      agents[static_cast<std::size_t>(i)].set_offsets_partition_count(offsets_partitions);
    }
    std::map<int, int> reader_of;
    for (int i = 0; i < 3; ++i) {
      for (const int o : agents[static_cast<std::size_t>(i)].view().owned_offsets_partitions(offsets_partitions)) {
        CHECK(reader_of.count(o) == 0);  // no overlap
        reader_of[o] = i;
      }
    }
    CHECK(static_cast<int>(reader_of.size()) == offsets_partitions);  // full coverage
    // Every group is owned by the one agent that reads its offsets partition.
    for (int g = 0; g < 300; ++g) {
      const std::string id = "g-" + std::to_string(g);
      const int reader = reader_of.at(ks::kafka::offsets_partition_of(id, offsets_partitions));
      for (int i = 0; i < 3; ++i) {
        CHECK(agents[static_cast<std::size_t>(i)].owns_group(id) == (i == reader));
      }
    }
  }
}

TEST_CASE("offsets sharding: a takeover adds the partitions given up, nothing else",
          "[fleet][offsets-sharding]") {
  Ownership a(true, GroupSharding::offsets_partition);
  Ownership b(true, GroupSharding::offsets_partition);
  a.set_offsets_partition_count(10);
  b.set_offsets_partition_count(10);
  own(a, {0, 2, 4, 6, 8, 10});
  own(b, {1, 3, 5, 7, 9, 11});
  const std::set<std::int32_t> before = a.view().owned_offsets_partitions(10);
  CHECK(before == std::set<std::int32_t>{0, 2, 4, 6, 8});
  CHECK(b.view().owned_offsets_partitions(10) == std::set<std::int32_t>{1, 3, 5, 7, 9});
  b.revoke();  // b stops: a gets every partition in the rebalance
  CHECK(b.view().owned_offsets_partitions(10).empty());
  a.revoke();
  CHECK(a.view().owned_offsets_partitions(10).empty());  // nothing read during the rebalance
  own(a, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  CHECK(a.view().owned_offsets_partitions(10).size() == 10);
  // A lone agent (no fleet) reads everything.
  CHECK(Ownership(false).view().owned_offsets_partitions(10).size() == 10);
}

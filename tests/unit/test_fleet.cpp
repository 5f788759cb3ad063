#include <catch2/catch.hpp>

#include <atomic>
#include <map>
#include <set>
#include <string>
#include <thread>

#include "fleet/fleet_member.hpp"
#include "fleet/node_identity.hpp"
#include "fleet/owned_groups.hpp"
#include "fleet/ownership.hpp"
#include "fleet/role_gated_collector.hpp"
#include "fleet/shard_hash.hpp"

using namespace std::chrono_literals;
using ks::fleet::Ownership;
using Clock = std::chrono::steady_clock;

TEST_CASE("murmur2 is Kafka's (the Java client's test vectors)", "[fleet]") {
  // org.apache.kafka.common.utils.UtilsTest.testMurmur2
  CHECK(ks::fleet::murmur2("21") == -973932308);
  CHECK(ks::fleet::murmur2("foobar") == -790332482);
  CHECK(ks::fleet::murmur2("a-little-bit-long-string") == -985981536);
  CHECK(ks::fleet::murmur2("a-little-bit-longer-string") == -1486304829);
  CHECK(ks::fleet::murmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8") == -58897971);
  CHECK(ks::fleet::murmur2("abc") == 479470107);
}

TEST_CASE("groups spread over the shards and always land on the same one", "[fleet]") {
  std::map<int, int> per_shard;
  for (int i = 0; i < 1200; ++i) {
    const std::string group = "group-" + std::to_string(i);
    const int shard = ks::fleet::shard_of(group, 12);
    REQUIRE(shard >= 0);
    REQUIRE(shard < 12);
    CHECK(ks::fleet::shard_of(group, 12) == shard);
    ++per_shard[shard];
  }
  REQUIRE(per_shard.size() == 12);
  for (const auto& [shard, count] : per_shard) {
    INFO(shard);
    CHECK(count > 50);  // 100 expected each; a broken hash piles them up
    CHECK(count < 150);
  }
  // The sign bit is masked like Kafka's toPositive: murmur2("21") is negative.
  CHECK(ks::fleet::shard_of("21", 12) == ((-973932308 & 0x7fffffff) % 12));
}

TEST_CASE("a disabled fleet owns everything", "[fleet]") {
  const Ownership ownership(false);
  CHECK(ownership.is_leader());
  CHECK(ownership.owns_group("anything"));
  CHECK(ownership.view().everything);
  CHECK(ownership.owns_any());
}

TEST_CASE("an assignment owns nothing until a lease renewal for it succeeds", "[fleet]") {
  Ownership ownership(true);
  CHECK_FALSE(ownership.is_leader());
  ownership.assign({0, 3}, 12);
  CHECK_FALSE(ownership.is_leader());  // assigned, but no lease yet
  CHECK_FALSE(ownership.owns_any());
  const auto id = ownership.assignment_id();
  const auto sent = Clock::now();
  CHECK(ownership.renew(id, sent, 10s));
  CHECK(ownership.is_leader());
  CHECK(ownership.view().count() == 2);
  CHECK_FALSE(ownership.renew(id, sent + 1ms, 10s));  // already effective: no new transition

  // A group is owned exactly when its shard is one of ours.
  for (int i = 0; i < 100; ++i) {
    const std::string g = "g" + std::to_string(i);
    const int shard = ks::fleet::shard_of(g, 12);
    CHECK(ownership.owns_group(g) == (shard == 0 || shard == 3));
    CHECK(ownership.view().owns_group(g) == ownership.owns_group(g));
  }
}

TEST_CASE("a renewal sent before a rebalance does not renew the new assignment", "[fleet]") {
  Ownership ownership(true);
  ownership.assign({1}, 12);
  const auto old_id = ownership.assignment_id();
  ownership.revoke();
  ownership.assign({0}, 12);
  CHECK_FALSE(ownership.renew(old_id, Clock::now(), 10s));
  CHECK_FALSE(ownership.is_leader());
  ownership.revoke();
  CHECK_FALSE(ownership.renew(ownership.assignment_id(), Clock::now(), 10s));  // nothing assigned
}

TEST_CASE("roles lapse with the lease and come back with a renewal", "[fleet]") {
  Ownership ownership(true);
  ownership.assign({0}, 4);
  const auto id = ownership.assignment_id();
  // Sent long enough ago that a 50 ms lease has already run out.
  CHECK_FALSE(ownership.renew(id, Clock::now() - 100ms, 50ms));
  CHECK_FALSE(ownership.is_leader());
  CHECK(ownership.renew(id, Clock::now(), 50ms));
  CHECK(ownership.is_leader());
  const auto epoch = ownership.epoch();
  CHECK_FALSE(ownership.check_expiry(Clock::now()));
  std::this_thread::sleep_for(80ms);
  CHECK_FALSE(ownership.is_leader());  // lapsed by the clock alone
  CHECK(ownership.check_expiry(Clock::now()));  // reported once
  CHECK_FALSE(ownership.check_expiry(Clock::now()));
  CHECK(ownership.epoch() > epoch);
  const auto before = std::chrono::system_clock::now();
  CHECK(ownership.renew(id, Clock::now(), 1s));
  CHECK(ownership.is_leader());
  CHECK(ownership.leader_since() >= before);  // a new term
}

TEST_CASE("owned_groups keeps only the owned shards' groups, without copying when all are",
          "[fleet]") {
  Ownership ownership(true);
  ownership.assign({0, 1, 2, 3, 4, 5}, 12);
  REQUIRE(ownership.renew(ownership.assignment_id(), Clock::now(), 10s));
  auto snapshot = std::make_shared<ks::GroupsSnapshot>();
  std::set<std::string> expected;
  for (int i = 0; i < 60; ++i) {
    ks::GroupLag g;
    g.name = "g" + std::to_string(i);
    if (ownership.owns_group(g.name)) expected.insert(g.name);
    snapshot->groups.push_back(g);
  }
  REQUIRE_FALSE(expected.empty());
  REQUIRE(expected.size() < 60);
  std::shared_ptr<const ks::GroupsSnapshot> in = snapshot;
  const auto part = ks::fleet::owned_groups(in, ownership.view());
  CHECK(part != in);
  std::set<std::string> got;
  for (const auto& g : part->groups) got.insert(g.name);
  CHECK(got == expected);
  CHECK(ks::fleet::owned_groups(part, ownership.view()) == part);  // all owned: the same
  // The rows kept are the snapshot's own (shared, not copied), and everything else of the
  // snapshot comes along (its "now" on both clocks, the status window).
  std::size_t j = 0;
  for (std::size_t i = 0; i < in->groups.size(); ++i) {
    if (!expected.contains(in->groups[i].name)) continue;
    CHECK(part->groups.same_row(j++, in->groups.shared(i)));
  }
  snapshot->taken_at_steady_ms = 123'456;
  snapshot->status_window = 7;
  const auto again = ks::fleet::owned_groups(in, ownership.view());
  CHECK(again->taken_at_steady_ms == 123'456);
  CHECK(again->status_window == 7);
}

namespace {

class CountingCollector final : public ks::Collector {
 public:
  explicit CountingCollector(std::atomic<int>& cycles) : cycles_(cycles) {}
  std::string_view name() const override { return "inner"; }
  std::chrono::milliseconds interval() const override { return 10ms; }
  void collect_once(std::stop_token) override { ++cycles_; }

 private:
  std::atomic<int>& cycles_;
};

}  // namespace

TEST_CASE("a role-gated collector runs only with its role and rebuilds its state later",
          "[fleet]") {
  bool role = false;
  int created = 0;
  std::atomic<int> cycles{0};
  ks::fleet::RoleGatedCollector gated(
      "brokers", 10ms, [&] { return role; },
      [&] {
        ++created;
        return std::make_unique<CountingCollector>(cycles);
      },
      30ms);
  gated.collect_once({});
  CHECK(created == 0);
  CHECK(cycles == 0);
  role = true;
  gated.collect_once({});
  gated.collect_once({});
  CHECK(created == 1);
  CHECK(cycles == 2);
  // Lost briefly (an eager rebalance): no cycle, state kept.
  role = false;
  gated.collect_once({});
  CHECK(gated.active());
  role = true;
  gated.collect_once({});
  CHECK(created == 1);
  CHECK(cycles == 3);
  // Lost for longer than the retention: state dropped, a new collector on the next term.
  role = false;
  gated.collect_once({});
  std::this_thread::sleep_for(40ms);
  gated.collect_once({});
  CHECK_FALSE(gated.active());
  role = true;
  gated.collect_once({});
  CHECK(created == 2);
  CHECK(cycles == 4);
}

// An inner collector still reading its source: what /readyz must hear through the gate.
class LoadingCollector final : public ks::Collector {
 public:
  std::string_view name() const override { return "groups"; }
  std::chrono::milliseconds interval() const override { return std::chrono::milliseconds(10); }
  void collect_once(std::stop_token) override {}
  std::optional<ks::LoadingProgress> loading() const override {
    return ks::LoadingProgress{1234, 56.0, "reading __consumer_offsets"};
  }
  std::string status_note() const override { return "source offsets_topic"; }
};

TEST_CASE("a role-gated collector passes its inner collector's loading state and note",
          "[fleet]") {
  bool role = false;
  ks::fleet::RoleGatedCollector gated(
      "groups", 10ms, [&] { return role; }, [] { return std::make_unique<LoadingCollector>(); },
      0ms);
  CHECK_FALSE(gated.loading());  // no role, no inner collector: nothing to load
  CHECK(gated.status_note().empty());
  role = true;
  gated.collect_once({});
  REQUIRE(gated.loading());
  CHECK(gated.loading()->records == 1234);
  CHECK(gated.status_note() == "source offsets_topic");
  role = false;
  gated.collect_once({});  // retention 0: dropped
  CHECK_FALSE(gated.loading());
}

TEST_CASE("host labels only in a fleet or when a node is named", "[fleet]") {
  ks::FleetConfig alone;
  CHECK(ks::fleet::host_labels(alone).empty());
  ks::FleetConfig named;
  named.node_name = "kafka-1";
  named.broker_id = 1;
  using Labels = std::vector<std::pair<std::string, std::string>>;
  CHECK(ks::fleet::host_labels(named) == Labels{{"broker_id", "1"}, {"node", "kafka-1"}});
  ks::FleetConfig fleet;
  fleet.enabled = true;
  const auto labels = ks::fleet::host_labels(fleet);
  REQUIRE(labels.size() == 1);
  CHECK(labels[0].first == "node");
  CHECK_FALSE(labels[0].second.empty());  // the host name
}

TEST_CASE("a fleet member's client id carries its node, broker id and URL", "[fleet]") {
  using ks::fleet::fleet_client_id;
  using ks::fleet::parse_fleet_client_id;
  CHECK(fleet_client_id("ks", "node-a", 2, "http://node-a:9742") == "ks-fleet-node-a~2@http://node-a:9742");
  CHECK(fleet_client_id("ks", "node-a", -1, "") == "ks-fleet-node-a");
  const auto full = parse_fleet_client_id("ks-fleet-node-a~2@http://node-a:9742", "ks");
  CHECK(full.node == "node-a");
  CHECK(full.broker_id == 2);
  CHECK(full.url == "http://node-a:9742");
  const auto no_url = parse_fleet_client_id("ks-fleet-node-b~13", "ks");
  CHECK(no_url.node == "node-b");
  CHECK(no_url.broker_id == 13);
  CHECK(no_url.url.empty());
  // An agent from before the broker id: no marker, no broker.
  const auto old = parse_fleet_client_id("ks-fleet-node-c@http://node-c:9742", "ks");
  CHECK(old.node == "node-c");
  CHECK(old.broker_id == -1);
  CHECK(old.url == "http://node-c:9742");
  // Another kafka.client_id; a "~" not followed by a broker id is part of the name.
  const auto other = parse_fleet_client_id("other-fleet-we~ird~x", "ks");
  CHECK(other.node == "we~ird~x");
  CHECK(other.broker_id == -1);
  CHECK(parse_fleet_client_id("rdkafka", "ks").node == "rdkafka");
  CHECK(parse_fleet_client_id("ks-fleet-n~-1", "ks").broker_id == -1);
  // Round trip.
  const auto back = parse_fleet_client_id(fleet_client_id("ks", "n~7", 7, "https://n:1"), "ks");
  CHECK(back.node == "n~7");
  CHECK(back.broker_id == 7);
  CHECK(back.url == "https://n:1");
}

TEST_CASE("fleet members claim the brokers they are the sidecars of", "[fleet]") {
  std::vector<ks::fleet::FleetMember> members{{"a", "/h", {0}, "", 1}, {"b", "/h", {1}, "", 3},
                                              {"old", "/h", {2}}};
  CHECK(ks::fleet::claimed_brokers(members) == std::set<std::int32_t>{1, 3});
  CHECK(ks::fleet::claimed_brokers({}).empty());
}

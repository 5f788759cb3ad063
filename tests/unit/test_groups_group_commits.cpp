// A group's last commits as the stream keeps them (collectors/groups/group_commits.hpp): the
// same answers as the map it replaced, at a bounded size per partition.
#include <catch2/catch.hpp>

#include <cstddef>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "collectors/groups/group_commits.hpp"
#include "collectors/groups/offsets_state.hpp"

using namespace ks::groups;

namespace {

using Key = std::pair<std::string, std::int32_t>;

// Every (topic, partition) with its offset, in key order.
std::map<Key, std::int64_t> contents(const GroupCommits& commits) {
  std::map<Key, std::int64_t> out;
  for (const StoredCommit& c : commits.entries()) out[{commits.topic_of(c), c.partition}] = c.offset;
  return out;
}

}  // namespace

TEST_CASE("group commits: set, overwrite, erase and find like a map", "[offsets-state]") {
  GroupCommits commits;
  std::map<Key, std::int64_t> model;
  std::mt19937 rng(17);
  const std::vector<std::string> topics{"b-topic", "a", "a-topic-with-a-name-longer-than-sso", "c"};
  for (int i = 0; i < 5000; ++i) {
    const std::string& topic = topics[rng() % topics.size()];
    const auto partition = static_cast<std::int32_t>(rng() % 12);
    if (rng() % 4 == 0) {
      CHECK(commits.erase(topic, partition) == (model.erase({topic, partition}) == 1));
    } else {
      commits.set(topic, partition, {i, 1000 + i}, 3);
      model[{topic, partition}] = i;
    }
  }
  CHECK(contents(commits) == model);
  CHECK(commits.size() == model.size());
  for (const auto& [key, offset] : model) {
    const StoredCommit* c = commits.find(key.first, key.second);
    REQUIRE(c != nullptr);
    CHECK(c->offset == offset);
  }
  CHECK(commits.find("a", 99) == nullptr);
  CHECK(commits.find("no-such-topic", 0) == nullptr);
  for (const auto& [key, offset] : model) commits.erase(key.first, key.second);
  CHECK(commits.empty());
  CHECK(commits.heap_bytes() == 0);  // nothing kept for a group whose commits are all gone
}

TEST_CASE("group commits: the untaken commits are the newest of the window, taken once",
          "[offsets-state]") {
  GroupCommits commits;
  for (int i = 0; i < 5; ++i) commits.set("t", 0, {10 + i, 1000 + i}, 3);
  StoredCommit* c = commits.find("t", 0);
  REQUIRE(c != nullptr);
  const std::vector<CommitPoint> taken = GroupCommits::take(*c);
  REQUIRE(taken.size() == 3);
  CHECK(taken.front().offset == 12);
  CHECK(taken.back().commit_timestamp_ms == 1004);
  CHECK(GroupCommits::take(*c).empty());
  CHECK(c->untaken == nullptr);
}

// What the stream holds for every partition of every group for as long as the agent runs
// (200,000 at 20,000 groups x 10 partitions). The std::map it replaced held 80 B of key and
// value per partition in a 112 B node (heaptrack: 22.4 MB at 20,000 groups); computed here
// from the containers' capacities, once each partition's commit is taken by a cycle.
TEST_CASE("group commits: bytes per partition once taken", "[offsets-state][memory]") {
  constexpr int kTopics = 10;
  constexpr int kPartitions = 100;
  GroupCommits commits;
  for (int t = 0; t < kTopics; ++t) {
    for (int p = 0; p < kPartitions; ++p) {
      commits.set("topic-of-the-group-" + std::to_string(t), p, {p, 1000}, 10);
    }
  }
  const std::size_t with_untaken = commits.heap_bytes();
  for (StoredCommit& c : commits.entries()) GroupCommits::take(c);
  const double per_partition =
      static_cast<double>(commits.heap_bytes()) / (kTopics * kPartitions);
  CHECK(sizeof(StoredCommit) == 32);
  CHECK(per_partition <= 2 * sizeof(StoredCommit));  // the vector's growth at most doubles it
  CHECK(commits.heap_bytes() < with_untaken);
}

TEST_CASE("group commits: a group's 10 partitions held in 10 entries once shrunk",
          "[offsets-state][memory]") {
  GroupCommits commits;
  for (int p = 0; p < 10; ++p) commits.set("orders", p, {p, 1000}, 10);
  for (StoredCommit& c : commits.entries()) GroupCommits::take(c);
  // Grown one commit at a time (the stream's first read): room for 16.
  const std::size_t grown = commits.heap_bytes();
  CHECK(grown >= 16 * sizeof(StoredCommit));
  commits.shrink_to_fit();
  CHECK(commits.heap_bytes() == 10 * sizeof(StoredCommit) + sizeof(std::string));
  CHECK(commits.find("orders", 9)->offset == 9);
}

TEST_CASE("offsets state: every group's commits shrunk at once", "[offsets-state][memory]") {
  ks::groups::OffsetsState state;
  for (int g = 0; g < 3; ++g) {
    for (int p = 0; p < 10; ++p) {
      ks::groups::OffsetCommit c;
      c.group = "g" + std::to_string(g);
      c.topic = "orders";
      c.partition = p;
      c.offset = p;
      c.commit_timestamp_ms = 1000;
      state.apply(0, ks::groups::OffsetsRecord{c});
    }
  }
  for (int g = 0; g < 3; ++g) {
    for (StoredCommit& c : state.find("g" + std::to_string(g))->offsets.entries()) {
      GroupCommits::take(c);  // what the first cycle does
    }
  }
  state.shrink_to_fit();
  for (const auto& [name, group] : state.groups()) {
    CHECK(group.offsets.size() == 10);
    CHECK(group.offsets.heap_bytes() == 10 * sizeof(StoredCommit) + sizeof(std::string));
  }
}

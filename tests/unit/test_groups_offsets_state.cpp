// The state rebuilt from `__consumer_offsets` records (collectors/groups/offsets_state):
// synthetic record sequences as the group coordinator writes them.
#include <catch2/catch.hpp>

#include <cstddef>
#include <string>
#include <vector>

#include "collectors/groups/offsets_state.hpp"

using namespace ks::groups;

namespace {

OffsetCommit commit(std::string group, std::string topic, std::int32_t partition,
                    std::int64_t offset, std::int64_t at_ms) {
  OffsetCommit c;
  c.group = std::move(group);
  c.topic = std::move(topic);
  c.partition = partition;
  c.offset = offset;
  c.commit_timestamp_ms = at_ms;
  return c;
}

GroupMember member(std::string id, std::vector<TopicPartitions> assignment) {
  GroupMember m;
  m.member_id = std::move(id);
  m.client_id = "client-" + m.member_id;
  m.assignment_state = AssignmentState::decoded;
  m.assignment = std::move(assignment);
  return m;
}

GroupMetadata metadata(std::string group, std::int32_t generation, std::vector<GroupMember> members) {
  GroupMetadata g;
  g.group = std::move(group);
  g.protocol_type = "consumer";
  g.generation = generation;
  if (!members.empty()) g.protocol = "range";
  g.members = std::move(members);
  return g;
}

std::int64_t offset_of(const OffsetsState& state, const std::string& group, const std::string& topic,
                       std::int32_t partition) {
  const OffsetsGroup* g = state.find(group);
  if (!g) return -100;
  const StoredCommit* c = g->offsets.find(topic, partition);
  return c == nullptr ? -100 : c->offset;
}

Uuid topic_id(std::uint8_t n) {
  Uuid id{};
  id[15] = static_cast<std::byte>(n);
  return id;
}

}  // namespace

TEST_CASE("offsets state: commits, overwrites and tombstones", "[offsets-state]") {
  OffsetsState state;
  state.apply(7, commit("g", "t", 0, 10, 1000));
  state.apply(7, commit("g", "t", 1, 20, 1001));
  state.apply(7, commit("g", "u", 0, 5, 1002));
  CHECK(offset_of(state, "g", "t", 0) == 10);
  CHECK(state.find("g")->partition == 7);

  state.apply(7, commit("g", "t", 0, 15, 2000));  // a later commit overwrites
  CHECK(offset_of(state, "g", "t", 0) == 15);
  CHECK(state.find("g")->offsets.find("t", 0)->commit_timestamp_ms == 2000);

  state.apply(7, OffsetTombstone{"g", "t", 1});  // deleted (offset reset of one partition...)
  CHECK(offset_of(state, "g", "t", 1) == -100);
  CHECK(state.find("g")->offsets.size() == 2);

  state.apply(7, OffsetTombstone{"g", "t", 0});
  state.apply(7, OffsetTombstone{"g", "u", 0});
  CHECK(state.find("g") == nullptr);  // nothing left: the group is forgotten
  CHECK(state.counts().offset_commits == 4);
  CHECK(state.counts().offset_tombstones == 3);

  state.apply(7, OffsetTombstone{"nobody", "t", 0});  // a tombstone of nothing: harmless
  CHECK(state.groups().empty());
}

TEST_CASE("offsets state: group deletion as the coordinator writes it", "[offsets-state]") {
  OffsetsState state;
  state.apply(3, metadata("g", 4, {}));  // Empty group with offsets
  state.apply(3, commit("g", "t", 0, 10, 1000));
  state.apply(3, commit("other", "t", 0, 1, 1000));
  // DeleteGroups: a tombstone per committed offset, then the group's tombstone.
  state.apply(3, OffsetTombstone{"g", "t", 0});
  CHECK(state.find("g") != nullptr);  // its metadata is still there
  state.apply(3, GroupTombstone{"g"});
  CHECK(state.find("g") == nullptr);
  CHECK(offset_of(state, "other", "t", 0) == 1);
}

TEST_CASE("offsets state: classic metadata with members, then empty", "[offsets-state]") {
  OffsetsState state;
  state.apply(0, metadata("g", 1, {member("m1", {{"t", {0, 1}}}), member("m2", {{"t", {2}}})}));
  const ClassicGroupState* classic = &*state.find("g")->classic;
  CHECK(classic->protocol_type == "consumer");
  CHECK(classic->generation == 1);
  CHECK(classic->protocol == std::optional<std::string>("range"));
  REQUIRE(classic->members.size() == 2);
  CHECK(classic->members[1].assignment.at(0).partitions == std::vector<std::int32_t>{2});

  // The members left: the next generation is written with no members, the metadata
  // replaced whole (no member of generation 1 survives).
  state.apply(0, metadata("g", 2, {}));
  classic = &*state.find("g")->classic;
  CHECK(classic->generation == 2);
  CHECK(classic->members.empty());
  CHECK_FALSE(classic->protocol.has_value());
}

TEST_CASE("offsets state: KIP-848 group epoch, members, assignments by topic id",
          "[offsets-state]") {
  OffsetsState state;
  state.apply(9, ConsumerGroupMetadata{"cg", 3});
  ConsumerGroupMember m;
  m.group = "cg";
  m.member_id = "a";
  m.client_id = "client-a";
  state.apply(9, m);
  ConsumerGroupMemberAssignment a;
  a.group = "cg";
  a.member_id = "a";
  a.member_epoch = 3;
  a.assigned = {{topic_id(1), {0, 1}}};
  state.apply(9, a);
  state.apply(9, commit("cg", "t", 0, 42, 5000));

  const OffsetsGroup* g = state.find("cg");
  REQUIRE(g != nullptr);
  CHECK(g->consumer_epoch == std::optional<std::int32_t>(3));
  REQUIRE(g->consumer_members.size() == 1);
  const ConsumerMemberState& ma = g->consumer_members.at("a");
  CHECK(ma.client_id == "client-a");
  CHECK(ma.member_epoch == 3);
  CHECK(ma.assigned.at(0).topic_id == topic_id(1));

  // The member leaves: its assignment then its metadata are deleted.
  state.apply(9, ConsumerGroupMemberTombstone{"cg", "a", 8});
  CHECK(state.find("cg")->consumer_members.at("a").assigned.empty());
  state.apply(9, ConsumerGroupMemberTombstone{"cg", "a", 5});
  CHECK(state.find("cg")->consumer_members.empty());
  // The group is deleted; its commit has its own tombstone.
  state.apply(9, ConsumerGroupTombstone{"cg"});
  CHECK(state.find("cg") != nullptr);
  state.apply(9, OffsetTombstone{"cg", "t", 0});
  CHECK(state.find("cg") == nullptr);
  CHECK(state.counts().consumer_group_records == 6);
}

TEST_CASE("offsets state: unknown and malformed records are counted and change nothing",
          "[offsets-state]") {
  OffsetsState state;
  state.apply(1, commit("g", "t", 0, 10, 1000));
  // Key version 0 (an offset commit key) cut short: malformed.
  const std::vector<std::byte> truncated{std::byte{0}, std::byte{0}, std::byte{0}};
  state.apply(1, truncated, std::nullopt);
  // Key version 99: not a record type Kafka 3.x writes.
  const std::vector<std::byte> unknown{std::byte{0}, std::byte{99}, std::byte{0}};
  state.apply(1, unknown, std::span<const std::byte>(unknown));
  CHECK(state.counts().malformed == 1);
  CHECK(state.counts().unknown == 1);
  CHECK(offset_of(state, "g", "t", 0) == 10);
  CHECK(state.groups().size() == 1);
}

TEST_CASE("offsets state: a partition no longer read drops its groups", "[offsets-state]") {
  OffsetsState state;
  state.apply(1, commit("a", "t", 0, 1, 1));
  state.apply(2, commit("b", "t", 0, 2, 1));
  state.drop_partition(1);
  CHECK(state.find("a") == nullptr);
  CHECK(offset_of(state, "b", "t", 0) == 2);
}

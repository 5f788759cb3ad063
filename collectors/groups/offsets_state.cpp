#include "collectors/groups/offsets_state.hpp"

#include <algorithm>
#include <type_traits>
#include <utility>

namespace ks::groups {

OffsetsState::OffsetsState(std::size_t commit_window)
    : commit_window_(std::max<std::size_t>(commit_window, 1)) {}

void OffsetsState::apply_commit(std::int32_t partition, const OffsetCommit& c) {
  group(c.group, partition)
      .offsets.set(c.topic, c.partition, {c.offset, c.commit_timestamp_ms}, commit_window_);
}

std::vector<CommitPoint> OffsetsState::take_commits(StoredCommit& commit) {
  return GroupCommits::take(commit);
}

OffsetsGroup& OffsetsState::group(const std::string& name, std::int32_t partition) {
  OffsetsGroup& g = groups_[name];
  g.partition = partition;
  return g;
}

void OffsetsState::forget_if_empty(const std::string& name) {
  const auto it = groups_.find(name);
  if (it != groups_.end() && it->second.forgotten()) groups_.erase(it);
}

void OffsetsState::apply_member(std::int32_t partition, const ConsumerGroupMember& m) {
  ConsumerMemberState& member = group(m.group, partition).consumer_members[m.member_id];
  member.has_metadata = true;
  member.client_id = m.client_id;
  member.client_host = m.client_host;
  member.server_assignor = m.server_assignor;
}

void OffsetsState::apply_assignment(std::int32_t partition,
                                    const ConsumerGroupMemberAssignment& a) {
  ConsumerMemberState& member = group(a.group, partition).consumer_members[a.member_id];
  member.has_assignment = true;
  member.member_epoch = a.member_epoch;
  member.assigned = a.assigned;
}

void OffsetsState::apply_member_tombstone(const ConsumerGroupMemberTombstone& t) {
  const auto g = groups_.find(t.group);
  if (g == groups_.end()) return;
  auto& members = g->second.consumer_members;
  const auto it = members.find(t.member_id);
  if (it == members.end()) return;
  (t.key_version == 5 ? it->second.has_metadata : it->second.has_assignment) = false;
  if (t.key_version == 8) it->second.assigned.clear();
  if (!it->second.has_metadata && !it->second.has_assignment) members.erase(it);
  forget_if_empty(t.group);
}

void OffsetsState::apply(std::int32_t partition, const OffsetsRecord& record) {
  counts_.add(record);
  std::visit(
      [&](const auto& r) {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, OffsetCommit>) {
          apply_commit(partition, r);
        } else if constexpr (std::is_same_v<T, OffsetTombstone>) {
          if (const auto g = groups_.find(r.group); g != groups_.end()) {
            g->second.offsets.erase(r.topic, r.partition);
            forget_if_empty(r.group);
          }
        } else if constexpr (std::is_same_v<T, GroupMetadata>) {
          group(r.group, partition).classic =
              ClassicGroupState{r.protocol_type, r.generation, r.protocol, r.members};
        } else if constexpr (std::is_same_v<T, GroupTombstone>) {
          if (const auto g = groups_.find(r.group); g != groups_.end()) g->second.classic.reset();
          forget_if_empty(r.group);
        } else if constexpr (std::is_same_v<T, ConsumerGroupMetadata>) {
          group(r.group, partition).consumer_epoch = r.epoch;
        } else if constexpr (std::is_same_v<T, ConsumerGroupTombstone>) {
          if (const auto g = groups_.find(r.group); g != groups_.end()) {
            g->second.consumer_epoch.reset();
          }
          forget_if_empty(r.group);
        } else if constexpr (std::is_same_v<T, ConsumerGroupMember>) {
          apply_member(partition, r);
        } else if constexpr (std::is_same_v<T, ConsumerGroupMemberAssignment>) {
          apply_assignment(partition, r);
        } else if constexpr (std::is_same_v<T, ConsumerGroupMemberTombstone>) {
          apply_member_tombstone(r);
        }
        // Skipped, Unknown, Malformed: counted above, nothing to apply.
      },
      record);
}

void OffsetsState::apply(std::int32_t partition, std::span<const std::byte> key,
                         std::optional<std::span<const std::byte>> value) {
  apply(partition, decode_offsets_record(key, value));
}

void OffsetsState::drop_partition(std::int32_t partition) {
  std::erase_if(groups_, [partition](const auto& kv) { return kv.second.partition == partition; });
}

OffsetsGroup* OffsetsState::find(std::string_view group) {
  const auto it = groups_.find(std::string(group));
  return it == groups_.end() ? nullptr : &it->second;
}

const OffsetsGroup* OffsetsState::find(std::string_view group) const {
  const auto it = groups_.find(std::string(group));
  return it == groups_.end() ? nullptr : &it->second;
}

void OffsetsState::shrink_to_fit() {
  for (auto& [name, group] : groups_) group.offsets.shrink_to_fit();
}

}  // namespace ks::groups

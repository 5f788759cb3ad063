// What `__consumer_offsets` says about every group, rebuilt record by record: the committed
// offsets per group, topic and partition (with their commit timestamps), a classic group's
// metadata (protocol type, generation, members and their assignments) and a KIP-848
// consumer group's epoch, members and assignments (by topic ID). Pure: records in, state
// out; the stream reader (kafka/partition_reader.hpp) feeds it.
//
// The topic is compacted and read from its beginning, so the state is the last record of
// every key: a later commit overwrites, a tombstone (null value) deletes, a group's metadata
// replaces the previous one whole. A group with nothing left is forgotten. Unknown and
// malformed records are counted (OffsetsDecodeCounts) and change nothing.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "collectors/groups/group_commits.hpp"
#include "collectors/groups/offsets_records.hpp"

namespace ks::groups {

struct ClassicGroupState {
  std::string protocol_type;  // "consumer", "connect", ... ("" for a group with only offsets)
  std::int32_t generation = 0;
  std::optional<std::string> protocol;  // the assignor chosen
  std::vector<GroupMember> members;     // with their decoded assignments
};

struct ConsumerMemberState {
  bool has_metadata = false;    // key 5 seen (and not deleted)
  bool has_assignment = false;  // key 8 seen (and not deleted)
  std::string client_id;
  std::string client_host;
  std::optional<std::string> server_assignor;
  std::int32_t member_epoch = 0;
  std::vector<TopicIdPartitions> assigned;  // by topic ID: names need metadata with IDs
};

struct ConsumerGroupState {
  std::int32_t epoch = 0;
  std::map<std::string, ConsumerMemberState, std::less<>> members;
};

struct OffsetsGroup {
  std::int32_t partition = -1;  // the `__consumer_offsets` partition of its records
  // (topic, partition) -> the last commit (compact: group_commits.hpp).
  GroupCommits offsets;
  std::optional<ClassicGroupState> classic;
  std::optional<std::int32_t> consumer_epoch;  // KIP-848 group record (key 3)
  std::map<std::string, ConsumerMemberState, std::less<>> consumer_members;

  bool forgotten() const {
    return offsets.empty() && !classic && !consumer_epoch && consumer_members.empty();
  }
};

class OffsetsState {
 public:
  // `commit_window`: the most untaken commits kept per key (the status window).
  explicit OffsetsState(std::size_t commit_window = 10);

  // Decodes and applies one record of `partition`.
  void apply(std::int32_t partition, std::span<const std::byte> key,
             std::optional<std::span<const std::byte>> value);
  // Applies a decoded record (counted like apply).
  void apply(std::int32_t partition, const OffsetsRecord& record);

  // Every group's commits held without the room their growth left (GroupCommits::
  // shrink_to_fit): once, when the stream has been read to its end the first time.
  void shrink_to_fit();

  // Forgets every group whose records are in `partition` (it is no longer read).
  void drop_partition(std::int32_t partition);

  const OffsetsGroup* find(std::string_view group) const;
  OffsetsGroup* find(std::string_view group);
  // The commits of `commit` not taken yet, oldest first; they are then forgotten.
  static std::vector<CommitPoint> take_commits(StoredCommit& commit);
  const std::unordered_map<std::string, OffsetsGroup>& groups() const { return groups_; }
  const OffsetsDecodeCounts& counts() const { return counts_; }

 private:
  OffsetsGroup& group(const std::string& name, std::int32_t partition);
  void forget_if_empty(const std::string& name);
  void apply_member(std::int32_t partition, const ConsumerGroupMember& m);
  void apply_assignment(std::int32_t partition, const ConsumerGroupMemberAssignment& a);
  void apply_member_tombstone(const ConsumerGroupMemberTombstone& t);

  void apply_commit(std::int32_t partition, const OffsetCommit& c);

  std::size_t commit_window_;
  std::unordered_map<std::string, OffsetsGroup> groups_;
  OffsetsDecodeCounts counts_;
};

}  // namespace ks::groups

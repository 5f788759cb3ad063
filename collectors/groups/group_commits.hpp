// One group's last commit per (topic, partition), as `__consumer_offsets` says, stored
// compactly: the stream keeps one for every partition of every group (200,000 at 20,000
// groups x 10 partitions), for as long as the agent runs.
//
// A std::map keyed by (topic name, partition) cost 112 B a node plus the allocator's 16, and
// a topic name per partition (heaptrack at 20,000 groups: 22.4 MB). Here a group's topic
// names are stored once each and its commits are 32-byte entries in one vector, sorted by
// (topic index, partition): 32 B a partition, plus the commits not taken yet, which exist
// only between a commit and the next cycle (docs/performance.md, "Memory at 20,000 groups").
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ks::groups {

struct CommitPoint {
  std::int64_t offset = 0;
  std::int64_t commit_timestamp_ms = 0;
};

struct StoredCommit {
  std::uint32_t topic = 0;  // index in the group's topic names (GroupCommits::topic_of)
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::int64_t commit_timestamp_ms = 0;
  // Every commit of this key applied and not taken yet (take), oldest first, the newest at
  // most the window of them: the lag status judges the real commits (lag_status.hpp).
  // Null, with nothing allocated, once taken.
  std::unique_ptr<std::vector<CommitPoint>> untaken{};
};

class GroupCommits {
 public:
  // Sets the last commit of (topic, partition) and appends it to its untaken commits, of
  // which at most `window` (>= 1) are kept, the newest.
  void set(std::string_view topic, std::int32_t partition, CommitPoint commit, std::size_t window);
  // Forgets (topic, partition) (a tombstone). False when it was not there.
  bool erase(std::string_view topic, std::int32_t partition);

  StoredCommit* find(std::string_view topic, std::int32_t partition);
  const StoredCommit* find(std::string_view topic, std::int32_t partition) const;
  std::span<StoredCommit> entries() { return entries_; }
  std::span<const StoredCommit> entries() const { return entries_; }
  const std::string& topic_of(const StoredCommit& commit) const { return topics_[commit.topic]; }
  std::size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }

  // The commits of `commit` not taken yet, oldest first; they are then forgotten.
  static std::vector<CommitPoint> take(StoredCommit& commit);

  // Gives back what the containers hold beyond their size: a group's commits arrive one by
  // one while the stream is first read, and a vector grown by doubling holds up to twice
  // its size (16 entries for 10 partitions: 192 B a group, 3.8 MB at 20,000 groups).
  void shrink_to_fit();
  // Heap bytes held, from the containers' capacities (not counting the allocator's own
  // overhead per block): what a test can bound per partition.
  std::size_t heap_bytes() const;

 private:
  // Where (topic index, partition) is or would be inserted in entries_.
  std::vector<StoredCommit>::iterator position(std::uint32_t topic, std::int32_t partition);
  std::uint32_t topic_index(std::string_view topic);  // adds the name when new
  void drop_topic_if_unused(std::uint32_t topic);

  std::vector<std::string> topics_;  // by index; an index stays until its last commit goes
  std::vector<StoredCommit> entries_;  // sorted by (topic, partition)
};

}  // namespace ks::groups

// Turns one cycle's raw observations (group descriptions, committed offsets, watermarks)
// into a GroupsSnapshot, keeping across cycles what needs memory: each partition's
// (high watermark, time) history, each group partition's commit window and status, each
// group topic's rates. Pure: no Kafka, so every rule is unit-tested on made-up cycles.
//
// State of groups, topics and partitions that are gone is dropped at the cycle that no
// longer sees them, so the agent's memory follows the cluster, not its history.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "collectors/groups/consumption_rate.hpp"
#include "collectors/groups/lag_math.hpp"
#include "collectors/groups/lag_status.hpp"
#include "collectors/groups/offset_history.hpp"
#include "core/groups_snapshot.hpp"

namespace ks::groups {

struct TopicPartition {
  std::string topic;
  std::int32_t partition = 0;

  bool operator==(const TopicPartition&) const = default;
  auto operator<=>(const TopicPartition&) const = default;
};

struct TopicPartitionHash {
  std::size_t operator()(const TopicPartition& tp) const noexcept {
    return std::hash<std::string>{}(tp.topic) * 31u + static_cast<std::size_t>(tp.partition);
  }
};

struct GroupDescription {
  std::string state;     // "Stable", "Empty", ...
  std::string protocol;  // partition assignor
  int members = 0;
  // Partitions in the members' assignments. Empty with members > 0 when the assignments
  // could not be read (not the "consumer" protocol): liveness is then unknown.
  std::vector<TopicPartition> assigned;
  // Aligned with `assigned` (or empty: members unknown): the index in `assignees` of the
  // member it is assigned to.
  std::vector<std::int32_t> assigned_to{};
  std::vector<GroupMemberIdentity> assignees{};
};

// librdkafka 2.0.2's classic DescribeGroups answers "Dead" with no members for a KIP-848
// (consumer protocol) group on Kafka 3.x, which ListGroups lists as Stable or Empty. Such a
// description is wrong, not a dead group: the group counts as not described.
bool description_contradicts_listing(const GroupDescription& description,
                                     std::string_view listed_state);

// One commit as the stream read it: the offset and when the group coordinator wrote it.
struct CommitRecord {
  std::int64_t offset = 0;
  std::int64_t timestamp_ms = 0;  // Unix time, the broker's clock
};

struct CommittedOffset {
  TopicPartition tp;
  std::int64_t offset = 0;  // >= 0
  // The commits made since the last cycle, oldest first (the stream only; the last one is
  // `offset`). Judged on when CycleObservations::judged_on_commits.
  std::vector<CommitRecord> commits{};
};

struct GroupObservation {
  std::string name;
  std::string listed_state;  // the state ListGroups gave ("" when unknown)
  std::optional<GroupDescription> description;  // absent: DescribeGroups failed
  std::string describe_error;
  // DescribeGroups said the group does not exist (Dead, or GROUP_ID_NOT_FOUND).
  bool described_as_gone = false;
  bool offsets_fetched = false;
  std::string offsets_error;
  bool offsets_group_not_found = false;  // OffsetFetch answered GROUP_ID_NOT_FOUND
  std::vector<CommittedOffset> committed;  // only partitions with a commit
};

// A group deleted (or expired) between ListGroups and DescribeGroups describes as Dead and
// has no committed offsets: it is gone, not failing, and must not count as an error. A
// KIP-848 group, which librdkafka 2.0.2 also describes as Dead, still has its commits.
bool vanished_since_listing(const GroupObservation& group);

// Drops the groups that vanished since the listing; returns how many.
std::size_t drop_vanished_groups(std::vector<GroupObservation>& groups);

// The partitions some groups have commits on, by topic: the watermarks a cycle asks for.
using CommittedPartitions = std::unordered_map<std::string, std::set<std::int32_t>>;

struct CycleObservations {
  std::vector<GroupObservation> groups;
  // Watermarks answered this cycle (partitions whose leader failed are absent).
  std::unordered_map<TopicPartition, Watermarks, TopicPartitionHash> watermarks;
  // Partition count of every topic in this cycle's metadata.
  std::unordered_map<std::string, int> topic_partitions;
  OffsetHistory::TimePoint watermarks_at;  // when the watermarks were answered
  std::chrono::system_clock::time_point taken_at;  // the same moment, on the system clock
  // The status is judged on each partition's real commits (CommittedOffset::commits: the
  // stream), not on one sample per cycle (the admin API).
  bool judged_on_commits = false;
  // When set, the groups carry only their names and listed states, and this fills one
  // group's description and committed offsets right before the evaluator evaluates it (the
  // stream: one group's observations at a time, where the admin API's answers are all held
  // at once: 20,000 groups' were ~20 MB at a cycle's peak; docs/performance.md).
  std::function<void(GroupObservation&)> fill;
};

struct EvaluatorParams {
  std::size_t history_points = 60;
  std::size_t status_window = 10;
  std::chrono::milliseconds collect_interval{15000};
};

class Assignment;  // who consumes what, from a group's description (group_evaluator.cpp)

class GroupEvaluator {
 public:
  explicit GroupEvaluator(const EvaluatorParams& params);

  // The snapshot of this cycle (groups sorted by name). `cycle` is copied into it, with
  // partitions_tracked and watermark_errors filled in.
  GroupsSnapshot evaluate(CycleObservations observations, const GroupsCycleStats& cycle);

  std::size_t histories() const { return histories_.size(); }
  // Group rows taken again from the previous snapshot, since the evaluator was made.
  std::uint64_t shared_rows() const { return shared_rows_; }
  std::size_t tracked_group_partitions() const;
  // Bytes of per-partition state held (the vectors' capacities; the status windows' commits
  // apart) per group partition tracked: one for each of 200,000 at 20,000 groups, so tests
  // bound it (tests/unit/test_groups_memory.cpp).
  double state_bytes_per_partition() const;

 private:
  struct PartitionState {
    explicit PartitionState(const StatusParams& params) : status(params) {}
    PartitionStatus status;
    std::int64_t last_committed = -1;
    std::int64_t last_high = -1;
  };
  struct TopicState {
    explicit TopicState(std::size_t window) : rate(window) {}
    ConsumptionRate rate;
    // Sorted by partition. A vector, not a map: a map's node cost 48 B more per partition
    // (heaptrack at 20,000 groups x 10 partitions: 27 MB for this state).
    std::vector<std::pair<std::int32_t, PartitionState>> partitions;
  };
  PartitionState& partition_state(TopicState& topic, std::int32_t partition) const;
  struct GroupState {
    std::map<std::string, TopicState, std::less<>> topics;
    // The row the last snapshot has (shared with it): the next one takes it again when
    // its evaluation comes out equal.
    std::shared_ptr<const GroupLag> last_row;
  };

  // Forward progress of a topic's committed offsets and high watermarks this cycle.
  struct Progress {
    std::int64_t consumed = 0;
    std::int64_t produced = 0;
  };

  // This cycle's end offsets into the histories; the histories of partitions gone from the
  // metadata dropped. Before the groups are evaluated.
  void add_watermarks(const CycleObservations& observations);
  // Drops the histories no group needs: of topics no evaluated group has commits on (and
  // no group whose offsets were missing this cycle had before). After the groups.
  void forget_unwanted_histories(const CycleObservations& observations);
  GroupLag evaluate_group(GroupObservation& observation,
                          const CycleObservations& observations, std::size_t& watermark_errors);
  // The group's status from its last verdicts (a cycle without its offsets).
  static LagStatus last_status(const GroupState& state);
  // One topic's commits (sorted by partition) into row.topics.
  void evaluate_topic(std::span<const CommittedOffset> commits, TopicState& state,
                      const Assignment& assignment, const CycleObservations& observations,
                      GroupLag& row, std::size_t& watermark_errors);
  void evaluate_partition(const CommittedOffset& c, PartitionState& ps, Liveness liveness,
                          const CycleObservations& observations, GroupTopicLag& trow,
                          GroupLag& row, Progress& progress, std::size_t& watermark_errors);
  // The partition's new commits into its window, each with its lag at the time it was made.
  void record_commits(const CommittedOffset& c, const OffsetHistory* history, PartitionState& ps,
                      const CycleObservations& observations) const;
  // `history`: the partition's end-offset history (null when none), looked up once per
  // partition by evaluate_partition.
  void estimate_lag_seconds(const OffsetHistory* history, const PartitionLag& lag,
                            OffsetHistory::TimePoint now, GroupPartitionLag& prow,
                            GroupLag& row) const;

  EvaluatorParams params_;
  StatusParams status_params_;
  std::unordered_map<TopicPartition, OffsetHistory, TopicPartitionHash> histories_;
  std::unordered_map<std::string, GroupState> groups_;
  std::uint64_t shared_rows_ = 0;
};

}  // namespace ks::groups

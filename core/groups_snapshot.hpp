// What the consumer-groups collector saw in one cycle: every monitored group with its
// committed offsets joined to the partitions' watermarks (lag, expired messages, lag in
// seconds, Burrow-like status, rates). Immutable once published; groups, topics and
// partitions that disappear from Kafka are simply not in the next snapshot.
//
// Sized for thousands of groups: a topic's name is stored once per (group, topic), the
// partitions are plain structs in one vector.
#pragma once

#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/group_member_identity.hpp"
#include "core/shared_rows.hpp"
#include "core/lag_formula.hpp"
#include "core/lag_status_code.hpp"

namespace ks {

// A commit of the status window (docs/lag.md: a change of the committed offset between two
// cycles): the first and the last one are Burrow's `start` and `end` in its HTTP API.
struct CommitSeen {
  std::int64_t offset = -1;  // -1: no commit in the window yet
  std::int64_t lag = 0;      // the lag when the commit was first seen
  // When, on the steady clock (milliseconds): GroupsSnapshot::unix_ms gives the wall time.
  // Not stored as wall time so that the row stays the same from one snapshot to the next
  // (the two clocks are read a few microseconds apart every cycle; see GroupRows).
  std::int64_t at_steady_ms = 0;

  bool operator==(const CommitSeen&) const = default;
};

// When the lag in seconds of a partition (or a group's largest) is measured from, on the
// steady clock in milliseconds: the moment its oldest unconsumed message was produced.
// A moment, not an age, so that a row whose offsets did not move is equal to the previous
// snapshot's and is shared with it (GroupRows); the age is the snapshot's "now" minus it
// (GroupsSnapshot::lag_seconds).
namespace lag_since {
inline constexpr std::int64_t kUnknown = std::numeric_limits<std::int64_t>::min();  // no age known
inline constexpr std::int64_t kCaughtUp = std::numeric_limits<std::int64_t>::max();  // 0 s
// The moment `seconds` before `now_steady_ms` (kUnknown for nothing): for rows made by hand
// (tests, benches), whose snapshot's "now" is `now_steady_ms`.
inline std::int64_t for_age(std::optional<double> seconds, std::int64_t now_steady_ms = 0) {
  if (!seconds) return kUnknown;
  return now_steady_ms - static_cast<std::int64_t>(std::llround(*seconds * 1000.0));
}
// The older of two moments (the larger age), kUnknown counting as neither: how a group's
// max_lag_since_steady_ms gathers its partitions'.
inline std::int64_t older(std::int64_t a, std::int64_t b) {
  if (a == kUnknown) return b;
  if (b == kUnknown) return a;
  return a < b ? a : b;  // kCaughtUp is the largest value: the youngest
}
}  // namespace lag_since

// One per group partition, in every snapshot (200,000 at 20,000 groups x 10 partitions): 96 B
// (tests/unit/test_groups_memory.cpp), was 120. What can be derived is not stored: the lag
// and the expired count come from the three offsets, and the lag in seconds from the moment
// it is measured from and the snapshot's "now". Offsets, commit times and lags stay 64-bit:
// Kafka's are.
struct GroupPartitionLag {
  std::int32_t partition = 0;
  // The member it is assigned to: an index in GroupLag::assignees, -1 when none is known.
  std::int32_t assignee = -1;
  std::int64_t committed = 0;  // the group's committed offset (only committed partitions)
  // Watermarks of this cycle; both -1 when the partition's leader did not answer (or its
  // topic is gone): then lag, expired and lag_seconds are unknown too.
  std::int64_t low_watermark = -1;
  std::int64_t high_watermark = -1;
  // When the oldest unconsumed message that still exists was produced (lag_since): its age
  // is the lag in seconds (GroupsSnapshot::lag_seconds). kUnknown when there is too little
  // history to say (the agent or the partition is new), kCaughtUp when nothing is behind.
  std::int64_t lag_since_steady_ms = lag_since::kUnknown;
  // The status window's oldest and newest commits; Burrow's `complete` is window_commits
  // over GroupsSnapshot::status_window.
  CommitSeen first_commit{};
  CommitSeen last_commit{};
  std::uint16_t window_commits = 0;
  LagStatus status = LagStatus::notfound;
  bool lag_seconds_lower_bound = false;  // older than the history: "at least" this

  // The collector stores watermarks only in pairs it got from the partition's leader.
  bool has_lag() const { return low_watermark >= 0 && high_watermark >= 0; }
  // high - max(committed, low), >= 0; -1 unknown.
  std::int64_t lag() const {
    return has_lag() ? lag_formula::lag(committed, low_watermark, high_watermark) : -1;
  }
  // low - committed when retention deleted unread messages, else 0 (0 too when unknown).
  std::int64_t expired() const {
    return has_lag() ? lag_formula::expired(committed, low_watermark, high_watermark) : 0;
  }

  bool operator==(const GroupPartitionLag&) const = default;
};

struct GroupTopicLag {
  std::string topic;
  std::vector<GroupPartitionLag> partitions;  // sorted by partition
  std::int64_t committed_sum = 0;             // over the committed partitions
  std::int64_t lag_sum = 0;                   // over the partitions with known lag
  std::int64_t expired_sum = 0;
  int partitions_with_lag = 0;
  std::optional<double> consumed_per_second;  // committed offsets' progress, sliding window
  std::optional<double> produced_per_second;  // high watermarks' progress, same partitions
  std::optional<double> catch_up_seconds;     // absent when not catching up

  bool operator==(const GroupTopicLag&) const = default;
};

// One per group, in every snapshot (20,000 at 20,000 groups): fields ordered by size so no
// padding is wasted, 240 B, was 272.
struct GroupLag {
  std::string name;
  std::string state = "Unknown";  // Stable, Empty, PreparingRebalance, ... or Unknown
  std::string protocol;           // partition assignor ("range", "cooperative-sticky", ...)
  std::string describe_error;     // "" when described
  std::string offsets_error;
  std::vector<GroupTopicLag> topics;  // sorted by topic
  // The members with a partition assigned, once each (a partition names them by index).
  std::vector<GroupMemberIdentity> assignees{};
  // The oldest lag_since_steady_ms of its partitions (lag_since::kUnknown when none is
  // known): GroupsSnapshot::max_lag_seconds.
  std::int64_t max_lag_since_steady_ms = lag_since::kUnknown;
  int members = 0;                        // meaningful when described
  // Partitions assigned to the group, or of a topic it has commits on, without a commit.
  int uncommitted_partitions = 0;
  int lag_seconds_unknown_partitions = 0;      // lag > 0 but too little history
  int lag_seconds_lower_bound_partitions = 0;  // lag_seconds is only a lower bound
  // From DescribeConsumerGroups; described false when that failed (KIP-848 groups answer
  // GROUP_ID_NOT_FOUND): the group is still reported from its offsets.
  bool described = false;
  bool offsets_fetched = false;  // false: topics is empty this cycle (see offsets_error)
  bool max_lag_seconds_lower_bound = false;
  LagStatus status = LagStatus::notfound;  // Burrow's group rule (OK, WARN, ERR)

  bool operator==(const GroupLag&) const = default;
};

// A snapshot's group rows: shared with the previous snapshot where they did not change.
using GroupRows = SharedRows<GroupLag>;

// How the cycle went: the agent's own view of the collector's cost and health.
struct GroupsCycleStats {
  std::size_t groups_listed = 0;     // by ListConsumerGroups
  std::size_t groups_monitored = 0;  // after the include/exclude filter
  bool list_complete = true;         // false: some broker did not answer ListGroups
  // Listed, then gone before they could be described (deleted or expired meanwhile).
  std::size_t groups_vanished = 0;
  // Failures of this cycle.
  std::size_t describe_errors = 0;     // groups that could not be described
  std::size_t offsets_errors = 0;      // groups whose committed offsets could not be fetched
  std::size_t watermark_errors = 0;    // partitions with committed offsets but no watermark
  // Requests sent this cycle, by Kafka API.
  std::size_t metadata_requests = 0;
  std::size_t list_groups_requests = 0;
  std::size_t describe_groups_requests = 0;
  std::size_t offset_fetch_requests = 0;
  std::size_t list_offsets_requests = 0;
  // Wall time of each stage, seconds.
  double list_seconds = 0;
  double metadata_seconds = 0;
  double describe_seconds = 0;
  double offsets_seconds = 0;
  double watermarks_seconds = 0;
  double evaluate_seconds = 0;
  // From the first committed-offset request to the last watermark answer: how far apart
  // the two halves of every lag were taken (lag overstates by what was produced meanwhile).
  double offsets_watermarks_gap_seconds = 0;
  std::size_t partitions_tracked = 0;  // (high watermark, time) histories kept
  // Since the collector started.
  std::uint64_t describe_errors_total = 0;
  std::uint64_t offsets_errors_total = 0;
  std::uint64_t groups_vanished_total = 0;
  std::uint64_t watermark_errors_total = 0;
  // Where committed offsets, members and assignments came from: "offsets_topic" or
  // "admin_api" (collectors.groups.source; "auto" is one of them).
  std::string source = "admin_api";
  // The `__consumer_offsets` stream (source offsets_topic), since the agent started.
  std::uint64_t stream_records = 0;  // records read
  std::uint64_t stream_offset_commits = 0;
  std::uint64_t stream_offset_tombstones = 0;
  std::uint64_t stream_group_metadata = 0;  // classic group metadata and its tombstones
  std::uint64_t stream_consumer_group = 0;  // KIP-848 records
  std::uint64_t stream_skipped = 0;         // valid records a monitor does not need
  std::uint64_t stream_unknown = 0;         // versions Kafka 3.x does not write
  std::uint64_t stream_malformed = 0;       // truncated or garbled
  std::int64_t stream_lag = 0;              // offsets not read yet behind the end seen
  // The `__consumer_offsets` partitions read (a fleet agent: its shards'), by id, and
  // whether each has been read to the end it had when it was added (its groups are
  // reported only then).
  std::vector<std::pair<std::int32_t, bool>> stream_partitions;
  std::size_t groups_catching_up = 0;  // monitored, not reported: partition not caught up
  // KIP-848 members' assigned partitions this cycle that cannot be named: their records
  // name topics by ID, which librdkafka 2.0.2's metadata does not give.
  std::size_t unmapped_assignments = 0;
};

// Copying a snapshot copies handles to its rows (GroupRows), not the rows: a copy whose rows
// are to be changed must get rows of its own first (a test's fixture, say); a published
// snapshot's rows are never changed.
struct GroupsSnapshot {
  // When the watermarks were answered: the "now" of every lag and lag in seconds.
  std::chrono::system_clock::time_point taken_at;
  // The same moment on the steady clock, milliseconds: what the rows' lag_since and commit
  // times are counted on.
  std::int64_t taken_at_steady_ms = 0;
  GroupRows groups;  // sorted by name
  GroupsCycleStats cycle;
  std::size_t status_window = 10;  // commits per partition window (status_window_commits)

  // The partition's lag in seconds at taken_at (millisecond resolution): nothing when too
  // little history says it.
  std::optional<double> lag_seconds(const GroupPartitionLag& p) const {
    return age_seconds(p.lag_since_steady_ms);
  }
  // The largest lag in seconds of the group's partitions.
  std::optional<double> max_lag_seconds(const GroupLag& g) const {
    return age_seconds(g.max_lag_since_steady_ms);
  }
  // When the commit was seen, Unix milliseconds.
  std::int64_t unix_ms(const CommitSeen& commit) const {
    const auto taken = std::chrono::duration_cast<std::chrono::milliseconds>(
        taken_at.time_since_epoch()).count();
    return taken - (taken_at_steady_ms - commit.at_steady_ms);
  }

 private:
  std::optional<double> age_seconds(std::int64_t since) const {
    if (since == lag_since::kUnknown) return std::nullopt;
    if (since == lag_since::kCaughtUp || since >= taken_at_steady_ms) return 0.0;
    return static_cast<double>(taken_at_steady_ms - since) / 1000.0;
  }
};

}  // namespace ks

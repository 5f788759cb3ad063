// Burrow-like lag status of a consumer-group partition, evaluated over a sliding window of
// its last N commits, and the group status derived from its partitions. Two ways to feed it,
// one per source of committed offsets (collectors.groups.source):
//
//  - per cycle (observe; the admin API, which sees only the committed offset at each cycle):
//    a "commit" is a change of the committed offset between two cycles, timed at the cycle
//    that saw it, with the lag of that cycle; STALL (consumer alive, not progressing) is
//    told from STOP (nobody consuming) by the group's membership;
//  - on real commits (add_commit + judge_commits; the __consumer_offsets stream, which
//    carries every commit with its timestamp): every commit is in the window, same-offset
//    ones included, with the lag it had when it was made, as Burrow does; a consumer that
//    keeps committing an unchanged offset with lag is STALL, one that stopped committing is
//    judged by the time since its last commit against its own commit cadence.
//
// docs/lag.md states the rules and every difference from Burrow.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/lag_status_code.hpp"

namespace ks::groups {

using ks::LagStatus;  // Burrow's codes
using ks::status_name;

// Is somebody consuming this partition right now?
enum class Liveness {
  assigned,    // a live member of the group has it in its assignment
  unassigned,  // the group was described and no member has it (or it has no members)
  unknown,     // the group could not be described (KIP-848 groups, errors)
};

struct StatusParams {
  std::size_t window = 10;  // commits per partition (Burrow's intervals, default 10)
  std::chrono::milliseconds collect_interval{15000};
};

// One partition of one group. Feed it once per collection cycle.
class PartitionStatus {
 public:
  using Clock = std::chrono::steady_clock;
  using TimePoint = Clock::time_point;

  struct Commit {
    std::int64_t offset = 0;
    std::int64_t lag = 0;  // lag when the commit was made (per cycle: first seen; -1: unknown)
    TimePoint at;
  };

  explicit PartitionStatus(const StatusParams& params);

  // Per cycle: the committed offset and lag seen this cycle. Returns the new status. Cycles
  // whose lag is unknown (no watermark) should not be fed: the status then stays as it was.
  LagStatus observe(std::int64_t committed, std::int64_t lag, Liveness liveness, TimePoint now);

  // On real commits: one commit as it was made (`lag`: the partition's lag at `at`), oldest
  // first. A commit not newer than the window's newest (the same record read again, after a
  // partition was re-read from its beginning) is ignored.
  void add_commit(std::int64_t offset, std::int64_t lag, TimePoint at);
  // Commits closer together than this share one place in the window (Burrow's min-distance).
  static constexpr std::chrono::seconds kMinCommitDistance{1};
  // On real commits: the status at `now`, the partition's lag now being `lag`.
  LagStatus judge_commits(std::int64_t lag, Liveness liveness, TimePoint now);
  // On real commits: how long after its last commit was read a partition with lag is STOP
  // (or STALL when consumed): the span of its commit window (its own cadence) and at least
  // kSilentIntervals collection intervals; while the window is not full, at least
  // (window - 1) intervals.
  double commit_gap_limit_seconds() const;
  // The agent reads a commit one cycle after it was made at best, later when the stream
  // delivers it late: a consumer is silent only once two cycles in a row found nothing new.
  static constexpr double kSilentIntervals = 2;

  LagStatus status() const { return status_; }
  const std::vector<Commit>& window() const { return commits_; }  // oldest first
  // How long the partition has had lag without its committed offset moving (0 if it has not).
  double seconds_without_progress(TimePoint now) const;
  // The no-progress time after which the partition is STOP (or STALL when consumed):
  // the span of the commit window, at least (window - 1) collection intervals.
  double no_progress_limit_seconds() const;

 private:
  LagStatus evaluate(std::int64_t lag, Liveness liveness, TimePoint now) const;
  LagStatus evaluate_commits(std::int64_t lag, Liveness liveness, TimePoint now) const;
  void push(const Commit& commit);
  double window_span_seconds() const;
  bool same_offset_with_lag() const;
  bool rewound() const;
  bool lag_growing() const;

  // One per group partition (200,000 at 20,000 groups x 10 partitions), so packed: 56 B
  // with the window's header (tests/unit/test_groups_memory.cpp).
  std::vector<Commit> commits_;  // at most window_, oldest first
  static constexpr TimePoint kNever = TimePoint::min();
  TimePoint waiting_since_ = kNever;  // lag > 0 and no commit since then (kNever: not)
  // On real commits: the judgement that first had the newest commit (the gap clock starts
  // there: the time the stream took to deliver it is not the consumer's silence).
  TimePoint newest_read_at_ = kNever;
  std::chrono::duration<std::int32_t, std::milli> interval_;  // StatusParams::collect_interval
  std::uint16_t window_;                                      // StatusParams::window, >= 2
  // On real commits: an offset lower than the one before it was added since the last
  // judgement. A fast committer's window can move past it between two cycles; it is still
  // judged REWIND once.
  bool rewind_since_judged_ = false;
  bool added_since_judged_ = false;  // a commit was added since the last judgement
  LagStatus status_ = LagStatus::notfound;
};

// Burrow's group rule: ERR if any partition is STOP, STALL or REWIND (or ERR), else WARN if
// any is WARN, else OK; NOTFOUND when the group has no evaluated partition.
LagStatus group_status(const std::vector<LagStatus>& partitions);

// The same, folded one partition at a time.
LagStatus worse_group_status(LagStatus group_so_far, LagStatus partition);

}  // namespace ks::groups

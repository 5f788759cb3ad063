#include "collectors/groups/lag_status.hpp"

#include <algorithm>
#include <limits>

namespace ks::groups {

PartitionStatus::PartitionStatus(const StatusParams& params)
    : interval_(static_cast<std::int32_t>(std::clamp<std::chrono::milliseconds::rep>(
          params.collect_interval.count(), 0, std::numeric_limits<std::int32_t>::max()))),
      window_(static_cast<std::uint16_t>(std::clamp<std::size_t>(
          params.window, 2, std::numeric_limits<std::uint16_t>::max()))) {
  // No reserve(window) here: one state per group partition (24,000 at 1,000 groups), most of
  // them idle with one commit in their window; a full window up front was 5.8 MB of 13.
}

LagStatus PartitionStatus::observe(std::int64_t committed, std::int64_t lag, Liveness liveness,
                                   TimePoint now) {
  const bool moved = commits_.empty() || commits_.back().offset != committed;
  if (moved) {
    push({committed, lag, now});
    // A consumer that just committed is working: the no-progress clock restarts.
    waiting_since_ = kNever;
  }
  if (lag > 0) {
    if (waiting_since_ == kNever) waiting_since_ = now;
  } else {
    waiting_since_ = kNever;
  }
  status_ = evaluate(lag, liveness, now);
  return status_;
}

void PartitionStatus::push(const Commit& commit) {
  if (commits_.size() == std::size_t{window_}) {
    commits_.erase(commits_.begin());
  } else if (commits_.size() == commits_.capacity()) {
    // Grow by doubling, but never past the window.
    commits_.reserve(std::min(std::size_t{window_}, std::max<std::size_t>(1, commits_.size() * 2)));
  }
  commits_.push_back(commit);
}

void PartitionStatus::add_commit(std::int64_t offset, std::int64_t lag, TimePoint at) {
  if (!commits_.empty() && at <= commits_.back().at) return;
  if (!commits_.empty() && offset < commits_.back().offset) rewind_since_judged_ = true;
  // Burrow's min-distance: the window keeps commits at least kMinCommitDistance apart; a
  // newer one closer than that to the commit before the newest replaces the newest. A
  // consumer committing after every poll (ten times a second, the same offset while it
  // processes a message) would otherwise fill the window in a second and be called STALL.
  added_since_judged_ = true;
  if (commits_.size() >= 2 && at - commits_[commits_.size() - 2].at < kMinCommitDistance) {
    commits_.back() = {offset, lag, at};
    return;
  }
  push({offset, lag, at});
}

LagStatus PartitionStatus::judge_commits(std::int64_t lag, Liveness liveness, TimePoint now) {
  // As per cycle: the gap clock starts no earlier than the first judgement that saw lag, so
  // a consumer of a quiet topic that commits only what it processes is not STOP the moment
  // a message arrives after an hour without one (Burrow's false STOP).
  if (lag > 0) {
    if (waiting_since_ == kNever) waiting_since_ = now;
  } else {
    waiting_since_ = kNever;
  }
  if (added_since_judged_) newest_read_at_ = now;
  status_ = evaluate_commits(lag, liveness, now);
  rewind_since_judged_ = false;
  added_since_judged_ = false;
  return status_;
}

double PartitionStatus::window_span_seconds() const {
  if (commits_.size() < 2) return 0;
  return std::chrono::duration<double>(commits_.back().at - commits_.front().at).count();
}

double PartitionStatus::commit_gap_limit_seconds() const {
  const double interval = std::chrono::duration<double>(interval_).count();
  // A partial window says little about the consumer's cadence yet (one commit: nothing).
  const double intervals =
      commits_.size() < std::size_t{window_}
          ? std::max(kSilentIntervals, static_cast<double>(std::size_t{window_} - 1))
          : kSilentIntervals;
  return std::max(window_span_seconds(), interval * intervals);
}

bool PartitionStatus::same_offset_with_lag() const {
  // Burrow's STALL: a full window of commits of one offset, each made with lag.
  if (commits_.size() < std::size_t{window_}) return false;
  return std::all_of(commits_.begin(), commits_.end(), [&](const Commit& c) {
    return c.offset == commits_.back().offset && c.lag > 0;
  });
}

LagStatus PartitionStatus::evaluate_commits(std::int64_t lag, Liveness liveness,
                                            TimePoint now) const {
  if (lag <= 0 || commits_.empty()) return LagStatus::ok;
  // Silence is counted from the cycle that read the newest commit: a commit made 0.9 s
  // before a cycle and delivered just after it (the offsets topic replicates it first) is
  // read one cycle late, which says nothing about the consumer.
  const TimePoint read = std::max(commits_.back().at, newest_read_at_ == kNever ? commits_.back().at : newest_read_at_);
  const TimePoint since = std::max(read, waiting_since_ == kNever ? read : waiting_since_);
  const double since_last = std::max(0.0, std::chrono::duration<double>(now - since).count());
  if (since_last > commit_gap_limit_seconds()) {
    // Nobody commits any more: STOP, or STALL when a live member holds the partition.
    return liveness == Liveness::assigned ? LagStatus::stall : LagStatus::stop;
  }
  if (same_offset_with_lag()) return LagStatus::stall;  // committing, not progressing
  if (rewind_since_judged_ || rewound()) return LagStatus::rewind;
  if (lag_growing()) return LagStatus::warn;
  return LagStatus::ok;
}

double PartitionStatus::seconds_without_progress(TimePoint now) const {
  if (waiting_since_ == kNever) return 0;
  return std::chrono::duration<double>(now - waiting_since_).count();
}

double PartitionStatus::no_progress_limit_seconds() const {
  const double span =
      commits_.size() < 2
          ? 0
          : std::chrono::duration<double>(commits_.back().at - commits_.front().at).count();
  const double minimum = std::chrono::duration<double>(interval_).count() *
                         static_cast<double>(std::size_t{window_} - 1);
  return std::max(span, minimum);
}

bool PartitionStatus::rewound() const {
  // An offset lower than the one before it, with no later commit getting back to it.
  for (std::size_t i = 1; i < commits_.size(); ++i) {
    if (commits_[i].offset >= commits_[i - 1].offset) continue;
    const std::int64_t before = commits_[i - 1].offset;
    const bool recovered = std::any_of(commits_.begin() + static_cast<std::ptrdiff_t>(i),
                                       commits_.end(),
                                       [&](const Commit& c) { return c.offset >= before; });
    if (!recovered) return true;
  }
  return false;
}

bool PartitionStatus::lag_growing() const {
  // Burrow's WARN needs a full window whose every commit had lag, and lag that never went
  // down. Unlike Burrow, a flat lag is not WARN: it must also have grown overall.
  if (commits_.size() < std::size_t{window_}) return false;
  for (std::size_t i = 0; i < commits_.size(); ++i) {
    if (commits_[i].lag <= 0) return false;
    if (i > 0 && commits_[i].lag < commits_[i - 1].lag) return false;
  }
  return commits_.back().lag > commits_.front().lag;
}

LagStatus PartitionStatus::evaluate(std::int64_t lag, Liveness liveness, TimePoint now) const {
  if (lag <= 0) return LagStatus::ok;
  if (seconds_without_progress(now) > no_progress_limit_seconds()) {
    return liveness == Liveness::assigned ? LagStatus::stall : LagStatus::stop;
  }
  if (rewound()) return LagStatus::rewind;
  if (lag_growing()) return LagStatus::warn;
  return LagStatus::ok;
}

LagStatus worse_group_status(LagStatus group_so_far, LagStatus partition) {
  auto rank = [](LagStatus s) {
    switch (s) {
      case LagStatus::notfound: return 0;
      case LagStatus::ok: return 1;
      case LagStatus::warn: return 2;
      default: return 3;  // err, stop, stall, rewind
    }
  };
  const LagStatus as_group = rank(partition) == 3 ? LagStatus::err : partition;
  return rank(as_group) > rank(group_so_far) ? as_group : group_so_far;
}

LagStatus group_status(const std::vector<LagStatus>& partitions) {
  LagStatus group = LagStatus::notfound;
  for (LagStatus p : partitions) group = worse_group_status(group, p);
  return group;
}

}  // namespace ks::groups

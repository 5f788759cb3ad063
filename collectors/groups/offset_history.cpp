#include "collectors/groups/offset_history.hpp"

#include <algorithm>
#include <limits>

namespace ks::groups {
namespace {

double seconds_between(OffsetHistory::TimePoint from, OffsetHistory::TimePoint to) {
  return std::chrono::duration<double>(to - from).count();
}

}  // namespace

OffsetHistory::OffsetHistory(std::size_t capacity) : capacity_(std::max<std::size_t>(capacity, 2)) {}

OffsetHistory::AddResult OffsetHistory::add(std::int64_t high_watermark, TimePoint at) {
  if (!entries_.empty()) {
    Entry& newest = entries_.back();
    if (at <= newest.last_seen) return AddResult::rejected_time;
    if (high_watermark < newest.offset) {
      if (++backwards_in_a_row_ < kBackwardsBeforeReset) return AddResult::rejected_offset;
      entries_.clear();
      entries_.push_back({high_watermark, at, at});
      samples_ = 1;
      backwards_in_a_row_ = 0;
      return AddResult::reset;
    }
    backwards_in_a_row_ = 0;
    if (samples_ < std::numeric_limits<std::uint32_t>::max()) ++samples_;
    if (high_watermark == newest.offset) {
      newest.last_seen = at;
      return AddResult::extended;
    }
  } else {
    samples_ = 1;
  }
  entries_.push_back({high_watermark, at, at});
  if (entries_.size() > capacity_) thin(at);
  return AddResult::appended;
}

void OffsetHistory::thin(TimePoint now) {
  // Interior entries only: the oldest bounds how far back we can date anything, the newest
  // is the current high watermark.
  std::size_t victim = 1;
  double best = std::numeric_limits<double>::infinity();
  for (std::size_t i = 1; i + 1 < entries_.size(); ++i) {
    const Entry& before = entries_[i - 1];
    const Entry& after = entries_[i + 1];
    const double merged = seconds_between(before.last_seen, after.first_seen);
    const double oldest_age = seconds_between(before.last_seen, now);
    const double cost = oldest_age > 0 ? merged / oldest_age : merged;
    if (cost < best) {
      best = cost;
      victim = i;
    }
  }
  entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(victim));
}

void OffsetHistory::forget_below(std::int64_t low_watermark) {
  // Entry 0 only dates messages below entry 1's offset; if those are all deleted, it is
  // useless. Keep at least the newest entry.
  std::size_t drop = 0;
  while (drop + 1 < entries_.size() && entries_[drop + 1].offset <= low_watermark) ++drop;
  if (drop > 0) entries_.erase(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(drop));
}

std::optional<std::int64_t> OffsetHistory::high_watermark_at(TimePoint at) const {
  if (entries_.empty()) return std::nullopt;
  // The first entry whose stretch begins after `at`.
  const auto next = std::upper_bound(
      entries_.begin(), entries_.end(), at,
      [](TimePoint value, const Entry& entry) { return value < entry.first_seen; });
  if (next == entries_.begin()) return entries_.front().offset;
  const Entry& before = *(next - 1);
  if (next == entries_.end() || at <= before.last_seen) return before.offset;
  const double fraction = seconds_between(before.last_seen, at) /
                          seconds_between(before.last_seen, next->first_seen);
  const auto produced = static_cast<std::int64_t>(
      fraction * static_cast<double>(next->offset - before.offset));
  return before.offset + produced;
}

OffsetHistory::Produced OffsetHistory::produced_at(std::int64_t offset) const {
  if (entries_.empty()) return {AgeKind::unknown, {}};
  if (offset >= entries_.back().offset) return {AgeKind::zero, {}};
  const auto next = std::upper_bound(
      entries_.begin(), entries_.end(), offset,
      [](std::int64_t value, const Entry& entry) { return value < entry.offset; });
  if (next == entries_.begin()) {
    // Produced before we first saw the partition: we only know it is at least this old.
    // With a single sample that bound is worthless (the agent or the partition is new).
    if (samples_ < 2) return {AgeKind::unknown, {}};
    return {AgeKind::lower_bound, next->first_seen};
  }
  const Entry& before = *(next - 1);
  // Message `offset` appeared when the high watermark passed it: after before.last_seen,
  // at or before next->first_seen. Spread the interval's messages evenly, the newest at
  // its end (so a consumer one message behind a quiet topic reads ~0, not half an interval).
  const auto interval = next->first_seen - before.last_seen;
  const double fraction = static_cast<double>(offset + 1 - before.offset) /
                          static_cast<double>(next->offset - before.offset);
  const auto produced_after_before = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double, Clock::period>(static_cast<double>(interval.count()) * fraction));
  return {AgeKind::interpolated, before.last_seen + produced_after_before};
}

AgeEstimate OffsetHistory::age_of(std::int64_t offset, TimePoint now) const {
  const Produced produced = produced_at(offset);
  if (produced.kind == AgeKind::unknown || produced.kind == AgeKind::zero) return {produced.kind, 0};
  return {produced.kind, std::max(0.0, seconds_between(produced.at, now))};
}

}  // namespace ks::groups

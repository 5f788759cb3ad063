// Per-partition history of (high watermark, time) samples, and the age of a message
// estimated from it: the basis of kafka_consumergroup_lag_seconds.
//
// Meaning of a sample (h, t): at time t the partition's high watermark was h, so every
// message below h had been produced by t. Message m was therefore produced in
// (last time the high watermark was <= m, first time it was > m]. The estimate assumes
// messages were produced evenly inside that interval and never leaves it: an estimate is
// wrong by at most the length of one interval, whatever the traffic does (no extrapolation,
// so no spikes read as days, no idle topic read as ever-growing lag).
//
// A flat stretch (the same high watermark seen in many samples: an idle partition) is one
// entry holding the first and the last time it was seen. Both ends matter: messages below
// it were produced before the stretch began (first_seen), messages at or above it after
// the stretch ended (last_seen). Keeping only one end is what makes kafka-lag-exporter
// report idle topics as hours behind. docs/lag.md lists every case.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace ks::groups {

enum class AgeKind {
  unknown,       // too little history to say anything (one sample so far)
  zero,          // nothing unconsumed: exactly 0
  interpolated,  // between two samples: wrong by at most the time between them
  lower_bound,   // older than the oldest sample: at least `seconds` old, maybe older
};

struct AgeEstimate {
  AgeKind kind = AgeKind::unknown;
  double seconds = 0;  // meaningful unless kind == unknown
};

class OffsetHistory {
 public:
  using Clock = std::chrono::steady_clock;
  using TimePoint = Clock::time_point;

  struct Entry {
    std::int64_t offset = 0;  // a high watermark
    TimePoint first_seen;     // first sample with this high watermark
    TimePoint last_seen;      // last sample with it (== first_seen unless idle)
  };

  enum class AddResult {
    appended,         // a new, higher high watermark
    extended,         // the same high watermark again: the flat stretch grows
    rejected_time,    // not later than the newest sample
    rejected_offset,  // lower than the newest sample (a lagging new leader, say)
    reset,            // lower for kBackwardsBeforeReset samples in a row: the partition was
                      // truncated or recreated, the old history means nothing any more
  };
  static constexpr int kBackwardsBeforeReset = 3;

  // `capacity` >= 2: the most entries kept. When full, the interior entry whose removal
  // costs the least relative precision goes (the merged interval, divided by the age of
  // its oldest end), so old offsets keep coarser, recent ones finer resolution, and the
  // history reaches back as far as it can. The oldest and newest entries always stay.
  explicit OffsetHistory(std::size_t capacity);

  AddResult add(std::int64_t high_watermark, TimePoint at);

  // Drops entries that can only date messages below `low_watermark` (deleted by retention).
  void forget_below(std::int64_t low_watermark);

  // Age at `now` of message `offset` (pass max(committed, low watermark): the oldest
  // unconsumed message that still exists). Call after adding the current sample: an
  // offset at or above the newest high watermark is caught up (exactly 0).
  AgeEstimate age_of(std::int64_t offset, TimePoint now) const;

  // When message `offset` was produced, by the same estimate (`at` meaningful for
  // interpolated and lower_bound): what age_of measures from. It does not move while the
  // samples it comes from stay, so a snapshot can hold it instead of an age that grows.
  struct Produced {
    AgeKind kind = AgeKind::unknown;
    TimePoint at{};
  };
  Produced produced_at(std::int64_t offset) const;

  // The high watermark at `at` (the lag of a commit made then; docs/lag.md): the offset of
  // a flat stretch that covers `at`; between two samples, interpolated in time (messages
  // produced evenly, as age_of assumes; rounded down); before the oldest sample, the oldest
  // (the nearest sample at or after `at`); after the newest, the newest. Nothing when
  // there is no sample.
  std::optional<std::int64_t> high_watermark_at(TimePoint at) const;
  // When the oldest sample kept was taken (nullopt: none).
  std::optional<TimePoint> oldest_sample() const {
    if (entries_.empty()) return std::nullopt;
    return entries_.front().first_seen;
  }

  const std::vector<Entry>& entries() const { return entries_; }
  std::size_t capacity() const { return capacity_; }
  // Samples accepted since creation or the last reset (saturating; only "< 2" matters).
  std::uint32_t samples() const { return samples_; }

 private:
  void thin(TimePoint now);

  std::vector<Entry> entries_;  // strictly increasing offsets and times
  std::size_t capacity_;
  std::uint32_t samples_ = 0;
  int backwards_in_a_row_ = 0;
};

}  // namespace ks::groups

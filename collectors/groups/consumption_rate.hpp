// How fast a group consumes a topic (messages/s committed) and produced into it, over a
// sliding window of collection cycles, and how long catching up would take at those rates.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace ks::groups {

// Forward progress of offsets: rewinds and truncations count as 0, not as negative
// progress, so a rate is never negative.
inline std::int64_t forward_progress(std::int64_t before, std::int64_t now) {
  return now > before ? now - before : 0;
}

class ConsumptionRate {
 public:
  using Clock = std::chrono::steady_clock;
  using TimePoint = Clock::time_point;

  // `window` >= 2 samples; the rate spans the oldest to the newest.
  explicit ConsumptionRate(std::size_t window);

  // Messages consumed (committed offsets' forward progress) and produced (high watermarks'
  // forward progress) over the group's partitions of the topic since the previous cycle.
  void add(TimePoint at, std::int64_t consumed, std::int64_t produced);

  std::optional<double> consumed_per_second() const;
  std::optional<double> produced_per_second() const;

 private:
  struct Sample {
    TimePoint at;
    std::int64_t consumed_total = 0;
    std::int64_t produced_total = 0;
  };
  std::optional<double> per_second(std::int64_t Sample::*total) const;

  std::vector<Sample> samples_;  // ring, oldest at `oldest_`
  std::size_t window_;
  std::size_t oldest_ = 0;
  std::int64_t consumed_total_ = 0;
  std::int64_t produced_total_ = 0;
};

// Seconds until `lag` reaches 0 at these rates: 0 when there is no lag, absent when the
// group is not catching up (consuming no faster than messages arrive) or rates are unknown.
std::optional<double> catch_up_seconds(std::int64_t lag, std::optional<double> consumed_per_second,
                                       std::optional<double> produced_per_second);

}  // namespace ks::groups

#include "collectors/groups/consumption_rate.hpp"

#include <algorithm>

namespace ks::groups {

ConsumptionRate::ConsumptionRate(std::size_t window) : window_(std::max<std::size_t>(window, 2)) {
  samples_.reserve(window_);
}

void ConsumptionRate::add(TimePoint at, std::int64_t consumed, std::int64_t produced) {
  consumed_total_ += std::max<std::int64_t>(consumed, 0);
  produced_total_ += std::max<std::int64_t>(produced, 0);
  const Sample sample{at, consumed_total_, produced_total_};
  if (samples_.size() < window_) {
    samples_.push_back(sample);
  } else {
    samples_[oldest_] = sample;
    oldest_ = (oldest_ + 1) % window_;
  }
}

std::optional<double> ConsumptionRate::per_second(std::int64_t Sample::*total) const {
  if (samples_.size() < 2) return std::nullopt;
  const Sample& first = samples_[oldest_];
  const Sample& last = samples_[(oldest_ + samples_.size() - 1) % samples_.size()];
  const double seconds = std::chrono::duration<double>(last.at - first.at).count();
  if (seconds <= 0) return std::nullopt;
  return static_cast<double>(last.*total - first.*total) / seconds;
}

std::optional<double> ConsumptionRate::consumed_per_second() const {
  return per_second(&Sample::consumed_total);
}

std::optional<double> ConsumptionRate::produced_per_second() const {
  return per_second(&Sample::produced_total);
}

std::optional<double> catch_up_seconds(std::int64_t lag, std::optional<double> consumed_per_second,
                                       std::optional<double> produced_per_second) {
  if (lag <= 0) return 0.0;
  if (!consumed_per_second || !produced_per_second) return std::nullopt;
  const double closing = *consumed_per_second - *produced_per_second;
  if (closing <= 0) return std::nullopt;
  return static_cast<double>(lag) / closing;
}

}  // namespace ks::groups

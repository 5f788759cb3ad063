#include "collectors/groups/lag_math.hpp"

#include <algorithm>

namespace ks::groups {

PartitionLag compute_lag(std::int64_t committed, Watermarks watermarks) {
  const std::int64_t high = std::max<std::int64_t>(watermarks.high, 0);
  const std::int64_t low = std::clamp<std::int64_t>(watermarks.low, 0, high);
  PartitionLag result;
  result.oldest_unconsumed = std::max(committed, low);
  result.expired = committed < low ? low - committed : 0;
  result.lag = std::max<std::int64_t>(high - result.oldest_unconsumed, 0);
  return result;
}

}  // namespace ks::groups

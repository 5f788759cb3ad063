#include "collectors/groups/lag_math.hpp"

#include "core/lag_formula.hpp"

namespace ks::groups {

PartitionLag compute_lag(std::int64_t committed, Watermarks watermarks) {
  PartitionLag result;
  result.oldest_unconsumed = lag_formula::oldest_unconsumed(committed, watermarks.low, watermarks.high);
  result.expired = lag_formula::expired(committed, watermarks.low, watermarks.high);
  result.lag = lag_formula::lag(committed, watermarks.low, watermarks.high);
  return result;
}

}  // namespace ks::groups

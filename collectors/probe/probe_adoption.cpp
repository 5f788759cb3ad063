#include "collectors/probe/probe_adoption.hpp"

#include <algorithm>

namespace ks::probe {

std::vector<std::int32_t> AdoptionHold::update(
    const std::optional<std::vector<std::int32_t>>& maybe_unclaimed, Clock::time_point now) {
  if (!maybe_unclaimed) return {};
  const std::vector<std::int32_t>& unclaimed = *maybe_unclaimed;
  std::erase_if(since_, [&](const auto& entry) {
    return std::find(unclaimed.begin(), unclaimed.end(), entry.first) == unclaimed.end();
  });
  std::vector<std::int32_t> out;
  for (const std::int32_t b : unclaimed) {
    const auto it = since_.try_emplace(b, now).first;
    if (now - it->second >= hold_) out.push_back(b);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace ks::probe

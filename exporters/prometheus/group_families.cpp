#include "exporters/prometheus/group_families.hpp"

#include <algorithm>
#include <array>

namespace ks::prom {
namespace {

namespace f = group_family;

// In the order the renderer writes them. A unit test checks that every family written is
// here (else it could be neither excluded nor checked against docs/metrics.md).
constexpr std::array kAll{
    &f::current_offset,      &f::current_offset_sum,      &f::lag,
    &f::lag_sum,             &f::lag_max,                 &f::members,
    &f::info,                &f::expired,                 &f::expired_sum,
    &f::lag_seconds,         &f::lag_seconds_max,         &f::max_lag_seconds,
    &f::lag_seconds_unknown, &f::lag_seconds_lower_bound, &f::uncommitted,
    &f::status,              &f::partition_status,        &f::partition_status_max,
    &f::status_partitions,   &f::consumed_rate,           &f::catch_up};

}  // namespace

std::span<const GroupFamily* const> group_families() { return kAll; }

const GroupFamily* find_group_family(std::string_view name) {
  for (const GroupFamily* family : group_families()) {
    if (family->name == name) return family;
  }
  return nullptr;
}

GroupFamilySelection::GroupFamilySelection(GroupsGranularity granularity,
                                           std::vector<std::string> excluded)
    : granularity_(granularity), excluded_(std::move(excluded)) {}

bool GroupFamilySelection::enabled(const GroupFamily& family) const {
  if (granularity_ == GroupsGranularity::topic && family.scope == GroupFamilyScope::partition) {
    return false;
  }
  return std::find(excluded_.begin(), excluded_.end(), family.name) == excluded_.end();
}

}  // namespace ks::prom

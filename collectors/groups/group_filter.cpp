#include "collectors/groups/group_filter.hpp"

#include <algorithm>

namespace ks::groups {
namespace {

std::vector<std::regex> compile(const std::vector<std::string>& patterns) {
  std::vector<std::regex> compiled;
  compiled.reserve(patterns.size());
  for (const std::string& p : patterns) {
    compiled.emplace_back(p, std::regex::ECMAScript | std::regex::optimize);
  }
  return compiled;
}

bool any_full_match(const std::vector<std::regex>& patterns, std::string_view name) {
  return std::any_of(patterns.begin(), patterns.end(), [&](const std::regex& re) {
    return std::regex_match(name.begin(), name.end(), re);
  });
}

}  // namespace

GroupFilter::GroupFilter(const NameFilter& filter)
    : include_(compile(filter.include)), exclude_(compile(filter.exclude)) {}

bool GroupFilter::matches(std::string_view group) const {
  if (!include_.empty() && !any_full_match(include_, group)) return false;
  return !any_full_match(exclude_, group);
}

}  // namespace ks::groups

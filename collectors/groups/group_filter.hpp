// Which consumer groups the collector watches: include/exclude regexes (full match) from
// collectors.groups.groups. Empty include = every group; exclude wins over include.
#pragma once

#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.hpp"

namespace ks::groups {

class GroupFilter {
 public:
  // Throws std::regex_error on an invalid pattern (the config validator rejects those first).
  explicit GroupFilter(const NameFilter& filter);

  bool matches(std::string_view group) const;

 private:
  std::vector<std::regex> include_;
  std::vector<std::regex> exclude_;
};

}  // namespace ks::groups

// Plain-text tables for the commands that print to a terminal (`lag`, `status`): columns
// aligned, numbers right-aligned, the whole line within a width (the widest shrinkable
// columns are cut short, marked with "~", until it fits).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace ks {

struct TextColumn {
  std::string header;
  bool right_aligned = false;
  bool shrinkable = false;  // may be cut short to fit the width (names); else never cut
};

std::string render_table(const std::vector<TextColumn>& columns,
                         const std::vector<std::vector<std::string>>& rows,
                         std::size_t max_width = 120);

// "850ms", "12.5s", "5m03s", "2h05m", "3d04h": what an operator reads at a glance.
std::string human_seconds(double seconds);

}  // namespace ks

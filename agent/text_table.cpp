#include "agent/text_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace ks {
namespace {

constexpr std::size_t kMinShrunk = 8;  // a name cut shorter than this says nothing
constexpr std::size_t kGap = 2;        // spaces between columns

std::vector<std::size_t> natural_widths(const std::vector<TextColumn>& columns,
                                        const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths;
  for (const TextColumn& c : columns) widths.push_back(c.header.size());
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  return widths;
}

// Takes one character at a time from the widest shrinkable column until the line fits
// (or nothing can shrink further).
void fit(const std::vector<TextColumn>& columns, std::vector<std::size_t>& widths,
         std::size_t max_width) {
  auto total = [&] {
    std::size_t sum = widths.empty() ? 0 : (widths.size() - 1) * kGap;
    for (const std::size_t w : widths) sum += w;
    return sum;
  };
  while (total() > max_width) {
    std::size_t widest = widths.size();
    for (std::size_t i = 0; i < widths.size(); ++i) {
      if (columns[i].shrinkable && widths[i] > kMinShrunk &&
          (widest == widths.size() || widths[i] > widths[widest])) {
        widest = i;
      }
    }
    if (widest == widths.size()) return;
    --widths[widest];
  }
}

std::string cell(const std::string& text, std::size_t width, bool right) {
  if (text.size() > width) return text.substr(0, width - 1) + "~";
  const std::string pad(width - text.size(), ' ');
  return right ? pad + text : text + pad;
}

std::string line(const std::vector<TextColumn>& columns, const std::vector<std::size_t>& widths,
                 const std::vector<std::string>& values) {
  std::string out;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    const std::string& value = i < values.size() ? values[i] : std::string();
    if (i > 0) out.append(kGap, ' ');
    out += cell(value, widths[i], columns[i].right_aligned);
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out + "\n";
}

}  // namespace

std::string render_table(const std::vector<TextColumn>& columns,
                         const std::vector<std::vector<std::string>>& rows, std::size_t max_width) {
  std::vector<std::size_t> widths = natural_widths(columns, rows);
  fit(columns, widths, max_width);
  std::vector<std::string> headers;
  for (const TextColumn& c : columns) headers.push_back(c.header);
  std::string out = line(columns, widths, headers);
  for (const auto& row : rows) out += line(columns, widths, row);
  return out;
}

std::string human_seconds(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "-";
  if (seconds < 1) return fmt::format("{}ms", static_cast<long long>(std::lround(seconds * 1000)));
  if (seconds < 60) return fmt::format("{:.1f}s", seconds);
  const auto s = static_cast<long long>(std::llround(seconds));
  if (s < 3600) return fmt::format("{}m{:02d}s", s / 60, s % 60);
  if (s < 86400) return fmt::format("{}h{:02d}m", s / 3600, (s % 3600) / 60);
  return fmt::format("{}d{:02d}h", s / 86400, (s % 86400) / 3600);
}

}  // namespace ks

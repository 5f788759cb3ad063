#include "core/duration.hpp"

#include <array>
#include <cstdint>
#include <limits>

namespace ks {
namespace {

struct Unit {
  std::string_view suffix;
  std::int64_t ms;
};

constexpr std::int64_t kSecond = 1000;
constexpr std::int64_t kMinute = 60 * kSecond;
constexpr std::int64_t kHour = 60 * kMinute;
constexpr std::int64_t kDay = 24 * kHour;

// Largest first: the order they must appear in, and the order they are printed in.
constexpr std::array<Unit, 7> kUnits{{{"y", 365 * kDay},
                                      {"w", 7 * kDay},
                                      {"d", kDay},
                                      {"h", kHour},
                                      {"m", kMinute},
                                      {"s", kSecond},
                                      {"ms", 1}}};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  std::int64_t total = 0;
  std::size_t next_unit = 0;  // index into kUnits of the smallest unit still allowed
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::int64_t number = 0;
    const std::size_t digits_start = pos;
    while (pos < text.size() && is_digit(text[pos])) {
      const int digit = text[pos] - '0';
      if (number > (kMax - digit) / 10) return std::nullopt;
      number = number * 10 + digit;
      ++pos;
    }
    if (pos == digits_start) return std::nullopt;  // a unit without a number, or a sign
    // "ms" before "m": the longest suffix that matches.
    std::optional<std::size_t> unit;
    for (std::size_t i = 0; i < kUnits.size(); ++i) {
      const std::string_view suffix = kUnits[i].suffix;
      if (text.substr(pos, suffix.size()) != suffix) continue;
      if (!unit || suffix.size() > kUnits[*unit].suffix.size()) unit = i;
    }
    if (!unit || *unit < next_unit) return std::nullopt;  // no unit, or out of order / twice
    pos += kUnits[*unit].suffix.size();
    next_unit = *unit + 1;
    if (number > (kMax - total) / kUnits[*unit].ms) return std::nullopt;
    total += number * kUnits[*unit].ms;
  }
  return std::chrono::milliseconds(total);
}

std::string format_duration(std::chrono::milliseconds duration) {
  std::int64_t left = duration.count();
  if (left == 0) return "0s";
  std::string out;
  if (left < 0) {
    out = "-";
    // -(min) overflows; min ms is ~292 million years, so printing it one ms short is fine.
    left = left == std::numeric_limits<std::int64_t>::min() ? std::numeric_limits<std::int64_t>::max()
                                                             : -left;
  }
  for (const Unit& unit : kUnits) {
    if (left < unit.ms) continue;
    out += std::to_string(left / unit.ms);
    out += unit.suffix;
    left %= unit.ms;
  }
  return out;
}

}  // namespace ks

#include "kafka/offsets_partition.hpp"

#include <limits>

namespace ks::kafka {
namespace {

constexpr std::uint32_t kReplacement = 0xFFFD;

// The code point starting at `bytes[i]`; advances `i` past it. Not UTF-8: U+FFFD for a
// stray byte, and one U+FFFD for a lead byte with the continuation bytes that follow it
// (a truncated, overlong or surrogate sequence), as Java's decoder does.
std::uint32_t next_code_point(std::string_view bytes, std::size_t& i) {
  const auto byte = [&](std::size_t at) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at]));
  };
  const std::uint32_t lead = byte(i++);
  if (lead < 0x80) return lead;
  std::size_t extra = 0;
  std::uint32_t cp = 0;
  std::uint32_t min = 0;
  if ((lead & 0xE0) == 0xC0) {
    extra = 1, cp = lead & 0x1F, min = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    extra = 2, cp = lead & 0x0F, min = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    extra = 3, cp = lead & 0x07, min = 0x10000;
  } else {
    return kReplacement;  // a continuation byte with no lead, or no lead at all
  }
  std::size_t read = 0;
  while (read < extra && i < bytes.size() && (byte(i) & 0xC0) == 0x80) {
    cp = (cp << 6) | (byte(i++) & 0x3F);
    ++read;
  }
  // Truncated, overlong, a UTF-16 surrogate or past U+10FFFF: not a character.
  if (read < extra || cp < min || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
    return kReplacement;
  }
  return cp;
}

}  // namespace

std::int32_t java_string_hash(std::string_view utf8) {
  // Unsigned arithmetic wraps exactly as Java's int does (two's complement, mod 2^32).
  std::uint32_t h = 0;
  const auto add_unit = [&h](std::uint32_t unit) { h = 31u * h + unit; };
  for (std::size_t i = 0; i < utf8.size();) {
    const std::uint32_t cp = next_code_point(utf8, i);
    if (cp < 0x10000) {
      add_unit(cp);
    } else {
      const std::uint32_t v = cp - 0x10000;
      add_unit(0xD800 + (v >> 10));    // high surrogate
      add_unit(0xDC00 + (v & 0x3FF));  // low surrogate
    }
  }
  return static_cast<std::int32_t>(h);
}

std::int32_t kafka_abs(std::int32_t n) {
  if (n == std::numeric_limits<std::int32_t>::min()) return 0;
  return n < 0 ? -n : n;
}

int offsets_partition_of(std::string_view group, int partitions) {
  return kafka_abs(java_string_hash(group)) % partitions;
}

}  // namespace ks::kafka

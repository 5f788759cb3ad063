// Prometheus-style durations ("500ms", "15s", "2m30s", "1h", "1d"): the one syntax for every
// duration in the config file, the CLI and the docs.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace ks {

// Accepts one or more NUMBER UNIT pairs with units in decreasing order, each at most once:
// y (365d), w (7d), d, h, m, s, ms. "0s" is valid; bare numbers ("15"), signs, spaces,
// fractions ("1.5s") and values that overflow are not (nullopt).
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// The canonical form parse_duration accepts: largest units first, zero parts left out
// ("15s", "2m30s", "1h", "1s500ms"; 0 gives "0s"; 7d gives "1w" as in Prometheus).
std::string format_duration(std::chrono::milliseconds duration);

}  // namespace ks

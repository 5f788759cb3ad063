// Times and optional numbers as the JSON API writes them: instants in RFC 3339 UTC with
// milliseconds (what people read and every JSON tool parses), unknown values as null.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace ks::api {

// "2026-12-07T02:03:04.567Z"; null for the epoch (never seen).
nlohmann::ordered_json rfc3339(std::chrono::system_clock::time_point t);

// Rounded to three decimals (milliseconds for seconds): a reading, not a measurement.
double rounded_seconds(double seconds);

// Seconds or a rate, rounded to three decimals; null when unknown.
inline nlohmann::ordered_json optional_rounded(const std::optional<double>& v) {
  return v ? nlohmann::ordered_json(rounded_seconds(*v)) : nlohmann::ordered_json(nullptr);
}

// An offset or lag: Kafka's -1 ("not known this cycle") is null.
inline nlohmann::ordered_json known_offset(std::int64_t v) {
  return v >= 0 ? nlohmann::ordered_json(v) : nlohmann::ordered_json(nullptr);
}

}  // namespace ks::api

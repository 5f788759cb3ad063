#include "agent/api_response.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "exporters/json/json_time.hpp"

namespace ks::api_response {
namespace {

constexpr std::size_t kQuotedBytes = 200;

bool parse_bool(const std::string& value, bool& out) {
  if (value == "true" || value == "1" || value.empty()) return out = true, true;
  if (value == "false" || value == "0") return out = false, true;
  return false;
}

}  // namespace

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string quote_input(std::string_view s) {
  if (s.size() <= kQuotedBytes) return "'" + std::string(s) + "'";
  return "'" + std::string(s.substr(0, kQuotedBytes)) + "...' (" + std::to_string(s.size()) +
         " bytes)";
}

ApiResponse error(int status, const std::string& message, const json& extra) {
  json body{{"error", message}, {"status", status}};
  for (const auto& [key, value] : extra.items()) body[key] = value;
  return {status, dump(body) + "\n", nullptr};
}

std::string object_tail(const json& object) { return dump(object).substr(1) + "\n"; }

std::string head_with_age(std::chrono::system_clock::time_point taken_at,
                          std::chrono::system_clock::time_point now) {
  const double age = std::max(0.0, std::chrono::duration<double>(now - taken_at).count());
  return fmt::format("{{\"snapshot_age_seconds\":{},", api::rounded_seconds(age));
}

std::optional<ApiResponse> check_params(const ApiRequest& request, bool accepts_partitions,
                                        bool& partitions) {
  if (request.params.size() > kApiMaxParams) {
    return error(400, fmt::format("too many query parameters ({}, at most {})",
                                  request.params.size(), kApiMaxParams));
  }
  bool seen = false;
  for (const auto& [key, value] : request.params) {
    if (key.size() > kApiMaxParamBytes || value.size() > kApiMaxParamBytes) {
      return error(400, fmt::format("query parameter {} is longer than {} bytes", quote_input(key),
                                    kApiMaxParamBytes));
    }
    if (!accepts_partitions || key != "partitions") {
      return error(400, "unknown query parameter " + quote_input(key) +
                            (accepts_partitions ? " (this endpoint takes: partitions)"
                                                : " (this endpoint takes none)"));
    }
    if (seen) return error(400, "query parameter 'partitions' given twice");
    seen = true;
    if (!parse_bool(value, partitions)) {
      return error(400, "query parameter 'partitions' must be true or false, got " + quote_input(value));
    }
  }
  return std::nullopt;
}

}  // namespace ks::api_response

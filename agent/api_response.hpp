// The pieces every /api/v1 answer is made of: JSON errors, bodies spliced after the
// per-request snapshot age, and the query parameter rules shared by every endpoint.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "agent/api_router.hpp"

namespace ks::api_response {

using json = nlohmann::ordered_json;

// Invalid UTF-8 (a hostile path, a group named in Latin-1) is replaced, never thrown on.
std::string dump(const json& j);
// A bad input quoted in an error message: cut short, so a huge path is not echoed back.
std::string quote_input(std::string_view s);
// {"error": message, "status": status, ...extra}.
ApiResponse error(int status, const std::string& message, const json& extra = json::object());
// The JSON text of an object without its opening brace, for a head to supply it.
std::string object_tail(const json& object);
// `{"snapshot_age_seconds":N,` : the opening of a response from a snapshot taken at `taken_at`.
std::string head_with_age(std::chrono::system_clock::time_point taken_at,
                          std::chrono::system_clock::time_point now);
// Known names only, once each, bounded in count and size; `partitions` (true|false) where
// the endpoint accepts it. A 400 response when the parameters are bad.
std::optional<ApiResponse> check_params(const ApiRequest& request, bool accepts_partitions,
                                        bool& partitions);

}  // namespace ks::api_response

#include "agent/api_router.hpp"

#include <fmt/format.h>

#include <string_view>

#include "agent/api_response.hpp"

namespace ks {
namespace {

using namespace api_response;
constexpr std::string_view kPrefix = "/api/v1";

// The byte offset of the first control character (NUL included), or npos.
std::size_t control_character(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) return i;
  }
  return std::string_view::npos;
}

ApiResponse no_such_endpoint(std::string_view path) {
  return error(404, "no such endpoint: " + quote_input(path) + " (GET /api/v1/ lists them)");
}

}  // namespace

ApiRouter::ApiRouter(ApiSources sources) : sources_(std::move(sources)) {}

ApiResponse ApiRouter::handle(const ApiRequest& request) {
  const std::string& path = request.path;
  if (path.size() > kApiMaxPathBytes) {
    return error(400, fmt::format("path longer than {} bytes ({})", kApiMaxPathBytes, path.size()));
  }
  if (const std::size_t at = control_character(path); at != std::string::npos) {
    return error(400, fmt::format("path has a control character at byte {}", at));
  }
  if (!path.starts_with(kPrefix) || (path.size() > kPrefix.size() && path[kPrefix.size()] != '/')) {
    return no_such_endpoint(path);
  }
  const std::string rest = path.size() > kPrefix.size() + 1 ? path.substr(kPrefix.size() + 1) : "";
  const std::size_t slash = rest.find('/');
  if (slash == std::string::npos) return route(rest, request);
  // Only groups and topics have a name below them; a group's name may hold '/' itself.
  const std::string resource = rest.substr(0, slash);
  const std::string name = rest.substr(slash + 1);
  if (resource == "groups") return group(name, request);
  if (resource == "topics") return topic(name, request);
  if (resource.empty()) return error(400, "empty path segment in " + quote_input(path));
  return no_such_endpoint(path);
}

ApiResponse ApiRouter::route(const std::string& resource, const ApiRequest& request) {
  if (resource == "cluster") return cluster(request);
  if (resource == "topics") return topics(request);
  if (resource == "groups") return groups(request);
  if (resource == "agents") return agents(request);
  if (resource == "events") return events(request);
  if (!resource.empty()) return no_such_endpoint("/api/v1/" + resource);
  bool unused = false;
  if (auto bad = check_params(request, false, unused)) return *bad;
  const json index{{"endpoints",
                    {"/api/v1/cluster", "/api/v1/topics", "/api/v1/topics/{topic}",
                     "/api/v1/groups", "/api/v1/groups/{group}", "/api/v1/agents",
                     "/api/v1/events"}}};
  return {200, dump(index) + "\n", nullptr};
}

}  // namespace ks

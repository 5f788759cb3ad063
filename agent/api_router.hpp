// The JSON API under /api/v1/ (docs/api.md), apart from HTTP: a request is a decoded path
// and its query parameters, a response a status and a JSON body. Answers come from the
// latest snapshots only (never waiting on Kafka), each with the age of its snapshot; the
// bodies of the big lists are cached per snapshot version (agent/api_cache.hpp).
//
// Bad requests are answered, never thrown: an unknown group or topic is 404, a malformed
// path or query parameter 400, each with {"error": "..."} naming what is wrong.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "agent/api_cache.hpp"
#include "core/snapshots.hpp"
#include "fleet/coordinator.hpp"
#include "fleet/ownership.hpp"

namespace ks {

struct ApiRequest {
  std::string path;  // percent-decoded, as the server received it
  std::vector<std::pair<std::string, std::string>> params;  // decoded, in order
};

struct ApiResponse {
  int status = 200;
  // The body is `head` followed by `tail` (a cached body shared between requests; null when
  // `head` is all of it).
  std::string head;
  std::shared_ptr<const std::string> tail;

  std::string body() const { return tail ? head + *tail : head; }
  std::size_t size() const { return head.size() + (tail ? tail->size() : 0); }
};

// Where the API reads from; set by the agent (and by tests with hand-built snapshots).
struct ApiSources {
  using Clock = std::chrono::system_clock;
  const Snapshots* snapshots = nullptr;
  // What this agent owns in a fleet; absent: it runs alone and owns everything.
  std::function<fleet::OwnedShards()> ownership;
  // In a fleet, the agents of the fleet's group and their partitions (who owns a shard).
  std::function<std::vector<fleet::FleetMember>()> fleet_members;
  // /api/v1/agents: this agent and its fleet roles.
  std::function<nlohmann::ordered_json()> agents;
  // /api/v1/events: firing conditions and recent transitions (snapshots->health).
  bool events_enabled = false;
  std::function<Clock::time_point()> now = [] { return Clock::now(); };
};

class ApiRouter {
 public:
  explicit ApiRouter(ApiSources sources);
  ApiResponse handle(const ApiRequest& request);

 private:
  ApiResponse route(const std::string& resource, const ApiRequest& request);
  ApiResponse cluster(const ApiRequest& request);
  ApiResponse topics(const ApiRequest& request);
  ApiResponse topic(const std::string& name, const ApiRequest& request);
  ApiResponse groups(const ApiRequest& request);
  ApiResponse group(const std::string& name, const ApiRequest& request);
  ApiResponse agents(const ApiRequest& request);
  ApiResponse events(const ApiRequest& request);
  ApiResponse no_snapshot(const char* collector, bool leader_only) const;
  ApiResponse not_owned(const std::string& group) const;
  bool owns_group(const std::string& group) const;
  int shard_of(const std::string& group) const;

  ApiSources sources_;
  SerializedCache cluster_cache_, topics_cache_, topics_partitions_cache_, groups_cache_,
      groups_partitions_cache_;
};

// Limits past which a request is malformed (400) before any lookup.
inline constexpr std::size_t kApiMaxPathBytes = 2048;
inline constexpr std::size_t kApiMaxParamBytes = 256;
inline constexpr std::size_t kApiMaxParams = 8;

}  // namespace ks

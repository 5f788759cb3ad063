// The endpoints of ApiRouter (agent/api_router.hpp): each reads the latest snapshot, never
// Kafka, and answers with its age.
#include <algorithm>

#include "agent/api_response.hpp"
#include "agent/api_router.hpp"
#include "exporters/json/cluster_view.hpp"
#include "exporters/json/events_view.hpp"
#include "exporters/json/groups_view.hpp"
#include "exporters/json/json_time.hpp"
#include "exporters/json/topics_view.hpp"
#include "fleet/shard_hash.hpp"

namespace ks {
namespace {

using namespace api_response;

bool valid_topic_name(std::string_view name) {
  if (name.empty() || name.size() > 249 || name == "." || name == "..") return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '-';
  });
}

// A cached list: `{"snapshot_age_seconds":N,` then the body rendered once per version.
template <class Snapshot, class Render>
ApiResponse cached(const Latest<Snapshot>& latest, SerializedCache& cache,
                   ApiSources::Clock::time_point now, const Render& render) {
  const std::uint64_t version = latest.version();
  const std::shared_ptr<const Snapshot> snapshot = latest.get();
  if (!snapshot) return {};  // status 200 with no body: the caller says why there is none
  auto body = cache.get(version, [&] { return object_tail(render(*snapshot)); });
  return {200, head_with_age(snapshot->taken_at, now), std::move(body)};
}

// One entity of a snapshot: the age and the snapshot's time, then the entity's fields.
template <class Snapshot>
ApiResponse one(const Snapshot& snapshot, const json& object, ApiSources::Clock::time_point now) {
  std::string body = head_with_age(snapshot.taken_at, now);
  if (!object.contains("taken_at")) {
    body += "\"taken_at\":" + dump(api::rfc3339(snapshot.taken_at)) + ",";
  }
  return {200, body + object_tail(object), nullptr};
}

}  // namespace

bool ApiRouter::owns_group(const std::string& group) const {
  return !sources_.ownership || sources_.ownership().owns_group(group);
}

// The same mapping the groups collector uses (by name hash, or by the group's
// `__consumer_offsets` partition where the stream is the source).
int ApiRouter::shard_of(const std::string& group) const {
  if (!sources_.ownership) return -1;
  const fleet::OwnedShards view = sources_.ownership();
  return fleet::group_shard(group, view.sharding, view.partitions, view.offsets_partitions);
}

// No snapshot yet, or (in a fleet) not this agent's to answer: 503 saying which.
ApiResponse ApiRouter::no_snapshot(const char* collector, bool leader_only) const {
  if (leader_only && sources_.ownership && !sources_.ownership().leader()) {
    return error(503, "this agent is not the fleet's leader: the leader (owner of partition 0 "
                      "of the fleet topic) answers for the cluster and its topics",
                 {{"fleet_leader", false}});
  }
  return error(503, std::string("no snapshot yet: the ") + collector +
                        " collector has not finished its first cycle");
}

ApiResponse ApiRouter::cluster(const ApiRequest& request) {
  bool unused = false;
  if (auto bad = check_params(request, false, unused)) return *bad;
  ApiResponse out = cached(sources_.snapshots->cluster, cluster_cache_, sources_.now(),
                           [](const ClusterSnapshot& s) { return api::cluster_json(s); });
  return out.tail ? out : no_snapshot("brokers", true);
}

ApiResponse ApiRouter::topics(const ApiRequest& request) {
  bool partitions = false;
  if (auto bad = check_params(request, true, partitions)) return *bad;
  ApiResponse out = cached(sources_.snapshots->cluster,
                           partitions ? topics_partitions_cache_ : topics_cache_, sources_.now(),
                           [partitions](const ClusterSnapshot& s) { return api::topics_json(s, partitions); });
  return out.tail ? out : no_snapshot("brokers", true);
}

ApiResponse ApiRouter::topic(const std::string& name, const ApiRequest& request) {
  bool partitions = true;
  if (auto bad = check_params(request, true, partitions)) return *bad;
  if (!valid_topic_name(name)) {
    return error(400, "not a valid Kafka topic name: " + quote_input(name) +
                          " (1 to 249 of a-z A-Z 0-9 . _ -)");
  }
  const auto snapshot = sources_.snapshots->cluster.get();
  if (!snapshot) return no_snapshot("brokers", true);
  const TopicState* topic = snapshot->topic(name);
  if (!topic) {
    return error(404, "no monitored topic " + quote_input(name) + " in the latest snapshot",
                 {{"topic", name}});
  }
  return one(*snapshot, api::topic_json(*topic, partitions), sources_.now());
}

ApiResponse ApiRouter::groups(const ApiRequest& request) {
  bool partitions = false;
  if (auto bad = check_params(request, true, partitions)) return *bad;
  ApiResponse out = cached(sources_.snapshots->groups,
                           partitions ? groups_partitions_cache_ : groups_cache_, sources_.now(),
                           [partitions](const GroupsSnapshot& s) { return api::groups_json(s, partitions); });
  return out.tail ? out : no_snapshot("groups", false);
}

ApiResponse ApiRouter::group(const std::string& name, const ApiRequest& request) {
  bool partitions = true;
  if (auto bad = check_params(request, true, partitions)) return *bad;
  if (name.empty()) return error(400, "empty group name in the path");
  const auto snapshot = sources_.snapshots->groups.get();
  static const GroupRows kNoGroups;
  const GroupRows& groups = snapshot ? snapshot->groups : kNoGroups;
  const auto it = std::lower_bound(groups.begin(), groups.end(), name,
                                   [](const GroupLag& g, const std::string& n) { return g.name < n; });
  if (it != groups.end() && it->name == name) {
    return one(*snapshot, api::group_json(*snapshot, *it, partitions), sources_.now());
  }
  if (!owns_group(name)) return not_owned(name);
  if (!snapshot) return no_snapshot("groups", false);
  return error(404, "no consumer group " + quote_input(name) + " in the latest snapshot",
               {{"group", name}});
}

// In a fleet, another agent answers for the group: which shard, and which agent holds it
// (as the fleet's group last described its members), for the client to follow.
ApiResponse ApiRouter::not_owned(const std::string& group) const {
  const int shard = shard_of(group);
  json owner = nullptr;
  if (sources_.fleet_members) {
    const std::vector<fleet::FleetMember> members = sources_.fleet_members();
    if (const fleet::FleetMember* m = fleet::owner_of(members, shard)) {
      owner = {{"node", m->node}, {"host", m->host}, {"url", m->url.empty() ? json(nullptr) : json(m->url)}};
    }
  }
  return error(404, "consumer group " + quote_input(group) + " is not owned by this agent",
               {{"group", group}, {"owned_here", false}, {"fleet_shard", shard}, {"owner", owner}});
}

ApiResponse ApiRouter::agents(const ApiRequest& request) {
  bool unused = false;
  if (auto bad = check_params(request, false, unused)) return *bad;
  return {200, dump(sources_.agents ? sources_.agents() : json::object()) + "\n", nullptr};
}

ApiResponse ApiRouter::events(const ApiRequest& request) {
  bool unused = false;
  if (auto bad = check_params(request, false, unused)) return *bad;
  if (!sources_.events_enabled) return error(404, "health events are disabled (events.enabled: false)");
  const auto snapshot = sources_.snapshots->health.get();
  if (!snapshot) return error(503, "no evaluation yet: the events pipeline has not run once");
  return one(*snapshot, api::events_json(*snapshot), sources_.now());
}

}  // namespace ks

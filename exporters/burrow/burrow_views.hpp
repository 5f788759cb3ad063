// The JSON bodies of Burrow's v3 HTTP API (its /v3/kafka endpoints), built from the agent's
// snapshots with Burrow's field names, value types and status codes, so that tools written
// for Burrow read the agent unchanged. What differs and why: docs/api-burrow.md.
//
// Every body carries Burrow's envelope: `error` (bool), `message` (string), the payload
// under its own key, and `request` {url, host}.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/cluster_snapshot.hpp"
#include "core/groups_snapshot.hpp"

namespace ks::burrow {

using Json = nlohmann::ordered_json;

// Burrow's `request` object: the path asked for and the host that answered.
struct RequestInfo {
  std::string url;
  std::string host;
};

// What /v3/kafka/{cluster} says about the cluster module (Burrow: its config).
struct ClusterModule {
  std::vector<std::string> servers;  // bootstrap servers
  std::string client_id;
  std::int64_t topic_refresh_seconds = 0;   // the brokers collector's interval
  std::int64_t offset_refresh_seconds = 0;  // the groups collector's interval
  Json tls;   // null, or Burrow's TLS profile object
  Json sasl;  // null, or Burrow's SASL profile object
};

// {"error": true, "message": ..., "request": ...}
Json error_body(std::string_view message, const RequestInfo& request);

Json cluster_list_body(std::string_view cluster, const RequestInfo& request);
Json cluster_detail_body(const ClusterModule& module, const RequestInfo& request);
// Topic names; high watermarks by partition (partitions without one this cycle are left out,
// as Burrow leaves out those it has no offset for).
Json topic_list_body(const ClusterSnapshot* cluster, const RequestInfo& request);
Json topic_detail_body(const TopicState& topic, const RequestInfo& request);
// Groups with committed offsets on the topic.
Json topic_consumers_body(const GroupsSnapshot* groups, std::string_view topic,
                          const RequestInfo& request);

Json consumer_list_body(const GroupsSnapshot* groups, const RequestInfo& request);
// Burrow's consumer detail: per topic, an array indexed by partition id.
Json consumer_detail_body(const GroupsSnapshot& groups, const GroupLag& group,
                          const RequestInfo& request);
// /status (all = false: only the partitions worse than OK) and /lag (all = true).
Json consumer_status_body(std::string_view cluster, const GroupsSnapshot& groups,
                          const GroupLag& group, bool all, const RequestInfo& request);
// A group the agent does not know: Burrow answers 404 with this body (error false).
Json consumer_not_found_body(std::string_view cluster, std::string_view group,
                             const RequestInfo& request);

}  // namespace ks::burrow

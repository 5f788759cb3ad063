#include "exporters/burrow/burrow_router.hpp"

#include <algorithm>
#include <vector>

namespace ks::burrow {
namespace {

constexpr std::string_view kPrefix = "/v3/kafka";

// Burrow's answer to a path it has no route for: 404, plain text, this exact body.
Answer invalid_request() {
  return {404, "{\"error\":true,\"message\":\"invalid request type\",\"result\":{}}\n",
          "text/plain; charset=utf-8"};
}

Answer json_answer(int status, const Json& body) {
  // Names are bytes from Kafka: replace invalid UTF-8 rather than fail the request.
  return {status, body.dump(-1, ' ', false, Json::error_handler_t::replace)};
}

// The path's segments after /v3/kafka; false when it is not a path of that API (an empty
// segment included: Burrow's router matches none of those).
bool segments_of(std::string_view path, std::vector<std::string_view>& segments) {
  if (path.substr(0, kPrefix.size()) != kPrefix) return false;
  path.remove_prefix(kPrefix.size());
  while (!path.empty()) {
    if (path.front() != '/') return false;
    path.remove_prefix(1);
    const std::size_t end = std::min(path.find('/'), path.size());
    if (end == 0) return false;
    segments.push_back(path.substr(0, end));
    path.remove_prefix(end);
  }
  return true;
}

const GroupLag* find_group(const GroupsSnapshot* groups, std::string_view name) {
  if (!groups) return nullptr;
  const auto it = std::lower_bound(groups->groups.begin(), groups->groups.end(), name,
                                   [](const GroupLag& g, std::string_view n) { return g.name < n; });
  return it != groups->groups.end() && it->name == name ? &*it : nullptr;
}

// A cluster other than ours: its lists are 404 "cluster not found", its names unknown.
Answer topic_answer(const Sources& s, bool known, const std::vector<std::string_view>& seg,
                    const RequestInfo& request) {
  const ClusterSnapshot* cluster = known ? s.cluster_snapshot.get() : nullptr;
  const bool list = seg.size() == 2 || (seg.size() == 4 && seg[3] == "consumers");
  if (list && !known) return json_answer(404, error_body("cluster not found", request));
  if (seg.size() == 2) return json_answer(200, topic_list_body(cluster, request));
  if (seg.size() == 4) {
    if (seg[3] != "consumers") return invalid_request();
    return json_answer(200, topic_consumers_body(s.groups.get(), seg[2], request));
  }
  const TopicState* topic = cluster ? cluster->topic(seg[2]) : nullptr;
  if (!topic) return json_answer(404, error_body("cluster or topic not found", request));
  return json_answer(200, topic_detail_body(*topic, request));
}

Answer consumer_answer(const Sources& s, bool known, const std::vector<std::string_view>& seg,
                       const RequestInfo& request) {
  const GroupsSnapshot* groups = known ? s.groups.get() : nullptr;
  if (seg.size() == 2) {
    if (!known) return json_answer(404, error_body("cluster not found", request));
    return json_answer(200, consumer_list_body(groups, request));
  }
  const GroupLag* group = seg.size() > 2 ? find_group(groups, seg[2]) : nullptr;
  if (seg.size() == 3) {
    if (!group) return json_answer(404, error_body("cluster or consumer not found", request));
    return json_answer(200, consumer_detail_body(*groups, *group, request));
  }
  if (seg[3] != "status" && seg[3] != "lag") return invalid_request();
  // Burrow's evaluator answers an unknown group with a NOTFOUND status (error false), 404.
  if (!group) return json_answer(404, consumer_not_found_body(seg[0], seg[2], request));
  return json_answer(200, consumer_status_body(s.cluster, *groups, *group, seg[3] == "lag", request));
}

}  // namespace

Answer answer(const Sources& s, std::string_view path, std::string_view host) {
  std::vector<std::string_view> seg;
  if (!segments_of(path, seg) || seg.size() > 4) return invalid_request();
  const RequestInfo request{std::string(path), std::string(host)};
  if (seg.empty()) return json_answer(200, cluster_list_body(s.cluster, request));
  const bool known = seg[0] == s.cluster;
  if (seg.size() == 1) {
    if (!known) return json_answer(404, error_body("cluster module not found", request));
    return json_answer(200, cluster_detail_body(s.module, request));
  }
  if (seg[1] == "topic") return topic_answer(s, known, seg, request);
  if (seg[1] == "consumer") return consumer_answer(s, known, seg, request);
  return invalid_request();
}

}  // namespace ks::burrow

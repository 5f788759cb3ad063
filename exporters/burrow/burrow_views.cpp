#include "exporters/burrow/burrow_views.hpp"

#include <algorithm>
#include <cmath>

namespace ks::burrow {
namespace {

Json request_json(const RequestInfo& request) {
  return Json{{"url", request.url}, {"host", request.host}};
}

// Burrow's envelope: error, message, the payload under `key`, request (its field order).
Json envelope(std::string_view message, std::string_view key, Json payload,
              const RequestInfo& request) {
  Json body{{"error", false}, {"message", message}};
  body[std::string(key)] = std::move(payload);
  body["request"] = request_json(request);
  return body;
}

// Burrow's float32 fields as Go writes them: a whole number without a fraction (1, not 1.0),
// so a client that tells integers from floats reads the same type from both.
Json go_float(double value) {
  const double rounded = std::round(value * 1000.0) / 1000.0;
  if (rounded == std::floor(rounded)) return Json(static_cast<std::int64_t>(rounded));
  return Json(rounded);
}

// Burrow's lags are unsigned: an unknown lag (no watermark this cycle) reads as 0.
std::uint64_t known_lag(std::int64_t lag) { return lag > 0 ? static_cast<std::uint64_t>(lag) : 0; }

// A partition's status as Burrow names it: a partition it has not evaluated yet is OK.
std::string_view partition_status(LagStatus status) {
  return status == LagStatus::notfound ? status_name(LagStatus::ok) : status_name(status);
}

// Burrow's ConsumerOffset {offset, timestamp, observedAt, lag}; null when none was seen.
Json consumer_offset(const GroupsSnapshot& groups, const CommitSeen& commit) {
  if (commit.offset < 0) return nullptr;
  const std::int64_t at_ms = groups.unix_ms(commit);
  return Json{{"offset", commit.offset},
              {"timestamp", at_ms},
              {"observedAt", at_ms},
              {"lag", known_lag(commit.lag)}};
}

// The fraction of the status window filled: Burrow's per-partition `complete`.
double partition_complete(const GroupPartitionLag& p, std::size_t window) {
  if (window == 0) return 1.0;
  return std::min(1.0, static_cast<double>(p.window_commits) / static_cast<double>(window));
}

// The member a partition is assigned to; empty strings when none is known (Burrow's too).
const GroupMemberIdentity& assignee(const GroupLag& group, const GroupPartitionLag& p) {
  static const GroupMemberIdentity kNone;
  const bool known = p.assignee >= 0 && static_cast<std::size_t>(p.assignee) < group.assignees.size();
  return known ? group.assignees[static_cast<std::size_t>(p.assignee)] : kNone;
}

Json partition_status_json(const GroupsSnapshot& groups, const GroupLag& group,
                           std::string_view topic, const GroupPartitionLag& p) {
  const std::size_t window = groups.status_window;
  const GroupMemberIdentity& member = assignee(group, p);
  return Json{{"topic", topic},
              {"partition", p.partition},
              {"owner", member.host},
              {"client_id", member.client_id},
              {"status", partition_status(p.status)},
              {"start", consumer_offset(groups, p.first_commit)},
              {"end", consumer_offset(groups, p.last_commit)},
              {"current_lag", known_lag(p.lag())},
              {"complete", go_float(partition_complete(p, window))}};
}

// The commits the agent keeps of the window: its oldest and newest (Burrow keeps all).
Json window_offsets(const GroupsSnapshot& groups, const GroupPartitionLag& p) {
  Json offsets = Json::array();
  if (p.window_commits >= 2) offsets.push_back(consumer_offset(groups, p.first_commit));
  if (p.window_commits >= 1) offsets.push_back(consumer_offset(groups, p.last_commit));
  return offsets;
}

// One topic of a consumer's detail: indexed by partition id, null where it has no commit.
Json consumer_partitions(const GroupsSnapshot& groups, const GroupLag& group,
                         const GroupTopicLag& topic) {
  Json partitions = Json::array();
  for (const GroupPartitionLag& p : topic.partitions) {
    while (partitions.size() < static_cast<std::size_t>(p.partition)) partitions.push_back(nullptr);
    const GroupMemberIdentity& member = assignee(group, p);
    partitions.push_back(Json{{"offsets", window_offsets(groups, p)},
                              {"owner", member.host},
                              {"client_id", member.client_id},
                              {"current-lag", known_lag(p.lag())}});
  }
  return partitions;
}

}  // namespace

Json error_body(std::string_view message, const RequestInfo& request) {
  return Json{{"error", true}, {"message", message}, {"request", request_json(request)}};
}

Json cluster_list_body(std::string_view cluster, const RequestInfo& request) {
  return envelope("cluster list returned", "clusters", Json::array({cluster}), request);
}

Json cluster_detail_body(const ClusterModule& module, const RequestInfo& request) {
  Json profile{{"name", "kafka-sentinel"},
               {"client-id", module.client_id},
               {"kafka-version", ""},
               {"tls", module.tls},
               {"sasl", module.sasl}};
  Json detail{{"class-name", "kafka"},
              {"servers", module.servers},
              {"client-profile", std::move(profile)},
              {"topic-refresh", module.topic_refresh_seconds},
              {"offset-refresh", module.offset_refresh_seconds}};
  return envelope("cluster module detail returned", "module", std::move(detail), request);
}

Json topic_list_body(const ClusterSnapshot* cluster, const RequestInfo& request) {
  Json topics = Json::array();
  if (cluster) {
    for (const TopicState& t : cluster->topics) topics.push_back(t.name);
  }
  return envelope("topic list returned", "topics", std::move(topics), request);
}

Json topic_detail_body(const TopicState& topic, const RequestInfo& request) {
  Json offsets = Json::array();
  for (const PartitionState& p : topic.partitions) {
    if (p.has_watermarks()) offsets.push_back(p.high_watermark);
  }
  return envelope("topic offsets returned", "offsets", std::move(offsets), request);
}

Json topic_consumers_body(const GroupsSnapshot* groups, std::string_view topic,
                          const RequestInfo& request) {
  Json consumers = Json::array();
  if (groups) {
    for (const GroupLag& g : groups->groups) {
      const bool consumes = std::any_of(g.topics.begin(), g.topics.end(),
                                        [&](const GroupTopicLag& t) { return t.topic == topic; });
      if (consumes) consumers.push_back(g.name);
    }
  }
  return envelope("consumers of topic returned", "consumers", std::move(consumers), request);
}

Json consumer_list_body(const GroupsSnapshot* groups, const RequestInfo& request) {
  Json consumers = Json::array();
  if (groups) {
    for (const GroupLag& g : groups->groups) consumers.push_back(g.name);
  }
  return envelope("consumer list returned", "consumers", std::move(consumers), request);
}

Json consumer_detail_body(const GroupsSnapshot& groups, const GroupLag& group,
                          const RequestInfo& request) {
  Json topics = Json::object();
  for (const GroupTopicLag& t : group.topics) topics[t.topic] = consumer_partitions(groups, group, t);
  return envelope("consumer detail returned", "topics", std::move(topics), request);
}

Json consumer_status_body(std::string_view cluster, const GroupsSnapshot& groups,
                          const GroupLag& group, bool all, const RequestInfo& request) {
  const std::size_t status_window = groups.status_window;
  Json partitions = Json::array();
  Json maxlag = nullptr;
  std::int64_t max_lag = -1;
  std::uint64_t total_lag = 0;
  int count = 0;
  int complete = 0;
  for (const GroupTopicLag& t : group.topics) {
    for (const GroupPartitionLag& p : t.partitions) {
      ++count;
      total_lag += known_lag(p.lag());
      if (partition_complete(p, status_window) >= 1.0) ++complete;
      const bool worse_than_ok = p.status > LagStatus::ok;
      if (static_cast<std::int64_t>(known_lag(p.lag())) > max_lag) {
        max_lag = static_cast<std::int64_t>(known_lag(p.lag()));
        maxlag = partition_status_json(groups, group, t.topic, p);
      }
      if (all || worse_than_ok) partitions.push_back(partition_status_json(groups, group, t.topic, p));
    }
  }
  Json status{{"cluster", cluster},
              {"group", group.name},
              {"status", partition_status(group.status)},
              {"complete", go_float(count > 0 ? static_cast<double>(complete) / count : 0.0)},
              {"partitions", std::move(partitions)},
              {"partition_count", count},
              {"maxlag", std::move(maxlag)},
              {"totallag", total_lag}};
  return envelope("consumer status returned", "status", std::move(status), request);
}

Json consumer_not_found_body(std::string_view cluster, std::string_view group,
                             const RequestInfo& request) {
  Json status{{"cluster", cluster},          {"group", group},
              {"status", "NOTFOUND"},        {"complete", 1},
              {"partitions", Json::array()}, {"partition_count", 0},
              {"maxlag", nullptr},           {"totallag", 0}};
  return envelope("consumer status returned", "status", std::move(status), request);
}

}  // namespace ks::burrow

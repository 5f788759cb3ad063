#include "snapshot_json.hpp"

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>

namespace ks::testing {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;
using Clock = std::chrono::system_clock;

std::int64_t to_millis(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
Clock::time_point from_millis(std::int64_t ms) {
  return Clock::time_point(std::chrono::duration_cast<Clock::duration>(std::chrono::milliseconds(ms)));
}

template <class T>
void put_optional(ordered_json& j, const char* key, const std::optional<T>& v) {
  if (v) j[key] = *v;
}
template <class T>
std::optional<T> get_optional(const json& j, const char* key) {
  if (!j.contains(key)) return std::nullopt;
  return j.at(key).get<T>();
}
template <class T>
T get_or(const json& j, const char* key, T fallback) {
  return j.contains(key) ? j.at(key).get<T>() : fallback;
}

LagStatus status_from_name(const std::string& name) {
  for (int i = 0; i <= static_cast<int>(LagStatus::rewind); ++i) {
    const auto status = static_cast<LagStatus>(i);
    if (status_name(status) == name) return status;
  }
  throw std::invalid_argument("unknown lag status: " + name);
}

ordered_json broker_to_json(const BrokerState& b) {
  return {{"id", b.id},
          {"host", b.host},
          {"port", b.port},
          {"rack", b.rack},
          {"in_metadata", b.in_metadata},
          {"up", b.up},
          {"last_seen_ms", to_millis(b.last_seen)},
          {"partitions", b.partitions},
          {"leader_partitions", b.leader_partitions},
          {"offset_request_failures", b.offset_request_failures}};
}

BrokerState broker_from_json(const json& j) {
  BrokerState b;
  b.id = j.at("id").get<std::int32_t>();
  b.host = j.at("host").get<std::string>();
  b.port = j.at("port").get<int>();
  b.rack = get_or<std::string>(j, "rack", "");
  b.in_metadata = j.at("in_metadata").get<bool>();
  b.up = j.at("up").get<bool>();
  b.last_seen = from_millis(get_or<std::int64_t>(j, "last_seen_ms", 0));
  b.partitions = j.at("partitions").get<std::uint32_t>();
  b.leader_partitions = j.at("leader_partitions").get<std::uint32_t>();
  b.offset_request_failures = get_or<std::uint64_t>(j, "offset_request_failures", 0);
  return b;
}

ordered_json partition_to_json(const TopicState& t, const PartitionState& p) {
  const auto replicas = t.replicas(p);
  const auto isr = t.isr(p);
  return {{"id", p.id},
          {"leader", p.leader},
          {"replicas", std::vector<std::int32_t>(replicas.begin(), replicas.end())},
          {"isr", std::vector<std::int32_t>(isr.begin(), isr.end())},
          {"high_watermark", p.high_watermark},
          {"low_watermark", p.low_watermark},
          {"error", p.error},
          {"offline", p.offline},
          {"under_replicated", p.under_replicated},
          {"under_min_isr", p.under_min_isr},
          {"leader_is_preferred", p.leader_is_preferred}};
}

void add_partition_from_json(TopicState& t, const json& j) {
  PartitionState& p = t.partitions.emplace_back();
  const auto replicas = j.at("replicas").get<std::vector<std::int32_t>>();
  const auto isr = j.at("isr").get<std::vector<std::int32_t>>();
  p.id = j.at("id").get<std::int32_t>();
  p.leader = j.at("leader").get<std::int32_t>();
  p.replicas_begin = static_cast<std::uint32_t>(t.replica_ids.size());
  p.replica_count = static_cast<std::uint16_t>(replicas.size());
  p.isr_count = static_cast<std::uint16_t>(isr.size());
  t.replica_ids.insert(t.replica_ids.end(), replicas.begin(), replicas.end());
  t.replica_ids.insert(t.replica_ids.end(), isr.begin(), isr.end());
  p.high_watermark = j.at("high_watermark").get<std::int64_t>();
  p.low_watermark = j.at("low_watermark").get<std::int64_t>();
  p.error = get_or<std::int16_t>(j, "error", 0);
  p.offline = j.at("offline").get<bool>();
  p.under_replicated = j.at("under_replicated").get<bool>();
  p.under_min_isr = j.at("under_min_isr").get<bool>();
  p.leader_is_preferred = j.at("leader_is_preferred").get<bool>();
}

ordered_json topic_to_json(const TopicState& t) {
  ordered_json j{{"name", t.name}, {"error", t.error}};
  put_optional(j, "min_insync_replicas", t.min_insync_replicas);
  put_optional(j, "messages_in_per_second", t.messages_in_per_second);
  ordered_json partitions = ordered_json::array();
  for (const PartitionState& p : t.partitions) partitions.push_back(partition_to_json(t, p));
  j["partitions"] = std::move(partitions);
  return j;
}

TopicState topic_from_json(const json& j) {
  TopicState t;
  t.name = j.at("name").get<std::string>();
  t.error = get_or<std::int16_t>(j, "error", 0);
  t.min_insync_replicas = get_optional<int>(j, "min_insync_replicas");
  t.messages_in_per_second = get_optional<double>(j, "messages_in_per_second");
  for (const json& p : j.at("partitions")) add_partition_from_json(t, p);
  return t;
}

ordered_json group_partition_to_json(const GroupsSnapshot& s, const GroupPartitionLag& p) {
  ordered_json j{{"partition", p.partition},          {"committed", p.committed},
                 {"low_watermark", p.low_watermark},  {"high_watermark", p.high_watermark},
                 {"lag", p.lag()},                    {"expired", p.expired()}};
  put_optional(j, "lag_seconds", s.lag_seconds(p));
  j["lag_seconds_lower_bound"] = p.lag_seconds_lower_bound;
  j["status"] = std::string(status_name(p.status));
  return j;
}

GroupPartitionLag group_partition_from_json(const json& j) {
  GroupPartitionLag p;
  p.partition = j.at("partition").get<std::int32_t>();
  p.committed = j.at("committed").get<std::int64_t>();
  p.low_watermark = j.at("low_watermark").get<std::int64_t>();
  p.high_watermark = j.at("high_watermark").get<std::int64_t>();
  // The row derives lag and expired from the offsets: a fixture whose figures disagree
  // with its offsets would test a snapshot the collector cannot make.
  if (p.lag() != j.at("lag").get<std::int64_t>() ||
      p.expired() != j.at("expired").get<std::int64_t>()) {
    throw std::invalid_argument("group partition " + j.dump() +
                                ": lag or expired disagrees with its offsets");
  }
  p.lag_since_steady_ms = ks::lag_since::for_age(get_optional<double>(j, "lag_seconds"));
  p.lag_seconds_lower_bound = get_or<bool>(j, "lag_seconds_lower_bound", false);
  p.status = status_from_name(j.at("status").get<std::string>());
  return p;
}

ordered_json group_topic_to_json(const GroupsSnapshot& s, const GroupTopicLag& t) {
  ordered_json j{{"topic", t.topic},
                 {"committed_sum", t.committed_sum},
                 {"lag_sum", t.lag_sum},
                 {"expired_sum", t.expired_sum},
                 {"partitions_with_lag", t.partitions_with_lag}};
  put_optional(j, "consumed_per_second", t.consumed_per_second);
  put_optional(j, "produced_per_second", t.produced_per_second);
  put_optional(j, "catch_up_seconds", t.catch_up_seconds);
  ordered_json partitions = ordered_json::array();
  for (const GroupPartitionLag& p : t.partitions) partitions.push_back(group_partition_to_json(s, p));
  j["partitions"] = std::move(partitions);
  return j;
}

GroupTopicLag group_topic_from_json(const json& j) {
  GroupTopicLag t;
  t.topic = j.at("topic").get<std::string>();
  t.committed_sum = j.at("committed_sum").get<std::int64_t>();
  t.lag_sum = j.at("lag_sum").get<std::int64_t>();
  t.expired_sum = j.at("expired_sum").get<std::int64_t>();
  t.partitions_with_lag = j.at("partitions_with_lag").get<int>();
  t.consumed_per_second = get_optional<double>(j, "consumed_per_second");
  t.produced_per_second = get_optional<double>(j, "produced_per_second");
  t.catch_up_seconds = get_optional<double>(j, "catch_up_seconds");
  for (const json& p : j.at("partitions")) t.partitions.push_back(group_partition_from_json(p));
  return t;
}

ordered_json group_to_json(const GroupsSnapshot& s, const GroupLag& g) {
  ordered_json j{{"name", g.name},
                 {"described", g.described},
                 {"state", g.state},
                 {"protocol", g.protocol},
                 {"members", g.members},
                 {"describe_error", g.describe_error},
                 {"offsets_fetched", g.offsets_fetched},
                 {"offsets_error", g.offsets_error},
                 {"status", std::string(status_name(g.status))}};
  put_optional(j, "max_lag_seconds", s.max_lag_seconds(g));
  j["max_lag_seconds_lower_bound"] = g.max_lag_seconds_lower_bound;
  j["uncommitted_partitions"] = g.uncommitted_partitions;
  j["lag_seconds_unknown_partitions"] = g.lag_seconds_unknown_partitions;
  j["lag_seconds_lower_bound_partitions"] = g.lag_seconds_lower_bound_partitions;
  ordered_json topics = ordered_json::array();
  for (const GroupTopicLag& t : g.topics) topics.push_back(group_topic_to_json(s, t));
  j["topics"] = std::move(topics);
  return j;
}

GroupLag group_from_json(const json& j) {
  GroupLag g;
  g.name = j.at("name").get<std::string>();
  g.described = j.at("described").get<bool>();
  g.state = j.at("state").get<std::string>();
  g.protocol = j.at("protocol").get<std::string>();
  g.members = j.at("members").get<int>();
  g.describe_error = get_or<std::string>(j, "describe_error", "");
  g.offsets_fetched = j.at("offsets_fetched").get<bool>();
  g.offsets_error = get_or<std::string>(j, "offsets_error", "");
  g.status = status_from_name(j.at("status").get<std::string>());
  // (the snapshot read back has its "now" at 0 on the steady clock: lag_since::for_age)
  g.max_lag_since_steady_ms = ks::lag_since::for_age(get_optional<double>(j, "max_lag_seconds"));
  g.max_lag_seconds_lower_bound = get_or<bool>(j, "max_lag_seconds_lower_bound", false);
  g.uncommitted_partitions = j.at("uncommitted_partitions").get<int>();
  g.lag_seconds_unknown_partitions = j.at("lag_seconds_unknown_partitions").get<int>();
  g.lag_seconds_lower_bound_partitions = j.at("lag_seconds_lower_bound_partitions").get<int>();
  for (const json& t : j.at("topics")) g.topics.push_back(group_topic_from_json(t));
  return g;
}

ordered_json cycle_to_json(const GroupsCycleStats& c) {
  return {{"groups_listed", c.groups_listed},
          {"groups_monitored", c.groups_monitored},
          {"list_complete", c.list_complete},
          {"groups_vanished", c.groups_vanished},
          {"describe_errors", c.describe_errors},
          {"offsets_errors", c.offsets_errors},
          {"watermark_errors", c.watermark_errors},
          {"metadata_requests", c.metadata_requests},
          {"list_groups_requests", c.list_groups_requests},
          {"describe_groups_requests", c.describe_groups_requests},
          {"offset_fetch_requests", c.offset_fetch_requests},
          {"list_offsets_requests", c.list_offsets_requests},
          {"list_seconds", c.list_seconds},
          {"metadata_seconds", c.metadata_seconds},
          {"describe_seconds", c.describe_seconds},
          {"offsets_seconds", c.offsets_seconds},
          {"watermarks_seconds", c.watermarks_seconds},
          {"evaluate_seconds", c.evaluate_seconds},
          {"offsets_watermarks_gap_seconds", c.offsets_watermarks_gap_seconds},
          {"partitions_tracked", c.partitions_tracked},
          {"describe_errors_total", c.describe_errors_total},
          {"offsets_errors_total", c.offsets_errors_total},
          {"groups_vanished_total", c.groups_vanished_total},
          {"watermark_errors_total", c.watermark_errors_total}};
}

// The stream's partitions, written only when there are some (the recorded cycle used the
// admin API; the golden gets them from a hand-added entry).
void stream_partitions_to_json(const GroupsCycleStats& c, ordered_json& j) {
  if (c.stream_partitions.empty()) return;
  ordered_json partitions = ordered_json::array();
  for (const auto& [p, caught_up] : c.stream_partitions) partitions.push_back({p, caught_up});
  j["stream_partitions"] = partitions;
}

GroupsCycleStats cycle_from_json(const json& j) {
  GroupsCycleStats c;
  c.groups_listed = j.at("groups_listed").get<std::size_t>();
  c.groups_monitored = j.at("groups_monitored").get<std::size_t>();
  c.list_complete = j.at("list_complete").get<bool>();
  c.groups_vanished = j.at("groups_vanished").get<std::size_t>();
  c.describe_errors = j.at("describe_errors").get<std::size_t>();
  c.offsets_errors = j.at("offsets_errors").get<std::size_t>();
  c.watermark_errors = j.at("watermark_errors").get<std::size_t>();
  c.metadata_requests = j.at("metadata_requests").get<std::size_t>();
  c.list_groups_requests = j.at("list_groups_requests").get<std::size_t>();
  c.describe_groups_requests = j.at("describe_groups_requests").get<std::size_t>();
  c.offset_fetch_requests = j.at("offset_fetch_requests").get<std::size_t>();
  c.list_offsets_requests = j.at("list_offsets_requests").get<std::size_t>();
  c.list_seconds = j.at("list_seconds").get<double>();
  c.metadata_seconds = j.at("metadata_seconds").get<double>();
  c.describe_seconds = j.at("describe_seconds").get<double>();
  c.offsets_seconds = j.at("offsets_seconds").get<double>();
  c.watermarks_seconds = j.at("watermarks_seconds").get<double>();
  c.evaluate_seconds = j.at("evaluate_seconds").get<double>();
  c.offsets_watermarks_gap_seconds = j.at("offsets_watermarks_gap_seconds").get<double>();
  c.partitions_tracked = j.at("partitions_tracked").get<std::size_t>();
  c.describe_errors_total = j.at("describe_errors_total").get<std::uint64_t>();
  c.offsets_errors_total = j.at("offsets_errors_total").get<std::uint64_t>();
  c.groups_vanished_total = j.at("groups_vanished_total").get<std::uint64_t>();
  c.watermark_errors_total = j.at("watermark_errors_total").get<std::uint64_t>();
  if (j.contains("stream_partitions")) {
    for (const json& p : j.at("stream_partitions")) {
      c.stream_partitions.emplace_back(p.at(0).get<std::int32_t>(), p.at(1).get<bool>());
    }
  }
  return c;
}

}  // namespace

ordered_json cluster_to_json(const ClusterSnapshot& s) {
  ordered_json brokers = ordered_json::array();
  for (const BrokerState& b : s.brokers) brokers.push_back(broker_to_json(b));
  ordered_json topics = ordered_json::array();
  for (const TopicState& t : s.topics) topics.push_back(topic_to_json(t));
  return {{"taken_at_ms", to_millis(s.taken_at)},
          {"up", s.up},
          {"error", s.error},
          {"cluster_id", s.cluster_id},
          {"controller_id", s.controller_id},
          {"expected_brokers", s.expected_brokers},
          {"partition_count", s.partition_count},
          {"offline_partitions", s.offline_partitions},
          {"under_replicated_partitions", s.under_replicated_partitions},
          {"under_min_isr_partitions", s.under_min_isr_partitions},
          {"client_errors", s.client_errors},
          {"offset_request_failures", s.offset_request_failures},
          {"brokers", std::move(brokers)},
          {"topics", std::move(topics)}};
}

ClusterSnapshot cluster_from_json(const json& j) {
  ClusterSnapshot s;
  s.taken_at = from_millis(j.at("taken_at_ms").get<std::int64_t>());
  s.up = j.at("up").get<bool>();
  s.error = get_or<std::string>(j, "error", "");
  s.cluster_id = j.at("cluster_id").get<std::string>();
  s.controller_id = j.at("controller_id").get<std::int32_t>();
  s.expected_brokers = j.at("expected_brokers").get<int>();
  s.partition_count = j.at("partition_count").get<std::uint64_t>();
  s.offline_partitions = j.at("offline_partitions").get<std::uint64_t>();
  s.under_replicated_partitions = j.at("under_replicated_partitions").get<std::uint64_t>();
  s.under_min_isr_partitions = j.at("under_min_isr_partitions").get<std::uint64_t>();
  s.client_errors = j.at("client_errors").get<std::uint64_t>();
  s.offset_request_failures = j.at("offset_request_failures").get<std::uint64_t>();
  for (const json& b : j.at("brokers")) s.brokers.push_back(broker_from_json(b));
  for (const json& t : j.at("topics")) s.topics.push_back(topic_from_json(t));
  return s;
}

ordered_json groups_to_json(const GroupsSnapshot& s) {
  ordered_json groups = ordered_json::array();
  for (const GroupLag& g : s.groups) groups.push_back(group_to_json(s, g));
  ordered_json cycle = cycle_to_json(s.cycle);
  stream_partitions_to_json(s.cycle, cycle);
  return {{"taken_at_ms", to_millis(s.taken_at)},
          {"cycle", std::move(cycle)},
          {"groups", std::move(groups)}};
}

GroupsSnapshot groups_from_json(const json& j) {
  GroupsSnapshot s;
  s.taken_at = from_millis(j.at("taken_at_ms").get<std::int64_t>());
  s.cycle = cycle_from_json(j.at("cycle"));
  for (const json& g : j.at("groups")) s.groups.push_back(group_from_json(g));
  return s;
}

}  // namespace ks::testing

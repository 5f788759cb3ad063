#include "exporters/json/groups_view.hpp"

#include <string>

#include "exporters/json/json_time.hpp"

namespace ks::api {
namespace {

nlohmann::ordered_json text_or_null(const std::string& s) {
  return s.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(s);
}

nlohmann::ordered_json partition_json(const GroupsSnapshot& s, const GroupPartitionLag& p) {
  return {{"partition", p.partition},
          {"current_offset", p.committed},
          {"log_start_offset", known_offset(p.low_watermark)},
          {"log_end_offset", known_offset(p.high_watermark)},
          {"lag", known_offset(p.lag())},
          {"lag_seconds", optional_rounded(s.lag_seconds(p))},
          {"lag_seconds_lower_bound", p.lag_seconds_lower_bound},
          {"expired", p.expired()},
          {"status", std::string(status_name(p.status))}};
}

nlohmann::ordered_json topic_json(const GroupsSnapshot& s, const GroupTopicLag& t) {
  nlohmann::ordered_json partitions = nlohmann::ordered_json::array();
  for (const GroupPartitionLag& p : t.partitions) partitions.push_back(partition_json(s, p));
  return {{"topic", t.topic},
          {"lag", t.lag_sum},
          {"expired", t.expired_sum},
          {"partitions_with_lag", t.partitions_with_lag},
          {"consumed_per_second", optional_rounded(t.consumed_per_second)},
          {"produced_per_second", optional_rounded(t.produced_per_second)},
          {"catch_up_seconds", optional_rounded(t.catch_up_seconds)},
          {"partitions", std::move(partitions)}};
}

}  // namespace

nlohmann::ordered_json group_json(const GroupsSnapshot& s, const GroupLag& g, bool partitions) {
  std::int64_t lag = 0, expired = 0;
  std::size_t partition_count = 0;
  for (const GroupTopicLag& t : g.topics) {
    lag += t.lag_sum;
    expired += t.expired_sum;
    partition_count += t.partitions.size();
  }
  nlohmann::ordered_json out{
      {"group", g.name},
      {"state", g.state},
      {"members", g.described ? nlohmann::ordered_json(g.members) : nlohmann::ordered_json(nullptr)},
      {"protocol", text_or_null(g.protocol)},
      {"status", std::string(status_name(g.status))},
      {"lag", lag},
      {"max_lag_seconds", optional_rounded(s.max_lag_seconds(g))},
      {"max_lag_seconds_lower_bound", g.max_lag_seconds_lower_bound},
      {"expired", expired},
      {"topic_count", g.topics.size()},
      {"partition_count", partition_count},
      {"uncommitted_partitions", g.uncommitted_partitions},
      {"describe_error", text_or_null(g.describe_error)},
      {"offsets_error", g.offsets_fetched ? nlohmann::ordered_json(nullptr) : text_or_null(g.offsets_error)}};
  if (partitions) {
    nlohmann::ordered_json topics = nlohmann::ordered_json::array();
    for (const GroupTopicLag& t : g.topics) topics.push_back(topic_json(s, t));
    out["topics"] = std::move(topics);
  }
  return out;
}

nlohmann::ordered_json groups_json(const GroupsSnapshot& s, bool partitions) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const GroupLag& g : s.groups) list.push_back(group_json(s, g, partitions));
  return {{"taken_at", rfc3339(s.taken_at)}, {"groups", std::move(list)}};
}

}  // namespace ks::api

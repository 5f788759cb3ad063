#include "exporters/json/topics_view.hpp"

#include "exporters/json/json_time.hpp"

namespace ks::api {
namespace {

nlohmann::ordered_json ids(std::span<const std::int32_t> list) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const std::int32_t id : list) out.push_back(id);
  return out;
}

nlohmann::ordered_json partition_json(const TopicState& t, const PartitionState& p) {
  return {{"partition", p.id},
          {"leader", p.leader == kNoBroker ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(p.leader)},
          {"replicas", ids(t.replicas(p))},
          {"isr", ids(t.isr(p))},
          {"log_start_offset", known_offset(p.low_watermark)},
          {"log_end_offset", known_offset(p.high_watermark)},
          {"offline", p.offline},
          {"under_replicated", p.under_replicated},
          {"under_min_isr", p.under_min_isr},
          {"leader_is_preferred", p.leader_is_preferred},
          {"error_code", p.error}};
}

}  // namespace

nlohmann::ordered_json topic_json(const TopicState& t, bool partitions) {
  std::size_t offline = 0, under_replicated = 0, under_min_isr = 0;
  std::int64_t messages = 0;
  bool all_known = true;
  for (const PartitionState& p : t.partitions) {
    offline += p.offline ? 1 : 0;
    under_replicated += p.under_replicated ? 1 : 0;
    under_min_isr += p.under_min_isr ? 1 : 0;
    if (p.has_watermarks() && p.low_watermark >= 0) {
      messages += p.high_watermark - p.low_watermark;
    } else {
      all_known = false;
    }
  }
  nlohmann::ordered_json out{
      {"topic", t.name},
      {"partition_count", t.partitions.size()},
      {"messages_in_per_second", optional_rounded(t.messages_in_per_second)},
      {"messages", all_known ? nlohmann::ordered_json(messages) : nlohmann::ordered_json(nullptr)},
      {"min_insync_replicas", t.min_insync_replicas ? nlohmann::ordered_json(*t.min_insync_replicas)
                                                    : nlohmann::ordered_json(nullptr)},
      {"offline_partitions", offline},
      {"under_replicated_partitions", under_replicated},
      {"under_min_isr_partitions", under_min_isr},
      {"error_code", t.error}};
  if (partitions) {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const PartitionState& p : t.partitions) list.push_back(partition_json(t, p));
    out["partitions"] = std::move(list);
  }
  return out;
}

nlohmann::ordered_json topics_json(const ClusterSnapshot& s, bool partitions) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const TopicState& t : s.topics) list.push_back(topic_json(t, partitions));
  return {{"taken_at", rfc3339(s.taken_at)}, {"cluster_up", s.up}, {"topics", std::move(list)}};
}

}  // namespace ks::api

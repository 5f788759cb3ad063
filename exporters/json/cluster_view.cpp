#include "exporters/json/cluster_view.hpp"

#include "exporters/json/json_time.hpp"

namespace ks::api {

nlohmann::ordered_json broker_json(const BrokerState& b) {
  return {{"id", b.id},
          {"host", b.host},
          {"port", b.port},
          {"rack", b.rack.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(b.rack)},
          {"up", b.up},
          {"in_metadata", b.in_metadata},
          {"last_seen", rfc3339(b.last_seen)},
          {"partitions", b.partitions},
          {"leader_partitions", b.leader_partitions},
          {"offset_request_failures", b.offset_request_failures}};
}

nlohmann::ordered_json cluster_json(const ClusterSnapshot& s) {
  std::size_t brokers_up = 0;
  nlohmann::ordered_json brokers = nlohmann::ordered_json::array();
  for (const BrokerState& b : s.brokers) {
    brokers_up += b.up ? 1 : 0;
    brokers.push_back(broker_json(b));
  }
  return {{"taken_at", rfc3339(s.taken_at)},
          {"cluster_id", s.cluster_id},
          {"up", s.up},
          {"error", s.error.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(s.error)},
          {"controller_id", s.controller_id == kNoBroker ? nlohmann::ordered_json(nullptr)
                                                         : nlohmann::ordered_json(s.controller_id)},
          {"expected_brokers", s.expected_brokers},
          {"brokers_up", brokers_up},
          {"brokers_in_metadata", s.live_brokers()},
          {"topics", s.topics.size()},
          {"partitions", s.partition_count},
          {"offline_partitions", s.offline_partitions},
          {"under_replicated_partitions", s.under_replicated_partitions},
          {"under_min_isr_partitions", s.under_min_isr_partitions},
          {"brokers", std::move(brokers)}};
}

}  // namespace ks::api

// The self-metrics kafka_sentinel_client_broker_*: what each of the agent's Kafka clients
// saw of each broker (kafka/client_statistics.hpp), copied into prometheus-cpp families
// before each render.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "kafka/client_statistics.hpp"

namespace ks {

class ClientBrokerMetrics {
 public:
  explicit ClientBrokerMetrics(prometheus::Registry& registry);

  // Copies `source`'s views; not thread-safe (SelfMetrics calls it under its mutex).
  void refresh(const kafka::StatisticsAccumulator& source);

 private:
  using Key = std::pair<std::string, std::string>;  // client, broker

  void set_latencies(const kafka::ClientBrokerView& view);
  void add_totals(const kafka::ClientBrokerView& view);

  prometheus::Family<prometheus::Gauge>& rtt_;       // {client, broker_id, quantile}
  prometheus::Family<prometheus::Gauge>& throttle_;  // {client, broker_id, quantile}
  prometheus::Family<prometheus::Counter>& timeouts_;
  prometheus::Family<prometheus::Counter>& tx_errors_;
  prometheus::Family<prometheus::Counter>& rx_errors_;
  prometheus::Family<prometheus::Counter>& connects_;
  prometheus::Family<prometheus::Counter>& disconnects_;
  prometheus::Counter& malformed_;
  std::map<Key, kafka::BrokerTotals> seen_;  // what the counters already count
  std::uint64_t malformed_seen_ = 0;
};

}  // namespace ks

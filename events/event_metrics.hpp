// The health-event pipeline's own metrics, in the agent's prometheus-cpp registry:
//   kafka_sentinel_events_total{type,state,result}   result: spooled, delivered, dropped
//   kafka_sentinel_events_spool_depth / _spool_bytes  pending events and their bytes
//   kafka_sentinel_events_delivery_latency_seconds    detection to Kafka's acknowledgement
//   kafka_sentinel_events_delivery_errors_total       failed delivery rounds
//   kafka_sentinel_events_spool_discarded_bytes_total damaged spool bytes cut at startup
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <string>
#include <string_view>

namespace ks::events {

class EventMetrics {
 public:
  explicit EventMetrics(prometheus::Registry& registry);

  // `type` is the short type ("broker.down"), `state` firing or resolved.
  void count(std::string_view type, std::string_view state, std::string_view result);
  void spool_size(std::size_t depth, std::int64_t bytes);
  void delivered_after(double seconds);
  void delivery_error();
  void discarded_bytes(std::uint64_t bytes);

 private:
  prometheus::Family<prometheus::Counter>& events_;
  prometheus::Gauge& depth_;
  prometheus::Gauge& bytes_;
  prometheus::Histogram& latency_;
  prometheus::Counter& errors_;
  prometheus::Counter& discarded_;
};

// "io.kafka-sentinel.broker.down" -> "broker.down"
std::string short_type(std::string_view type);

}  // namespace ks::events

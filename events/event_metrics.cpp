#include "events/event_metrics.hpp"

#include "core/health_event.hpp"

namespace ks::events {

EventMetrics::EventMetrics(prometheus::Registry& registry)
    : events_(prometheus::BuildCounter()
                  .Name("kafka_sentinel_events_total")
                  .Help("Health events by type, state and what became of them: spooled "
                        "(accepted, durable), delivered (acknowledged by Kafka), dropped "
                        "(oldest, when the spool was full).")
                  .Register(registry)),
      depth_(prometheus::BuildGauge()
                 .Name("kafka_sentinel_events_spool_depth")
                 .Help("Health events in the spool, not yet acknowledged by Kafka.")
                 .Register(registry)
                 .Add({})),
      bytes_(prometheus::BuildGauge()
                 .Name("kafka_sentinel_events_spool_bytes")
                 .Help("Bytes of the health events in the spool, not yet acknowledged by Kafka.")
                 .Register(registry)
                 .Add({})),
      latency_(prometheus::BuildHistogram()
                   .Name("kafka_sentinel_events_delivery_latency_seconds")
                   .Help("From the detection of a transition to Kafka's acknowledgement of its "
                         "event (includes time spent in the spool while Kafka was unreachable).")
                   .Register(registry)
                   .Add({}, prometheus::Histogram::BucketBoundaries{
                                0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900,
                                3600, 21600, 86400})),
      errors_(prometheus::BuildCounter()
                  .Name("kafka_sentinel_events_delivery_errors_total")
                  .Help("Delivery rounds to Kafka that failed (the events stay in the spool "
                        "and are retried).")
                  .Register(registry)
                  .Add({})),
      discarded_(prometheus::BuildCounter()
                     .Name("kafka_sentinel_events_spool_discarded_bytes_total")
                     .Help("Damaged bytes cut out of the spool at startup (a truncated or "
                           "corrupt spool file); the intact events are kept.")
                     .Register(registry)
                     .Add({})) {}

void EventMetrics::count(std::string_view type, std::string_view state, std::string_view result) {
  events_.Add({{"type", short_type(type)}, {"state", std::string(state)}, {"result", std::string(result)}})
      .Increment();
}

void EventMetrics::spool_size(std::size_t depth, std::int64_t bytes) {
  depth_.Set(static_cast<double>(depth));
  bytes_.Set(static_cast<double>(bytes));
}

void EventMetrics::delivered_after(double seconds) { latency_.Observe(seconds < 0 ? 0 : seconds); }

void EventMetrics::delivery_error() { errors_.Increment(); }

void EventMetrics::discarded_bytes(std::uint64_t bytes) {
  discarded_.Increment(static_cast<double>(bytes));
}

std::string short_type(std::string_view type) {
  if (type.starts_with(kEventTypePrefix)) type.remove_prefix(kEventTypePrefix.size());
  return std::string(type);
}

}  // namespace ks::events

#include "agent/client_broker_metrics.hpp"

namespace ks {
namespace {

prometheus::Family<prometheus::Counter>& counter(prometheus::Registry& registry,
                                                 const std::string& name,
                                                 const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(registry);
}

prometheus::Family<prometheus::Gauge>& gauge(prometheus::Registry& registry,
                                             const std::string& name, const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(registry);
}

void increment(prometheus::Family<prometheus::Counter>& family, const prometheus::Labels& labels,
               std::uint64_t before, std::uint64_t now) {
  auto& c = family.Add(labels);  // present from the first statistics, also at 0
  if (now > before) c.Increment(static_cast<double>(now - before));
}

}  // namespace

ClientBrokerMetrics::ClientBrokerMetrics(prometheus::Registry& registry)
    : rtt_(gauge(registry, "kafka_sentinel_client_broker_rtt_seconds",
                 "Round trip of the client's requests to the broker over the last statistics "
                 "interval with requests: quantile avg (mean) or 0.99.")),
      throttle_(gauge(registry, "kafka_sentinel_client_broker_throttle_seconds",
                      "Time the broker throttled the client over the last statistics interval "
                      "with responses: quantile avg (mean) or 0.99.")),
      timeouts_(counter(registry, "kafka_sentinel_client_broker_request_timeouts_total",
                        "Requests of the client to the broker that timed out.")),
      tx_errors_(counter(registry, "kafka_sentinel_client_broker_transmit_errors_total",
                         "Errors sending the client's requests to the broker.")),
      rx_errors_(counter(registry, "kafka_sentinel_client_broker_receive_errors_total",
                         "Errors receiving the broker's responses to the client.")),
      connects_(counter(registry, "kafka_sentinel_client_broker_connects_total",
                        "Connection attempts of the client to the broker.")),
      disconnects_(counter(registry, "kafka_sentinel_client_broker_disconnects_total",
                           "Connections of the client to the broker that were lost or closed.")),
      malformed_(counter(registry, "kafka_sentinel_client_statistics_malformed_total",
                         "librdkafka statistics documents that could not be read (logged).")
                     .Add({})) {}

void ClientBrokerMetrics::refresh(const kafka::StatisticsAccumulator& source) {
  for (const kafka::ClientBrokerView& view : source.views()) {
    set_latencies(view);
    add_totals(view);
  }
  const std::uint64_t malformed = source.malformed();
  if (malformed > malformed_seen_) {
    malformed_.Increment(static_cast<double>(malformed - malformed_seen_));
    malformed_seen_ = malformed;
  }
}

void ClientBrokerMetrics::set_latencies(const kafka::ClientBrokerView& view) {
  // The label is "stat", not "quantile": these are gauges, and `promtool check metrics`
  // rejects a quantile label outside a summary (and "avg" is no quantile).
  const auto set = [&](prometheus::Family<prometheus::Gauge>& family, const char* stat,
                       const std::optional<double>& value) {
    if (!value) return;
    family.Add({{"client", view.client}, {"broker_id", view.broker}, {"stat", stat}})
        .Set(*value);
  };
  set(rtt_, "avg", view.rtt_avg);
  set(rtt_, "p99", view.rtt_p99);
  set(throttle_, "avg", view.throttle_avg);
  set(throttle_, "p99", view.throttle_p99);
}

void ClientBrokerMetrics::add_totals(const kafka::ClientBrokerView& view) {
  const prometheus::Labels labels{{"client", view.client}, {"broker_id", view.broker}};
  kafka::BrokerTotals& seen = seen_[{view.client, view.broker}];
  const kafka::BrokerTotals& now = view.totals;
  increment(timeouts_, labels, seen.request_timeouts, now.request_timeouts);
  increment(tx_errors_, labels, seen.transmit_errors, now.transmit_errors);
  increment(rx_errors_, labels, seen.receive_errors, now.receive_errors);
  increment(connects_, labels, seen.connects, now.connects);
  increment(disconnects_, labels, seen.disconnects, now.disconnects);
  seen = now;
}

}  // namespace ks

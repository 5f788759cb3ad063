#include "exporters/prometheus/probe_metrics.hpp"

#include <fmt/format.h>

#include <string>
#include <vector>

namespace ks::prom {
namespace {

// The labels of one sample: the node's, then the sample's own.
class Labels {
 public:
  explicit Labels(std::span<const Label> node) : labels_(node.begin(), node.end()) {}
  Labels& add(std::string_view name, std::string_view value) {
    labels_.push_back({name, value});
    return *this;
  }
  std::span<const Label> span() const { return labels_; }

 private:
  std::vector<Label> labels_;
};

using Counter = std::uint64_t ProbePartitionStats::*;

struct CounterFamily {
  const char* name;
  const char* help;
  Counter field;
};

constexpr CounterFamily kCounters[] = {
    {"kafka_sentinel_probe_messages_sent_total", "Probe messages sent to the partition while the broker led it.", &ProbePartitionStats::sent},
    {"kafka_sentinel_probe_messages_acked_total", "Probe messages acknowledged by the broker (probe.acks).", &ProbePartitionStats::acked},
    {"kafka_sentinel_probe_messages_received_total", "Probe messages consumed back within probe.timeout.", &ProbePartitionStats::received},
    {"kafka_sentinel_probe_messages_lost_total", "Probe messages not consumed back within probe.timeout.", &ProbePartitionStats::lost},
    {"kafka_sentinel_probe_messages_duplicated_total", "Probe messages consumed back more than once.", &ProbePartitionStats::duplicated},
    {"kafka_sentinel_probe_messages_out_of_order_total", "Probe messages consumed after a later message of the same partition.", &ProbePartitionStats::out_of_order},
};

void histogram(ExpositionWriter& out, Labels labels, const LatencyHistogram& h) {
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < LatencyHistogram::kBounds.size(); ++i) {
    cumulative += h.buckets[i];
    const std::string le = fmt::format("{}", LatencyHistogram::kBounds[i]);
    Labels with_le = labels;
    out.sample(with_le.add("le", le).span(), static_cast<double>(cumulative), "_bucket");
  }
  Labels inf = labels;
  out.sample(inf.add("le", "+Inf").span(), static_cast<double>(h.count), "_bucket");
  out.sample(labels.span(), h.sum, "_sum");
  out.sample(labels.span(), static_cast<double>(h.count), "_count");
}

void render_partitions(const ProbeSnapshot& s, ExpositionWriter& out, std::span<const Label> node) {
  using Histogram = LatencyHistogram ProbePartitionStats::*;
  const std::pair<const char*, Histogram> histograms[] = {
      {"kafka_sentinel_probe_produce_latency_seconds", &ProbePartitionStats::produce},
      {"kafka_sentinel_probe_end_to_end_latency_seconds", &ProbePartitionStats::end_to_end},
      {"kafka_sentinel_probe_commit_latency_seconds", &ProbePartitionStats::commit}};
  const char* help[] = {"Probe messages from send to acknowledgement.",
                        "Probe messages from send to consumed back.",
                        "Probe consumer offset commits from sent to answered."};
  for (std::size_t k = 0; k < 3; ++k) {
    out.family(histograms[k].first, help[k], MetricType::histogram);
    for (const ProbePartitionStats& p : s.partitions) {
      const std::string partition = std::to_string(p.partition), broker = std::to_string(p.broker);
      histogram(out, Labels(node).add("partition", partition).add("broker", broker), p.*histograms[k].second);
    }
  }
  for (const CounterFamily& c : kCounters) {
    out.family(c.name, c.help, MetricType::counter);
    for (const ProbePartitionStats& p : s.partitions) {
      const std::string partition = std::to_string(p.partition), broker = std::to_string(p.broker);
      out.sample(Labels(node).add("partition", partition).add("broker", broker).span(),
                 static_cast<double>(p.*c.field));
    }
  }
}

void render_errors(const ProbeSnapshot& s, ExpositionWriter& out, std::span<const Label> node) {
  using Errors = std::map<std::string, std::uint64_t> ProbePartitionStats::*;
  const std::pair<const char*, Errors> families[] = {
      {"kafka_sentinel_probe_produce_errors_total", &ProbePartitionStats::produce_errors},
      {"kafka_sentinel_probe_fetch_errors_total", &ProbePartitionStats::fetch_errors}};
  for (const auto& [name, field] : families) {
    out.family(name, "Probe produce or fetch errors, by librdkafka's error name.", MetricType::counter);
    for (const ProbePartitionStats& p : s.partitions) {
      const std::string partition = std::to_string(p.partition), broker = std::to_string(p.broker);
      for (const auto& [error, count] : p.*field) {
        out.sample(Labels(node).add("partition", partition).add("broker", broker).add("error", error).span(),
                   static_cast<double>(count));
      }
    }
  }
}

void render_brokers(const ProbeSnapshot& s, ExpositionWriter& out, std::span<const Label> node) {
  const auto gauge = [&](const char* name, const char* help, auto value_of) {
    out.family(name, help, MetricType::gauge);
    for (const ProbeBrokerHealth& b : s.brokers) {
      const std::string broker = std::to_string(b.broker);
      if (const std::optional<double> v = value_of(b)) out.sample(Labels(node).add("broker", broker).span(), *v);
    }
  };
  using Value = std::optional<double>;
  gauge("kafka_sentinel_probe_broker_partitions", "Probe partitions the broker leads that this agent probes.",
        [](const ProbeBrokerHealth& b) -> Value { return b.partitions; });
  gauge("kafka_sentinel_probe_broker_covered", "1 when a probed partition is led by the broker.",
        [](const ProbeBrokerHealth& b) -> Value { return b.partitions > 0 ? 1 : 0; });
  gauge("kafka_sentinel_probe_broker_failing", "1 when the broker's probe failed in the last interval (uncovered, lost or refused messages).",
        [](const ProbeBrokerHealth& b) -> Value { return b.failing ? 1 : 0; });
  gauge("kafka_sentinel_probe_broker_end_to_end_p99_seconds", "p99 of the broker's recent end-to-end latencies (probe.slow_window messages).",
        [](const ProbeBrokerHealth& b) -> Value { return b.end_to_end_p99; });
}

}  // namespace

void render_probe(const ProbeSnapshot& s, ExpositionWriter& out, std::span<const Label> node) {
  render_partitions(s, out, node);
  render_errors(s, out, node);
  render_brokers(s, out, node);
  out.family("kafka_sentinel_probe_adopted_broker",
             "1 per broker this agent probes as the fleet's leader because no sidecar claims it.",
             MetricType::gauge);
  for (const std::int32_t b : s.adopted) out.sample(Labels(node).add("broker", std::to_string(b)).span(), 1);
  out.family("kafka_sentinel_probe_topic_partitions", "Partitions of the probe topic (0: not found).",
             MetricType::gauge);
  out.sample(Labels(node).add("topic", s.topic).span(), s.topic_partitions);
  out.family("kafka_sentinel_probe_sent_bytes_total", "Bytes of probe messages produced (keys and values).",
             MetricType::counter);
  out.sample(Labels(node).span(), static_cast<double>(s.bytes_sent));
}

}  // namespace ks::prom

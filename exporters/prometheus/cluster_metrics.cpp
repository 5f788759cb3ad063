#include "exporters/prometheus/cluster_metrics.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ks::prom {
namespace {

// A partition number as label text, without allocating per sample.
struct NumberText {
  std::array<char, 12> chars{};
  std::uint8_t length = 0;
  std::string_view view() const { return {chars.data(), length}; }
};

NumberText number_text(std::int64_t n) {
  NumberText t;
  const auto result = std::to_chars(t.chars.data(), t.chars.data() + t.chars.size(), n);
  t.length = static_cast<std::uint8_t>(result.ptr - t.chars.data());
  return t;
}

// Partition label texts of every topic, and the order in which the writer sorts them
// ("0" < "1" < "10" < "2": by text). Written in that order, the writer need not sort.
struct PartitionLabels {
  std::vector<std::vector<NumberText>> text;       // per topic, per partition index
  std::vector<std::vector<std::uint32_t>> order;   // per topic: partition indexes in text order

  explicit PartitionLabels(const std::vector<TopicState>& topics) {
    text.resize(topics.size());
    order.resize(topics.size());
    for (std::size_t t = 0; t < topics.size(); ++t) {
      const auto& partitions = topics[t].partitions;
      auto& texts = text[t];
      texts.reserve(partitions.size());
      for (const PartitionState& p : partitions) texts.push_back(number_text(p.id));
      auto& o = order[t];
      o.resize(partitions.size());
      for (std::uint32_t i = 0; i < o.size(); ++i) o[i] = i;
      std::sort(o.begin(), o.end(), [&texts](std::uint32_t a, std::uint32_t b) {
        return texts[a].view() < texts[b].view();
      });
    }
  }
};

// One {topic,partition} family: `value` returns nullopt to leave a partition out.
template <class Value>
void partition_family(ExpositionWriter& out, const ClusterSnapshot& s, const PartitionLabels& labels,
                      std::string_view name, std::string_view help, Value value) {
  out.family(name, help, MetricType::gauge);
  for (std::size_t t = 0; t < s.topics.size(); ++t) {
    const TopicState& topic = s.topics[t];
    for (const std::uint32_t i : labels.order[t]) {
      const std::optional<double> v = value(topic, topic.partitions[i]);
      if (!v) continue;
      out.sample({{"topic", topic.name}, {"partition", labels.text[t][i].view()}}, *v);
    }
  }
}

void render_brokers(const ClusterSnapshot& s, ExpositionWriter& out) {
  out.family("kafka_brokers", "Number of Brokers in the Kafka Cluster.", MetricType::gauge);
  out.sample({}, static_cast<double>(s.live_brokers()));
  if (s.expected_brokers > 0) {
    out.family("kafka_brokers_expected",
               "Number of brokers the cluster should have (collectors.brokers.expected_brokers).",
               MetricType::gauge);
    out.sample({}, s.expected_brokers);
  }

  std::vector<NumberText> ids;
  std::vector<std::string> addresses;
  ids.reserve(s.brokers.size());
  addresses.reserve(s.brokers.size());
  for (const BrokerState& b : s.brokers) {
    ids.push_back(number_text(b.id));
    addresses.push_back(b.address());
  }
  out.family("kafka_broker_info", "Information about the Kafka Broker.", MetricType::gauge);
  for (std::size_t i = 0; i < s.brokers.size(); ++i) {
    if (!s.brokers[i].in_metadata) continue;
    out.sample({{"id", ids[i].view()}, {"address", addresses[i]}}, 1);
  }
  out.family("kafka_broker_up",
             "1 if the broker is in the cluster metadata and answering; 0 if it stopped "
             "answering, left the metadata (listed for broker_down_retention) or the cluster "
             "is unreachable.",
             MetricType::gauge);
  for (std::size_t i = 0; i < s.brokers.size(); ++i) {
    out.sample({{"id", ids[i].view()}, {"address", addresses[i]}}, s.brokers[i].up ? 1 : 0);
  }
  out.family("kafka_sentinel_broker_offset_request_failures_total",
             "ListOffsets calls (one per broker and kind: oldest, current) to this broker that "
             "failed or timed out.",
             MetricType::counter);
  for (std::size_t i = 0; i < s.brokers.size(); ++i) {
    out.sample({{"id", ids[i].view()}}, static_cast<double>(s.brokers[i].offset_request_failures));
  }
  if (!s.up) return;
  out.family("kafka_broker_partitions",
             "Partition replicas the broker hosts (over the monitored topics).", MetricType::gauge);
  for (std::size_t i = 0; i < s.brokers.size(); ++i) {
    out.sample({{"id", ids[i].view()}}, s.brokers[i].partitions);
  }
  out.family("kafka_broker_leader_partitions",
             "Partitions the broker leads (over the monitored topics).", MetricType::gauge);
  for (std::size_t i = 0; i < s.brokers.size(); ++i) {
    out.sample({{"id", ids[i].view()}}, s.brokers[i].leader_partitions);
  }
}

void render_cluster_level(const ClusterSnapshot& s, ExpositionWriter& out) {
  out.family("kafka_up", "1 if the agent can talk to the Kafka cluster now (metadata request succeeded).",
             MetricType::gauge);
  out.sample({}, s.up ? 1 : 0);
  out.family("kafka_sentinel_kafka_client_errors_total",
             "Errors reported by the Kafka client the broker collector shares with the groups "
             "collector (connection failures, all brokers down, ...).",
             MetricType::counter);
  out.sample({}, static_cast<double>(s.client_errors));
  if (!s.up) return;
  if (!s.cluster_id.empty()) {
    out.family("kafka_cluster_info", "Information about the Kafka cluster.", MetricType::gauge);
    out.sample({{"cluster_id", s.cluster_id}}, 1);
  }
  if (s.controller_id != kNoBroker) {
    out.family("kafka_cluster_controller_id",
               "Controller id from the metadata. On KRaft clusters Kafka answers with a random "
               "alive broker by design: it changes between calls; never alert on its changes.",
               MetricType::gauge);
    out.sample({}, s.controller_id);
  }
  out.family("kafka_cluster_offline_partitions",
             "Partitions without a leader (over the monitored topics).", MetricType::gauge);
  out.sample({}, static_cast<double>(s.offline_partitions));
  out.family("kafka_cluster_under_replicated_partitions",
             "Partitions whose ISR is smaller than their replica set (over the monitored topics).",
             MetricType::gauge);
  out.sample({}, static_cast<double>(s.under_replicated_partitions));
  out.family("kafka_cluster_under_min_isr_partitions",
             "Partitions offline or with fewer in-sync replicas than min.insync.replicas (over the "
             "monitored topics).",
             MetricType::gauge);
  out.sample({}, static_cast<double>(s.under_min_isr_partitions));
}

void render_topics(const ClusterSnapshot& s, ExpositionWriter& out) {
  out.family("kafka_topic_partitions", "Number of partitions for this Topic", MetricType::gauge);
  for (const TopicState& t : s.topics) {
    out.sample({{"topic", t.name}}, static_cast<double>(t.partitions.size()));
  }
  out.family("kafka_topic_messages_in_per_second",
             "Messages appended to the topic per second, from the increase of its partitions' "
             "current offsets between the last two collection cycles.",
             MetricType::gauge);
  for (const TopicState& t : s.topics) {
    if (t.messages_in_per_second) out.sample({{"topic", t.name}}, *t.messages_in_per_second);
  }
  out.family("kafka_topic_min_insync_replicas",
             "The topic's min.insync.replicas (from DescribeConfigs, refreshed every "
             "topic_config_refresh).",
             MetricType::gauge);
  for (const TopicState& t : s.topics) {
    if (t.min_insync_replicas) out.sample({{"topic", t.name}}, *t.min_insync_replicas);
  }
}

void render_partitions(const ClusterSnapshot& s, ExpositionWriter& out) {
  const PartitionLabels labels(s.topics);
  using P = const PartitionState&;
  using T = const TopicState&;
  using R = std::optional<double>;
  partition_family(out, s, labels, "kafka_topic_partition_current_offset",
                   "Current Offset of a Broker at Topic/Partition", [](T, P p) -> R {
                     if (!p.has_watermarks()) return std::nullopt;
                     return static_cast<double>(p.high_watermark);
                   });
  partition_family(out, s, labels, "kafka_topic_partition_oldest_offset",
                   "Oldest Offset of a Broker at Topic/Partition", [](T, P p) -> R {
                     if (!p.has_watermarks()) return std::nullopt;
                     return static_cast<double>(p.low_watermark);
                   });
  partition_family(out, s, labels, "kafka_topic_partition_leader",
                   "Leader Broker ID of this Topic/Partition (-1: no leader)",
                   [](T, P p) -> R { return p.leader; });
  partition_family(out, s, labels, "kafka_topic_partition_replicas",
                   "Number of Replicas for this Topic/Partition",
                   [](T, P p) -> R { return p.replica_count; });
  partition_family(out, s, labels, "kafka_topic_partition_in_sync_replica",
                   "Number of In-Sync Replicas for this Topic/Partition",
                   [](T, P p) -> R { return p.isr_count; });
  partition_family(out, s, labels, "kafka_topic_partition_leader_is_preferred",
                   "1 if Topic/Partition is using the Preferred Broker",
                   [](T, P p) -> R { return p.leader_is_preferred ? 1 : 0; });
  partition_family(out, s, labels, "kafka_topic_partition_under_replicated_partition",
                   "1 if Topic/Partition is under Replicated",
                   [](T, P p) -> R { return p.under_replicated ? 1 : 0; });
  partition_family(out, s, labels, "kafka_topic_partition_offline",
                   "1 if Topic/Partition has no leader", [](T, P p) -> R { return p.offline ? 1 : 0; });
  partition_family(out, s, labels, "kafka_topic_partition_under_min_isr",
                   "1 if Topic/Partition is offline or has fewer in-sync replicas than "
                   "min.insync.replicas",
                   [](T, P p) -> R { return p.under_min_isr ? 1 : 0; });
}

}  // namespace

void render_cluster(const ClusterSnapshot& snapshot, ExpositionWriter& out) {
  render_cluster_level(snapshot, out);
  render_brokers(snapshot, out);
  if (!snapshot.up) return;  // no topic or partition series while the cluster is unreachable
  render_topics(snapshot, out);
  render_partitions(snapshot, out);
}

}  // namespace ks::prom

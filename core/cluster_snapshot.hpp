// What the broker-metadata collector saw in one cycle: the cluster, its brokers, and every
// monitored topic's partitions with their health and watermarks. Immutable once published.
//
// Sized for 100k partitions: partitions are plain structs in one vector per topic, and the
// replica/ISR ids of a topic share one pool instead of two vectors per partition.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ks {

// Offsets are never negative in Kafka: -1 marks "not known this cycle".
inline constexpr std::int64_t kNoOffset = -1;
inline constexpr std::int32_t kNoBroker = -1;

struct BrokerState {
  std::int32_t id = kNoBroker;
  std::string host;
  int port = 0;
  std::string rack;  // "" when unknown
  // In the metadata of this cycle. A broker seen before and absent now stays listed (with
  // up false) for broker_down_retention.
  bool in_metadata = false;
  // In the metadata and answering: false when absent from metadata, when the cluster is
  // unreachable, or when its offset requests failed with a timeout or transport error.
  bool up = false;
  std::chrono::system_clock::time_point last_seen;  // last cycle it was in the metadata
  // Over the monitored topics: partition replicas it hosts, partitions it leads.
  std::uint32_t partitions = 0;
  std::uint32_t leader_partitions = 0;
  // Cumulative count of its ListOffsets calls that failed (timeouts, transport errors...).
  std::uint64_t offset_request_failures = 0;

  std::string address() const { return host + ":" + std::to_string(port); }
};

struct PartitionState {
  std::int32_t id = 0;
  std::int32_t leader = kNoBroker;  // kNoBroker: offline
  // Replica ids are TopicState::replica_ids[replicas_begin, +replica_count), followed by
  // the ISR ids (isr_count of them).
  std::uint32_t replicas_begin = 0;
  std::uint16_t replica_count = 0;
  std::uint16_t isr_count = 0;
  std::int64_t high_watermark = kNoOffset;  // kafka_exporter's "current offset"
  std::int64_t low_watermark = kNoOffset;   // kafka_exporter's "oldest offset"
  std::int16_t error = 0;                   // metadata error of the partition (Kafka code)
  bool offline = false;                     // no leader
  bool under_replicated = false;            // ISR smaller than the replica set
  bool under_min_isr = false;               // offline, or ISR below min.insync.replicas
  bool leader_is_preferred = false;         // leader is the first replica

  bool has_watermarks() const { return high_watermark != kNoOffset; }
};

struct TopicState {
  std::string name;
  std::vector<PartitionState> partitions;  // sorted by partition id
  std::vector<std::int32_t> replica_ids;   // pool: see PartitionState
  std::optional<int> min_insync_replicas;  // from DescribeConfigs; absent until known
  // From successive high watermarks; absent on the first cycle, when a watermark of the
  // topic is missing in either cycle, or when any of them went backwards.
  std::optional<double> messages_in_per_second;
  std::int16_t error = 0;  // metadata error of the topic (Kafka code)

  std::span<const std::int32_t> replicas(const PartitionState& p) const {
    return {replica_ids.data() + p.replicas_begin, p.replica_count};
  }
  std::span<const std::int32_t> isr(const PartitionState& p) const {
    return {replica_ids.data() + p.replicas_begin + p.replica_count, p.isr_count};
  }
};

struct ClusterSnapshot {
  std::chrono::system_clock::time_point taken_at;
  // The metadata request of this cycle succeeded. When false, only the brokers (all with
  // up false) and the error counters are meaningful: topics are empty, so no offset is
  // presented as live while the cluster cannot be reached.
  bool up = false;
  std::string error;  // why not up
  std::string cluster_id;
  // On KRaft clusters, a random alive broker (by design of Kafka): changes between calls.
  std::int32_t controller_id = kNoBroker;
  int expected_brokers = 0;  // from config; 0 = not configured
  std::vector<BrokerState> brokers;  // sorted by id
  std::vector<TopicState> topics;    // monitored topics, sorted by name

  // Over the monitored topics.
  std::uint64_t partition_count = 0;
  std::uint64_t offline_partitions = 0;
  std::uint64_t under_replicated_partitions = 0;
  std::uint64_t under_min_isr_partitions = 0;

  // Cumulative: errors reported by librdkafka's error callback, and offset requests
  // (one per broker and kind) that failed.
  std::uint64_t client_errors = 0;
  std::uint64_t offset_request_failures = 0;

  // Brokers in the metadata now (kafka_brokers).
  std::size_t live_brokers() const {
    std::size_t n = 0;
    for (const BrokerState& b : brokers) n += b.in_metadata ? 1 : 0;
    return n;
  }
  const BrokerState* broker(std::int32_t id) const {
    for (const BrokerState& b : brokers) {
      if (b.id == id) return &b;
    }
    return nullptr;
  }
  const TopicState* topic(std::string_view name) const {
    for (const TopicState& t : topics) {
      if (t.name == name) return &t;
    }
    return nullptr;
  }
};

}  // namespace ks

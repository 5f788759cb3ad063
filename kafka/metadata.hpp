// Cluster metadata as plain structs (brokers, topics, partitions with leader, replicas and
// ISR), copied out of librdkafka's answer inside the Kafka layer, and the waits that come
// with it. Every wait here ends within kBrokerWaitSlice of a stop request.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "kafka/client.hpp"
#include "kafka/errors.hpp"

namespace ks::kafka {

struct BrokerMetadata {
  std::int32_t id = -1;
  std::string host;
  int port = 0;
};

struct PartitionMetadata {
  std::int32_t id = -1;
  std::int32_t leader = -1;  // -1: no leader (offline)
  std::vector<std::int32_t> replicas;
  std::vector<std::int32_t> isrs;
  ErrorCode error = ErrorCode::no_error;
};

struct TopicMetadata {
  std::string name;
  ErrorCode error = ErrorCode::no_error;
  std::vector<PartitionMetadata> partitions;  // in the broker's order
};

struct ClusterMetadata {
  std::string cluster_id;  // "" when the broker is too old to send one
  // -1 when unknown. On KRaft clusters a random alive broker, by design: never alert on it.
  std::int32_t controller_id = -1;
  std::vector<BrokerMetadata> brokers;
  std::vector<TopicMetadata> topics;
};

// How long one uninterruptible wait for a broker lasts at most: a stop request is noticed
// within this.
inline constexpr std::chrono::milliseconds kBrokerWaitSlice{250};

// Metadata of the whole cluster (all topics). KafkaError after at most `timeout`.
// While no broker has ever answered (Kafka not reached yet: librdkafka would wait out the
// whole timeout), the wait runs in kBrokerWaitSlice slices and throws StopRequested soon
// after `stop` is requested. A request sent to a broker that answers is awaited (librdkafka
// 2.0.2 cannot cancel it, and one cut short drops the connection): stop or not.
ClusterMetadata fetch_metadata(const Client& client, std::chrono::milliseconds timeout,
                               std::stop_token stop);
// The same for the one topic `topic` (an entry with an error when it does not exist).
ClusterMetadata fetch_topic_metadata(const Client& client, const std::string& topic,
                                     std::chrono::milliseconds timeout, std::stop_token stop);

// The cluster id from the handle's metadata, waited for in kBrokerWaitSlice slices until
// `deadline` or a stop request. Nothing is sent: librdkafka asks a broker for metadata by
// itself as soon as one connects, and the id then stays cached. nullopt when not known in
// time or stopped; "" when the metadata came from a broker too old to send one.
std::optional<std::string> wait_for_cluster_id(const Client& client,
                                               std::chrono::steady_clock::time_point deadline,
                                               std::stop_token stop);

}  // namespace ks::kafka

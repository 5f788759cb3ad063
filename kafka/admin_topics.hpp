// Topic creation in batches, for benchmarks and test setups that need many topics at once.
// (The agent's own topics, e.g. the events topic, go through kafka/create_topic.hpp; the two
// may become one.)
#pragma once

#include <chrono>
#include <span>
#include <string>
#include <vector>

#include "kafka/client.hpp"

namespace ks::kafka {

struct TopicsCreated {
  int created = 0;
  int existed = 0;  // TOPIC_ALREADY_EXISTS: kept as they are
  struct Failure {
    std::string topic;
    std::string error;
  };
  std::vector<Failure> failures;  // any other per-topic error
};

// Creates `names`, `partitions` partitions and `replication_factor` replicas each, in
// CreateTopics requests of `per_request` topics, one after the other, each awaited up to
// `timeout`. Throws KafkaError when a request fails or is not answered in time.
TopicsCreated create_topics_batch(const Client& client, std::span<const std::string> names,
                                  int partitions, int replication_factor,
                                  std::chrono::milliseconds timeout = std::chrono::minutes(2),
                                  std::size_t per_request = 100);

}  // namespace ks::kafka

// The KafkaConfig of a unit test that talks to librdkafka's mock cluster: its bootstrap
// servers, a short request timeout, librdkafka's own logging off.
#pragma once

#include <chrono>

#include "core/config.hpp"
#include "kafka/mock_cluster.hpp"

namespace ks::test {

inline KafkaConfig mock_kafka_config(const kafka::MockCluster& cluster) {
  KafkaConfig kafka;
  kafka.bootstrap_servers = cluster.bootstrap_servers();
  kafka.request_timeout = std::chrono::seconds(5);
  kafka.properties.emplace("log_level", "0");
  return kafka;
}

}  // namespace ks::test

// kafka.properties pass through to librdkafka; librdkafka itself is the judge of which
// names and values are valid, so a typo stops startup instead of failing at first connect.
#pragma once

#include <string>
#include <vector>

#include "core/config.hpp"

namespace ks::config {

struct PropertyProblem {
  std::string key_path;  // "kafka.properties.security.protocol", "kafka.client_id"
  std::string message;
};

// Sets kafka.client_id and every kafka.properties entry on a scratch client configuration
// (kafka::PropertyCheck).
// Properties the agent sets itself from other keys (bootstrap.servers, client.id) are
// problems pointing to those keys.
std::vector<PropertyProblem> check_kafka_properties(const KafkaConfig& kafka);

}  // namespace ks::config

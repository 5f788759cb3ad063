// Topics as the cluster's metadata shows them: partitions and their leaders, or the
// topic's own error (UNKNOWN_TOPIC_OR_PART: it does not exist). Nothing is created by
// asking (clients made by the layer's users set allow.auto.create.topics=false).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "kafka/errors.hpp"

namespace ks::kafka {

class Client;

struct TopicInfo {
  struct Partition {
    std::int32_t id = 0;
    std::int32_t leader = -1;  // -1: none
  };
  std::string name;
  ErrorCode error = ErrorCode::no_error;  // the topic's own, e.g. unknown_topic_or_part
  std::vector<Partition> partitions;

  bool usable() const { return !failed(error) && !partitions.empty(); }
  bool missing() const {
    return error == ErrorCode::unknown_topic_or_part || error == ErrorCode::local_unknown_topic;
  }
};

// One topic. Throws KafkaError (kafka/client.hpp) when no metadata came within `timeout`.
TopicInfo lookup_topic(const Client& client, const std::string& topic,
                       std::chrono::milliseconds timeout);

// Every topic of the cluster; throws KafkaError as lookup_topic.
std::vector<TopicInfo> lookup_all_topics(const Client& client, std::chrono::milliseconds timeout);

}  // namespace ks::kafka

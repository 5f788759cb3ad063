// CreateTopics, the one implementation (the events topic, the fleet's coordination topic,
// the load generator's topics). A topic that already exists is a success.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "kafka/errors.hpp"

namespace ks::kafka {

class Client;

struct NewTopic {
  std::string name;
  int partitions = -1;          // -1: the brokers' num.partitions
  int replication_factor = -1;  // -1: the brokers' default.replication.factor
  std::map<std::string, std::string> configs;
};

// Explicit replicas of each partition (the first one its preferred leader): `partitions` is
// then its size and the replication factor is ignored (the end-to-end probe's topic: a
// partition led by each broker).
using ReplicaAssignment = std::vector<std::vector<std::int32_t>>;

// A NewTopic librdkafka refuses before sending anything (e.g. partitions out of range):
// what() = "topic NAME: REASON", reason() = librdkafka's text alone.
class InvalidNewTopic : public std::invalid_argument {
 public:
  InvalidNewTopic(const std::string& what, std::string reason)
      : std::invalid_argument(what), reason_(std::move(reason)) {}
  const std::string& reason() const { return reason_; }

 private:
  std::string reason_;
};

struct CreateTopicsOptions {
  std::chrono::milliseconds request_timeout{std::chrono::seconds(10)};
  std::optional<std::chrono::milliseconds> operation_timeout;  // broker-side wait, if any
  // The answer is waited for until then, or until give_up() says so (checked every 200 ms).
  std::chrono::steady_clock::time_point deadline;
  std::function<bool()> give_up;
};

struct TopicCreation {
  std::string name;
  ErrorCode error = ErrorCode::no_error;  // topic_already_exists included
  std::string message;                    // the broker's text, when it failed
  bool answered = true;                   // false: no answer in time (error local_timed_out)
  bool created() const { return error == ErrorCode::no_error; }
  bool exists() const { return error == ErrorCode::topic_already_exists; }
  bool ok() const { return created() || exists(); }
};

struct CreateTopicsResult {
  bool answered = false;                  // false: no answer by the deadline (or given up)
  ErrorCode error = ErrorCode::no_error;  // of the request as a whole
  std::string message;
  std::vector<TopicCreation> topics;      // when answered without a request error
  bool ok() const { return answered && !failed(error); }
};

// Throws InvalidNewTopic; every other failure is in the result.
CreateTopicsResult create_topics(const Client& client, const std::vector<NewTopic>& topics,
                                 const CreateTopicsOptions& options);

// One topic: the request's failure (or no answer: local_timed_out) as the topic's. With
// `assignment` not empty, its partitions are placed so.
TopicCreation create_topic(const Client& client, const NewTopic& topic,
                           const CreateTopicsOptions& options,
                           const ReplicaAssignment& assignment = {});

}  // namespace ks::kafka

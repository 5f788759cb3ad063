// A Kafka producer made like every other client of the agent (kafka/client.hpp: defaults,
// kafka.properties, bootstrap servers), its delivery reports turned into plain results.
// Reports are delivered by poll() and flush(), on the caller's thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/config.hpp"
#include "kafka/errors.hpp"
#include "kafka/library_logs.hpp"

namespace ks::kafka {

class Client;

// What Kafka has of a message whose delivery failed (librdkafka's message status).
enum class Persistence { not_persisted, possibly_persisted, persisted };

struct Delivery {
  std::uint64_t tag = 0;  // the caller's, from produce()
  ErrorCode error = ErrorCode::no_error;
  Persistence persistence = Persistence::not_persisted;
  std::string_view topic;  // valid during the report only
  std::string_view key;
  std::int32_t partition = -1;
  std::int64_t offset = -1;

  bool delivered() const { return !failed(error); }
  bool fatal() const { return error == ErrorCode::local_fatal; }
  bool retriable() const { return kafka::retriable(error); }
};

struct ProducerSettings {
  std::string name = "producer";  // in log lines
  // The caller's needs (enable.idempotence, acks, linger.ms, message.timeout.ms, ...); they
  // win over kafka.properties. With kafka.statistics_interval on, librdkafka queues its
  // statistics for poll(): a producer's owner polls at least that often, also when idle.
  std::map<std::string, std::string> properties;
  LibraryLogs logs = LibraryLogs::agent;
  std::function<void(const Delivery&)> on_delivery;  // may be empty
};

struct OutgoingMessage {
  std::string_view topic;
  std::optional<std::string_view> key;  // nullopt: no key (a null key, not an empty one)
  std::string_view value;
  std::vector<std::pair<std::string_view, std::string_view>> headers;
  std::int32_t partition = -1;  // -1: the partitioner chooses
  bool null_value = false;  // a null value (a tombstone), not an empty one; `value` unused
};

class Producer {
 public:
  // Creates the client (no connection yet). Throws KafkaError naming a refused property.
  Producer(const KafkaConfig& kafka, ProducerSettings settings);
  ~Producer();
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  // Queues a copy of the message; `tag` comes back in its Delivery. local_queue_full when
  // the queue is full (poll, then try again); other errors are final for this message.
  ErrorCode produce(const OutgoingMessage& message, std::uint64_t tag = 0);
  // Serves delivery reports (and the client's callbacks) for up to `timeout`.
  void poll(std::chrono::milliseconds timeout);
  // Waits for every queued message's report; local_timed_out when some remain.
  ErrorCode flush(std::chrono::milliseconds timeout);
  // Fails every queued and in-flight message (their reports come with poll/flush).
  void purge();
  int queue_length() const;  // messages not yet reported
  // "NAME: reason" once the client hit a fatal error (it must then be replaced).
  std::optional<std::string> fatal_error() const;

  const Client& client() const;  // for metadata and admin requests on the same connection

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace ks::kafka

// One librdkafka client for the collectors whose requests are metadata, ListOffsets and admin
// calls: the brokers and groups collectors. Every librdkafka client runs a main thread and
// a thread per broker (bootstrap addresses included), each waking about once a second even
// when idle, and keeps its own connections; librdkafka has no setting to make them fewer.
// Two such collectors on one client halve that cost (docs/performance.md).
//
// Thread safety: librdkafka's calls on one handle are safe from any thread, and each of the
// Kafka layer's calls has its own reply queue, so the collectors, on their own threads, use
// the client at once. A user holds the client (a shared_ptr) for as long as it has calls in
// it: a client replaced here lives on until its last user lets go of it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/config.hpp"
#include "kafka/client.hpp"

namespace ks::kafka {

// The client `held`, or a client with no handle when there is none yet (what a collector's
// client() accessor answers before its first cycle made one).
const Client& client_or_none(const std::shared_ptr<const Client>& held);

class SharedClient {
 public:
  using Properties = std::map<std::string, std::string>;

  // `name` is the client's in logs and in the kafka_sentinel_client_broker_* metrics.
  SharedClient(KafkaConfig kafka, std::string name);

  // The client, made with `properties` (make_client's `extra`) when there is none or when
  // the current one was made with others (the groups collector's admin API needs a group.id,
  // kafka/client.hpp). Throws KafkaError.
  std::shared_ptr<const Client> get(const Properties& properties);
  // The current client, whatever it was made with, or one made with `properties`.
  std::shared_ptr<const Client> any(const Properties& properties);
  // `old` is handed out no more: the next get or any makes a new client. Calls abandoned in
  // it are failed, never sent, when its last user lets go of it (rd_kafka_destroy).
  void retire(const std::shared_ptr<const Client>& old);

  // Where librdkafka's failures of every client made here are noted.
  const std::shared_ptr<FailureNote>& failure_note() const { return failure_note_; }
  // Errors librdkafka's error callback reported, summed over every client made here (each
  // counts from 0): never goes backwards.
  std::uint64_t errors() const;
  const std::string& name() const { return name_; }

 private:
  std::shared_ptr<const Client> make_locked(const Properties& properties);

  const KafkaConfig kafka_;
  const std::string name_;
  const std::shared_ptr<FailureNote> failure_note_ = std::make_shared<FailureNote>();
  mutable std::mutex mutex_;  // guards what follows
  std::shared_ptr<const Client> current_;
  Properties properties_;  // current_'s
  std::uint64_t retired_errors_ = 0;  // of the clients replaced, when they were
};

}  // namespace ks::kafka

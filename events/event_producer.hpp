// Delivers the spool's health events to Kafka, oldest first, on its own thread.
//
// - Idempotent producer (enable.idempotence=true, acks=all), message key = the event's
//   subject, so the events of one entity land in one partition, in order. Any
//   kafka.properties entry (SASL, SSL, ...) applies here as to the collectors.
// - Messages never time out in librdkafka (message.timeout.ms=0): while Kafka is away a
//   delivery round simply waits, and the idempotent producer keeps its order and drops its
//   own retries' duplicates. A round ends only when every message of it is acknowledged
//   or failed; the next round starts after it, so the spool's order is Kafka's order.
// - An event is forgotten by the spool only after Kafka acknowledged it. An event sent but
//   not acknowledged when the agent stopped or crashed is "in doubt": before sending it
//   again the producer reads the topic back (from the time of its first attempt) and skips
//   it if it is there, so a crash does not duplicate it either.
// - The topic is created when missing (CreateTopics, with events.partitions,
//   events.replication_factor and events.topic_config); the producer itself never lets the
//   brokers auto-create it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/config.hpp"
#include "events/event_metrics.hpp"
#include "events/spool.hpp"

namespace ks::kafka {
class Producer;
struct Delivery;
}

namespace ks::events {

struct ProducerError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class EventProducer {
 public:
  // Creates the Kafka producer (no connection yet): throws ProducerError when a property is
  // refused.
  // `in_fleet`: the spool's events left by a previous run are first checked against the
  // topic, and those another agent has superseded meanwhile are dropped
  // (events/leftover_events.hpp).
  EventProducer(const KafkaConfig& kafka, const EventsConfig& events, Spool& spool,
                EventMetrics& metrics, bool in_fleet = false);
  ~EventProducer();
  EventProducer(const EventProducer&) = delete;
  EventProducer& operator=(const EventProducer&) = delete;

  void start();
  // New events are in the spool.
  void notify();
  // Asks the delivery thread to stop (returns at once); stop() also waits for it, which
  // takes at most about 3 s: messages in flight are purged (they stay in the spool, in
  // doubt, for the next start).
  void request_stop();
  void stop();

  std::uint64_t delivered() const { return delivered_.load(); }

 private:
  struct Round;  // the messages of one delivery round and their delivery reports
  void run(std::stop_token stop);
  bool ensure_topic(std::stop_token stop);
  bool create_topic(std::stop_token stop);
  void log_topic_there_now() const;
  bool resolve_doubts(const std::vector<SpoolRecord>& records, std::stop_token stop);
  std::optional<std::vector<std::uint64_t>> find_in_topic(
      const std::map<std::string, std::uint64_t>& doubt, std::int64_t since_ms,
      std::stop_token stop);
  void acknowledge_found(const std::vector<SpoolRecord>& records,
                         const std::vector<std::uint64_t>& found);
  bool drop_superseded_leftovers(std::stop_token stop);
  bool deliver_round(const std::vector<SpoolRecord>& records, std::stop_token stop);
  void send(const std::vector<SpoolRecord>& records, Round& round, std::stop_token stop);
  void await(Round& round, std::stop_token stop);
  bool settle(const std::vector<SpoolRecord>& records, const Round& round, std::stop_token stop);
  void acknowledge_delivered(const std::vector<SpoolRecord>& records,
                             const std::vector<std::uint64_t>& acked);
  void on_delivery(const kafka::Delivery& delivery);
  void recreate_handle();
  bool wait_or_stop(std::stop_token stop, std::chrono::milliseconds timeout);

  KafkaConfig kafka_;
  EventsConfig events_;
  Spool& spool_;
  EventMetrics& metrics_;
  std::unique_ptr<kafka::Producer> producer_;
  Round* round_ = nullptr;  // the round whose reports poll() delivers now
  std::uint64_t next_tag_ = 0;
  std::atomic<bool> topic_ready_{false};
  // A CreateTopics of this run failed (logged as an error): the topic found later is logged
  // too, or the log would end on that error (a create timed out here but done by the broker).
  bool create_failed_ = false;
  std::atomic<std::uint64_t> delivered_{0};
  // Sent and failed as "not persisted" by this process: safe to send again unchecked.
  std::set<std::uint64_t> not_persisted_;
  // Fleet only: the spool's records at start, not yet checked against the topic.
  std::set<std::uint64_t> leftovers_;
  std::mutex wake_mutex_;
  std::condition_variable_any wake_;
  bool pending_wake_ = false;
  std::jthread thread_;
};

}  // namespace ks::events

// Reads the health-events topic from its beginning with a plain consumer that assigns every
// partition itself (no group, no commits): the `kafka-sentinel events` command prints what
// it reads, and a fleet agent taking over a role rebuilds from it which conditions are
// firing (events/role_handoff.hpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/health_event.hpp"

namespace ks::kafka {
class TopicReader;
}

namespace ks::events {

class EventsTopicError : public std::runtime_error {
 public:
  enum class Kind { config, unreachable, no_topic, read };
  EventsTopicError(Kind kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

// One message of the topic: the event, if it parses as one.
struct TopicRecord {
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::string value;
  std::optional<HealthEvent> event;
};

class EventsTopicReader {
 public:
  // Looks the topic up and assigns all its partitions from the beginning. Throws
  // EventsTopicError (no_topic when it does not exist: no event was ever published).
  EventsTopicReader(const KafkaConfig& kafka, const std::string& topic,
                    const std::string& client_suffix);
  ~EventsTopicReader();
  EventsTopicReader(const EventsTopicReader&) = delete;
  EventsTopicReader& operator=(const EventsTopicReader&) = delete;

  // The next record, or nothing within `timeout`. A fetch error is returned in `error`
  // (and the poll goes on: librdkafka retries).
  std::optional<TopicRecord> poll(std::chrono::milliseconds timeout, std::string& error);
  // Every partition has been read to the end it had when it was reached.
  bool caught_up() const;

 private:
  std::unique_ptr<kafka::TopicReader> reader_;
};

// Reads the whole topic (until caught up, or throws EventsTopicError::read at `deadline`)
// and returns every event in it, in the topic's order within each partition.
std::vector<HealthEvent> read_all_events(const KafkaConfig& kafka, const std::string& topic,
                                         const std::string& client_suffix,
                                         std::chrono::steady_clock::time_point deadline);

}  // namespace ks::events

// Reads a topic with a plain consumer that assigns the partitions itself (no group joined,
// nothing committed): from the beginning, or from the first message at or after a time, to
// the end each partition had when it was reached; then, for a caller that keeps polling,
// whatever comes. Used to read the health-events topic back.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "core/config.hpp"
#include "kafka/errors.hpp"
#include "kafka/library_logs.hpp"

namespace ks::kafka {

class TopicReadError : public std::runtime_error {
 public:
  enum class Kind {
    config,       // a property refused, the client could not be made
    unreachable,  // no metadata from the cluster in time
    no_topic,     // the metadata names the topic with an error (code(): which)
    read,         // the partitions could not be looked up or assigned
  };
  TopicReadError(Kind kind, ErrorCode code, const std::string& what)
      : std::runtime_error(what), kind_(kind), code_(code) {}
  Kind kind() const { return kind_; }
  ErrorCode code() const { return code_; }

 private:
  Kind kind_;
  ErrorCode code_;
};

struct TopicRecord {
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::optional<std::string> key;  // nullopt: a null key
  std::string value;
  std::int64_t timestamp_ms = -1;  // -1: none
};

struct TopicReaderSettings {
  std::string topic;
  std::string name = "topic-reader";  // in log lines
  // The client's client.id and group.id: librdkafka needs a group to assign partitions,
  // which is never joined, so any name unique to this reader does.
  std::string client_id;
  std::string group_id;
  // nullopt: from the beginning; else from the first message at or after this time (Unix
  // ms); a partition with none is at its end at once.
  std::optional<std::int64_t> since_ms;
  std::map<std::string, std::string> properties;  // extra; they win
  LibraryLogs logs = LibraryLogs::silent;
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};  // metadata and offset lookups
};

class TopicReader {
 public:
  // Looks the topic up and assigns all its partitions. Throws TopicReadError.
  TopicReader(const KafkaConfig& kafka, TopicReaderSettings settings);
  ~TopicReader();
  TopicReader(const TopicReader&) = delete;
  TopicReader& operator=(const TopicReader&) = delete;

  // The next record, or nothing within `timeout`. A fetch error is returned in `error`
  // (and reading goes on: librdkafka retries).
  std::optional<TopicRecord> poll(std::chrono::milliseconds timeout, std::string& error);
  // Every partition has been read to the end it had when it was reached.
  bool caught_up() const;
  std::size_t partitions() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace ks::kafka

// Reads chosen partitions of one topic (made for `__consumer_offsets`) with a plain consumer
// that assigns them itself: it never joins a group and never commits, so it never shows up
// as a group. Each partition is read from its beginning; the set of partitions can change
// at run time (a fleet's shards: a partition added is read from its beginning, one removed
// is dropped, the others keep their position). Records come out as raw key bytes and a
// value that is absent for a tombstone (a null value), which is not an empty value.
//
// isolation.level=read_committed: records of aborted transactions (a transactional
// producer's offset commits, TxnOffsetCommit) are never returned, and the transaction
// markers (control batches) are skipped by librdkafka itself, so neither reaches a caller.
//
// Progress: per partition, the records read and the end offset it had when it was assigned
// (its last stable offset); `caught_up` once every partition has been read to that end.
//
// Two consumer handles (two sets of broker connections), because a broker answers one
// request of a connection at a time and holds a fetch that finds nothing new for
// fetch.wait.max.ms, and librdkafka keeps one fetch per broker in flight:
//  - the catch-up handle makes the reader's own requests (metadata, and the ListOffsets that
//    measure the partitions added; only the first lookup of the topic, made before anything
//    is read, goes through the follower: kafka/partition_reader.cpp says why) and reads each
//    added partition until it is read to its end, with a short fetch wait: nothing it asks
//    waits behind a long-held fetch, and a partition whose last offsets hold no record
//    (librdkafka says "end" only from the fetch after the last record) is found at its end
//    within that short wait;
//  - the follower reads the partitions caught up, with a long fetch wait: an idle stream
//    costs the brokers a fetch per `fetch_wait` and broker, and a record written is still
//    answered at once. Partitions are handed to it, at the position reached, once every
//    partition the catch-up handle reads is caught up. The catch-up handle, reading nothing
//    then, is closed (an idle librdkafka client still runs a main thread and a thread per
//    broker that wake about once a second), and made again when partitions are added.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <stop_token>
#include <string>

#include "core/config.hpp"
#include "kafka/client.hpp"
#include "kafka/errors.hpp"

namespace ks::kafka {

class PartitionReadError : public std::runtime_error {
 public:
  enum class Kind {
    config,         // a property refused, the client could not be made
    unreachable,    // no metadata or offsets from the cluster in time
    not_permitted,  // TOPIC_AUTHORIZATION_FAILED: the agent may not read the topic
    no_topic,       // the topic is not in the metadata (not created yet, or not visible)
    read,           // the partitions could not be assigned
  };
  PartitionReadError(Kind kind, ErrorCode code, const std::string& what)
      : std::runtime_error(what), kind_(kind), code_(code) {}
  Kind kind() const { return kind_; }
  ErrorCode code() const { return code_; }

 private:
  Kind kind_;
  ErrorCode code_;
};

struct PartitionRecord {
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::string key;                   // raw bytes ("" for a null key)
  std::optional<std::string> value;  // nullopt: a null value (tombstone)
  std::int64_t timestamp_ms = -1;    // -1: none
};

struct PartitionProgress {
  std::int64_t start = 0;       // the partition's first offset when assigned
  std::int64_t end = 0;         // its end (last stable offset) when assigned
  std::int64_t position = 0;    // the next offset to read
  std::uint64_t records = 0;    // records returned since assigned
  bool caught_up = false;       // read to `end` (or found at its end)
};

struct ReaderProgress {
  std::map<std::int32_t, PartitionProgress> partitions;
  std::uint64_t records = 0;
  // Of the offsets between start and end at assignment, the share read (100 when none).
  double percent = 100;
  bool caught_up = true;
  // Offsets not read yet behind the newest end librdkafka has seen (its fetch answers).
  std::int64_t lag = 0;
};

struct PartitionReaderSettings {
  std::string topic = "__consumer_offsets";
  std::string name = "offsets-reader";  // in log lines
  // librdkafka needs a group.id to assign partitions; it is never joined.
  std::string group_id;
  std::map<std::string, std::string> properties;  // extra, for both handles; they win
  // fetch.wait.max.ms of the follower and of the catch-up handle (see above).
  std::chrono::milliseconds fetch_wait{500};
  std::chrono::milliseconds catch_up_fetch_wait{100};
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};  // metadata, end offsets
  // Where librdkafka's failures are noted (the owner's /readyz); optional.
  std::shared_ptr<FailureNote> failure_note;
};

class PartitionReader {
 public:
  // Makes the client and looks the topic up; reads nothing until set_partitions. Throws
  // PartitionReadError (not_permitted, no_topic: typed, so a caller can fall back), or
  // StopRequested soon after `stop` while no broker answers.
  PartitionReader(const KafkaConfig& kafka, PartitionReaderSettings settings,
                  std::stop_token stop = {});
  ~PartitionReader();
  PartitionReader(const PartitionReader&) = delete;
  PartitionReader& operator=(const PartitionReader&) = delete;

  // The topic's partition count (from the metadata when made).
  int topic_partitions() const;
  // Reads exactly these partitions from now on. Throws PartitionReadError.
  void set_partitions(const std::set<std::int32_t>& partitions, std::stop_token stop);
  std::set<std::int32_t> partitions() const;

  // The next record, or nothing within `timeout`. A fetch error is returned in `error`
  // (librdkafka retries); TOPIC_AUTHORIZATION_FAILED throws PartitionReadError.
  std::optional<PartitionRecord> poll(std::chrono::milliseconds timeout, std::string& error);

  ReaderProgress progress() const;
  bool caught_up() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace ks::kafka

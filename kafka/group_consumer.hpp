// A consumer in a Kafka consumer group (subscribe, rebalances, offset commits), made like
// every other client of the agent (kafka/client.hpp). Used by the fleet coordinator (group
// membership and leases: it never reads a message) and the load generator.
//
// Everything happens on the thread that calls poll(): rebalance callbacks, commit results.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "kafka/errors.hpp"
#include "kafka/library_logs.hpp"
#include "kafka/topic_partition.hpp"

namespace ks::kafka {

struct Rebalance {
  enum class Kind {
    assigned,  // these partitions are (also) this member's now
    revoked,   // these partitions are given up
    failed,    // the rebalance failed (error): everything is given up
  };
  Kind kind = Kind::assigned;
  std::vector<TopicPartition> partitions;
  ErrorCode error = ErrorCode::no_error;  // of a failed rebalance
  bool lost = false;         // revoked/failed: the group coordinator already gave them away
  bool cooperative = false;  // incremental rebalancing (else eager: all revoked, then assigned)
};

struct ConsumedMessage {
  ErrorCode error = ErrorCode::no_error;  // local_partition_eof: the end of a partition
  std::string error_text;
  std::string topic;  // "" for an error of the consumer as a whole
  std::int32_t partition = -1;
  std::int64_t offset = -1;
  std::int64_t timestamp_ms = -1;  // -1: none
  std::string value;  // with copy_values: the value ("" for an error or a null value)
};

struct CommitResult {
  std::uint64_t tag = 0;  // commit_async's
  ErrorCode error = ErrorCode::no_error;  // of the request as a whole
  std::vector<TopicPartition> partitions;  // as committed, each with its own error
  // The request's error, else the first partition's.
  ErrorCode outcome() const { return failed(error) ? error : first_error(partitions); }
};

struct GroupConsumerSettings {
  std::string name = "group-consumer";  // in log lines
  // group.id and the caller's other needs; they win over kafka.properties.
  std::map<std::string, std::string> properties;
  LibraryLogs logs = LibraryLogs::agent;
  // Called inside poll() (and the blocking close()) BEFORE the assignment changes: an
  // assignment is applied after it returns, revoked partitions are unassigned after it
  // returns, so the owner stops using what it gives up before the group moves on.
  std::function<void(const Rebalance&)> on_rebalance;
  // Membership only: assigned partitions are paused at once, nothing is ever fetched.
  bool pause_assigned = false;
  // Copy each message's value into ConsumedMessage::value (the end-to-end probe reads its
  // messages back); off, values are not copied.
  bool copy_values = false;
};

class GroupConsumer {
 public:
  // Creates the client (no connection yet). Throws KafkaError naming a refused property.
  GroupConsumer(const KafkaConfig& kafka, GroupConsumerSettings settings);
  ~GroupConsumer();
  GroupConsumer(const GroupConsumer&) = delete;
  GroupConsumer& operator=(const GroupConsumer&) = delete;

  // Joins the group for these topics (asynchronously: poll() does the rest). Throws
  // KafkaError.
  void subscribe(const std::vector<std::string>& topics);
  // The next message or consumer error, within `timeout`; serves rebalances meanwhile.
  std::optional<ConsumedMessage> poll(std::chrono::milliseconds timeout);

  ErrorCode store_offsets(const std::vector<TopicPartition>& offsets);
  ErrorCode pause(const std::vector<TopicPartition>& partitions);
  ErrorCode resume(const std::vector<TopicPartition>& partitions);

  // Sends a commit of `offsets` (nullopt: the stored offsets) without waiting; its result
  // comes from commit_results() with `tag`. An error here means it was not sent
  // (local_no_offset: nothing stored to commit).
  ErrorCode commit_async(const std::optional<std::vector<TopicPartition>>& offsets,
                         std::uint64_t tag);
  // Results of commits sent by commit_async that arrived since the last call (no wait).
  std::vector<CommitResult> commit_results();
  // Commits and waits for the answer.
  CommitResult commit_sync(const std::optional<std::vector<TopicPartition>>& offsets);
  // The group's committed offsets of `partitions` (filled in place), within `timeout`.
  ErrorCode committed(std::vector<TopicPartition>& partitions, std::chrono::milliseconds timeout);

  // "NAME: reason" once the client hit a fatal error (e.g. a fenced static member).
  std::optional<std::string> fatal_error() const;

  // Leaves the group, serving the last rebalance through on_rebalance; blocks until the
  // group coordinator answered (or librdkafka gave up).
  ErrorCode close();
  // Leaves the group within about `deadline`, without on_rebalance (the owner has given up
  // everything already). False when it did not finish: the client is then abandoned, not
  // destroyed (a blocking destroy would hold up a shutdown; the session expires instead).
  bool close_within(std::chrono::milliseconds deadline);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace ks::kafka

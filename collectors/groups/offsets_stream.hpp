// The groups collector's stream source: `__consumer_offsets` read from its beginning and
// then followed (kafka/partition_reader.hpp), decoded record by record into an OffsetsState,
// from which each cycle takes every monitored group's committed offsets, members and
// assignments, with no request per group.
//
// Which offsets partitions are read is asked every cycle (`partitions_of`): a fleet reads
// only its shards' partitions, and a partition taken over is read from its beginning; the
// stream is `caught_up` once every partition read has been read to the end it had when it
// was added.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "collectors/groups/group_evaluator.hpp"
#include "collectors/groups/offsets_state.hpp"
#include "core/collector_status.hpp"
#include "core/config.hpp"
#include "kafka/partition_reader.hpp"

namespace ks::groups {

// What the stream has done, for self-metrics and /readyz.
struct StreamFigures {
  std::uint64_t records = 0;  // read since the agent started
  OffsetsDecodeCounts decoded;
  std::int64_t lag = 0;  // offsets not read yet behind the newest end seen
  double percent = 0;    // of the first read (100 once caught up)
  bool caught_up = false;
  std::size_t partitions = 0;  // offsets partitions read
  std::size_t groups = 0;      // groups in the state
  // Each partition read, and whether it has been read to its end when added.
  std::vector<std::pair<std::int32_t, bool>> partition_caught_up;
};

// The reader's settings: never joined, its fetch waits, how far it reads ahead.
kafka::PartitionReaderSettings offsets_reader_settings(const KafkaConfig& kafka,
                                                       std::shared_ptr<kafka::FailureNote> note);

class OffsetsStream {
 public:
  // The offsets partitions to read, given the topic's partition count. Default: all.
  using PartitionChooser = std::function<std::set<std::int32_t>(int partition_count)>;

  // Opens the reader. Throws kafka::PartitionReadError (not_permitted, no_topic: the
  // caller decides what to do, e.g. fall back to the admin API).
  // `failure_note`: where the reader's client notes librdkafka's failures (optional).
  // `commit_window`: the commits per partition the lag status judges (status window).
  OffsetsStream(const KafkaConfig& kafka, PartitionChooser partitions_of,
                std::size_t commit_window,
                std::shared_ptr<kafka::FailureNote> failure_note = nullptr,
                std::stop_token stop = {});

  // Applies what there is to read now: until the reader has caught up and nothing came
  // within a short wait, or `budget` is spent. `loading`: the first read, which goes on
  // until caught up (or stop). Throws kafka::PartitionReadError when reading is refused.
  void drain(std::stop_token stop, std::chrono::milliseconds budget);
  void load(std::stop_token stop);  // drain until caught up; StopRequested on stop

  // Whether `group` can be observed: false when its offsets partition is not read or not
  // read to its end yet (a partition taken over is read from its beginning: until then its
  // groups would show old offsets).
  bool ready(std::string_view group) const;
  // KIP-848 members' assigned partitions of `group` that cannot be named (by topic ID).
  std::size_t unmapped_assignments(std::string_view group) const;
  // Adds every partition `group` has a commit on to `out`, by topic (the watermarks a
  // cycle asks for), without observing the group.
  void add_committed(std::string_view group, CommittedPartitions& out) const;
  // One ready group's committed offsets (with the commits made since the last call, which
  // it takes) and description, from the state.
  void observe(GroupObservation& group);

  StreamFigures figures() const;  // any thread
  // Any thread; set until every partition read has been read to its end: the first read,
  // then partitions taken over.
  std::optional<LoadingProgress> loading() const;

 private:
  void sync_partitions(std::stop_token stop);
  void read_one(const kafka::PartitionRecord& record);
  void publish_figures();

  kafka::PartitionReader reader_;
  PartitionChooser partitions_of_;
  OffsetsState state_;
  std::uint64_t records_ = 0;
  // By partition id: read to its end (refreshed after every drain), for ready().
  std::vector<bool> caught_up_;
  std::atomic<bool> loaded_{false};  // caught up once (read by loading())
  mutable std::mutex figures_mutex_;
  StreamFigures figures_;
};

}  // namespace ks::groups

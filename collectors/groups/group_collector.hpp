// The consumer-groups collector. Each cycle: metadata (partition leaders), ListConsumerGroups
// (one request per broker: every group's name and state), then every monitored group's
// committed offsets, members and assignments from one of two sources
// (collectors.groups.source):
//  - offsets_topic: `__consumer_offsets` read as a stream (offsets_stream.hpp): what was
//    written since the last cycle is applied, no request per group. The first cycle reads
//    the stream to the end it had at start (loading(): /readyz says how far), so no snapshot
//    is published before the full view;
//  - admin_api: DescribeConsumerGroups and ListConsumerGroupOffsets for every group (issued
//    concurrently on one queue, bounded by collectors.groups.max_concurrent_requests, each
//    bounded by kafka.request_timeout);
//  - auto: the stream, or the admin API when the agent may not read `__consumer_offsets`
//    (status_note() and kafka_sentinel_groups_source say which).
// Then, right after the offsets, the low and high watermarks of every committed partition
// (one ListOffsets per leader broker and kind). Both sources fill the same observations;
// the evaluator joins them into lag, lag in seconds and status; a GroupsSnapshot is
// published.
//
// Errors of single groups (a group that cannot be described, such as a KIP-848 group, or
// whose offsets time out) or of single brokers (watermarks) are counted and reported in the
// snapshot; the cycle fails (CollectError, the last snapshot stays) only when the cluster
// is unreachable.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/groups/group_evaluator.hpp"
#include "collectors/groups/group_filter.hpp"
#include "collectors/groups/offsets_stream.hpp"
#include "kafka/client.hpp"
#include "kafka/group_admin.hpp"
#include "kafka/shared_client.hpp"
#include "core/collector.hpp"
#include "core/config.hpp"
#include "core/groups_snapshot.hpp"
#include "core/latest.hpp"
#include "core/watermark_round.hpp"

namespace ks {

class GroupCollector final : public Collector {
 public:
  struct Options {
    // Added to the client's properties (benchmarks: statistics.interval.ms).
    std::map<std::string, std::string> extra_properties;
    int describe_groups_per_call = 10;  // groups per DescribeConsumerGroups call
    // When set, only groups it accepts are monitored (a fleet's shard of the groups,
    // fleet/); asked once per listed group per cycle, so ownership may change.
    std::function<bool(std::string_view)> owns_group;
    // Which `__consumer_offsets` partitions the stream reads, asked every cycle (a fleet's
    // shards); empty: all of them.
    groups::OffsetsStream::PartitionChooser offsets_partitions;
    // When set, every complete watermark round of a cycle is published here for the
    // brokers collector (core/watermark_round.hpp).
    Latest<WatermarkRound>* share_watermarks = nullptr;
    // The Kafka client shared with the brokers collector (kafka/shared_client.hpp); when
    // null, the collector has one of its own, named "groups".
    std::shared_ptr<kafka::SharedClient> shared_client;
  };

  GroupCollector(const KafkaConfig& kafka, const GroupsCollectorConfig& config,
                 Latest<GroupsSnapshot>& out);
  GroupCollector(const KafkaConfig& kafka, const GroupsCollectorConfig& config,
                 Latest<GroupsSnapshot>& out, Options options);

  std::string_view name() const override { return "groups"; }
  std::string cycle_problem() const override;
  std::optional<LoadingProgress> loading() const override;
  std::string status_note() const override;
  std::chrono::milliseconds interval() const override { return config_.interval; }

  // Called from one thread at a time (the scheduler's thread for this collector). Every
  // Kafka wait ends soon after `stop` is requested: the cycle then throws
  // kafka::StopRequested and publishes nothing.
  void collect_once(std::stop_token stop) override;

  // The last published cycle's figures (for the benchmark and logs).
  const GroupsCycleStats& last_cycle() const { return last_cycle_; }
  const kafka::Client& client() const;

 private:
  struct Topology;  // partition leaders of this cycle's metadata

  using Clock = std::chrono::steady_clock;
  struct Listing {
    std::string name;
    std::string state;
  };

  void ensure_client();
  kafka::AdminBatchOptions batch_options(int max_in_flight) const;
  // The steps of a cycle, in order (collect_once).
  Topology fetch_topology(GroupsCycleStats& stats, std::stop_token stop);
  std::vector<Listing> list_groups(GroupsCycleStats& stats, std::stop_token stop);
  void select_groups(std::vector<Listing> listed, groups::CycleObservations& observations,
                     GroupsCycleStats& stats);
  // offsets_topic, or auto that has not fallen back: no admin call for offsets.
  bool offsets_from_stream() const;
  // The source of this cycle's offsets: true for the stream (opened, and loaded, here).
  bool use_stream(std::stop_token stop);
  void fall_back(const std::string& why);
  Clock::time_point observe_stream(groups::CycleObservations& observations,
                                   GroupsCycleStats& stats, std::stop_token stop);
  Clock::time_point observe_admin(std::vector<groups::GroupObservation>& groups,
                                  GroupsCycleStats& stats, std::stop_token stop);
  void describe_groups(std::vector<groups::GroupObservation>& groups, GroupsCycleStats& stats,
                       std::stop_token stop);
  Clock::time_point fetch_offsets(std::vector<groups::GroupObservation>& groups,
                                  GroupsCycleStats& stats, std::stop_token stop);
  groups::CommittedPartitions committed_partitions(
      const groups::CycleObservations& observations) const;
  static std::vector<groups::TopicPartition> watermark_partitions(
      const Topology& topology, const groups::CommittedPartitions& committed);
  void fetch_watermarks(const Topology& topology, groups::CycleObservations& observations,
                        GroupsCycleStats& stats, std::stop_token stop);
  void count_outcomes(groups::CycleObservations& observations, GroupsCycleStats& stats);
  void count_totals(GroupsCycleStats& stats);  // the running totals into stats
  void evaluate_and_publish(groups::CycleObservations observations, const GroupsCycleStats& stats,
                            Clock::time_point cycle_start);

  KafkaConfig kafka_;
  GroupsCollectorConfig config_;
  Latest<GroupsSnapshot>& out_;
  Options options_;
  std::shared_ptr<kafka::SharedClient> shared_;  // notes its own failures
  // The stream reader's failures (given to its handles, created on the collector's thread).
  std::shared_ptr<kafka::FailureNote> failure_note_ = std::make_shared<kafka::FailureNote>();
  // The shared client as of this cycle (ensure_client).
  std::shared_ptr<const kafka::Client> client_;
  // The last cycle abandoned calls to a coordinator that client_ may still send: replaced
  // at the next cycle (kafka/group_admin.hpp, AdminBatchStats::left_in_client).
  bool replace_client_ = false;
  groups::GroupFilter filter_;
  groups::GroupEvaluator evaluator_;
  std::vector<std::string> last_monitored_;  // kept when a ListGroups answer is incomplete
  bool list_was_complete_ = true;
  std::uint64_t describe_errors_total_ = 0;
  std::uint64_t offsets_errors_total_ = 0;
  std::uint64_t groups_vanished_total_ = 0;
  std::uint64_t watermark_errors_total_ = 0;
  GroupsCycleStats last_cycle_;
  // The stream, when it is the source; shared with loading() on other threads.
  std::shared_ptr<groups::OffsetsStream> stream_;
  bool fell_back_ = false;  // auto, and the stream may not be read
  mutable std::mutex view_mutex_;  // guards stream_ (its pointer) and note_
  std::string note_;
};

}  // namespace ks

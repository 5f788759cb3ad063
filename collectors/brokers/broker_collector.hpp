// The broker-metadata collector: each cycle, the cluster id and controller, the brokers,
// every monitored topic's partitions (leader, replicas, ISR) and their low and high
// watermarks (one ListOffsets per leader broker and kind, so a dead broker fails only its
// partitions), min.insync.replicas per topic (cached, refreshed slowly), and the health
// derived from them. Publishes a ClusterSnapshot.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "collectors/brokers/cluster_model.hpp"
#include <memory>
#include <set>
#include <stop_token>
#include <vector>

#include "kafka/client.hpp"
#include "kafka/describe_configs.hpp"
#include "kafka/metadata.hpp"
#include "kafka/shared_client.hpp"
#include "core/cluster_snapshot.hpp"
#include "core/collector.hpp"
#include "core/config.hpp"
#include "core/latest.hpp"
#include "core/watermark_round.hpp"

namespace ks {

class BrokerCollector final : public Collector {
 public:
  // What one cycle did: for logs, tests and the benchmark.
  struct CycleReport {
    bool up = false;
    std::chrono::duration<double> total{}, metadata{}, watermarks{}, configs{};
    std::size_t topics = 0, partitions = 0, brokers = 0;
    std::size_t metadata_calls = 0;         // metadata requests (retries included)
    std::size_t watermark_calls = 0;        // ListOffsets calls (offsets_for_times)
    std::size_t watermark_failed_calls = 0;
    std::size_t describe_configs_calls = 0;
    std::size_t partitions_without_watermarks = 0;  // online partitions left without offsets
    bool watermarks_shared = false;  // taken from the groups collector's round, not asked
  };

  struct Options {
    // Added to the client's properties (benchmarks: statistics.interval.ms).
    std::map<std::string, std::string> extra_properties;
    int max_concurrent_calls = 16;  // offsets_for_times calls running at once
    // Partitions per offsets_for_times call: librdkafka matches answers to requests with
    // linear list searches, so a call's CPU cost grows with the square of its size. A
    // broker leading more partitions than this gets several calls (and requests).
    int max_partitions_per_call = kDefaultMaxPartitionsPerCall;
    // The groups collector's watermark rounds (core/watermark_round.hpp): a cycle takes the
    // latest instead of asking the brokers when it is at most one interval old, newer than
    // the watermarks of the cycle before, and has every partition this cycle asks for.
    const Latest<WatermarkRound>* shared_watermarks = nullptr;
    // The Kafka client shared with the groups collector (kafka/shared_client.hpp); when
    // null, the collector has one of its own, named "brokers".
    std::shared_ptr<kafka::SharedClient> shared_client;
  };
  static constexpr int kDefaultMaxPartitionsPerCall = 1000;

  BrokerCollector(const KafkaConfig& kafka, const BrokersCollectorConfig& config,
                  Latest<ClusterSnapshot>& out);
  BrokerCollector(const KafkaConfig& kafka, const BrokersCollectorConfig& config,
                  Latest<ClusterSnapshot>& out, Options options);

  std::string_view name() const override { return "brokers"; }
  std::string cycle_problem() const override { return shared_->failure_note()->describe(); }
  std::chrono::milliseconds interval() const override { return config_.interval; }

  // Publishes a snapshot every cycle. When the metadata request fails it publishes one with
  // up false (every known broker down, no topics) and then throws CollectError, so the
  // cycle counts as failed. Missing watermarks of some brokers do not fail the cycle.
  // Every Kafka wait ends soon after `stop` is requested: the cycle then throws
  // kafka::StopRequested and publishes nothing.
  void collect_once(std::stop_token stop) override;

  const CycleReport& last_cycle() const { return report_; }
  // The handle (created on the first cycle), e.g. to read librdkafka statistics.
  const kafka::Client& client() const;

 private:
  struct TopicConfig {
    std::optional<int> min_insync_replicas;
  };

  using Clock = std::chrono::steady_clock;
  // What the watermark fetch tells the rest of the cycle.
  struct WatermarkPass {
    std::set<std::int32_t> not_answering;  // leaders whose calls timed out or lost the connection
    Clock::time_point at;                  // when the brokers answered, on average
  };

  void ensure_client();
  kafka::ClusterMetadata fetch_metadata_with_retry(CycleReport& report, std::stop_token stop);
  void publish_unreachable(const std::string& error, std::chrono::system_clock::time_point now);
  // The steps of a cycle, in order (collect_once).
  void connect_or_publish_down(std::chrono::system_clock::time_point now, const CycleReport& report);
  kafka::ClusterMetadata metadata_or_publish_down(Clock::time_point cycle_start,
                                                  std::chrono::system_clock::time_point now,
                                                  CycleReport& report, std::stop_token stop);
  std::shared_ptr<ClusterSnapshot> begin_snapshot(const kafka::ClusterMetadata& metadata,
                                                  std::chrono::system_clock::time_point now) const;
  std::chrono::milliseconds call_timeout() const;
  void start_config_requests(const std::vector<TopicState>& topics,
                             const std::vector<brokers::BrokerTracker::Seen>& seen,
                             Clock::time_point start, CycleReport& report);
  WatermarkPass fetch_topic_watermarks(std::vector<TopicState>& topics, CycleReport& report,
                                       std::stop_token stop);
  std::optional<WatermarkPass> take_shared_watermarks(std::vector<TopicState>& topics,
                                                      CycleReport& report);
  void collect_config_answers(Clock::time_point configs_start, CycleReport& report,
                              std::stop_token stop);
  void start_idle_broker_checks(const std::vector<TopicState>& topics,
                                const std::vector<brokers::BrokerTracker::Seen>& seen,
                                CycleReport& report);
  void collect_idle_broker_checks(WatermarkPass& watermarks, std::stop_token stop);
  void apply_config_results(const kafka::DescribeConfigsResults& results);
  void finish_config_batch();
  void apply_topic_configs(std::vector<TopicState>& topics);
  void finish_cycle(std::shared_ptr<ClusterSnapshot> snapshot, std::vector<TopicState> topics,
                    const std::vector<brokers::BrokerTracker::Seen>& seen,
                    const WatermarkPass& watermarks, Clock::time_point cycle_start,
                    CycleReport& report);

  KafkaConfig kafka_;
  BrokersCollectorConfig config_;
  Latest<ClusterSnapshot>& out_;
  Options options_;
  std::shared_ptr<kafka::SharedClient> shared_;
  // The shared client as of this collector's last switch to it (ensure_client): held while
  // calls of this collector may be in it.
  std::shared_ptr<const kafka::Client> client_;
  brokers::TopicFilter filter_;
  brokers::BrokerTracker tracker_;
  brokers::RateTracker rates_;
  std::unordered_map<std::string, TopicConfig> topic_configs_;
  std::optional<std::chrono::steady_clock::time_point> last_full_config_refresh_;
  std::chrono::steady_clock::time_point next_config_attempt_{};
  // DescribeConfigs calls in flight (answers are collected over one or more cycles).
  std::optional<kafka::DescribeConfigsBatch> configs_;
  bool configs_full_refresh_ = false;
  std::chrono::steady_clock::time_point configs_started_{};
  std::size_t configs_failed_calls_ = 0;
  int config_failures_in_a_row_ = 0;
  // This cycle's checks of the brokers that lead no monitored partition (see
  // start_idle_broker_checks): one call each, so that each failure has its broker.
  struct IdleBrokerCheck {
    std::int32_t broker;
    std::unique_ptr<kafka::DescribeConfigsBatch> call;
  };
  std::vector<IdleBrokerCheck> idle_checks_;
  std::uint64_t offset_request_failures_ = 0;
  Clock::time_point last_watermarks_at_{};  // the rates' clock of the last cycle's watermarks
  CycleReport report_;
};

}  // namespace ks

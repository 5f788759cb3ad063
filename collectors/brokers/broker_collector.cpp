#include "collectors/brokers/broker_collector.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <set>
#include <thread>
#include <unordered_set>

#include "kafka/describe_configs.hpp"
#include "kafka/metadata.hpp"
#include "kafka/watermarks.hpp"

namespace ks {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kTopicsPerDescribeConfigs = 1000;
const std::string kMinInsyncReplicas = "min.insync.replicas";
const std::string kBrokerRack = "broker.rack";

std::chrono::duration<double> since(Clock::time_point start) { return Clock::now() - start; }

std::optional<int> parse_int(std::string_view text) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Where one watermark request goes back to: topics[topic].partitions[partition].
struct PartitionRef {
  std::uint32_t topic;
  std::uint32_t partition;
};

std::vector<brokers::BrokerTracker::Seen> seen_brokers(const kafka::ClusterMetadata& metadata) {
  std::vector<brokers::BrokerTracker::Seen> seen;
  seen.reserve(metadata.brokers.size());
  for (const kafka::BrokerMetadata& b : metadata.brokers) seen.push_back({b.id, b.host, b.port});
  return seen;
}

// Logs (at debug level: the metrics count them) what went wrong with one leader's offsets.
void log_watermark_problems(const kafka::BrokerWatermarkOutcome& b) {
  if (b.failed()) {
    spdlog::debug("brokers: offsets of {} partitions led by broker {} failed: low {}, high {}",
                  b.partitions, b.broker, kafka::error_code_name(b.low_error),
                  kafka::error_code_name(b.high_error));
  }
  if (b.partition_errors > 0) {
    spdlog::debug("brokers: broker {} answered {} of {} partitions' offsets with errors ({}, ...)",
                  b.broker, b.partition_errors, b.partitions,
                  kafka::error_code_name(b.first_partition_error));
  }
}

}  // namespace

BrokerCollector::BrokerCollector(const KafkaConfig& kafka, const BrokersCollectorConfig& config,
                                 Latest<ClusterSnapshot>& out)
    : BrokerCollector(kafka, config, out, Options{}) {}

BrokerCollector::BrokerCollector(const KafkaConfig& kafka, const BrokersCollectorConfig& config,
                                 Latest<ClusterSnapshot>& out, Options options)
    : kafka_(kafka),
      config_(config),
      out_(out),
      options_(std::move(options)),
      shared_(options_.shared_client
                  ? options_.shared_client
                  : std::make_shared<kafka::SharedClient>(kafka, "brokers")),
      filter_(config.topics, config.include_internal_topics),
      tracker_(config.broker_down_retention) {}

const kafka::Client& BrokerCollector::client() const { return kafka::client_or_none(client_); }

void BrokerCollector::ensure_client() {
  auto properties = kafka::watermark_consumer_properties();
  for (const auto& [key, value] : options_.extra_properties) properties[key] = value;
  properties.merge(kafka::statistics_properties(kafka_));  // polled every cycle; extras win
  // Whatever client the groups collector made (its properties are a superset: a group.id
  // in admin_api mode, which nothing here uses). DescribeConfigs calls still in flight keep
  // the one they were issued on until they are answered.
  std::shared_ptr<const kafka::Client> latest = shared_->any(properties);
  if (!client_ || (latest != client_ && !configs_ && idle_checks_.empty())) {
    client_ = std::move(latest);
  }
}

kafka::ClusterMetadata BrokerCollector::fetch_metadata_with_retry(CycleReport& report,
                                                                  std::stop_token stop) {
  // The broker librdkafka asks may be the one going down right now: ask again (another
  // broker) while time remains, rather than report the whole cluster unreachable.
  const auto deadline = Clock::now() + kafka_.request_timeout;
  for (;;) {
    const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    ++report.metadata_calls;
    try {
      return kafka::fetch_metadata(*client_, std::max(remaining, 1ms), stop);
    } catch (const kafka::StopRequested&) {
      throw;
    } catch (const kafka::KafkaError& e) {
      if (stop.stop_requested() || Clock::now() + 200ms >= deadline) throw;
      spdlog::debug("brokers: {}; asking again", e.what());
      std::this_thread::sleep_for(100ms);
    }
  }
}

void BrokerCollector::publish_unreachable(const std::string& error,
                                          std::chrono::system_clock::time_point now) {
  auto snapshot = std::make_shared<ClusterSnapshot>();
  snapshot->taken_at = now;
  snapshot->up = false;
  snapshot->error = error;
  snapshot->expected_brokers = config_.expected_brokers;
  snapshot->brokers = tracker_.update(std::nullopt, {}, now);
  snapshot->client_errors = shared_->errors();
  snapshot->offset_request_failures = offset_request_failures_;
  out_.publish(std::move(snapshot));
}

void BrokerCollector::connect_or_publish_down(std::chrono::system_clock::time_point now,
                                              const CycleReport& report) {
  try {
    ensure_client();
  } catch (const std::exception& e) {
    publish_unreachable(e.what(), now);
    report_ = report;
    throw CollectError(e.what());
  }
  client_->poll();  // serves the error callback (counted in client_errors)
}

kafka::ClusterMetadata BrokerCollector::metadata_or_publish_down(
    Clock::time_point cycle_start, std::chrono::system_clock::time_point now,
    CycleReport& report, std::stop_token stop) {
  try {
    kafka::ClusterMetadata metadata = fetch_metadata_with_retry(report, std::move(stop));
    report.metadata = since(cycle_start);
    return metadata;
  } catch (const kafka::StopRequested&) {
    throw;  // the agent is stopping: Kafka was not found unreachable, publish nothing
  } catch (const kafka::KafkaError& e) {
    report.metadata = report.total = since(cycle_start);
    report_ = report;
    publish_unreachable(e.what(), now);
    // Where: the log line names the bootstrap servers (a silent one is only seen as a timeout)
    throw CollectError(
        fmt::format("cluster unreachable at {}: {}", kafka_.bootstrap_servers, e.what()));
  }
}

std::shared_ptr<ClusterSnapshot> BrokerCollector::begin_snapshot(
    const kafka::ClusterMetadata& metadata, std::chrono::system_clock::time_point now) const {
  auto snapshot = std::make_shared<ClusterSnapshot>();
  snapshot->taken_at = now;
  snapshot->up = true;
  snapshot->expected_brokers = config_.expected_brokers;
  snapshot->cluster_id = metadata.cluster_id;
  snapshot->controller_id = metadata.controller_id < 0 ? kNoBroker : metadata.controller_id;
  return snapshot;
}

std::chrono::milliseconds BrokerCollector::call_timeout() const {
  // Offsets wait at most half an interval (at least 1 s, at most kafka.request_timeout): a
  // broker that takes longer "stops answering", and a cycle with a dead leader still ends
  // in time for the next one.
  return std::max<std::chrono::milliseconds>(
      1s, std::min<std::chrono::milliseconds>(kafka_.request_timeout, config_.interval / 2));
}

// Topic configs (min.insync.replicas) and broker racks: all topics every
// topic_config_refresh, new topics as soon as seen. Started before the watermarks and
// collected after them and in later cycles: a slow answer delays neither this cycle nor the
// next.
void BrokerCollector::start_config_requests(const std::vector<TopicState>& topics,
                                            const std::vector<brokers::BrokerTracker::Seen>& seen,
                                            Clock::time_point start, CycleReport& report) {
  if (configs_ || start < next_config_attempt_) return;
  const bool full_refresh = !last_full_config_refresh_ ||
                            start - *last_full_config_refresh_ >= config_.topic_config_refresh;
  std::vector<std::string> wanted;
  for (const TopicState& t : topics) {
    if (full_refresh || !topic_configs_.contains(t.name)) wanted.push_back(t.name);
  }
  std::vector<std::string> broker_ids;
  if (full_refresh) {
    for (const auto& b : seen) broker_ids.push_back(std::to_string(b.id));
  }
  if (wanted.empty() && broker_ids.empty()) return;
  configs_.emplace(*client_, kafka_.request_timeout);
  configs_full_refresh_ = full_refresh;
  configs_started_ = start;
  configs_failed_calls_ = 0;
  const std::span<const std::string> topic_configs(&kMinInsyncReplicas, 1);
  for (std::size_t i = 0; i < wanted.size(); i += kTopicsPerDescribeConfigs) {
    const std::size_t n = std::min(kTopicsPerDescribeConfigs, wanted.size() - i);
    configs_->start(kafka::ConfigResourceType::topic, std::span(wanted).subspan(i, n), topic_configs);
    ++report.describe_configs_calls;
  }
  for (const std::string& id : broker_ids) {
    configs_->start(kafka::ConfigResourceType::broker, std::span(&id, 1),
                    std::span<const std::string>(&kBrokerRack, 1));
    ++report.describe_configs_calls;
  }
}

// The groups collector's last round, when it may stand for this cycle's ListOffsets
// (Options::shared_watermarks): every online partition in it, at most one interval old
// and newer than the last watermarks taken (so a rate never spans zero time). Only
// complete rounds are shared: every leader in it answered, none is "not answering".
std::optional<BrokerCollector::WatermarkPass> BrokerCollector::take_shared_watermarks(
    std::vector<TopicState>& topics, CycleReport& report) {
  if (!options_.shared_watermarks) return std::nullopt;
  const std::shared_ptr<const WatermarkRound> round = options_.shared_watermarks->get();
  if (!round || round->at <= last_watermarks_at_ || Clock::now() - round->at > config_.interval) {
    return std::nullopt;
  }
  for (const TopicState& topic : topics) {
    for (const PartitionState& p : topic.partitions) {
      if (!p.offline && !round->find(topic.name, p.id)) return std::nullopt;
    }
  }
  for (TopicState& topic : topics) {
    for (PartitionState& p : topic.partitions) {
      if (p.offline) continue;
      const WatermarkPair w = *round->find(topic.name, p.id);
      p.high_watermark = w.high;
      p.low_watermark = w.low;
    }
  }
  report.watermarks_shared = true;
  return WatermarkPass{.not_answering = {}, .at = round->at};
}

// Watermarks of every online partition (offline ones have no leader to ask), one
// ListOffsets per leader broker and kind, or the groups collector's round when it may
// stand for them. Returns the brokers that did not answer.
BrokerCollector::WatermarkPass BrokerCollector::fetch_topic_watermarks(
    std::vector<TopicState>& topics, CycleReport& report, std::stop_token stop) {
  const auto started = Clock::now();
  if (auto shared = take_shared_watermarks(topics, report)) {
    last_watermarks_at_ = shared->at;
    report.watermarks = since(started);
    return *shared;
  }
  std::vector<kafka::WatermarkRequest> requests;
  std::vector<PartitionRef> refs;
  for (std::uint32_t ti = 0; ti < topics.size(); ++ti) {
    const TopicState& topic = topics[ti];
    for (std::uint32_t pi = 0; pi < topic.partitions.size(); ++pi) {
      const PartitionState& p = topic.partitions[pi];
      if (p.offline) continue;
      requests.push_back({topic.name, p.id, p.leader});
      refs.push_back({ti, pi});
    }
  }
  const kafka::WatermarkResults results = kafka::fetch_watermarks(
      *client_, requests,
      {.timeout = call_timeout(),
       .max_concurrent_calls = options_.max_concurrent_calls,
       .max_partitions_per_call = std::max(1, options_.max_partitions_per_call)},
      std::move(stop));
  WatermarkPass pass;
  // The rate's clock: the middle of the fetch, when the brokers answered on average.
  pass.at = started + (Clock::now() - started) / 2;
  last_watermarks_at_ = pass.at;
  report.watermarks = since(started);
  for (const kafka::BrokerWatermarkOutcome& b : results.brokers) {
    report.watermark_calls += b.calls;
    report.watermark_failed_calls += b.failed_calls;
    offset_request_failures_ += b.failed_calls;
    if (b.failed()) tracker_.add_offset_request_failures(b.broker, b.failed_calls);
    log_watermark_problems(b);
    if (b.unreachable) pass.not_answering.insert(b.broker);
  }
  for (std::size_t i = 0; i < refs.size(); ++i) {
    // Both or neither: a partition with only one of its offsets is reported without both.
    if (!results.offsets[i].known()) continue;
    PartitionState& p = topics[refs[i].topic].partitions[refs[i].partition];
    p.high_watermark = results.offsets[i].high;
    p.low_watermark = results.offsets[i].low;
  }
  return pass;
}

// A broker in the metadata that leads none of the monitored partitions gets no ListOffsets,
// so nothing would show that it stopped answering: e.g. one that died during its controlled
// shutdown, its leaderships already moved, whose fencing never reached the metadata because
// the controller quorum went down with it (the metadata then stays frozen, listing it). Each
// such broker gets one small DescribeConfigs per cycle (its broker.rack), which librdkafka
// sends to that broker itself. Usually there are none.
void BrokerCollector::start_idle_broker_checks(
    const std::vector<TopicState>& topics, const std::vector<brokers::BrokerTracker::Seen>& seen,
    CycleReport& report) {
  std::set<std::int32_t> leaders;
  for (const TopicState& t : topics) {
    for (const PartitionState& p : t.partitions) {
      if (!p.offline) leaders.insert(p.leader);
    }
  }
  idle_checks_.clear();
  for (const auto& b : seen) {
    if (leaders.contains(b.id)) continue;
    auto call = std::make_unique<kafka::DescribeConfigsBatch>(*client_, call_timeout());
    const std::string name = std::to_string(b.id);
    call->start(kafka::ConfigResourceType::broker, std::span(&name, 1),
                std::span<const std::string>(&kBrokerRack, 1));
    ++report.describe_configs_calls;
    idle_checks_.push_back({b.id, std::move(call)});
  }
}

namespace {
// The call never reached the broker or got no answer from it. Any other error came from the
// broker (a denial) or from what it said when the connection opened (librdkafka's
// _UNSUPPORTED_FEATURE, e.g. from a broker without DescribeConfigs): it answered.
bool no_answer(kafka::ErrorCode e) {
  using kafka::ErrorCode;
  return e == ErrorCode::local_timed_out || e == ErrorCode::local_timed_out_queue ||
         e == ErrorCode::local_transport || e == ErrorCode::local_all_brokers_down ||
         e == ErrorCode::local_resolve;
}
}  // namespace

void BrokerCollector::collect_idle_broker_checks(WatermarkPass& watermarks, std::stop_token stop) {
  for (IdleBrokerCheck& check : idle_checks_) {
    const kafka::DescribeConfigsResults results = check.call->wait(stop);
    if (results.failed_calls > 0 && no_answer(results.first_error)) {
      spdlog::debug("brokers: broker {} (leading no monitored partition) did not answer: {}",
                    check.broker, kafka::error_code_name(results.first_error));
      watermarks.not_answering.insert(check.broker);
    }
    apply_config_results(results);
  }
  idle_checks_.clear();
}

// The DescribeConfigs answers that have come (waiting for them no longer than the offsets
// could have taken); cached values stay for the rest.
void BrokerCollector::collect_config_answers(Clock::time_point configs_start, CycleReport& report,
                                             std::stop_token stop) {
  if (!configs_) return;
  const auto wait = configs_started_ == configs_start
                        ? std::chrono::duration_cast<std::chrono::milliseconds>(
                              configs_start + call_timeout() - Clock::now())
                        : 0ms;
  const kafka::DescribeConfigsResults results = configs_->poll(std::max(wait, 0ms), std::move(stop));
  configs_failed_calls_ += results.failed_calls;
  if (results.failed_calls > 0) {
    spdlog::debug("brokers: {} DescribeConfigs calls failed: {}", results.failed_calls,
                  kafka::error_code_name(results.first_error));
  }
  apply_config_results(results);
  if (configs_->done()) finish_config_batch();
  report.configs = since(configs_start);
}

void BrokerCollector::apply_config_results(const kafka::DescribeConfigsResults& results) {
  using kafka::ConfigResourceType;
  for (const kafka::ConfigResourceResult& r : results.resources) {
    if (kafka::failed(r.error)) {
      // Not authorized: ask again at the next full refresh, not every cycle. (Other errors,
      // such as a topic so new its broker does not know it yet, are retried next cycle.)
      const bool denied = r.error == kafka::ErrorCode::topic_authorization_failed ||
                          r.error == kafka::ErrorCode::cluster_authorization_failed;
      if (denied && r.type == ConfigResourceType::topic) topic_configs_.try_emplace(r.name);
      continue;
    }
    if (r.type == ConfigResourceType::topic) {
      TopicConfig& tc = topic_configs_[r.name];
      for (const auto& [key, value] : r.entries) {
        if (key == kMinInsyncReplicas) tc.min_insync_replicas = parse_int(value);
      }
    } else if (r.type == ConfigResourceType::broker) {
      if (const auto id = parse_int(r.name)) {
        for (const auto& [key, value] : r.entries) {
          if (key == kBrokerRack) tracker_.set_rack(*id, value);
        }
      }
    }
  }
}

void BrokerCollector::finish_config_batch() {
  if (configs_failed_calls_ > 0) {
    // Back off (DescribeConfigs may be forbidden, or unsupported): 5 s, doubling, at most
    // a minute or topic_config_refresh.
    ++config_failures_in_a_row_;
    const auto backoff = std::min<std::chrono::milliseconds>(
        std::min<std::chrono::milliseconds>(config_.topic_config_refresh, 60s),
        5s * (1 << std::min(config_failures_in_a_row_ - 1, 4)));
    next_config_attempt_ = Clock::now() + backoff;
  } else {
    config_failures_in_a_row_ = 0;
    if (configs_full_refresh_) last_full_config_refresh_ = configs_started_;
  }
  configs_.reset();
}

// min.insync.replicas of each topic from the cache (and the health it changes); the cache
// forgets the topics gone from the metadata.
void BrokerCollector::apply_topic_configs(std::vector<TopicState>& topics) {
  std::unordered_set<std::string_view> present;
  present.reserve(topics.size());
  for (TopicState& topic : topics) {
    present.insert(topic.name);
    if (auto it = topic_configs_.find(topic.name); it != topic_configs_.end()) {
      topic.min_insync_replicas = it->second.min_insync_replicas;
      brokers::derive_health(topic);
    }
  }
  std::erase_if(topic_configs_, [&](const auto& e) { return !present.contains(e.first); });
}

// Rates, brokers and totals into the snapshot, the cycle's report, and the publish.
void BrokerCollector::finish_cycle(std::shared_ptr<ClusterSnapshot> snapshot,
                                   std::vector<TopicState> topics,
                                   const std::vector<brokers::BrokerTracker::Seen>& seen,
                                   const WatermarkPass& watermarks, Clock::time_point cycle_start,
                                   CycleReport& report) {
  rates_.update(topics, watermarks.at);
  snapshot->brokers = tracker_.update(seen, watermarks.not_answering, snapshot->taken_at);
  snapshot->topics = std::move(topics);
  brokers::count_partitions(*snapshot);
  snapshot->client_errors = shared_->errors();
  snapshot->offset_request_failures = offset_request_failures_;

  report.up = true;
  report.topics = snapshot->topics.size();
  report.partitions = snapshot->partition_count;
  report.brokers = snapshot->live_brokers();
  for (const TopicState& t : snapshot->topics) {
    for (const PartitionState& p : t.partitions) {
      report.partitions_without_watermarks += !p.offline && !p.has_watermarks();
    }
  }
  report.total = since(cycle_start);
  report_ = report;
  out_.publish(std::move(snapshot));
  if (report.watermark_failed_calls > 0) {
    spdlog::debug("brokers: cycle done with {} of {} offset calls failed ({} partitions without offsets)",
                  report.watermark_failed_calls, report.watermark_calls,
                  report.partitions_without_watermarks);
  }
}

void BrokerCollector::collect_once(std::stop_token stop) {
  const auto cycle_start = Clock::now();
  const auto now = std::chrono::system_clock::now();
  CycleReport report;
  connect_or_publish_down(now, report);

  std::shared_ptr<ClusterSnapshot> snapshot;
  std::vector<brokers::BrokerTracker::Seen> seen;
  std::vector<TopicState> topics;
  {
    const kafka::ClusterMetadata metadata = metadata_or_publish_down(cycle_start, now, report, stop);
    snapshot = begin_snapshot(metadata, now);
    seen = seen_brokers(metadata);
    topics = brokers::topics_from_metadata(metadata, filter_);
  }  // the topology is copied: the (large) metadata is freed here

  const auto configs_start = Clock::now();
  start_config_requests(topics, seen, configs_start, report);
  start_idle_broker_checks(topics, seen, report);
  WatermarkPass watermarks = fetch_topic_watermarks(topics, report, stop);
  collect_idle_broker_checks(watermarks, stop);
  collect_config_answers(configs_start, report, stop);
  apply_topic_configs(topics);
  finish_cycle(std::move(snapshot), std::move(topics), seen, watermarks, cycle_start, report);
}

}  // namespace ks

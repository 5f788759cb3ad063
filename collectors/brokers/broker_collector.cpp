#include "collectors/brokers/broker_collector.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <set>
#include <thread>
#include <unordered_set>

#include "kafka/describe_configs.hpp"
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

// Where one entry of a leader's partition list goes back to.
struct PartitionRef {
  std::uint32_t topic;
  std::uint32_t partition;
};

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
      filter_(config.topics, config.include_internal_topics),
      tracker_(config.broker_down_retention) {}

void BrokerCollector::ensure_client() {
  if (client_) return;
  auto properties = kafka::watermark_consumer_properties();
  for (const auto& [key, value] : options_.extra_properties) properties[key] = value;
  client_ = kafka::make_client(kafka_, RD_KAFKA_CONSUMER, properties, "brokers", {},
                               failure_note_);
}

kafka::MetadataPtr BrokerCollector::fetch_metadata_with_retry(CycleReport& report) {
  // The broker librdkafka asks may be the one going down right now: ask again (another
  // broker) while time remains, rather than report the whole cluster unreachable.
  const auto deadline = Clock::now() + kafka_.request_timeout;
  for (;;) {
    const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    ++report.metadata_calls;
    try {
      return kafka::fetch_metadata(client_.get(), std::max(remaining, 1ms));
    } catch (const kafka::KafkaError& e) {
      if (kafka::broker_waits_abandoned() || Clock::now() + 200ms >= deadline) throw;
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
  snapshot->client_errors = client_ ? client_.context().errors() : 0;
  snapshot->offset_request_failures = offset_request_failures_;
  out_.publish(std::move(snapshot));
}

void BrokerCollector::collect_once(std::stop_token /*stop*/) {
  const auto cycle_start = Clock::now();
  const auto now = std::chrono::system_clock::now();
  CycleReport report;

  try {
    ensure_client();
  } catch (const std::exception& e) {
    publish_unreachable(e.what(), now);
    report_ = report;
    throw CollectError(e.what());
  }
  client_.poll();  // serves the error callback (counted in client_errors)
  rd_kafka_t* rk = client_.get();

  // 1. Metadata.
  kafka::MetadataPtr metadata;
  try {
    metadata = fetch_metadata_with_retry(report);
  } catch (const kafka::KafkaError& e) {
    report.metadata = report.total = since(cycle_start);
    report_ = report;
    publish_unreachable(e.what(), now);
    throw CollectError(fmt::format("cluster unreachable: {}", e.what()));
  }
  report.metadata = since(cycle_start);

  auto snapshot = std::make_shared<ClusterSnapshot>();
  snapshot->taken_at = now;
  snapshot->up = true;
  snapshot->expected_brokers = config_.expected_brokers;
  if (char* id = rd_kafka_clusterid(rk, 0)) {
    snapshot->cluster_id = id;
    rd_kafka_mem_free(rk, id);
  }
  snapshot->controller_id = rd_kafka_controllerid(rk, 0);
  if (snapshot->controller_id < 0) snapshot->controller_id = kNoBroker;

  std::vector<brokers::BrokerTracker::Seen> seen;
  seen.reserve(static_cast<std::size_t>(metadata->broker_cnt));
  for (int i = 0; i < metadata->broker_cnt; ++i) {
    const rd_kafka_metadata_broker_t& b = metadata->brokers[i];
    seen.push_back({b.id, b.host ? b.host : "", b.port});
  }
  std::vector<TopicState> topics = brokers::topics_from_metadata(*metadata, filter_);
  metadata.reset();  // the topology is copied: free the (large) response early

  // 2. Topic configs (min.insync.replicas) and broker racks: all topics every
  //    topic_config_refresh, new topics as soon as seen. Started now, and collected after the
  //    watermarks and in later cycles: a slow answer delays neither this cycle nor the next.
  const auto configs_start = Clock::now();
  // Offsets wait at most half an interval (at least 1 s, at most kafka.request_timeout): a
  // broker that takes longer "stops answering", and a cycle with a dead leader still ends
  // in time for the next one.
  const auto call_timeout = std::max<std::chrono::milliseconds>(
      1s, std::min<std::chrono::milliseconds>(kafka_.request_timeout, config_.interval / 2));
  if (!configs_ && configs_start >= next_config_attempt_) {
    const bool full_refresh =
        !last_full_config_refresh_ ||
        configs_start - *last_full_config_refresh_ >= config_.topic_config_refresh;
    std::vector<std::string> wanted;
    for (const TopicState& t : topics) {
      if (full_refresh || !topic_configs_.contains(t.name)) wanted.push_back(t.name);
    }
    std::vector<std::string> broker_ids;
    if (full_refresh) {
      for (const auto& b : seen) broker_ids.push_back(std::to_string(b.id));
    }
    if (!wanted.empty() || !broker_ids.empty()) {
      configs_.emplace(rk, kafka_.request_timeout);
      configs_full_refresh_ = full_refresh;
      configs_started_ = configs_start;
      configs_failed_calls_ = 0;
      const std::span<const std::string> topic_configs(&kMinInsyncReplicas, 1);
      for (std::size_t i = 0; i < wanted.size(); i += kTopicsPerDescribeConfigs) {
        const std::size_t n = std::min(kTopicsPerDescribeConfigs, wanted.size() - i);
        configs_->start(RD_KAFKA_RESOURCE_TOPIC, std::span(wanted).subspan(i, n), topic_configs);
        ++report.describe_configs_calls;
      }
      for (const std::string& id : broker_ids) {
        configs_->start(RD_KAFKA_RESOURCE_BROKER, std::span(&id, 1),
                        std::span<const std::string>(&kBrokerRack, 1));
        ++report.describe_configs_calls;
      }
    }
  }

  // 3. Watermarks: the partitions of each leader in one list; offline partitions have no
  //    leader to ask.
  const auto watermarks_start = Clock::now();
  std::vector<kafka::BrokerWatermarks> batches;
  std::vector<std::vector<PartitionRef>> refs;
  {
    // The leader's current (not yet full) batch.
    std::unordered_map<std::int32_t, std::size_t> batch_of;
    const auto max_per_call = static_cast<std::size_t>(std::max(1, options_.max_partitions_per_call));
    for (std::uint32_t ti = 0; ti < topics.size(); ++ti) {
      const TopicState& topic = topics[ti];
      for (std::uint32_t pi = 0; pi < topic.partitions.size(); ++pi) {
        const PartitionState& p = topic.partitions[pi];
        if (p.offline) continue;
        auto [it, inserted] = batch_of.emplace(p.leader, batches.size());
        if (!inserted && refs[it->second].size() >= max_per_call) {
          it->second = batches.size();
          inserted = true;
        }
        if (inserted) {
          kafka::BrokerWatermarks& b = batches.emplace_back();
          b.broker = p.leader;
          b.partitions = kafka::new_partition_list(64);
          refs.emplace_back();
        }
        rd_kafka_topic_partition_list_add(batches[it->second].partitions.get(), topic.name.c_str(), p.id);
        refs[it->second].push_back({ti, pi});
      }
    }
  }
  kafka::fetch_watermarks(rk, batches,
                          {.timeout = call_timeout, .max_concurrent_calls = options_.max_concurrent_calls});
  // The rate's clock: the middle of the fetch, when the brokers answered on average.
  const auto watermarks_at = watermarks_start + (Clock::now() - watermarks_start) / 2;
  report.watermarks = since(watermarks_start);

  std::set<std::int32_t> not_answering;
  for (std::size_t bi = 0; bi < batches.size(); ++bi) {
    const kafka::BrokerWatermarks& b = batches[bi];
    report.watermark_calls += b.calls;
    const std::size_t failed_calls = (b.low_error ? 1 : 0) + (b.high_error ? 1 : 0);
    report.watermark_failed_calls += failed_calls;
    offset_request_failures_ += failed_calls;
    if (failed_calls > 0) {
      tracker_.add_offset_request_failures(b.broker, failed_calls);
      spdlog::debug("brokers: offsets of {} partitions led by broker {} failed: low {}, high {}",
                    refs[bi].size(), b.broker, rd_kafka_err2name(b.low_error),
                    rd_kafka_err2name(b.high_error));
    }
    if (b.partition_errors > 0) {
      spdlog::debug("brokers: broker {} answered {} of {} partitions' offsets with errors ({}, ...)",
                    b.broker, b.partition_errors, refs[bi].size(),
                    rd_kafka_err2name(b.first_partition_error));
    }
    if (b.unreachable()) not_answering.insert(b.broker);
    for (std::size_t i = 0; i < refs[bi].size(); ++i) {
      // Both or neither: a partition with only one of its offsets is reported without both.
      if (b.high[i] < 0 || b.low[i] < 0) continue;
      PartitionState& p = topics[refs[bi][i].topic].partitions[refs[bi][i].partition];
      p.high_watermark = b.high[i];
      p.low_watermark = b.low[i];
    }
  }

  // 4. Configs: the answers that have come (waiting for them no longer than the offsets
  //    could have taken); cached values stay for the rest.
  if (configs_) {
    const auto wait = configs_started_ == configs_start
                          ? std::chrono::duration_cast<std::chrono::milliseconds>(
                                configs_start + call_timeout - Clock::now())
                          : 0ms;
    const kafka::DescribeConfigsResults results = configs_->poll(std::max(wait, 0ms));
    configs_failed_calls_ += results.failed_calls;
    if (results.failed_calls > 0) {
      spdlog::debug("brokers: {} DescribeConfigs calls failed: {}", results.failed_calls,
                    rd_kafka_err2name(results.first_error));
    }
    for (const kafka::ConfigResourceResult& r : results.resources) {
      if (r.error != RD_KAFKA_RESP_ERR_NO_ERROR) {
        // Not authorized: ask again at the next full refresh, not every cycle. (Other errors,
        // such as a topic so new its broker does not know it yet, are retried next cycle.)
        const bool denied = r.error == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
                            r.error == RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED;
        if (denied && r.type == RD_KAFKA_RESOURCE_TOPIC) topic_configs_.try_emplace(r.name);
        continue;
      }
      if (r.type == RD_KAFKA_RESOURCE_TOPIC) {
        TopicConfig& tc = topic_configs_[r.name];
        for (const auto& [key, value] : r.entries) {
          if (key == kMinInsyncReplicas) tc.min_insync_replicas = parse_int(value);
        }
      } else if (r.type == RD_KAFKA_RESOURCE_BROKER) {
        if (const auto id = parse_int(r.name)) {
          for (const auto& [key, value] : r.entries) {
            if (key == kBrokerRack) tracker_.set_rack(*id, value);
          }
        }
      }
    }
    if (configs_->done()) {
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
    report.configs = since(configs_start);
  }
  {
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

  // 5. Rates, brokers, totals.
  rates_.update(topics, watermarks_at);
  snapshot->brokers = tracker_.update(seen, not_answering, now);
  snapshot->topics = std::move(topics);
  brokers::count_partitions(*snapshot);
  snapshot->client_errors = client_.context().errors();
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

}  // namespace ks

#include "collectors/probe/probe_engine.hpp"

#include <spdlog/spdlog.h>

#include <random>

#include "collectors/probe/probe_message.hpp"
#include "kafka/group_consumer.hpp"
#include "kafka/producer.hpp"

namespace ks::probe {
namespace {

using namespace std::chrono_literals;

constexpr auto kPollSlice = 20ms;  // the longest a report or message waits to be timed

std::uint64_t tag_of(std::int32_t partition, std::uint64_t sequence) {
  return (static_cast<std::uint64_t>(partition) << 40) | (sequence & ((1ULL << 40) - 1));
}

std::uint64_t new_run_id() {
  std::random_device device;
  return (static_cast<std::uint64_t>(device()) << 32) ^ device() ^
         static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
}

std::map<std::string, std::string> producer_properties(const ProbeConfig& config) {
  const auto timeout = std::to_string(config.timeout.count());
  return {{"acks", config.acks == "all" ? "all" : config.acks},
          {"linger.ms", "0"},
          {"message.timeout.ms", timeout},
          {"enable.idempotence", "false"},
          {"max.in.flight.requests.per.connection", "5"},
          // A partition added for a broker that joined is unknown to the producer until its
          // next metadata refresh (librdkafka's default: 5 minutes, all of them failing with
          // "Unknown partition"): refreshed as often as the consumer's.
          {"topic.metadata.refresh.interval.ms", "5000"}};
}

std::map<std::string, std::string> consumer_properties(const std::string& group) {
  return {{"group.id", group},
          {"enable.auto.commit", "false"},
          {"auto.offset.reset", "earliest"},
          // Long polls: a broker answers a fetch as soon as a message arrives, so the wait
          // bounds only idle fetches (10 ms made ~300 fetches a second on 3 brokers).
          {"fetch.wait.max.ms", "500"},
          {"topic.metadata.refresh.interval.ms", "5000"},  // new partitions are seen soon
          // A sidecar restarted after a crash gets its partitions from its own group only
          // once its dead predecessor's session is over (librdkafka's default: 45 s), while
          // the fleet's leader gives its broker up as soon as it is back: 10 s of that gap
          // at most (Kafka's group.min.session.timeout.ms is 6 s by default).
          {"session.timeout.ms", "10000"}};
}

}  // namespace

ProbeEngine::ProbeEngine(const KafkaConfig& kafka, const ProbeConfig& config,
                         std::string agent_id, std::string group)
    : config_(config),
      agent_id_(wire_agent_id(agent_id)),
      run_id_(new_run_id()),
      ledger_(config.timeout, config.slow_window) {
  kafka::ProducerSettings ps;
  ps.name = "probe-producer";
  ps.properties = producer_properties(config);
  ps.on_delivery = [this](const kafka::Delivery& d) {
    const auto partition = static_cast<std::int32_t>(d.tag >> 40);
    const std::uint64_t sequence = d.tag & ((1ULL << 40) - 1);
    std::optional<std::string> error;
    if (!d.delivered()) error = kafka::error_name(d.error);
    std::lock_guard lock(mutex_);
    ledger_.on_acked(partition, sequence, Clock::now(), error);
  };
  producer_ = std::make_unique<kafka::Producer>(kafka, std::move(ps));
  kafka::GroupConsumerSettings cs;
  cs.name = "probe-consumer";
  cs.properties = consumer_properties(group);
  cs.copy_values = true;
  cs.on_rebalance = [this](const kafka::Rebalance& r) {
    std::lock_guard lock(mutex_);
    if (r.kind != kafka::Rebalance::Kind::assigned) assigned_.clear();
    for (const kafka::TopicPartition& tp : r.partitions) {
      if (r.kind == kafka::Rebalance::Kind::assigned) assigned_.insert(tp.partition);
    }
  };
  consumer_ = std::make_unique<kafka::GroupConsumer>(kafka, std::move(cs));
  consumer_->subscribe({config_.topic});
  spdlog::info("probe: topic {}, group {}, agent {}, run {:x}", config_.topic, group, agent_id_,
               run_id_);
  thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
}

ProbeEngine::~ProbeEngine() {
  thread_.request_stop();
  if (thread_.joinable()) thread_.join();
  producer_->purge();
  producer_->poll(0ms);
  // Leaves the group without waiting long (the group is this agent's alone: nobody waits
  // for a rebalance); a coordinator that does not answer in time lets the session expire.
  if (!consumer_->close_within(1s)) spdlog::warn("probe: leaving group timed out");
}

void ProbeEngine::set_targets(std::vector<ProbeTarget> targets) {
  std::lock_guard lock(mutex_);
  targets_ = std::move(targets);
}

std::int32_t ProbeEngine::leader_of(std::int32_t partition) const {
  for (const ProbeTarget& t : targets_) {
    if (t.partition == partition) return t.leader;
  }
  return -1;
}

void ProbeEngine::run(std::stop_token stop) {
  auto next_send = Clock::now();
  while (!stop.stop_requested()) {
    if (Clock::now() >= next_send) {
      send_round();
      next_send += config_.interval;
      // After a stall (a busy machine), the next round starts from now: no burst of rounds.
      if (next_send < Clock::now()) next_send = Clock::now() + config_.interval;
    }
    if (auto message = consumer_->poll(kPollSlice)) on_message(*message);
    producer_->poll(0ms);
    serve_commits();
    std::lock_guard lock(mutex_);
    ledger_.expire(Clock::now());
  }
}

void ProbeEngine::send_round() {
  std::unique_lock lock(mutex_);
  const std::vector<ProbeTarget> targets = targets_;
  for (const ProbeTarget& t : targets) {
    if (!assigned_.contains(t.partition)) continue;
    const std::uint64_t sequence = ledger_.next_sequence(t.partition);
    const auto unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch()).count();
    const std::string value = encode({agent_id_, run_id_, t.partition, sequence, unix_ms},
                                     static_cast<std::size_t>(config_.message_size));
    const auto now = Clock::now();
    ledger_.on_sent(t.partition, sequence, t.leader, now);
    bytes_sent_ += value.size() + agent_id_.size();
    lock.unlock();  // the producer may serve delivery reports, which lock
    kafka::OutgoingMessage message;
    message.topic = config_.topic;
    message.key = agent_id_;  // tells the agents sharing the topic apart without decoding
    message.value = value;
    message.partition = t.partition;
    const kafka::ErrorCode error = producer_->produce(message, tag_of(t.partition, sequence));
    lock.lock();
    if (kafka::failed(error)) ledger_.on_acked(t.partition, sequence, now, kafka::error_name(error));
  }
}

void ProbeEngine::on_message(const kafka::ConsumedMessage& m) {
  const auto now = Clock::now();
  if (m.error == kafka::ErrorCode::local_partition_eof) return;
  if (kafka::failed(m.error)) {
    if (m.partition < 0) return;  // the consumer's own (transport) errors: librdkafka retries
    std::lock_guard lock(mutex_);
    ledger_.on_fetch_error(m.partition, leader_of(m.partition), kafka::error_name(m.error));
    return;
  }
  const std::optional<ProbeMessage> decoded = decode(m.value);
  if (!decoded || decoded->agent != agent_id_ || decoded->run != run_id_ ||
      decoded->partition != m.partition) {
    return;  // another agent's, an earlier run's, or not a probe message
  }
  std::optional<std::int32_t> broker;
  {
    std::lock_guard lock(mutex_);
    broker = ledger_.on_received(m.partition, decoded->sequence, now);
  }
  if (!broker) return;
  const std::uint64_t tag = next_commit_tag_++;
  const std::vector<kafka::TopicPartition> offsets{
      kafka::at_offset(config_.topic, m.partition, m.offset + 1)};
  if (!kafka::failed(consumer_->commit_async(offsets, tag))) {
    commits_[tag] = {m.partition, *broker, Clock::now()};
  }
}

void ProbeEngine::serve_commits() {
  for (const kafka::CommitResult& r : consumer_->commit_results()) {
    const auto it = commits_.find(r.tag);
    if (it == commits_.end()) continue;
    std::optional<std::string> error;
    if (kafka::failed(r.outcome())) error = kafka::error_name(r.outcome());
    std::lock_guard lock(mutex_);
    ledger_.on_commit(it->second.partition, it->second.broker, Clock::now() - it->second.sent, error);
    commits_.erase(it);
  }
}

EngineView ProbeEngine::view(const std::vector<std::int32_t>& brokers) {
  std::lock_guard lock(mutex_);
  EngineView v;
  v.partitions = ledger_.stats();
  v.failures = ledger_.take_failures();
  for (const std::int32_t b : brokers) v.p99[b] = ledger_.recent_p99(b);
  v.bytes_sent = bytes_sent_;
  v.assigned = assigned_;
  return v;
}

}  // namespace ks::probe

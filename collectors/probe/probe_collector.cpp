#include "collectors/probe/probe_collector.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <set>

#include "collectors/probe/probe_engine.hpp"
#include "collectors/probe/probe_health.hpp"
#include "kafka/admin_client.hpp"
#include "kafka/create_partitions.hpp"
#include "kafka/metadata.hpp"

namespace ks::probe {
namespace {

using namespace std::chrono_literals;

// A topic just created or grown takes a moment to show in the metadata: not asked again
// within this.
constexpr auto kChangeSpacing = 15s;

const kafka::TopicMetadata* find_topic(const kafka::ClusterMetadata& m, const std::string& name) {
  for (const kafka::TopicMetadata& t : m.topics) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

bool usable(const kafka::TopicMetadata* topic) {
  return topic && !kafka::failed(topic->error) && !topic->partitions.empty();
}

std::vector<std::int32_t> broker_ids(const kafka::ClusterMetadata& m) {
  std::vector<std::int32_t> ids;
  for (const kafka::BrokerMetadata& b : m.brokers) ids.push_back(b.id);
  return ids;
}

// The brokers the grow request adds a partition for: each new partition's preferred leader.
std::vector<std::int32_t> first_replicas(const std::vector<std::vector<std::int32_t>>& grow) {
  std::vector<std::int32_t> out;
  for (const std::vector<std::int32_t>& replicas : grow) {
    if (!replicas.empty()) out.push_back(replicas.front());
  }
  return out;
}

}  // namespace

ProbeCollector::ProbeCollector(const KafkaConfig& kafka, const ProbeConfig& config,
                               ProbeIdentity identity, Latest<ProbeSnapshot>& out)
    : kafka_(kafka),
      config_(config),
      identity_(std::move(identity)),
      out_(out),
      grace_(ProbeGrace::length_for(config.timeout, config.interval)),
      adoption_(identity_.adoption_hold) {}

ProbeCollector::~ProbeCollector() = default;

std::string ProbeCollector::status_note() const { return note_; }

bool ProbeCollector::manage_topic(const kafka::ClusterMetadata& metadata, std::stop_token stop) {
  if (!config_.manage_topic || std::chrono::steady_clock::now() - last_change_ < kChangeSpacing) {
    return false;
  }
  const kafka::TopicMetadata* topic = find_topic(metadata, config_.topic);
  kafka::CreateTopicsOptions options;
  options.request_timeout = kafka_.request_timeout;
  options.deadline = std::chrono::steady_clock::now() + kafka_.request_timeout;
  options.give_up = [&stop] { return stop.stop_requested(); };
  if (!usable(topic)) {
    kafka::NewTopic spec;
    spec.name = config_.topic;
    spec.partitions = static_cast<int>(metadata.brokers.size());
    spec.replication_factor = config_.replication_factor;
    // Only the last minutes matter to anyone: an hour kept, in 10-minute segments.
    spec.configs = {{"retention.ms", "3600000"}, {"segment.ms", "600000"}};
    // Without a replication factor, Kafka's own spread gives each broker one partition.
    kafka::ReplicaAssignment assignment;
    if (config_.replication_factor > 0) {
      assignment = initial_assignment(broker_ids(metadata), config_.replication_factor);
    }
    const kafka::TopicCreation created = admin_->create_topic(spec, options, assignment);
    spdlog::info("probe: creating topic {} ({} partitions): {}", config_.topic, spec.partitions,
                 created.ok() ? "done" : created.message);
    last_change_ = std::chrono::steady_clock::now();
    // Whatever the answer (it may have been created anyway, or by another agent): bounded.
    start_grace(broker_ids(metadata));
    return true;
  }
  const int rf = static_cast<int>(topic->partitions.front().replicas.size());
  const auto grow = growth_assignment(broker_ids(metadata), topic->partitions, rf);
  if (grow.empty()) return false;
  const int total = static_cast<int>(topic->partitions.size() + grow.size());
  const kafka::GrowthResult grown =
      kafka::create_partitions(admin_->client(), {config_.topic, total, grow}, options);
  spdlog::info("probe: growing topic {} to {} partitions (a partition led by each broker): {}",
               config_.topic, total, grown.ok() ? "done" : grown.message);
  last_change_ = std::chrono::steady_clock::now();
  start_grace(first_replicas(grow));
  return true;
}

void ProbeCollector::start_grace(const std::vector<std::int32_t>& brokers) {
  grace_.start(brokers, last_change_);
  spdlog::info("probe: brokers {} not judged failing until their new partitions serve (at most {} ms)",
               fmt::join(grace_.brokers_in_grace(), ","),
               ProbeGrace::length_for(config_.timeout, config_.interval).count());
}

void ProbeCollector::watch_unled(const kafka::ClusterMetadata& metadata,
                                 const std::vector<kafka::PartitionMetadata>& partitions) {
  std::set<std::int32_t> live;
  for (const kafka::BrokerMetadata& b : metadata.brokers) live.insert(b.id);
  const auto began = grace_.watch(partitions, live, std::chrono::steady_clock::now());
  if (began.empty()) return;
  spdlog::info("probe: brokers {} have new partitions (just added, or no leader yet): not "
               "judged failing until they serve (at most {} ms)", fmt::join(began, ","),
               ProbeGrace::length_for(config_.timeout, config_.interval).count());
}

void ProbeCollector::collect_once(std::stop_token stop) {
  if (!admin_) admin_ = std::make_unique<kafka::AdminClient>(kafka_, "probe-admin");
  const kafka::ClusterMetadata metadata =
      kafka::fetch_topic_metadata(admin_->client(), config_.topic, kafka_.request_timeout, stop);
  if (manage_topic(metadata, stop)) return;  // the next cycle sees the change
  const kafka::TopicMetadata* topic = find_topic(metadata, config_.topic);
  const std::vector<kafka::PartitionMetadata> none;
  const auto& partitions = usable(topic) ? topic->partitions : none;
  const Coverage coverage = cover(metadata.brokers, partitions, answer_for(metadata));
  if (usable(topic) && !engine_) {
    engine_ = std::make_unique<ProbeEngine>(kafka_, config_, identity_.agent_id, identity_.group);
  }
  if (engine_) engine_->set_targets(coverage.targets);
  watch_unled(metadata, partitions);
  note_ = usable(topic) ? "" : fmt::format("probe topic {} not found{}", config_.topic,
                                           config_.manage_topic ? "" : " (probe.manage_topic is false)");
  publish(coverage, metadata, static_cast<int>(partitions.size()));
}

std::optional<std::set<std::int32_t>> ProbeCollector::answer_for(
    const kafka::ClusterMetadata& metadata) {
  if (identity_.own_broker < 0) return std::nullopt;
  std::optional<std::vector<std::int32_t>> unclaimed;
  if (const auto claimed = identity_.fleet_claims ? identity_.fleet_claims() : std::nullopt) {
    unclaimed = adopted_brokers(metadata.brokers, *claimed, identity_.own_broker);
  }
  const std::vector<std::int32_t> adopted =
      adoption_.update(unclaimed, std::chrono::steady_clock::now());
  if (adopted != adopted_) {
    spdlog::info("probe: answering for broker {} and, as the fleet's leader, for brokers [{}] "
                 "that no sidecar of the fleet claims (was [{}])",
                 identity_.own_broker, fmt::join(adopted, ","), fmt::join(adopted_, ","));
    adopted_ = adopted;
  }
  std::set<std::int32_t> brokers(adopted.begin(), adopted.end());
  brokers.insert(identity_.own_broker);
  return brokers;
}

void ProbeCollector::publish(const Coverage& coverage, const kafka::ClusterMetadata& metadata,
                             int partitions) {
  auto snapshot = std::make_shared<ProbeSnapshot>();
  snapshot->taken_at = std::chrono::system_clock::now();
  snapshot->topic = config_.topic;
  snapshot->agent_id = identity_.agent_id;
  snapshot->managed = config_.manage_topic;
  snapshot->topic_partitions = partitions;
  snapshot->uncovered = coverage.uncovered;
  snapshot->adopted = adopted_;
  snapshot->failing_intervals = config_.failing_intervals;
  snapshot->slow_threshold = config_.slow_threshold;
  EngineView view = engine_ ? engine_->view(coverage.answered_for) : EngineView{};
  snapshot->partitions = std::move(view.partitions);
  snapshot->bytes_sent = view.bytes_sent;
  BrokerFindings findings;
  for (const kafka::BrokerMetadata& b : metadata.brokers) findings.live.insert(b.id);
  findings.failures = std::move(view.failures);
  findings.p99 = std::move(view.p99);
  grace_.update(received_by_broker(snapshot->partitions), std::chrono::steady_clock::now());
  snapshot->brokers = judge_brokers(coverage, findings, grace_);
  out_.publish(std::move(snapshot));
}

}  // namespace ks::probe

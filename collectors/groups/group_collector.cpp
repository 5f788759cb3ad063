#include "collectors/groups/group_collector.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>
#include <set>
#include <unordered_map>
#include <utility>

#include "collectors/groups/shared_watermarks.hpp"
#include "kafka/group_admin.hpp"
#include "kafka/metadata.hpp"
#include "kafka/partition_reader.hpp"
#include "kafka/watermarks.hpp"

namespace ks {
namespace {

using Clock = std::chrono::steady_clock;
using groups::CycleObservations;
using groups::GroupDescription;
using groups::GroupObservation;
using groups::TopicPartition;

// A request not answered by then is abandoned (its librdkafka timeout should fire first).
constexpr auto kGrace = std::chrono::seconds(1);

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

GroupDescription to_description(kafka::DescribedGroup&& d) {
  GroupDescription description;
  description.state = std::move(d.state);
  description.protocol = std::move(d.assignor);
  description.members = d.members;
  description.assigned.reserve(d.assigned.size());
  for (auto& [topic, partition] : d.assigned) description.assigned.push_back({std::move(topic), partition});
  description.assigned_to = std::move(d.assigned_to);
  description.assignees = std::move(d.assignees);
  return description;
}

// One group's DescribeGroups result into its observation.
void observe_description(kafka::GroupDescriptionResult&& result, GroupObservation& group) {
  if (!result.description) {
    group.describe_error = std::move(result.error);
    group.described_as_gone = result.not_found;
    return;
  }
  GroupDescription description = to_description(std::move(*result.description));
  if (groups::description_contradicts_listing(description, group.listed_state)) {
    group.described_as_gone = true;
    group.describe_error = fmt::format(
        "DescribeGroups answered Dead for a group listed as {} (a KIP-848 group?)",
        group.listed_state);
    return;
  }
  group.description = std::move(description);
}

// One group's committed offsets into its observation.
void observe_offsets(kafka::GroupOffsetsResult&& result, GroupObservation& group) {
  if (!result.fetched) {
    group.offsets_error = std::move(result.error);
    group.offsets_group_not_found = result.not_found;
    return;
  }
  group.committed.reserve(result.committed.size());
  for (kafka::CommittedOffset& c : result.committed) {
    group.committed.push_back({{std::move(c.topic), c.partition}, c.offset});
  }
  group.offsets_fetched = true;
}

std::vector<std::string> names_of(const std::vector<GroupObservation>& groups) {
  std::vector<std::string> names;
  names.reserve(groups.size());
  for (const GroupObservation& group : groups) names.push_back(group.name);
  return names;
}

}  // namespace

// Leader of every partition of this cycle's metadata.
struct GroupCollector::Topology {
  std::unordered_map<std::string, std::vector<std::int32_t>> leaders;  // by partition id
  std::size_t brokers = 0;

  explicit Topology(const kafka::ClusterMetadata& md) : brokers(md.brokers.size()) {
    leaders.reserve(md.topics.size());
    for (const kafka::TopicMetadata& topic : md.topics) {
      if (topic.error == kafka::ErrorCode::unknown_topic_or_part) continue;
      std::vector<std::int32_t>& by_id = leaders[topic.name];
      for (const kafka::PartitionMetadata& partition : topic.partitions) {
        if (partition.id < 0) continue;
        const auto id = static_cast<std::size_t>(partition.id);
        if (by_id.size() <= id) by_id.resize(id + 1, -1);
        by_id[id] = partition.leader;
      }
    }
  }

  std::int32_t leader(const TopicPartition& tp) const {
    const auto it = leaders.find(tp.topic);
    if (it == leaders.end() || tp.partition < 0 ||
        static_cast<std::size_t>(tp.partition) >= it->second.size()) {
      return -1;
    }
    return it->second[static_cast<std::size_t>(tp.partition)];
  }
};

GroupCollector::GroupCollector(const KafkaConfig& kafka, const GroupsCollectorConfig& config,
                               Latest<GroupsSnapshot>& out)
    : GroupCollector(kafka, config, out, Options{}) {}

GroupCollector::GroupCollector(const KafkaConfig& kafka, const GroupsCollectorConfig& config,
                               Latest<GroupsSnapshot>& out, Options options)
    : kafka_(kafka),
      config_(config),
      out_(out),
      options_(std::move(options)),
      shared_(options_.shared_client ? options_.shared_client
                                     : std::make_shared<kafka::SharedClient>(kafka, "groups")),
      filter_(config.groups),
      evaluator_(groups::EvaluatorParams{
          .history_points = static_cast<std::size_t>(std::max(2, config.lag_history_points)),
          .status_window = static_cast<std::size_t>(std::max(2, config.status_window_commits)),
          .collect_interval = config.interval}) {}

const kafka::Client& GroupCollector::client() const { return kafka::client_or_none(client_); }

std::string GroupCollector::cycle_problem() const {
  std::string problem = shared_->failure_note()->describe();
  return problem.empty() ? failure_note_->describe() : problem;
}

void GroupCollector::ensure_client() {
  if (replace_client_) {
    // rd_kafka_destroy fails the calls it still holds, never sends them: once the brokers
    // collector, sharing it, lets go of it too (at its next cycle).
    shared_->retire(client_);
    replace_client_ = false;
  }
  // The admin API's OffsetFetch needs a group.id on the handle (kafka/client.hpp); the
  // stream sends none, and a group.id costs librdkafka a consumer group object and a
  // coordinator connection whose thread wakes every second: given only when needed. A
  // client the brokers collector made without it is replaced by one with it.
  auto properties = offsets_from_stream() ? kafka::watermark_consumer_properties()
                                          : kafka::offset_fetch_consumer_properties(kafka_.client_id);
  for (const auto& [key, value] : options_.extra_properties) properties[key] = value;
  properties.merge(kafka::statistics_properties(kafka_));  // polled every cycle; extras win
  client_ = shared_->get(properties);
}

kafka::AdminBatchOptions GroupCollector::batch_options(int max_in_flight) const {
  return {.max_in_flight = max_in_flight,
          .request_timeout = kafka_.request_timeout,
          .deadline = Clock::now() + kafka_.request_timeout + kGrace};
}

std::vector<GroupCollector::Listing> GroupCollector::list_groups(GroupsCycleStats& stats,
                                                                 std::stop_token stop) {
  const auto started = Clock::now();
  kafka::GroupList list = kafka::list_groups(*client_, batch_options(1), std::move(stop));
  stats.list_seconds = seconds_since(started);
  stats.list_complete = list.answered && list.errors.empty();
  if (!list.answered && list.groups.empty()) {
    throw CollectError(fmt::format("ListConsumerGroups failed: {}",
                                   list.errors.empty() ? "no answer" : list.errors.front()));
  }
  // Logged when it changes, not every cycle while a broker is down (the metrics say it).
  if (!list.errors.empty()) {
    spdlog::log(list_was_complete_ ? spdlog::level::warn : spdlog::level::debug,
                "groups: ListConsumerGroups incomplete ({} broker errors, first: {}); keeping "
                "the {} groups known before",
                list.errors.size(), list.errors.front(), last_monitored_.size());
  } else if (!list_was_complete_) {
    spdlog::info("groups: ListConsumerGroups complete again");
  }
  list_was_complete_ = stats.list_complete;
  stats.groups_listed = list.groups.size();
  std::vector<Listing> names;
  names.reserve(list.groups.size());
  for (kafka::GroupListing& g : list.groups) names.push_back({std::move(g.group), std::move(g.state)});
  return names;
}

void GroupCollector::describe_groups(std::vector<GroupObservation>& groups, GroupsCycleStats& stats,
                                     std::stop_token stop) {
  const auto started = Clock::now();
  kafka::GroupDescriptions described =
      kafka::describe_groups(*client_, names_of(groups), options_.describe_groups_per_call,
                             batch_options(config_.max_concurrent_requests), std::move(stop));
  stats.describe_groups_requests += described.requests;
  replace_client_ = replace_client_ || described.stats.left_in_client > 0;
  for (std::size_t i = 0; i < groups.size(); ++i) {
    observe_description(std::move(described.groups[i]), groups[i]);
  }
  stats.describe_seconds = seconds_since(started);
}

Clock::time_point GroupCollector::fetch_offsets(std::vector<GroupObservation>& groups,
                                                GroupsCycleStats& stats, std::stop_token stop) {
  const auto started = Clock::now();
  kafka::GroupOffsets offsets = kafka::fetch_group_offsets(
      *client_, names_of(groups), batch_options(config_.max_concurrent_requests), std::move(stop));
  stats.offset_fetch_requests += offsets.stats.started;
  replace_client_ = replace_client_ || offsets.stats.left_in_client > 0;
  for (std::size_t i = 0; i < groups.size(); ++i) observe_offsets(std::move(offsets.groups[i]), groups[i]);
  stats.offsets_seconds = seconds_since(started);
  const auto first = offsets.stats.first_started;
  return first == Clock::time_point{} ? started : first;
}

// The partitions this cycle's groups have commits on, by topic.
groups::CommittedPartitions GroupCollector::committed_partitions(
    const CycleObservations& observations) const {
  groups::CommittedPartitions committed;
  for (const GroupObservation& group : observations.groups) {
    if (observations.fill) {
      stream_->add_committed(group.name, committed);  // filled later: read from the stream
    } else {
      for (const groups::CommittedOffset& c : group.committed) committed[c.tp.topic].insert(c.tp.partition);
    }
  }
  return committed;
}

// Every partition of every topic some group has commits on: the committed ones for lag,
// the others so that a group arriving later on them finds a history already there.
std::vector<TopicPartition> GroupCollector::watermark_partitions(const Topology& topology,
                                                                 const groups::CommittedPartitions& committed) {
  std::vector<TopicPartition> wanted;
  for (const auto& [topic, partitions] : committed) {
    std::set<std::int32_t> all = partitions;
    if (const auto it = topology.leaders.find(topic); it != topology.leaders.end()) {
      for (std::size_t p = 0; p < it->second.size(); ++p) all.insert(static_cast<std::int32_t>(p));
    }
    for (const std::int32_t p : all) wanted.push_back({topic, p});
  }
  return wanted;
}

void GroupCollector::fetch_watermarks(const Topology& topology, CycleObservations& observations,
                                      GroupsCycleStats& stats, std::stop_token stop) {
  const auto started = Clock::now();
  const std::vector<TopicPartition> wanted =
      watermark_partitions(topology, committed_partitions(observations));
  std::vector<kafka::WatermarkRequest> requests;
  requests.reserve(wanted.size());
  std::set<std::int32_t> leaders;
  for (const TopicPartition& tp : wanted) {
    // Offline or unknown (leader -1): no watermark, counted by the evaluator.
    requests.push_back({tp.topic, tp.partition, topology.leader(tp)});
    if (requests.back().leader >= 0) leaders.insert(requests.back().leader);
  }
  kafka::WatermarkResults results;
  if (!leaders.empty()) {
    results = kafka::fetch_watermarks(
        *client_, requests,
        {.timeout = kafka_.request_timeout,
         .max_concurrent_calls = static_cast<int>(std::min<std::size_t>(16, leaders.size() * 2))},
        std::move(stop));
  }
  observations.watermarks_at = Clock::now();
  observations.taken_at = std::chrono::system_clock::now();
  if (options_.share_watermarks) {
    // For the brokers collector (the middle of the fetch: when the brokers answered).
    auto round = groups::shareable_round(requests, results, started + (observations.watermarks_at - started) / 2);
    if (round) options_.share_watermarks->publish(std::move(round));
  }
  for (const kafka::BrokerWatermarkOutcome& b : results.brokers) stats.list_offsets_requests += 2 * b.batches;
  observations.watermarks.reserve(wanted.size());
  for (std::size_t i = 0; i < results.offsets.size(); ++i) {
    const kafka::PartitionWatermarks& w = results.offsets[i];
    if (w.known()) observations.watermarks.emplace(wanted[i], groups::Watermarks{w.low, w.high});
  }
  stats.watermarks_seconds = seconds_since(started);
}

// Metadata: partition leaders for the watermarks, partition counts, broker count.
GroupCollector::Topology GroupCollector::fetch_topology(GroupsCycleStats& stats,
                                                        std::stop_token stop) {
  const auto started = Clock::now();
  stats.metadata_requests = 1;
  try {
    Topology topology(kafka::fetch_metadata(*client_, kafka_.request_timeout, std::move(stop)));
    stats.metadata_seconds = seconds_since(started);
    return topology;
  } catch (const kafka::StopRequested&) {
    throw;
  } catch (const kafka::KafkaError& e) {
    throw CollectError(
        fmt::format("cluster unreachable at {}: {}", kafka_.bootstrap_servers, e.what()));
  }
}

// The monitored groups of this cycle's listing (plus, when the listing is incomplete, the
// groups monitored before), by name, each once, filtered.
void GroupCollector::select_groups(std::vector<Listing> listed, CycleObservations& observations,
                                   GroupsCycleStats& stats) {
  if (!stats.list_complete) {
    for (const std::string& name : last_monitored_) listed.push_back({name, ""});
  }
  // By name; a listing with a state wins over a kept name without one.
  std::sort(listed.begin(), listed.end(), [](const Listing& a, const Listing& b) {
    return a.name != b.name ? a.name < b.name : a.state > b.state;
  });
  listed.erase(std::unique(listed.begin(), listed.end(),
                           [](const Listing& a, const Listing& b) { return a.name == b.name; }),
               listed.end());
  std::erase_if(listed, [&](const Listing& l) {
    return !filter_.matches(l.name) || (options_.owns_group && !options_.owns_group(l.name));
  });
  stats.groups_monitored = listed.size();
  last_monitored_.clear();
  observations.groups.reserve(listed.size());
  for (Listing& l : listed) {
    last_monitored_.push_back(l.name);
    GroupObservation& group = observations.groups.emplace_back();
    group.name = std::move(l.name);
    group.listed_state = std::move(l.state);
  }
}

// A group deleted since the listing is gone, not an error; the rest are counted.
void GroupCollector::count_outcomes(CycleObservations& observations, GroupsCycleStats& stats) {
  // Groups filled at evaluation (the stream) are described and fetched by construction.
  if (observations.fill) {
    count_totals(stats);
    return;
  }
  stats.groups_vanished = groups::drop_vanished_groups(observations.groups);
  stats.groups_monitored -= stats.groups_vanished;
  if (stats.groups_vanished > 0) {
    last_monitored_.clear();
    for (const GroupObservation& group : observations.groups) last_monitored_.push_back(group.name);
  }
  for (const GroupObservation& group : observations.groups) {
    if (!group.description) ++stats.describe_errors;
    if (!group.offsets_fetched) ++stats.offsets_errors;
  }
  count_totals(stats);
}

void GroupCollector::count_totals(GroupsCycleStats& stats) {
  groups_vanished_total_ += stats.groups_vanished;
  stats.groups_vanished_total = groups_vanished_total_;
  describe_errors_total_ += stats.describe_errors;
  offsets_errors_total_ += stats.offsets_errors;
  stats.describe_errors_total = describe_errors_total_;
  stats.offsets_errors_total = offsets_errors_total_;
}

// Join and evaluate, then publish.
void GroupCollector::evaluate_and_publish(CycleObservations observations,
                                          const GroupsCycleStats& stats,
                                          Clock::time_point cycle_start) {
  const auto evaluate_started = Clock::now();
  auto snapshot = std::make_shared<GroupsSnapshot>(evaluator_.evaluate(std::move(observations), stats));
  watermark_errors_total_ += snapshot->cycle.watermark_errors;
  snapshot->cycle.watermark_errors_total = watermark_errors_total_;
  snapshot->cycle.evaluate_seconds = seconds_since(evaluate_started);
  last_cycle_ = snapshot->cycle;
  if (stats.describe_errors + stats.offsets_errors + snapshot->cycle.watermark_errors > 0) {
    spdlog::debug("groups: cycle with {} describe, {} offsets, {} watermark errors",
                  stats.describe_errors, stats.offsets_errors, snapshot->cycle.watermark_errors);
  }
  spdlog::debug("groups: {} groups in {:.3f}s", snapshot->groups.size(), seconds_since(cycle_start));
  out_.publish(std::move(snapshot));
}

std::optional<LoadingProgress> GroupCollector::loading() const {
  std::lock_guard lock(view_mutex_);
  return stream_ ? stream_->loading() : std::nullopt;
}

std::string GroupCollector::status_note() const {
  std::lock_guard lock(view_mutex_);
  return note_;
}

void GroupCollector::fall_back(const std::string& why) {
  fell_back_ = true;
  replace_client_ = true;  // made again with the group.id OffsetFetch needs (ensure_client)
  const std::string note = "source admin_api: fell back from offsets_topic (" + why + ")";
  spdlog::warn("groups: {}", note);
  std::lock_guard lock(view_mutex_);
  stream_.reset();
  note_ = note;
}

// The stream when the source is (or, in auto, may be) offsets_topic: opened on the first
// cycle and read to its end before the first snapshot.
bool GroupCollector::offsets_from_stream() const {
  return config_.source != "admin_api" && !fell_back_;
}

bool GroupCollector::use_stream(std::stop_token stop) {
  if (!offsets_from_stream()) return false;
  using Kind = kafka::PartitionReadError::Kind;
  const bool fallback_allowed = config_.source == "auto";
  try {
    if (!stream_) {
      auto stream = std::make_shared<groups::OffsetsStream>(
          kafka_, options_.offsets_partitions,
          static_cast<std::size_t>(std::max(2, config_.status_window_commits)), failure_note_,
          stop);
      std::lock_guard lock(view_mutex_);
      stream_ = std::move(stream);
      note_ = "source offsets_topic";
    }
    stream_->load(std::move(stop));  // returns at once once loaded
    return true;
  } catch (const kafka::PartitionReadError& e) {
    if (e.kind() == Kind::not_permitted && fallback_allowed) {
      fall_back(e.what());
      return false;
    }
    if (e.kind() == Kind::no_topic) {
      // No group has ever committed (Kafka creates the topic at the first one): nothing to
      // read yet; tried again next cycle.
      std::lock_guard lock(view_mutex_);
      note_ = std::string("source offsets_topic: ") + e.what() + " (no group yet?)";
      return true;
    }
    throw CollectError(std::string("reading __consumer_offsets: ") + e.what());
  }
}

// Committed offsets, members and assignments from the stream: what was written since the
// last cycle is applied first.
GroupCollector::Clock::time_point GroupCollector::observe_stream(CycleObservations& observations,
                                                                 GroupsCycleStats& stats,
                                                                 std::stop_token stop) {
  stats.source = "offsets_topic";
  observations.judged_on_commits = true;
  if (!stream_) return Clock::now();  // no topic yet: no commits anywhere
  const auto started = Clock::now();
  const auto budget = std::min<std::chrono::milliseconds>(config_.interval / 2, std::chrono::seconds(5));
  try {
    stream_->drain(std::move(stop), budget);
  } catch (const kafka::PartitionReadError& e) {
    if (config_.source != "auto") throw CollectError(std::string("reading __consumer_offsets: ") + e.what());
    fall_back(e.what());
    throw CollectError("__consumer_offsets no longer readable; the admin API from the next cycle");
  }
  if (stop.stop_requested()) throw kafka::StopRequested("groups: stopping");
  stats.offsets_seconds = seconds_since(started);
  const auto read_at = Clock::now();
  // A group of a partition not read to its end yet (taken over) waits: not reported.
  stats.groups_catching_up = std::erase_if(
      observations.groups, [&](const GroupObservation& group) { return !stream_->ready(group.name); });
  stats.groups_monitored -= stats.groups_catching_up;
  for (const GroupObservation& group : observations.groups) {
    stats.unmapped_assignments += stream_->unmapped_assignments(group.name);
  }
  // Each group's offsets and description are taken from the stream's state when it is
  // evaluated: nothing drains the stream in between (this thread does, next cycle).
  observations.fill = [stream = stream_](GroupObservation& group) { stream->observe(group); };
  groups::StreamFigures f = stream_->figures();
  stats.stream_partitions = std::move(f.partition_caught_up);
  stats.stream_records = f.records;
  stats.stream_offset_commits = f.decoded.offset_commits;
  stats.stream_offset_tombstones = f.decoded.offset_tombstones;
  stats.stream_group_metadata = f.decoded.group_metadata + f.decoded.group_tombstones;
  stats.stream_consumer_group = f.decoded.consumer_group_records;
  stats.stream_skipped = f.decoded.skipped;
  stats.stream_unknown = f.decoded.unknown;
  stats.stream_malformed = f.decoded.malformed;
  stats.stream_lag = f.lag;
  return read_at;
}

// Committed offsets, members and assignments by request: DescribeGroups and OffsetFetch for
// every group.
GroupCollector::Clock::time_point GroupCollector::observe_admin(std::vector<GroupObservation>& groups,
                                                                GroupsCycleStats& stats,
                                                                std::stop_token stop) {
  stats.source = "admin_api";
  describe_groups(groups, stats, stop);
  return fetch_offsets(groups, stats, stop);
}

void GroupCollector::collect_once(std::stop_token stop) {
  const auto cycle_start = Clock::now();
  CycleObservations observations;
  GroupsCycleStats stats;
  // The source first: the client's properties depend on it (ensure_client).
  const bool streaming = use_stream(stop);
  try {
    ensure_client();
  } catch (const std::exception& e) {
    throw CollectError(e.what());
  }
  client_->poll();  // serves the error callback

  const Topology topology = fetch_topology(stats, stop);
  for (const auto& [topic, leaders] : topology.leaders) {
    observations.topic_partitions.emplace(topic, static_cast<int>(leaders.size()));
  }
  std::vector<Listing> listed = list_groups(stats, stop);
  stats.list_groups_requests = std::max<std::size_t>(topology.brokers, 1);  // one per broker
  select_groups(std::move(listed), observations, stats);

  // Members, assignments and committed offsets, then at once watermarks: the two halves of
  // every lag are taken as close together as we can.
  const auto offsets_started = streaming ? observe_stream(observations, stats, stop)
                                         : observe_admin(observations.groups, stats, stop);
  fetch_watermarks(topology, observations, stats, stop);
  stats.offsets_watermarks_gap_seconds =
      std::chrono::duration<double>(observations.watermarks_at - offsets_started).count();

  count_outcomes(observations, stats);
  evaluate_and_publish(std::move(observations), stats, cycle_start);
}

}  // namespace ks

#include "collectors/groups/group_collector.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "kafka/group_admin.hpp"
#include "kafka/watermarks.hpp"

namespace ks {
namespace {

using Clock = std::chrono::steady_clock;
using groups::AdminPipeline;
using groups::CycleObservations;
using groups::GroupDescription;
using groups::GroupObservation;
using groups::TopicPartition;

// A request not answered by then is abandoned (its librdkafka timeout should fire first).
constexpr auto kGrace = std::chrono::seconds(1);

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string event_error(rd_kafka_event_t* event) {
  if (!event) return "not answered before the deadline";
  if (rd_kafka_event_error(event) == RD_KAFKA_RESP_ERR_NO_ERROR) return {};
  const char* text = rd_kafka_event_error_string(event);
  return fmt::format("{} ({})", text ? text : "", rd_kafka_err2name(rd_kafka_event_error(event)));
}

std::string error_text(const rd_kafka_error_t* error) {
  return fmt::format("{} ({})", rd_kafka_error_string(error), rd_kafka_error_name(error));
}

GroupDescription read_description(const rd_kafka_ConsumerGroupDescription_t* d) {
  GroupDescription description;
  description.state =
      rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupDescription_state(d));
  if (const char* assignor = rd_kafka_ConsumerGroupDescription_partition_assignor(d)) {
    description.protocol = assignor;
  }
  const std::size_t members = rd_kafka_ConsumerGroupDescription_member_count(d);
  description.members = static_cast<int>(members);
  for (std::size_t m = 0; m < members; ++m) {
    const rd_kafka_MemberDescription_t* member = rd_kafka_ConsumerGroupDescription_member(d, m);
    const rd_kafka_MemberAssignment_t* assignment =
        member ? rd_kafka_MemberDescription_assignment(member) : nullptr;
    const rd_kafka_topic_partition_list_t* partitions =
        assignment ? rd_kafka_MemberAssignment_partitions(assignment) : nullptr;
    if (!partitions) continue;
    for (int i = 0; i < partitions->cnt; ++i) {
      description.assigned.push_back({partitions->elems[i].topic, partitions->elems[i].partition});
    }
  }
  return description;
}

}  // namespace

// Leader of every partition of this cycle's metadata.
struct GroupCollector::Topology {
  std::unordered_map<std::string, std::vector<std::int32_t>> leaders;  // by partition id
  std::size_t brokers = 0;

  explicit Topology(const rd_kafka_metadata_t& md) : brokers(static_cast<std::size_t>(md.broker_cnt)) {
    leaders.reserve(static_cast<std::size_t>(md.topic_cnt));
    for (int t = 0; t < md.topic_cnt; ++t) {
      const rd_kafka_metadata_topic_t& topic = md.topics[t];
      if (topic.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) continue;
      std::vector<std::int32_t>& by_id = leaders[topic.topic];
      for (int p = 0; p < topic.partition_cnt; ++p) {
        const rd_kafka_metadata_partition_t& partition = topic.partitions[p];
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
      filter_(config.groups),
      evaluator_(groups::EvaluatorParams{
          .history_points = static_cast<std::size_t>(std::max(2, config.lag_history_points)),
          .status_window = static_cast<std::size_t>(std::max(2, config.status_window_commits)),
          .collect_interval = config.interval}) {}

void GroupCollector::ensure_client() {
  if (client_) return;
  auto properties = kafka::offset_fetch_consumer_properties(kafka_.client_id);
  for (const auto& [key, value] : options_.extra_properties) properties[key] = value;
  client_ = kafka::make_client(kafka_, RD_KAFKA_CONSUMER, properties, "groups", {},
                               failure_note_);
}

std::vector<GroupCollector::Listing> GroupCollector::list_groups(GroupsCycleStats& stats) {
  const auto started = Clock::now();
  std::vector<Listing> names;
  std::vector<std::string> errors;
  bool answered = false;
  AdminPipeline pipeline(client_.get(), 1, kafka_.request_timeout);
  pipeline.add(
      RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS, 1,
      [rk = client_.get()](rd_kafka_AdminOptions_t* options, rd_kafka_queue_t* queue) {
        rd_kafka_ListConsumerGroups(rk, options, queue);
      },
      [&](rd_kafka_event_t* event) {
        if (std::string error = event_error(event); !error.empty()) {
          errors.push_back(std::move(error));
          return;
        }
        answered = true;
        const auto* result = rd_kafka_event_ListConsumerGroups_result(event);
        std::size_t count = 0;
        const rd_kafka_ConsumerGroupListing_t** listings =
            rd_kafka_ListConsumerGroups_result_valid(result, &count);
        names.reserve(count);
        for (std::size_t i = 0; i < count; ++i) {
          names.push_back({rd_kafka_ConsumerGroupListing_group_id(listings[i]),
                           rd_kafka_consumer_group_state_name(
                               rd_kafka_ConsumerGroupListing_state(listings[i]))});
        }
        std::size_t error_count = 0;
        const rd_kafka_error_t** failures =
            rd_kafka_ListConsumerGroups_result_errors(result, &error_count);
        for (std::size_t i = 0; i < error_count; ++i) errors.push_back(error_text(failures[i]));
      });
  pipeline.run(Clock::now() + kafka_.request_timeout + kGrace);
  stats.list_seconds = seconds_since(started);
  stats.list_complete = answered && errors.empty();
  if (!answered && names.empty()) {
    throw CollectError(fmt::format("ListConsumerGroups failed: {}",
                                   errors.empty() ? "no answer" : errors.front()));
  }
  // Logged when it changes, not every cycle while a broker is down (the metrics say it).
  if (!errors.empty()) {
    spdlog::log(list_was_complete_ ? spdlog::level::warn : spdlog::level::debug,
                "groups: ListConsumerGroups incomplete ({} broker errors, first: {}); keeping "
                "the {} groups known before",
                errors.size(), errors.front(), last_monitored_.size());
  } else if (!list_was_complete_) {
    spdlog::info("groups: ListConsumerGroups complete again");
  }
  list_was_complete_ = stats.list_complete;
  stats.groups_listed = names.size();
  return names;
}

void GroupCollector::describe_groups(std::vector<GroupObservation>& groups,
                                     GroupsCycleStats& stats) {
  const auto started = Clock::now();
  std::unordered_map<std::string_view, std::size_t> index;
  index.reserve(groups.size());
  for (std::size_t i = 0; i < groups.size(); ++i) index.emplace(groups[i].name, i);

  rd_kafka_t* rk = client_.get();
  AdminPipeline pipeline(rk, config_.max_concurrent_requests, kafka_.request_timeout);
  const std::size_t chunk = static_cast<std::size_t>(std::max(1, options_.describe_groups_per_call));
  for (std::size_t begin = 0; begin < groups.size(); begin += chunk) {
    const std::size_t end = std::min(groups.size(), begin + chunk);
    pipeline.add(
        RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS, static_cast<int>(end - begin),
        [&, rk, begin, end](rd_kafka_AdminOptions_t* options, rd_kafka_queue_t* queue) {
          std::vector<const char*> ids;
          ids.reserve(end - begin);
          for (std::size_t i = begin; i < end; ++i) ids.push_back(groups[i].name.c_str());
          rd_kafka_DescribeConsumerGroups(rk, ids.data(), ids.size(), options, queue);
          stats.describe_groups_requests += end - begin;  // one DescribeGroups per group
        },
        [&, begin, end](rd_kafka_event_t* event) {
          if (std::string error = event_error(event); !error.empty()) {
            for (std::size_t i = begin; i < end; ++i) groups[i].describe_error = error;
            return;
          }
          const auto* result = rd_kafka_event_DescribeConsumerGroups_result(event);
          std::size_t count = 0;
          const rd_kafka_ConsumerGroupDescription_t** descriptions =
              rd_kafka_DescribeConsumerGroups_result_groups(result, &count);
          for (std::size_t d = 0; d < count; ++d) {
            const auto it = index.find(rd_kafka_ConsumerGroupDescription_group_id(descriptions[d]));
            if (it == index.end()) continue;
            GroupObservation& group = groups[it->second];
            if (const rd_kafka_error_t* error =
                    rd_kafka_ConsumerGroupDescription_error(descriptions[d])) {
              group.describe_error = error_text(error);
              group.described_as_gone =
                  rd_kafka_error_code(error) == RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND;
              continue;
            }
            GroupDescription description = read_description(descriptions[d]);
            if (groups::description_contradicts_listing(description, group.listed_state)) {
              group.described_as_gone = true;
              group.describe_error = fmt::format(
                  "DescribeGroups answered Dead for a group listed as {} (a KIP-848 group?)",
                  group.listed_state);
              continue;
            }
            group.description = std::move(description);
          }
          for (std::size_t i = begin; i < end; ++i) {
            if (!groups[i].description && groups[i].describe_error.empty()) {
              groups[i].describe_error = "missing from the DescribeConsumerGroups answer";
            }
          }
        });
  }
  pipeline.run(Clock::now() + kafka_.request_timeout + kGrace);
  stats.describe_seconds = seconds_since(started);
}

Clock::time_point GroupCollector::fetch_offsets(std::vector<GroupObservation>& groups,
                                                GroupsCycleStats& stats) {
  const auto started = Clock::now();
  rd_kafka_t* rk = client_.get();
  AdminPipeline pipeline(rk, config_.max_concurrent_requests, kafka_.request_timeout);
  for (GroupObservation& group : groups) {
    pipeline.add(
        RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS, 1,
        [&group, rk, &stats](rd_kafka_AdminOptions_t* options, rd_kafka_queue_t* queue) {
          // NULL partitions: every partition the group has committed (one group per call).
          rd_kafka_ListConsumerGroupOffsets_t* request =
              rd_kafka_ListConsumerGroupOffsets_new(group.name.c_str(), nullptr);
          rd_kafka_ListConsumerGroupOffsets(rk, &request, 1, options, queue);
          rd_kafka_ListConsumerGroupOffsets_destroy(request);  // the call copied it
          ++stats.offset_fetch_requests;
        },
        [&group](rd_kafka_event_t* event) {
          if (std::string error = event_error(event); !error.empty()) {
            group.offsets_error = std::move(error);
            return;
          }
          const auto* result = rd_kafka_event_ListConsumerGroupOffsets_result(event);
          std::size_t count = 0;
          const rd_kafka_group_result_t** results =
              rd_kafka_ListConsumerGroupOffsets_result_groups(result, &count);
          if (count == 0) {
            group.offsets_error = "empty ListConsumerGroupOffsets answer";
            return;
          }
          if (const rd_kafka_error_t* error = rd_kafka_group_result_error(results[0])) {
            group.offsets_error = error_text(error);
            group.offsets_group_not_found =
                rd_kafka_error_code(error) == RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND;
            return;
          }
          if (const rd_kafka_topic_partition_list_t* partitions =
                  rd_kafka_group_result_partitions(results[0])) {
            group.committed.reserve(static_cast<std::size_t>(partitions->cnt));
            for (int i = 0; i < partitions->cnt; ++i) {
              const rd_kafka_topic_partition_t& p = partitions->elems[i];
              // -1: no commit on this partition (no lag series; counted as uncommitted).
              if (p.err != RD_KAFKA_RESP_ERR_NO_ERROR || p.offset < 0) continue;
              group.committed.push_back({{p.topic, p.partition}, p.offset});
            }
          }
          group.offsets_fetched = true;
        });
  }
  const AdminPipeline::Result result = pipeline.run(Clock::now() + kafka_.request_timeout + kGrace);
  stats.offsets_seconds = seconds_since(started);
  return result.first_started == Clock::time_point{} ? started : result.first_started;
}

void GroupCollector::fetch_watermarks(const Topology& topology, CycleObservations& observations,
                                      GroupsCycleStats& stats) {
  const auto started = Clock::now();
  // Every partition of every topic some group has commits on: the committed ones for lag,
  // the others so that a group arriving later on them finds a history already there.
  std::unordered_set<TopicPartition, groups::TopicPartitionHash> wanted;
  std::unordered_set<std::string_view> topics;
  for (const GroupObservation& group : observations.groups) {
    for (const groups::CommittedOffset& c : group.committed) {
      wanted.insert(c.tp);
      if (topics.insert(c.tp.topic).second) {
        if (const auto it = topology.leaders.find(c.tp.topic); it != topology.leaders.end()) {
          for (std::size_t p = 0; p < it->second.size(); ++p) {
            wanted.insert({c.tp.topic, static_cast<std::int32_t>(p)});
          }
        }
      }
    }
  }
  std::vector<kafka::BrokerWatermarks> batches;
  std::unordered_map<std::int32_t, std::size_t> batch_of;
  for (const TopicPartition& tp : wanted) {
    const std::int32_t leader = topology.leader(tp);
    if (leader < 0) continue;  // offline or unknown: no watermark, counted by the evaluator
    auto [it, inserted] = batch_of.emplace(leader, batches.size());
    if (inserted) {
      kafka::BrokerWatermarks& batch = batches.emplace_back();
      batch.broker = leader;
      batch.partitions = kafka::new_partition_list(64);
    }
    rd_kafka_topic_partition_list_add(batches[it->second].partitions.get(), tp.topic.c_str(),
                                      tp.partition);
  }
  if (!batches.empty()) {
    kafka::fetch_watermarks(client_.get(), batches,
                            {.timeout = kafka_.request_timeout,
                             .max_concurrent_calls = static_cast<int>(std::min<std::size_t>(
                                 16, std::max<std::size_t>(1, batches.size() * 2)))});
  }
  observations.watermarks_at = Clock::now();
  observations.taken_at = std::chrono::system_clock::now();
  observations.watermarks.reserve(wanted.size());
  for (const kafka::BrokerWatermarks& batch : batches) {
    stats.list_offsets_requests += 2;
    for (int i = 0; i < batch.partitions->cnt; ++i) {
      const auto k = static_cast<std::size_t>(i);
      if (batch.low[k] < 0 || batch.high[k] < 0) continue;
      const rd_kafka_topic_partition_t& p = batch.partitions->elems[i];
      observations.watermarks.emplace(TopicPartition{p.topic, p.partition},
                                      groups::Watermarks{batch.low[k], batch.high[k]});
    }
  }
  stats.watermarks_seconds = seconds_since(started);
}

void GroupCollector::collect_once(std::stop_token /*stop*/) {
  const auto cycle_start = Clock::now();
  CycleObservations observations;
  GroupsCycleStats stats;

  try {
    ensure_client();
  } catch (const std::exception& e) {
    throw CollectError(e.what());
  }
  client_.poll();  // serves the error callback

  // 1. Metadata: partition leaders for the watermarks, partition counts, broker count.
  kafka::MetadataPtr metadata;
  {
    const auto started = Clock::now();
    stats.metadata_requests = 1;
    try {
      metadata = kafka::fetch_metadata(client_.get(), kafka_.request_timeout);
    } catch (const kafka::KafkaError& e) {
      throw CollectError(fmt::format("cluster unreachable: {}", e.what()));
    }
    stats.metadata_seconds = seconds_since(started);
  }
  const Topology topology(*metadata);
  for (const auto& [topic, leaders] : topology.leaders) {
    observations.topic_partitions.emplace(topic, static_cast<int>(leaders.size()));
  }
  metadata.reset();

  // 2. Which groups.
  std::vector<Listing> listed = list_groups(stats);
  stats.list_groups_requests = std::max<std::size_t>(topology.brokers, 1);  // one per broker
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

  // 3. Describe (state, members, assignments), 4. committed offsets, then at once
  // 5. watermarks: the two halves of every lag are taken as close together as we can.
  describe_groups(observations.groups, stats);
  const auto offsets_started = fetch_offsets(observations.groups, stats);
  fetch_watermarks(topology, observations, stats);
  stats.offsets_watermarks_gap_seconds =
      std::chrono::duration<double>(observations.watermarks_at - offsets_started).count();

  // A group deleted since the listing is gone, not an error; the rest are counted.
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
  groups_vanished_total_ += stats.groups_vanished;
  stats.groups_vanished_total = groups_vanished_total_;

  // 6. Join and evaluate.
  const auto evaluate_started = Clock::now();
  describe_errors_total_ += stats.describe_errors;
  offsets_errors_total_ += stats.offsets_errors;
  stats.describe_errors_total = describe_errors_total_;
  stats.offsets_errors_total = offsets_errors_total_;
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

}  // namespace ks

#include "exporters/prometheus/group_metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "exporters/prometheus/group_pieces.hpp"

namespace ks::prom {
namespace {

using G = MetricType;
using Opt = std::optional<double>;
namespace f = group_family;

using group_pieces::GroupBlocks;
using group_pieces::Out;
using group_pieces::render_family;
using Labels = std::span<const Label>;

template <class Value>
void per_group(const GroupsSnapshot& s, const GroupBlocks& b, const GroupFamily& f,
               const Out& out, Value value) {
  render_family(s, b, f, out, [&](const GroupLag& g, auto&& emit) {
    if (const Opt v = value(g)) {
      const Label labels[] = {{"consumergroup", g.name}};
      emit(Labels(labels), *v, 0);
    }
  });
}

template <class Value>
void per_topic(const GroupsSnapshot& s, const GroupBlocks& b, const GroupFamily& f,
               const Out& out, Value value) {
  render_family(s, b, f, out, [&](const GroupLag& g, auto&& emit) {
    for (std::size_t ti = 0; ti < g.topics.size(); ++ti) {
      const GroupTopicLag& t = g.topics[ti];
      if (const Opt v = value(t)) {
        const Label labels[] = {{"consumergroup", g.name}, {"topic", t.topic}};
        emit(Labels(labels), *v, ti);
      }
    }
  });
}

// Partitions in the order of their label text ("10" before "2"), which is the order the
// writer sorts by: written in that order, a family needs no sort at all.
void label_order(const GroupTopicLag& t, std::vector<std::uint32_t>& order) {
  order.resize(t.partitions.size());
  for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  const auto& ps = t.partitions;
  const bool single_digits = ps.empty() || ps.back().partition < 10;
  if (single_digits) return;  // numeric order is text order
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    const fmt::format_int x(ps[a].partition), y(ps[b].partition);
    return std::string_view(x.data(), x.size()) < std::string_view(y.data(), y.size());
  });
}

template <class Value>
void per_partition(const GroupsSnapshot& s, const GroupBlocks& b, const GroupFamily& f,
                   const Out& out, Value value) {
  std::vector<std::uint32_t> order;
  render_family(s, b, f, out, [&](const GroupLag& g, auto&& emit) {
    for (std::size_t ti = 0; ti < g.topics.size(); ++ti) {
      const GroupTopicLag& t = g.topics[ti];
      label_order(t, order);
      for (const std::uint32_t i : order) {
        const GroupPartitionLag& p = t.partitions[i];
        const Opt v = value(p);
        if (!v) continue;
        const fmt::format_int partition(p.partition);
        const Label labels[] = {{"consumergroup", g.name},
                                {"partition", std::string_view(partition.data(), partition.size())},
                                {"topic", t.topic}};
        emit(Labels(labels), *v, (std::uint64_t{ti} << 32) | static_cast<std::uint32_t>(p.partition));
      }
    }
  });
}

// The largest value(p) over the topic's partitions that have one.
template <class Value>
Opt topic_max(const GroupTopicLag& t, Value value) {
  Opt max;
  for (const GroupPartitionLag& p : t.partitions) {
    const Opt v = value(p);
    if (v && (!max || *v > *max)) max = v;
  }
  return max;
}

// Per-partition values; the per-topic aggregates of each follow it (kafka_exporter's order).
Opt lag_of(const GroupPartitionLag& p) {
  return p.has_lag() ? Opt(static_cast<double>(p.lag())) : std::nullopt;
}
Opt expired_of(const GroupPartitionLag& p) {
  return p.has_lag() && p.expired() > 0 ? Opt(static_cast<double>(p.expired())) : std::nullopt;
}
Opt status_of(const GroupPartitionLag& p) {
  // A partition without watermarks this cycle keeps its last verdict.
  if (p.status == LagStatus::notfound) return std::nullopt;
  return static_cast<double>(static_cast<int>(p.status));
}

void render_offsets_and_lag(const GroupsSnapshot& s, const GroupBlocks& b, const Out& out) {
  per_partition(s, b, f::current_offset, out,
                [](const GroupPartitionLag& p) -> Opt { return static_cast<double>(p.committed); });
  per_topic(s, b, f::current_offset_sum, out,
            [](const GroupTopicLag& t) -> Opt { return static_cast<double>(t.committed_sum); });
  per_partition(s, b, f::lag, out, lag_of);
  per_topic(s, b, f::lag_sum, out, [](const GroupTopicLag& t) -> Opt {
    return t.partitions_with_lag > 0 ? Opt(static_cast<double>(t.lag_sum)) : std::nullopt;
  });
  per_topic(s, b, f::lag_max, out, [](const GroupTopicLag& t) { return topic_max(t, lag_of); });
  per_group(s, b, f::members, out,
            [](const GroupLag& g) -> Opt { return g.described ? Opt(g.members) : std::nullopt; });
  // State: labels beyond the group's name (in the slot: they are not in the group's identity).
  render_family(s, b, f::info, out, [](const GroupLag& g, auto&& emit) {
    group_pieces::Fingerprint slot;
    slot.mix(std::string_view(g.protocol));
    slot.mix(std::string_view(g.state));
    const Label labels[] = {{"consumergroup", g.name}, {"protocol", g.protocol}, {"state", g.state}};
    emit(Labels(labels), 1.0, slot.value());
  });
}

void render_expired_and_seconds(const GroupsSnapshot& s, const GroupBlocks& b, const Out& out) {
  per_partition(s, b, f::expired, out, expired_of);
  per_topic(s, b, f::expired_sum, out, [](const GroupTopicLag& t) -> Opt {
    return t.expired_sum > 0 ? Opt(static_cast<double>(t.expired_sum)) : std::nullopt;
  });
  // (the age at the snapshot's "now" of the moment the row holds: GroupsSnapshot::lag_seconds)
  const auto lag_seconds_of = [&s](const GroupPartitionLag& p) -> Opt {
    return p.has_lag() ? s.lag_seconds(p) : std::nullopt;
  };
  per_partition(s, b, f::lag_seconds, out, lag_seconds_of);
  per_topic(s, b, f::lag_seconds_max, out,
            [&](const GroupTopicLag& t) { return topic_max(t, lag_seconds_of); });
  per_group(s, b, f::max_lag_seconds, out, [&s](const GroupLag& g) -> Opt {
    return g.offsets_fetched ? s.max_lag_seconds(g) : std::nullopt;
  });
  per_group(s, b, f::lag_seconds_unknown, out, [](const GroupLag& g) -> Opt {
    return g.offsets_fetched ? Opt(g.lag_seconds_unknown_partitions) : std::nullopt;
  });
  per_group(s, b, f::lag_seconds_lower_bound, out, [](const GroupLag& g) -> Opt {
    return g.offsets_fetched ? Opt(g.lag_seconds_lower_bound_partitions) : std::nullopt;
  });
  per_group(s, b, f::uncommitted, out, [](const GroupLag& g) -> Opt {
    return g.offsets_fetched ? Opt(g.uncommitted_partitions) : std::nullopt;
  });
}

// Partition statuses in the text order of their names, the order the writer sorts by.
constexpr std::array kStatusesByName{LagStatus::ok, LagStatus::rewind, LagStatus::stall,
                                     LagStatus::stop, LagStatus::warn};

// kafka_consumergroup_status_partitions: per group, status by status (label text order:
// consumergroup, status, topic), the topics' partitions counted in that status.
void render_status_partitions(const GroupsSnapshot& s, const GroupBlocks& b, const Out& out) {
  render_family(s, b, f::status_partitions, out, [](const GroupLag& g, auto&& emit) {
    for (std::size_t si = 0; si < kStatusesByName.size(); ++si) {
      const LagStatus status = kStatusesByName[si];
      for (std::size_t ti = 0; ti < g.topics.size(); ++ti) {
        const GroupTopicLag& t = g.topics[ti];
        const auto n = std::count_if(t.partitions.begin(), t.partitions.end(),
                                     [&](const GroupPartitionLag& p) { return p.status == status; });
        if (n == 0) continue;
        const Label labels[] = {
            {"consumergroup", g.name}, {"status", status_name(status)}, {"topic", t.topic}};
        emit(Labels(labels), static_cast<double>(n), (std::uint64_t{si} << 32) | ti);
      }
    }
  });
}

void render_status_and_rates(const GroupsSnapshot& s, const GroupBlocks& b, const Out& out) {
  per_group(s, b, f::status, out,
            [](const GroupLag& g) -> Opt { return static_cast<double>(static_cast<int>(g.status)); });
  per_partition(s, b, f::partition_status, out, status_of);
  per_topic(s, b, f::partition_status_max, out,
            [](const GroupTopicLag& t) { return topic_max(t, status_of); });
  render_status_partitions(s, b, out);
  per_topic(s, b, f::consumed_rate, out, [](const GroupTopicLag& t) { return t.consumed_per_second; });
  per_topic(s, b, f::catch_up, out, [](const GroupTopicLag& t) { return t.catch_up_seconds; });
}

void render_cycle_counts(const GroupsSnapshot& snapshot, ExpositionWriter& out) {
  const GroupsCycleStats& c = snapshot.cycle;
  out.family("kafka_sentinel_groups_snapshot_timestamp_seconds",
             "When the consumer-group figures were measured (the watermarks' answer; Unix "
             "time): the reference time of every lag and lag in seconds.",
             G::gauge);
  out.sample({}, std::chrono::duration<double>(snapshot.taken_at.time_since_epoch()).count());
  out.family("kafka_sentinel_groups_listed",
             "Consumer groups ListConsumerGroups returned in the last cycle.", G::gauge);
  out.sample({}, static_cast<double>(c.groups_listed));
  out.family("kafka_sentinel_groups_monitored",
             "Consumer groups monitored in the last cycle (after the include/exclude filter).",
             G::gauge);
  out.sample({}, static_cast<double>(c.groups_monitored));
  out.family("kafka_sentinel_groups_list_complete",
             "1 when every broker answered ListGroups in the last cycle; 0 when some did not "
             "(groups known before are then kept).",
             G::gauge);
  out.sample({}, c.list_complete ? 1 : 0);
  out.family("kafka_sentinel_groups_vanished_total",
             "Groups listed by ListConsumerGroups but deleted or expired before they could be "
             "described (not counted as errors).",
             G::counter);
  out.sample({}, static_cast<double>(c.groups_vanished_total));
}

void render_cycle_errors(const GroupsCycleStats& c, ExpositionWriter& out) {
  out.family("kafka_sentinel_groups_cycle_errors",
             "Failures of the last groups cycle: groups not described, groups without "
             "offsets, partitions without watermarks.",
             G::gauge);
  out.sample({{"kind", "describe"}}, static_cast<double>(c.describe_errors));
  out.sample({{"kind", "offsets"}}, static_cast<double>(c.offsets_errors));
  out.sample({{"kind", "watermarks"}}, static_cast<double>(c.watermark_errors));
  out.family("kafka_sentinel_groups_errors_total",
             "Failures of the groups collector since the agent started, by kind.", G::counter);
  out.sample({{"kind", "describe"}}, static_cast<double>(c.describe_errors_total));
  out.sample({{"kind", "offsets"}}, static_cast<double>(c.offsets_errors_total));
  out.sample({{"kind", "watermarks"}}, static_cast<double>(c.watermark_errors_total));
}

void render_cycle_costs(const GroupsCycleStats& c, ExpositionWriter& out) {
  out.family("kafka_sentinel_groups_cycle_requests",
             "Kafka requests the last groups cycle sent, by API (librdkafka's FindCoordinator "
             "lookups, not counted, add up to one per DescribeGroups and OffsetFetch).",
             G::gauge);
  out.sample({{"request", "DescribeGroups"}}, static_cast<double>(c.describe_groups_requests));
  out.sample({{"request", "ListGroups"}}, static_cast<double>(c.list_groups_requests));
  out.sample({{"request", "ListOffsets"}}, static_cast<double>(c.list_offsets_requests));
  out.sample({{"request", "Metadata"}}, static_cast<double>(c.metadata_requests));
  out.sample({{"request", "OffsetFetch"}}, static_cast<double>(c.offset_fetch_requests));

  out.family("kafka_sentinel_groups_stage_seconds",
             "Wall time of each stage of the last groups cycle.", G::gauge);
  out.sample({{"stage", "describe"}}, c.describe_seconds);
  out.sample({{"stage", "evaluate"}}, c.evaluate_seconds);
  out.sample({{"stage", "list"}}, c.list_seconds);
  out.sample({{"stage", "metadata"}}, c.metadata_seconds);
  out.sample({{"stage", "offsets"}}, c.offsets_seconds);
  out.sample({{"stage", "watermarks"}}, c.watermarks_seconds);

  out.family("kafka_sentinel_groups_offsets_watermarks_gap_seconds",
             "Time from the first committed-offset request to the last watermark answer of "
             "the last cycle: how far apart the two halves of each lag were taken.",
             G::gauge);
  out.sample({}, c.offsets_watermarks_gap_seconds);
  out.family("kafka_sentinel_groups_partition_histories",
             "Partitions whose (high watermark, time) history the agent keeps for lag in "
             "seconds.",
             G::gauge);
  out.sample({}, static_cast<double>(c.partitions_tracked));
}

void render_source(const GroupsCycleStats& c, ExpositionWriter& out) {
  out.family("kafka_sentinel_groups_source",
             "Where the last cycle's committed offsets, members and assignments came from: 1 "
             "for the source in use (offsets_topic: the __consumer_offsets stream; admin_api: "
             "requests per group).",
             G::gauge);
  for (const std::string_view source : {"admin_api", "offsets_topic"}) {
    out.sample({{"source", source}}, c.source == source ? 1 : 0);
  }
  // The stream's figures: 0 with admin_api.
  out.family("kafka_sentinel_groups_offsets_records_total",
             "__consumer_offsets records read since the agent started, by what they were "
             "(unknown versions and malformed records are counted and skipped).",
             G::counter);
  const std::pair<std::string_view, std::uint64_t> kinds[] = {
      {"offset_commit", c.stream_offset_commits},  {"offset_tombstone", c.stream_offset_tombstones},
      {"group_metadata", c.stream_group_metadata}, {"consumer_group", c.stream_consumer_group},
      {"skipped", c.stream_skipped},               {"unknown", c.stream_unknown},
      {"malformed", c.stream_malformed}};
  for (const auto& [kind, n] : kinds) out.sample({{"kind", kind}}, static_cast<double>(n));
  out.family("kafka_sentinel_groups_offsets_reader_lag",
             "Offsets of __consumer_offsets not read yet behind the newest end the reader has "
             "seen, at the end of the last cycle's read.",
             G::gauge);
  out.sample({}, static_cast<double>(c.stream_lag));
  out.family("kafka_sentinel_groups_offsets_partition_caught_up",
             "Each __consumer_offsets partition the stream reads (in a fleet: those of this "
             "agent's shards): 1 once read to the end it had when it was added, 0 while "
             "catching up (its groups are not reported until then).",
             G::gauge);
  for (const auto& [partition, caught_up] : c.stream_partitions) {
    out.sample({{"partition", std::to_string(partition)}}, caught_up ? 1 : 0);
  }
  out.family("kafka_sentinel_groups_unmapped_assignments",
             "Partitions assigned to KIP-848 group members in the last cycle that could not be "
             "named (their records name topics by ID, which the metadata does not give).",
             G::gauge);
  out.sample({}, static_cast<double>(c.unmapped_assignments));
}

}  // namespace

void render_groups(const GroupsSnapshot& snapshot, ExpositionWriter& out,
                   const GroupFamilySelection& families) {
  const Out chosen{out, families};
  const GroupBlocks blocks = out.reuses_pieces() ? GroupBlocks(snapshot) : GroupBlocks();
  render_offsets_and_lag(snapshot, blocks, chosen);
  render_expired_and_seconds(snapshot, blocks, chosen);
  render_status_and_rates(snapshot, blocks, chosen);
  render_cycle_counts(snapshot, out);
  render_cycle_errors(snapshot.cycle, out);
  render_cycle_costs(snapshot.cycle, out);
  render_source(snapshot.cycle, out);
}

}  // namespace ks::prom

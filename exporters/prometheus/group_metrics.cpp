#include "exporters/prometheus/group_metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>
#include <optional>
#include <string_view>
#include <utility>

namespace ks::prom {
namespace {

using G = MetricType;

// Families are declared once; out.family() is then called per sample group to switch.
struct Family {
  std::string_view name;
  std::string_view help;
  MetricType type;
};

constexpr Family kCurrentOffset{"kafka_consumergroup_current_offset",
                                "Current Offset of a ConsumerGroup at Topic/Partition", G::gauge};
// kafka_exporter's two per-topic sums keep its names (dashboards and alert rules query them),
// but are declared untyped, not gauge: the exposition format reserves a _sum suffix for
// summaries and histograms, so a gauge of that name is a lint (promtool check metrics) and
// ambiguous to tools. PromQL treats untyped samples exactly as gauges.
constexpr Family kCurrentOffsetSum{
    "kafka_consumergroup_current_offset_sum",
    "Current Offset of a ConsumerGroup at Topic for all partitions", G::untyped};
constexpr Family kLag{"kafka_consumergroup_lag",
                      "Current Approximate Lag of a ConsumerGroup at Topic/Partition", G::gauge};
constexpr Family kLagSum{"kafka_consumergroup_lag_sum",
                         "Current Approximate Lag of a ConsumerGroup at Topic for all partitions",
                         G::untyped};
constexpr Family kMembers{"kafka_consumergroup_members", "Amount of members in a consumer group",
                          G::gauge};
constexpr Family kInfo{"kafka_consumergroup_info",
                       "Consumer group state (Stable, Empty, PreparingRebalance, "
                       "CompletingRebalance, Dead; from ListGroups, or Unknown, when the group "
                       "cannot be described) and partition assignor; always 1.",
                       G::gauge};
constexpr Family kExpired{
    "kafka_consumergroup_lag_expired_messages",
    "Messages the group had not consumed that retention deleted (log-start offset minus "
    "committed offset); not counted in kafka_consumergroup_lag. Only where above 0.",
    G::gauge};
constexpr Family kLagSeconds{
    "kafka_consumergroup_lag_seconds",
    "Age in seconds of the oldest unconsumed message that still exists, interpolated in the "
    "partition's history of high watermarks; 0 when caught up. Absent while there is too "
    "little history.",
    G::gauge};
constexpr Family kMaxLagSeconds{"kafka_consumergroup_max_lag_seconds",
                                "Largest kafka_consumergroup_lag_seconds of the group.", G::gauge};
constexpr Family kLagSecondsUnknown{
    "kafka_consumergroup_lag_seconds_unknown_partitions",
    "Partitions of the group with lag but too little history to estimate its age (no "
    "kafka_consumergroup_lag_seconds series).",
    G::gauge};
constexpr Family kLagSecondsLowerBound{
    "kafka_consumergroup_lag_seconds_lower_bound_partitions",
    "Partitions of the group whose oldest unconsumed message is older than the history: their "
    "kafka_consumergroup_lag_seconds is only a lower bound.",
    G::gauge};
constexpr Family kUncommitted{
    "kafka_consumergroup_uncommitted_partitions",
    "Partitions assigned to the group, or of a topic it has commits on, with no committed "
    "offset (no lag series).",
    G::gauge};
constexpr Family kStatus{"kafka_consumergroup_status",
                         "Burrow-compatible group status: 0 NOTFOUND, 1 OK, 2 WARN, 3 ERR (a "
                         "partition is STOP, STALL or REWIND).",
                         G::gauge};
constexpr Family kPartitionStatus{
    "kafka_consumergroup_partition_status",
    "Burrow-compatible partition status: 1 OK, 2 WARN, 4 STOP, 5 STALL, 6 REWIND.", G::gauge};
constexpr Family kConsumedRate{
    "kafka_consumergroup_consumed_messages_per_second",
    "Messages per second the group committed on the topic, over the status window.", G::gauge};
constexpr Family kCatchUp{
    "kafka_consumergroup_catch_up_seconds",
    "Estimated seconds until the group's lag on the topic reaches 0 at the current consume and "
    "produce rates; 0 when caught up, absent when not catching up.",
    G::gauge};

void select(ExpositionWriter& out, const Family& f) { out.family(f.name, f.help, f.type); }

// One family at a time (one pass over the snapshot per family): the writer then appends
// to the same family buffer instead of looking a family up for every sample.
template <class Value>
void per_group(const GroupsSnapshot& s, const Family& f, ExpositionWriter& out, Value value) {
  bool selected = false;
  for (const GroupLag& g : s.groups) {
    const std::optional<double> v = value(g);
    if (!v) continue;
    if (!selected) {
          select(out, f);
          selected = true;
        }
    out.sample({{"consumergroup", g.name}}, *v);
  }
}

template <class Value>
void per_topic(const GroupsSnapshot& s, const Family& f, ExpositionWriter& out, Value value) {
  bool selected = false;
  for (const GroupLag& g : s.groups) {
    for (const GroupTopicLag& t : g.topics) {
      const std::optional<double> v = value(t);
      if (!v) continue;
      if (!selected) {
          select(out, f);
          selected = true;
        }
      out.sample({{"consumergroup", g.name}, {"topic", t.topic}}, *v);
    }
  }
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
void per_partition(const GroupsSnapshot& s, const Family& f, ExpositionWriter& out, Value value) {
  bool selected = false;
  std::vector<std::uint32_t> order;
  for (const GroupLag& g : s.groups) {
    for (const GroupTopicLag& t : g.topics) {
      label_order(t, order);
      for (const std::uint32_t i : order) {
        const GroupPartitionLag& p = t.partitions[i];
        const std::optional<double> v = value(p);
        if (!v) continue;
        if (!selected) {
          select(out, f);
          selected = true;
        }
        const fmt::format_int partition(p.partition);
        out.sample({{"consumergroup", g.name}, {"partition", partition.c_str()}, {"topic", t.topic}},
                   *v);
      }
    }
  }
}

using Opt = std::optional<double>;

void render_groups_families(const GroupsSnapshot& s, ExpositionWriter& out) {
  // kafka_exporter's families.
  per_partition(s, kCurrentOffset, out,
                [](const GroupPartitionLag& p) -> Opt { return static_cast<double>(p.committed); });
  per_topic(s, kCurrentOffsetSum, out,
            [](const GroupTopicLag& t) -> Opt { return static_cast<double>(t.committed_sum); });
  per_partition(s, kLag, out, [](const GroupPartitionLag& p) -> Opt {
    return p.has_lag() ? Opt(static_cast<double>(p.lag)) : std::nullopt;
  });
  per_topic(s, kLagSum, out, [](const GroupTopicLag& t) -> Opt {
    return t.partitions_with_lag > 0 ? Opt(static_cast<double>(t.lag_sum)) : std::nullopt;
  });
  per_group(s, kMembers, out,
            [](const GroupLag& g) -> Opt { return g.described ? Opt(g.members) : std::nullopt; });

  // State: labels beyond the group's name.
  select(out, kInfo);
  for (const GroupLag& g : s.groups) {
    out.sample({{"consumergroup", g.name}, {"protocol", g.protocol}, {"state", g.state}}, 1);
  }

  // Lag in seconds, expired messages, status, rates.
  per_partition(s, kExpired, out, [](const GroupPartitionLag& p) -> Opt {
    return p.has_lag() && p.expired > 0 ? Opt(static_cast<double>(p.expired)) : std::nullopt;
  });
  per_partition(s, kLagSeconds, out, [](const GroupPartitionLag& p) -> Opt {
    return p.has_lag() ? p.lag_seconds : std::nullopt;
  });
  per_group(s, kMaxLagSeconds, out, [](const GroupLag& g) -> Opt {
    return g.offsets_fetched ? g.max_lag_seconds : std::nullopt;
  });
  per_group(s, kLagSecondsUnknown, out, [](const GroupLag& g) -> Opt {
    return g.offsets_fetched ? Opt(g.lag_seconds_unknown_partitions) : std::nullopt;
  });
  per_group(s, kLagSecondsLowerBound, out, [](const GroupLag& g) -> Opt {
    return g.offsets_fetched ? Opt(g.lag_seconds_lower_bound_partitions) : std::nullopt;
  });
  per_group(s, kUncommitted, out, [](const GroupLag& g) -> Opt {
    return g.offsets_fetched ? Opt(g.uncommitted_partitions) : std::nullopt;
  });
  per_group(s, kStatus, out,
            [](const GroupLag& g) -> Opt { return static_cast<double>(static_cast<int>(g.status)); });
  per_partition(s, kPartitionStatus, out, [](const GroupPartitionLag& p) -> Opt {
    // A partition without watermarks this cycle keeps its last verdict.
    if (p.status == LagStatus::notfound) return std::nullopt;
    return static_cast<double>(static_cast<int>(p.status));
  });
  per_topic(s, kConsumedRate, out, [](const GroupTopicLag& t) { return t.consumed_per_second; });
  per_topic(s, kCatchUp, out, [](const GroupTopicLag& t) { return t.catch_up_seconds; });
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
  out.family("kafka_sentinel_groups_unmapped_assignments",
             "Partitions assigned to KIP-848 group members in the last cycle that could not be "
             "named (their records name topics by ID, which the metadata does not give).",
             G::gauge);
  out.sample({}, static_cast<double>(c.unmapped_assignments));
}

}  // namespace

void render_groups(const GroupsSnapshot& snapshot, ExpositionWriter& out) {
  render_groups_families(snapshot, out);
  render_cycle_counts(snapshot, out);
  render_cycle_errors(snapshot.cycle, out);
  render_cycle_costs(snapshot.cycle, out);
  render_source(snapshot.cycle, out);
}

}  // namespace ks::prom

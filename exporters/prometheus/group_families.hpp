// The kafka_consumergroup_* families of the consumer-groups renderer (name, HELP, TYPE and
// what one series stands for), and the operator's choice among them: the granularity
// (collectors.groups.granularity) and the families left out (collectors.groups.
// exclude_families). docs/metrics.md lists every family ("Consumer groups") and the series
// each choice gives ("Cardinality").
//
// kafka_exporter's families keep its exact names, labels and meaning (its dashboards and
// alert rules work on our output); the others follow its style. A per-partition family's
// per-topic aggregate is named after it with the suffix _sum or _max (kafka_exporter's
// kafka_consumergroup_lag_sum is one): the aggregates are written at both granularities, so
// dashboards and alert rules built on them work with either.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.hpp"
#include "exporters/prometheus/exposition_writer.hpp"

namespace ks::prom {

enum class GroupFamilyScope { group, topic, partition };  // one series per ...

struct GroupFamily {
  std::string_view name;
  std::string_view help;
  MetricType type;
  GroupFamilyScope scope;
  ValueFormat format = ValueFormat::shortest;
};

namespace group_family {

using G = MetricType;
using S = GroupFamilyScope;
// Lag in seconds is written at millisecond resolution, with integer formatting: it is
// interpolated between high-watermark samples one collection interval apart (its error is up
// to that interval: docs/metrics.md), so a shortest round-trip double ("4.726279149333333")
// claimed a precision it does not have, and formatting those doubles was the largest single
// cost of a render (docs/performance.md, "Fourth pass: render"). The JSON API rounds it to
// milliseconds too.
using V = ValueFormat;

inline constexpr GroupFamily current_offset{
    "kafka_consumergroup_current_offset", "Current Offset of a ConsumerGroup at Topic/Partition",
    G::gauge, S::partition};
// kafka_exporter's two per-topic sums keep its names (dashboards and alert rules query them),
// but are declared untyped, not gauge: the exposition format reserves a _sum suffix for
// summaries and histograms, so a gauge of that name is a lint (promtool check metrics) and
// ambiguous to tools. PromQL treats untyped samples exactly as gauges. The same holds for
// the expired messages' sum.
inline constexpr GroupFamily current_offset_sum{
    "kafka_consumergroup_current_offset_sum",
    "Current Offset of a ConsumerGroup at Topic for all partitions", G::untyped, S::topic};
inline constexpr GroupFamily lag{"kafka_consumergroup_lag",
                                 "Current Approximate Lag of a ConsumerGroup at Topic/Partition",
                                 G::gauge, S::partition};
inline constexpr GroupFamily lag_sum{
    "kafka_consumergroup_lag_sum",
    "Current Approximate Lag of a ConsumerGroup at Topic for all partitions", G::untyped,
    S::topic};
inline constexpr GroupFamily lag_max{
    "kafka_consumergroup_lag_max",
    "Largest kafka_consumergroup_lag of the group's partitions of the topic.", G::gauge,
    S::topic};
inline constexpr GroupFamily members{"kafka_consumergroup_members",
                                     "Amount of members in a consumer group", G::gauge, S::group};
inline constexpr GroupFamily info{
    "kafka_consumergroup_info",
    "Consumer group state (Stable, Empty, PreparingRebalance, CompletingRebalance, Dead; from "
    "ListGroups, or Unknown, when the group cannot be described) and partition assignor; "
    "always 1.",
    G::gauge, S::group};
inline constexpr GroupFamily expired{
    "kafka_consumergroup_lag_expired_messages",
    "Messages the group had not consumed that retention deleted (log-start offset minus "
    "committed offset); not counted in kafka_consumergroup_lag. Only where above 0.",
    G::gauge, S::partition};
inline constexpr GroupFamily expired_sum{
    "kafka_consumergroup_lag_expired_messages_sum",
    "Sum of kafka_consumergroup_lag_expired_messages over the group's partitions of the "
    "topic. Only where above 0.",
    G::untyped, S::topic};
inline constexpr GroupFamily lag_seconds{
    "kafka_consumergroup_lag_seconds",
    "Age in seconds of the oldest unconsumed message that still exists, interpolated in the "
    "partition's history of high watermarks; 0 when caught up. Absent while there is too "
    "little history.",
    G::gauge, S::partition, V::milliseconds};
inline constexpr GroupFamily lag_seconds_max{
    "kafka_consumergroup_lag_seconds_max",
    "Largest kafka_consumergroup_lag_seconds of the group's partitions of the topic: the age "
    "of its oldest unconsumed message there.",
    G::gauge, S::topic, V::milliseconds};
inline constexpr GroupFamily max_lag_seconds{
    "kafka_consumergroup_max_lag_seconds", "Largest kafka_consumergroup_lag_seconds of the group.",
    G::gauge, S::group, V::milliseconds};
inline constexpr GroupFamily lag_seconds_unknown{
    "kafka_consumergroup_lag_seconds_unknown_partitions",
    "Partitions of the group with lag but too little history to estimate its age (no "
    "kafka_consumergroup_lag_seconds series).",
    G::gauge, S::group};
inline constexpr GroupFamily lag_seconds_lower_bound{
    "kafka_consumergroup_lag_seconds_lower_bound_partitions",
    "Partitions of the group whose oldest unconsumed message is older than the history: their "
    "kafka_consumergroup_lag_seconds is only a lower bound.",
    G::gauge, S::group};
inline constexpr GroupFamily uncommitted{
    "kafka_consumergroup_uncommitted_partitions",
    "Partitions assigned to the group, or of a topic it has commits on, with no committed "
    "offset (no lag series).",
    G::gauge, S::group};
inline constexpr GroupFamily status{
    "kafka_consumergroup_status",
    "Burrow-compatible group status: 0 NOTFOUND, 1 OK, 2 WARN, 3 ERR (a partition is STOP, "
    "STALL or REWIND).",
    G::gauge, S::group};
inline constexpr GroupFamily partition_status{
    "kafka_consumergroup_partition_status",
    "Burrow-compatible partition status: 1 OK, 2 WARN, 4 STOP, 5 STALL, 6 REWIND.", G::gauge,
    S::partition};
inline constexpr GroupFamily partition_status_max{
    "kafka_consumergroup_partition_status_max",
    "Highest kafka_consumergroup_partition_status of the group's partitions of the topic: 1 "
    "OK, 2 WARN, 4 STOP, 5 STALL, 6 REWIND.",
    G::gauge, S::topic};
inline constexpr GroupFamily status_partitions{
    "kafka_consumergroup_status_partitions",
    "Partitions of the topic the group has in each Burrow-compatible partition status (OK, "
    "WARN, STOP, STALL, REWIND); only statuses with at least one partition.",
    G::gauge, S::topic};
inline constexpr GroupFamily consumed_rate{
    "kafka_consumergroup_consumed_messages_per_second",
    "Messages per second the group committed on the topic, over the status window.", G::gauge,
    S::topic};
inline constexpr GroupFamily catch_up{
    "kafka_consumergroup_catch_up_seconds",
    "Estimated seconds until the group's lag on the topic reaches 0 at the current consume and "
    "produce rates; 0 when caught up, absent when not catching up.",
    G::gauge, S::topic};

}  // namespace group_family

// Every family above, in the order the renderer writes them.
std::span<const GroupFamily* const> group_families();

// The family of that name, or nullptr.
const GroupFamily* find_group_family(std::string_view name);

// Which families are written. Names the agent does not know are refused by the config
// validation before they get here; here they simply match nothing.
class GroupFamilySelection {
 public:
  GroupFamilySelection() = default;  // every family, per partition
  GroupFamilySelection(GroupsGranularity granularity, std::vector<std::string> excluded);

  bool enabled(const GroupFamily& family) const;

 private:
  GroupsGranularity granularity_ = GroupsGranularity::partition;
  std::vector<std::string> excluded_;
};

}  // namespace ks::prom

#include "fleet/fleet_metrics.hpp"

namespace ks::fleet {

using prom::MetricType;

namespace {

// What happened to this agent's membership since it started.
void render_fleet_counters(const CoordinatorStatus& status, prom::ExpositionWriter& out) {
  out.family("kafka_sentinel_fleet_rebalances_total",
             "Changes of this agent's assignment: assigned, revoked (a rebalance), lost (the "
             "group gave its partitions away after a session timeout).",
             MetricType::counter);
  out.sample({{"event", "assigned"}}, static_cast<double>(status.assignments));
  out.sample({{"event", "lost"}}, static_cast<double>(status.losses));
  out.sample({{"event", "revoked"}}, static_cast<double>(status.revocations));

  out.family("kafka_sentinel_fleet_lease_expirations_total",
             "Times this agent dropped its roles because the group coordinator had not "
             "accepted a lease renewal for half a session timeout (cut off from Kafka).",
             MetricType::counter);
  out.sample({}, static_cast<double>(status.lease_expirations));

  out.family("kafka_sentinel_fleet_join_errors_total",
             "Refusals of this agent's fleet consumer that do not pass by themselves (the "
             "brokers refuse fleet.session_timeout, or an ACL the group or topic), by kind; "
             "absent until the first. The agent holds no role while it is refused.",
             MetricType::counter);
  for (const auto& [kind, count] : status.join_errors) {
    out.sample({{"error", kind}}, static_cast<double>(count));
  }
}

}  // namespace

void render_fleet(const FleetConfig& config, const std::string& node, const CoordinatorStatus& status,
                  const OwnedShards& owned, prom::ExpositionWriter& out) {
  const int shards = owned.count();
  out.family("kafka_sentinel_fleet_role",
             "1 while this agent holds the role: leader = cluster-wide work (broker metadata, "
             "cluster events), groups_shard = at least one shard of the consumer groups.",
             MetricType::gauge);
  out.sample({{"role", "groups_shard"}}, shards > 0 ? 1 : 0);
  out.sample({{"role", "leader"}}, owned.leader() ? 1 : 0);

  out.family("kafka_sentinel_fleet_owned_partitions",
             "Partitions of the coordination topic this agent owns with a valid lease (its "
             "shards of the consumer groups).",
             MetricType::gauge);
  out.sample({}, shards);

  out.family("kafka_sentinel_fleet_partitions",
             "Partitions of the coordination topic: the number of shards of the consumer groups; "
             "0 until known.",
             MetricType::gauge);
  out.sample({}, status.partitions);

  if (status.members >= 0) {
    out.family("kafka_sentinel_fleet_members",
               "Members of the fleet's consumer group at its last description.", MetricType::gauge);
    out.sample({}, status.members);
  }

  out.family("kafka_sentinel_fleet_lease_valid",
             "1 while the group coordinator accepted this agent's last lease renewal less than "
             "half a session timeout ago; without it the agent exports no cluster-wide series.",
             MetricType::gauge);
  out.sample({}, status.lease_valid ? 1 : 0);

  render_fleet_counters(status, out);

  out.family("kafka_sentinel_fleet_info",
             "The fleet this agent belongs to: its consumer group, coordination topic, node and "
             "state (starting, joining, member, stopped); always 1.",
             MetricType::gauge);
  const std::string broker_id = config.broker_id >= 0 ? std::to_string(config.broker_id) : "";
  out.sample({{"broker_id", broker_id},
              {"group", status.group},
              {"node", node},
              {"state", status.state},
              {"topic", config.topic}},
             1);
}

}  // namespace ks::fleet

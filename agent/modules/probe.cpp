// The end-to-end probe (collectors/probe/) with its kafka_sentinel_probe_* families
// (exporters/prometheus/probe_metrics). Every agent of a fleet runs it: a sidecar with
// fleet.broker_id probes the partitions its own broker leads, and the fleet's leader those
// of brokers no sidecar claims; a lone agent probes them all.
#include "agent/collector_module.hpp"
#include "collectors/probe/probe_collector.hpp"
#include "exporters/prometheus/probe_metrics.hpp"
#include "fleet/fleet_member.hpp"
#include "fleet/node_identity.hpp"

namespace ks::modules {
namespace {

probe::ProbeIdentity identity(const ModuleContext& context) {
  const Config& config = context.config;
  probe::ProbeIdentity id;
  id.agent_id = fleet::node_name(config.fleet);
  if (config.fleet.broker_id >= 0) id.agent_id += "-broker-" + std::to_string(config.fleet.broker_id);
  id.group = config.probe.group.empty() ? "kafka-sentinel-probe." + id.agent_id : config.probe.group;
  id.own_broker = config.fleet.enabled ? config.fleet.broker_id : -1;
  // The leader adopts the brokers whose sidecar is gone: it needs the fleet's members, as
  // described in its term (an older list may miss a sidecar that joined since).
  id.fleet_claims = [&ownership = context.ownership, members = context.fleet_members]()
      -> std::optional<std::set<std::int32_t>> {
    if (!members || !ownership.is_leader()) return std::nullopt;
    const auto known = members();
    if (!known || known->at < ownership.leader_since()) return std::nullopt;
    return fleet::claimed_brokers(known->members);
  };
  id.adoption_hold = std::chrono::duration_cast<std::chrono::milliseconds>(config.fleet.session_timeout);
  return id;
}

}  // namespace

CollectorModule probe(const ModuleContext& context) {
  const KafkaConfig& kafka = context.config.kafka;
  const ProbeConfig& config = context.config.probe;
  Snapshots& snapshots = context.snapshots;
  auto labels = fleet::host_labels(context.config.fleet);
  return {
      .name = "probe",
      .enabled = config.enabled,
      .interval = config.interval,
      .role = FleetRole::every_agent,
      .make = [&kafka, &config, &snapshots, id = identity(context)]() -> std::unique_ptr<Collector> {
        return std::make_unique<probe::ProbeCollector>(kafka, config, id, snapshots.probe);
      },
      .renderer =
          [&snapshots, labels = std::move(labels)](prom::ExpositionWriter& out) {
            std::vector<prom::Label> node;  // views of `labels`
            for (const auto& [name, value] : labels) node.push_back({name, value});
            if (auto snapshot = snapshots.probe.get()) prom::render_probe(*snapshot, out, node);
          },
  };
}

}  // namespace ks::modules

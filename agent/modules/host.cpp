// The host collector (collectors/host/, procfs) with its node_* families
// (exporters/prometheus/host_metrics). The node's own: every agent of a fleet collects and
// exports its host, labelled with fleet.node_name / fleet.broker_id.
#include "agent/collector_module.hpp"
#include "collectors/host/host_collector.hpp"
#include "exporters/prometheus/host_metrics.hpp"
#include "fleet/node_identity.hpp"

namespace ks::modules {

CollectorModule host(const ModuleContext& context) {
  const HostCollectorConfig& config = context.config.collectors.host;
  Snapshots& snapshots = context.snapshots;
  auto labels = fleet::host_labels(context.config.fleet);
  return {
      .name = "host",
      .enabled = config.enabled,
      .interval = config.interval,
      .role = FleetRole::every_agent,
      .make = [&config, &snapshots] { return std::make_unique<HostCollector>(config, snapshots.host); },
      .renderer =
          [&snapshots, labels = std::move(labels), node_metrics = config.node_metrics](
              prom::ExpositionWriter& out) {
            std::vector<prom::Label> node;  // views of `labels`
            for (const auto& [name, value] : labels) node.push_back({name, value});
            if (auto snapshot = snapshots.host.get()) {
              prom::render_host(*snapshot, out, node, node_metrics);
            }
          },
  };
}

}  // namespace ks::modules

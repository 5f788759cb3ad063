#include "agent/builtin_modules.hpp"

#include "collectors/brokers/broker_collector.hpp"
#include "collectors/groups/group_collector.hpp"
#include "collectors/host/host_collector.hpp"
#include "exporters/prometheus/cluster_metrics.hpp"
#include "exporters/prometheus/group_metrics.hpp"
#include "exporters/prometheus/host_metrics.hpp"

namespace ks {

std::vector<Module> builtin_modules(const Config& config, Snapshots& snapshots) {
  std::vector<Module> modules;
  if (config.collectors.host.enabled) {
    modules.push_back(
        {std::make_unique<HostCollector>(config.collectors.host, snapshots.host),
         [&snapshots](prom::ExpositionWriter& out) {
           if (auto snapshot = snapshots.host.get()) prom::render_host(*snapshot, out);
         }});
  }
  if (config.collectors.brokers.enabled) {
    modules.push_back(
        {std::make_unique<BrokerCollector>(config.kafka, config.collectors.brokers, snapshots.cluster),
         [&snapshots](prom::ExpositionWriter& out) {
           if (auto snapshot = snapshots.cluster.get()) prom::render_cluster(*snapshot, out);
         }});
  }
  if (config.collectors.groups.enabled) {
    modules.push_back(
        {std::make_unique<GroupCollector>(config.kafka, config.collectors.groups, snapshots.groups),
         [&snapshots](prom::ExpositionWriter& out) {
           if (auto snapshot = snapshots.groups.get()) prom::render_groups(*snapshot, out);
         }});
  }
  return modules;
}

}  // namespace ks

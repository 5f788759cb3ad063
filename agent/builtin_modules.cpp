#include "agent/builtin_modules.hpp"

#include <algorithm>

#include "fleet/node_identity.hpp"
#include "fleet/owned_groups.hpp"
#include "fleet/role_gated_collector.hpp"
#include "collectors/brokers/broker_collector.hpp"
#include "collectors/groups/group_collector.hpp"
#include "collectors/host/host_collector.hpp"
#include "exporters/prometheus/cluster_metrics.hpp"
#include "exporters/prometheus/group_metrics.hpp"
#include "exporters/prometheus/host_metrics.hpp"

namespace ks {
namespace {

// How long a collector whose fleet role is gone keeps its state, in case the role comes
// back (an eager rebalance takes every role away for a moment).
std::chrono::milliseconds role_retention(std::chrono::milliseconds interval) {
  return std::max<std::chrono::milliseconds>(3 * interval, std::chrono::seconds(10));
}

}  // namespace

std::vector<Module> builtin_modules(const Config& config, Snapshots& snapshots,
                                    const fleet::Ownership& ownership) {
  std::vector<Module> modules;
  const bool fleet = ownership.fleet_enabled();
  if (config.collectors.host.enabled) {
    // The node's own: every agent of a fleet collects and exports its host.
    auto labels = fleet::host_labels(config.fleet);
    const bool node_metrics = config.collectors.host.node_metrics;
    modules.push_back(
        {std::make_unique<HostCollector>(config.collectors.host, snapshots.host),
         [&snapshots, labels = std::move(labels), node_metrics](prom::ExpositionWriter& out) {
           std::vector<prom::Label> node;
           for (const auto& [name, value] : labels) node.push_back({name, value});
           if (auto snapshot = snapshots.host.get()) {
             prom::render_host(*snapshot, out, node, node_metrics);
           }
         }});
  }
  if (config.collectors.brokers.enabled) {
    const auto& kafka = config.kafka;
    const auto& brokers = config.collectors.brokers;
    const auto make = [&kafka, &brokers, &snapshots]() -> std::unique_ptr<Collector> {
      return std::make_unique<BrokerCollector>(kafka, brokers, snapshots.cluster);
    };
    modules.push_back(
        {fleet ? std::make_unique<fleet::RoleGatedCollector>(
                     "brokers", brokers.interval, [&ownership] { return ownership.is_leader(); },
                     make, role_retention(brokers.interval))
               : make(),
         [&snapshots, &ownership](prom::ExpositionWriter& out) {
           // Cluster-wide: the leader's alone, and only from its current term.
           if (!ownership.is_leader()) return;
           auto snapshot = snapshots.cluster.get();
           if (snapshot && snapshot->taken_at >= ownership.leader_since()) {
             prom::render_cluster(*snapshot, out);
           }
         }});
  }
  if (config.collectors.groups.enabled) {
    const auto& kafka = config.kafka;
    const auto& groups = config.collectors.groups;
    const auto make = [&kafka, &groups, &snapshots, &ownership, fleet]() -> std::unique_ptr<Collector> {
      GroupCollector::Options options;
      if (fleet) {
        options.owns_group = [&ownership](std::string_view g) { return ownership.owns_group(g); };
      }
      return std::make_unique<GroupCollector>(kafka, groups, snapshots.groups, std::move(options));
    };
    modules.push_back(
        {fleet ? std::make_unique<fleet::RoleGatedCollector>(
                     "groups", groups.interval, [&ownership] { return ownership.owns_any(); },
                     make, role_retention(groups.interval))
               : make(),
         [&snapshots, &ownership, fleet](prom::ExpositionWriter& out) {
           auto snapshot = snapshots.groups.get();
           if (fleet) {
             const fleet::OwnedShards owned = ownership.view();
             if (owned.count() == 0) return;  // no shard: nothing of the groups is ours
             snapshot = fleet::owned_groups(std::move(snapshot), owned);
           }
           if (snapshot) prom::render_groups(*snapshot, out);
         }});
  }
  return modules;
}

}  // namespace ks

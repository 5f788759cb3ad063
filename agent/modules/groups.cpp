// The consumer-groups collector (collectors/groups/: offsets, lag, lag in seconds, status)
// with its kafka_consumergroup_* families (exporters/prometheus/group_metrics). In a fleet,
// each owner of group shards collects and exports its shards' groups.
#include "agent/collector_module.hpp"
#include "collectors/groups/group_collector.hpp"
#include "exporters/prometheus/group_metrics.hpp"
#include "fleet/owned_groups.hpp"

namespace ks::modules {

CollectorModule groups(const ModuleContext& context) {
  const KafkaConfig& kafka = context.config.kafka;
  const GroupsCollectorConfig& config = context.config.collectors.groups;
  Snapshots& snapshots = context.snapshots;
  const fleet::Ownership& ownership = context.ownership;
  const bool fleet = ownership.fleet_enabled();
  std::shared_ptr<kafka::SharedClient> shared_client = context.cluster_client;
  // collectors.groups.granularity and exclude_families: which kafka_consumergroup_* families.
  prom::GroupFamilySelection families(config.granularity, config.exclude_families);
  return {
      .name = "groups",
      .enabled = config.enabled,
      .interval = config.interval,
      .role = FleetRole::group_shards,
      .make = [&kafka, &config, &snapshots, &ownership, fleet, shared_client]() -> std::unique_ptr<Collector> {
        GroupCollector::Options options;
        options.share_watermarks = &snapshots.watermarks;  // for the brokers collector
        options.shared_client = shared_client;
        if (fleet) {
          options.owns_group = [&ownership](std::string_view g) { return ownership.owns_group(g); };
          if (ownership.group_sharding() == fleet::GroupSharding::offsets_partition) {
            // Only the offsets partitions of this agent's shards are read (docs/fleet.md).
            options.offsets_partitions = [&ownership](int count) {
              return ownership.view().owned_offsets_partitions(count);
            };
          }
        }
        return std::make_unique<GroupCollector>(kafka, config, snapshots.groups, std::move(options));
      },
      .renderer =
          [&snapshots, &ownership, fleet, families = std::move(families)](prom::ExpositionWriter& out) {
            auto snapshot = snapshots.groups.get();
            if (fleet) {
              const fleet::OwnedShards owned = ownership.view();  // one view for the filter
              if (owned.count() == 0) return;  // lost since the role check: nothing is ours
              snapshot = fleet::owned_groups(std::move(snapshot), owned);
            }
            if (snapshot) prom::render_groups(*snapshot, out, families);
          },
  };
}

}  // namespace ks::modules

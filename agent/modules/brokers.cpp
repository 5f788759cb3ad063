// The brokers collector (collectors/brokers/: cluster, broker and topic metadata,
// watermarks) with its kafka_* families (exporters/prometheus/cluster_metrics).
// Cluster-wide: in a fleet, the leader's alone.
#include "agent/collector_module.hpp"
#include "collectors/brokers/broker_collector.hpp"
#include "exporters/prometheus/cluster_metrics.hpp"

namespace ks::modules {

CollectorModule brokers(const ModuleContext& context) {
  const KafkaConfig& kafka = context.config.kafka;
  const BrokersCollectorConfig& config = context.config.collectors.brokers;
  Snapshots& snapshots = context.snapshots;
  const fleet::Ownership& ownership = context.ownership;
  std::shared_ptr<kafka::SharedClient> shared_client = context.cluster_client;
  return {
      .name = "brokers",
      .enabled = config.enabled,
      .interval = config.interval,
      .role = FleetRole::leader,
      .make = [&kafka, &config, &snapshots, shared_client]() -> std::unique_ptr<Collector> {
        BrokerCollector::Options options;
        // The groups collector's watermarks stand for this collector's own while recent.
        options.shared_watermarks = &snapshots.watermarks;
        options.shared_client = shared_client;
        return std::make_unique<BrokerCollector>(kafka, config, snapshots.cluster, std::move(options));
      },
      .renderer =
          [&snapshots, &ownership](prom::ExpositionWriter& out) {
            // Only a snapshot taken in the current leader term: an older one may be stale.
            auto snapshot = snapshots.cluster.get();
            if (snapshot && snapshot->taken_at >= ownership.leader_since()) {
              prom::render_cluster(*snapshot, out);
            }
          },
  };
}

}  // namespace ks::modules

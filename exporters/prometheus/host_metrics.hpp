// Prometheus families of the host snapshot: node_exporter's names, types and HELP texts
// (so its dashboards and alert rules work on our output), plus two derived ratios.
#pragma once

#include <span>

#include "core/host_snapshot.hpp"
#include "exporters/prometheus/exposition_writer.hpp"

namespace ks::prom {

// node_cpu_seconds_total{cpu,mode}, node_memory_<Field>[_bytes], node_load1/5/15,
// node_pressure_{cpu,memory,io}_{waiting,stalled}_seconds_total (where present), and
// kafka_sentinel_host_{cpu_utilization,memory_available}_ratio (where present).
// `node_labels` are added to every sample (a fleet's node and broker_id labels). Without
// `node_families`, only the kafka_sentinel_host_* ratios (collectors.host.node_metrics).
void render_host(const HostSnapshot& snapshot, ExpositionWriter& out,
                 std::span<const Label> node_labels = {}, bool node_families = true);

}  // namespace ks::prom

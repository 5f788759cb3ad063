// Metric families of the broker-metadata collector's ClusterSnapshot: kafka_exporter's
// names and labels where the meaning is the same (so its dashboards and alert rules keep
// working), new ones in the same style. Every family is listed in docs/metrics.md.
#pragma once

#include "core/cluster_snapshot.hpp"
#include "exporters/prometheus/exposition_writer.hpp"

namespace ks::prom {

void render_cluster(const ClusterSnapshot& snapshot, ExpositionWriter& out);

}  // namespace ks::prom

// Prometheus families of the end-to-end probe (kafka_sentinel_probe_*, docs/metrics.md):
// per probe partition and the broker leading it when each message was sent, counters of the
// messages' fate and latency histograms; per broker the probe answers for, its coverage and
// health. `node_labels` are added to every sample (a fleet's node and broker_id labels, so
// that the sidecars' series stay apart).
#pragma once

#include <span>

#include "core/probe_snapshot.hpp"
#include "exporters/prometheus/exposition_writer.hpp"

namespace ks::prom {

void render_probe(const ProbeSnapshot& snapshot, ExpositionWriter& out,
                  std::span<const Label> node_labels = {});

}  // namespace ks::prom

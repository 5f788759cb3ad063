// Writes a prometheus-cpp registry (the agent's small self-metrics registry) through the
// ExpositionWriter, so the whole /metrics body is sorted and formatted one way.
#pragma once

#include <prometheus/registry.h>

#include "exporters/prometheus/exposition_writer.hpp"

namespace ks::prom {

void render_registry(prometheus::Registry& registry, ExpositionWriter& out);

}  // namespace ks::prom

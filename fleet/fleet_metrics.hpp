// kafka_sentinel_fleet_* families: what this agent does in the fleet (docs/fleet.md).
// Rendered only when the fleet is enabled.
#pragma once

#include <string>

#include "fleet/coordinator.hpp"
#include "fleet/ownership.hpp"
#include "core/config.hpp"
#include "exporters/prometheus/exposition_writer.hpp"

namespace ks::fleet {

void render_fleet(const FleetConfig& config, const std::string& node, const CoordinatorStatus& status,
                  const OwnedShards& owned, prom::ExpositionWriter& out);

}  // namespace ks::fleet

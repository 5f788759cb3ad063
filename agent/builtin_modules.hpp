// The built-in collectors, each with the renderer of its metric families, ready for the
// scheduler and /metrics: fleet role gating applied (agent/collector_module.hpp).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "agent/collector_module.hpp"
#include "agent/metrics_endpoint.hpp"
#include "core/collector.hpp"
#include "core/config.hpp"
#include "core/snapshots.hpp"
#include "fleet/ownership.hpp"

namespace ks {

struct Module {
  std::string name;  // the collector's
  FleetRole role = FleetRole::every_agent;
  std::unique_ptr<Collector> collector;
  MetricsEndpoint::Renderer renderer;
};

// The enabled modules, in registration order. With the fleet enabled, a collector whose
// role is not every_agent runs (and is exported) only while this agent holds its role;
// `ownership` must outlive the modules; `fleet_members`: who the fleet's members are (the
// probe's leader adopts the brokers no sidecar claims).
std::vector<Module> builtin_modules(const Config& config, Snapshots& snapshots,
                                    const fleet::Ownership& ownership,
                                    FleetMembersSource fleet_members = {});

}  // namespace ks

// Where the built-in collectors are registered: one line per collector, plus the renderer
// that turns its snapshots into metric families.
#pragma once

#include <memory>
#include <vector>

#include "fleet/ownership.hpp"
#include "agent/metrics_endpoint.hpp"
#include "core/cluster_snapshot.hpp"
#include "core/collector.hpp"
#include "core/config.hpp"
#include "core/groups_snapshot.hpp"
#include "core/host_snapshot.hpp"
#include "core/latest.hpp"
#include "core/snapshots.hpp"

namespace ks {

struct Module {
  std::unique_ptr<Collector> collector;
  MetricsEndpoint::Renderer renderer;
};

// With the fleet enabled, the brokers collector runs (and is exported) on the leader only
// and the groups collector on the owners of group shards, for their shards' groups
// (fleet/); `ownership` must outlive the modules.
std::vector<Module> builtin_modules(const Config& config, Snapshots& snapshots,
                                    const fleet::Ownership& ownership);

}  // namespace ks

// What a collector brings to the agent: how to make it, the metric families rendered from
// its snapshots, and who runs it in a fleet. One per collector, in agent/modules/NAME.cpp;
// registered with one line in agent/builtin_modules.cpp.
//
// Why here and not in collectors/NAME/: a module joins a collector (collectors/) with its
// renderer (exporters/prometheus/), and only agent/ may include both (docs/architecture.md,
// dependency rules).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/metrics_endpoint.hpp"
#include "core/collector.hpp"
#include "core/config.hpp"
#include "core/snapshots.hpp"
#include "fleet/fleet_member.hpp"
#include "fleet/ownership.hpp"
#include "kafka/shared_client.hpp"

namespace ks {

// Who runs a collector, and exports its snapshots, when agents form a fleet (fleet/). The
// agent gates the collector and its renderer by the role (builtin_modules.cpp); a module
// does not check the role itself, only what data its role covers (e.g. owned shards).
enum class FleetRole {
  every_agent,   // the node's own (host): every agent
  leader,        // cluster-wide (brokers, topics): the fleet's leader alone
  group_shards,  // consumer groups: the owners of group shards, for their shards' groups
};

// The fleet's members as this agent's coordinator last described them, and when; nullopt
// without a fleet or before the first description.
struct FleetMembersSeen {
  std::vector<fleet::FleetMember> members;
  std::chrono::system_clock::time_point at{};
};
using FleetMembersSource = std::function<std::optional<FleetMembersSeen>()>;

// What a module's factory reads; everything outlives the agent's parts.
struct ModuleContext {
  const Config& config;
  Snapshots& snapshots;
  const fleet::Ownership& ownership;
  FleetMembersSource fleet_members{};
  // The Kafka client the brokers and groups collectors share (kafka/shared_client.hpp):
  // one set of librdkafka threads and connections for both.
  std::shared_ptr<kafka::SharedClient> cluster_client{};
};

struct CollectorModule {
  std::string name;  // the collector's: "host"; its config is collectors.NAME
  bool enabled = true;
  std::chrono::milliseconds interval{};
  FleetRole role = FleetRole::every_agent;
  // Makes the collector; called again when a fleet role comes back after it was dropped.
  std::function<std::unique_ptr<Collector>()> make;
  MetricsEndpoint::Renderer renderer;
};

using ModuleFactory = CollectorModule (*)(const ModuleContext&);

}  // namespace ks

#include "agent/builtin_modules.hpp"

#include <algorithm>

#include "fleet/role_gated_collector.hpp"

// Where the built-in collectors are registered: one line each, naming its module, a
// function ks::modules::NAME(const ModuleContext&) in agent/modules/NAME.cpp. Adding a
// collector = its folder in collectors/, its module file, and its line here
// (docs/architecture.md, "Adding a collector").
#define KS_BUILTIN_MODULES(MODULE) \
  MODULE(host)                     \
  MODULE(brokers)                  \
  MODULE(groups)                   \
  MODULE(probe)

namespace ks {
namespace modules {
#define KS_DECLARE_MODULE(name) CollectorModule name(const ModuleContext& context);
KS_BUILTIN_MODULES(KS_DECLARE_MODULE)
#undef KS_DECLARE_MODULE
}  // namespace modules

namespace {

#define KS_LIST_MODULE(name) &modules::name,
constexpr ModuleFactory kBuiltinModules[] = {KS_BUILTIN_MODULES(KS_LIST_MODULE)};
#undef KS_LIST_MODULE

// How long a collector whose fleet role is gone keeps its state, in case the role comes
// back (an eager rebalance takes every role away for a moment).
std::chrono::milliseconds role_retention(std::chrono::milliseconds interval) {
  return std::max<std::chrono::milliseconds>(3 * interval, std::chrono::seconds(10));
}

std::function<bool()> holds(FleetRole role, const fleet::Ownership& ownership) {
  if (role == FleetRole::leader) return [&ownership] { return ownership.is_leader(); };
  return [&ownership] { return ownership.owns_any(); };
}

// The fleet's gate, the same for every collector: the collector runs while this agent holds
// its role (fleet/role_gated_collector.hpp), and its families are exported only then.
Module gated(CollectorModule module, const fleet::Ownership& ownership) {
  auto holds_role = holds(module.role, ownership);
  auto collector = std::make_unique<fleet::RoleGatedCollector>(
      module.name, module.interval, holds_role, std::move(module.make),
      role_retention(module.interval));
  auto renderer = [holds_role, render = std::move(module.renderer)](prom::ExpositionWriter& out) {
    if (holds_role()) render(out);
  };
  return {std::move(module.name), module.role, std::move(collector), std::move(renderer)};
}

// The shared client's name in logs and in the kafka_sentinel_client_broker_* metrics: the
// collectors that use it.
std::string cluster_client_name(const CollectorsConfig& collectors) {
  if (collectors.brokers.enabled && collectors.groups.enabled) return "brokers+groups";
  return collectors.brokers.enabled ? "brokers" : "groups";
}

}  // namespace

std::vector<Module> builtin_modules(const Config& config, Snapshots& snapshots,
                                    const fleet::Ownership& ownership,
                                    FleetMembersSource fleet_members) {
  const ModuleContext context{config, snapshots, ownership, std::move(fleet_members),
                              std::make_shared<kafka::SharedClient>(
                                  config.kafka, cluster_client_name(config.collectors))};
  std::vector<Module> modules;
  for (const ModuleFactory factory : kBuiltinModules) {
    CollectorModule module = factory(context);
    if (!module.enabled) continue;
    if (ownership.fleet_enabled() && module.role != FleetRole::every_agent) {
      modules.push_back(gated(std::move(module), ownership));
    } else {
      std::unique_ptr<Collector> collector = module.make();
      modules.push_back({std::move(module.name), module.role, std::move(collector),
                         std::move(module.renderer)});
    }
  }
  return modules;
}

}  // namespace ks

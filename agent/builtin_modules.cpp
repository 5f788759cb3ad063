#include "agent/builtin_modules.hpp"

#include "collectors/host/host_collector.hpp"
#include "exporters/prometheus/host_metrics.hpp"

namespace ks {

std::vector<Module> builtin_modules(const Config& config, Snapshots& snapshots) {
  std::vector<Module> modules;
  if (config.collectors.host.enabled) {
    modules.push_back(
        {std::make_unique<HostCollector>(config.collectors.host, snapshots.host),
         [&snapshots](prom::ExpositionWriter& out) {
           if (auto snapshot = snapshots.host.get()) prom::render_host(*snapshot, out);
         }});
  }
  return modules;
}

}  // namespace ks

// The host collector: CPU, memory, load and pressure of the node the agent runs on, read
// from procfs (a configurable root, so tests run on fixture directories).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/collector.hpp"
#include "core/config.hpp"
#include "core/host_snapshot.hpp"
#include "core/latest.hpp"

namespace ks {

class HostCollector final : public Collector {
 public:
  HostCollector(const HostCollectorConfig& config, Latest<HostSnapshot>& out);

  std::string_view name() const override { return "host"; }
  std::chrono::milliseconds interval() const override { return config_.interval; }

  // Reads <procfs>/stat, meminfo, loadavg and, where <procfs>/pressure exists,
  // pressure/{cpu,memory,io}; publishes a HostSnapshot. On any failure throws
  // CollectError naming the file and the problem, and publishes nothing.
  // Called from one thread at a time (the scheduler's thread for this collector).
  void collect_once(std::stop_token stop) override;

 private:
  // Aggregate CPU time in USER_HZ ticks: integers, so deltas and ratios are exact.
  struct CpuTicks {
    std::uint64_t busy = 0;
    std::uint64_t total = 0;
  };

  HostCollectorConfig config_;
  Latest<HostSnapshot>& out_;
  std::optional<CpuTicks> previous_cpu_;  // from the last successful cycle
};

}  // namespace ks

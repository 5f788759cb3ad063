// This process's own CPU and memory, from /proc/self (the real one, not the configurable
// procfs root of the host collector, which may point at fixtures).
#pragma once

#include <optional>

namespace ks {

struct ProcessStats {
  double cpu_seconds = 0;       // user + system
  double resident_bytes = 0;
  double virtual_bytes = 0;
  double start_time_seconds = 0;  // since the epoch
  double open_fds = 0;
};

std::optional<ProcessStats> read_process_stats();

}  // namespace ks

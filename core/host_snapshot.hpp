// What the host collector saw in one cycle (procfs of the node the agent runs on).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace ks {

// One line "cpuN ..." of /proc/stat, in seconds (USER_HZ already divided out).
struct CpuTimes {
  std::string cpu;  // "0", "1", ... (node_exporter's label value)
  double user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0,
         steal = 0;
  // guest/guest_nice are already included in user/nice by the kernel.
  double total() const { return user + nice + system + idle + iowait + irq + softirq + steal; }
  double busy() const { return total() - idle - iowait; }
};

struct CpuStat {
  CpuTimes all;                 // the aggregate "cpu" line
  std::vector<CpuTimes> per_cpu;
};

// One /proc/meminfo line. node_exporter's name: node_memory_<name>[_bytes].
struct MeminfoField {
  std::string name;   // sanitised: "Active(anon)" -> "Active_anon"
  double value = 0;   // bytes when has_unit, else a count
  bool has_unit = false;
};

struct LoadAverage {
  double load1 = 0, load5 = 0, load15 = 0;
};

// /proc/pressure/<resource>: cumulative stall time ("total=" in microseconds).
struct PressureStall {
  std::string resource;         // cpu, memory, io
  std::optional<double> some_seconds;
  std::optional<double> full_seconds;
};

struct HostSnapshot {
  std::chrono::system_clock::time_point taken_at;
  CpuStat cpu;
  std::vector<MeminfoField> memory;
  LoadAverage load;
  std::vector<PressureStall> pressure;  // empty where /proc/pressure does not exist
  // Derived over the last collection interval; absent on the first cycle.
  std::optional<double> cpu_utilization_ratio;
  std::optional<double> memory_available_ratio;  // MemAvailable / MemTotal
};

}  // namespace ks

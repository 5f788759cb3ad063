#include "exporters/prometheus/host_metrics.hpp"

#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ks::prom {
namespace {

// Forwards to the writer, adding the node's labels (if any) after each sample's own.
class NodeWriter {
 public:
  NodeWriter(ExpositionWriter& out, std::span<const Label> node) : out_(out), node_(node) {}

  void family(std::string_view name, std::string_view help, MetricType type) {
    out_.family(name, help, type);
  }
  void sample(std::initializer_list<Label> own, double value) {
    if (node_.empty()) {
      out_.sample(own, value);
      return;
    }
    labels_.assign(own.begin(), own.end());
    labels_.insert(labels_.end(), node_.begin(), node_.end());
    out_.sample(std::span<const Label>(labels_), value);
  }

 private:
  ExpositionWriter& out_;
  std::span<const Label> node_;
  std::vector<Label> labels_;
};

void render_cpu(const CpuStat& cpu, NodeWriter& out) {
  // node_exporter exports only the per-CPU lines, not the aggregate one.
  if (cpu.per_cpu.empty()) return;
  out.family("node_cpu_seconds_total", "Seconds the CPUs spent in each mode.",
             MetricType::counter);
  for (const CpuTimes& t : cpu.per_cpu) {
    // Already in the sort order of the mode label.
    const std::pair<std::string_view, double> modes[] = {
        {"idle", t.idle}, {"iowait", t.iowait}, {"irq", t.irq},       {"nice", t.nice},
        {"softirq", t.softirq}, {"steal", t.steal}, {"system", t.system}, {"user", t.user}};
    for (const auto& [mode, seconds] : modes) {
      out.sample({{"cpu", t.cpu}, {"mode", mode}}, seconds);
    }
  }
}

void render_memory(const std::vector<MeminfoField>& memory, NodeWriter& out) {
  std::string key;
  std::string name;
  std::string help;
  for (const MeminfoField& field : memory) {
    key = field.name;
    if (field.has_unit) key += "_bytes";
    name = "node_memory_" + key;
    help = "Memory information field " + key + ".";
    // node_exporter's rule, kept so the type never differs from its output.
    const bool counter = key.ends_with("_total");
    out.family(name, help, counter ? MetricType::counter : MetricType::gauge);
    out.sample({}, field.value);
  }
}

void render_load(const LoadAverage& load, NodeWriter& out) {
  out.family("node_load1", "1m load average.", MetricType::gauge);
  out.sample({}, load.load1);
  out.family("node_load5", "5m load average.", MetricType::gauge);
  out.sample({}, load.load5);
  out.family("node_load15", "15m load average.", MetricType::gauge);
  out.sample({}, load.load15);
}

struct PressureNames {
  std::string_view resource;
  std::string_view waiting_name, waiting_help;
  std::string_view stalled_name, stalled_help;
};

constexpr PressureNames kPressure[] = {
    {"cpu", "node_pressure_cpu_waiting_seconds_total",
     "Total time in seconds that processes have waited for CPU time",
     "node_pressure_cpu_stalled_seconds_total",
     "Total time in seconds no process could make progress due to CPU congestion"},
    {"memory", "node_pressure_memory_waiting_seconds_total",
     "Total time in seconds that processes have waited for memory",
     "node_pressure_memory_stalled_seconds_total",
     "Total time in seconds no process could make progress due to memory congestion"},
    {"io", "node_pressure_io_waiting_seconds_total",
     "Total time in seconds that processes have waited due to IO congestion",
     "node_pressure_io_stalled_seconds_total",
     "Total time in seconds no process could make progress due to IO congestion"},
};

void render_pressure(const std::vector<PressureStall>& pressure, NodeWriter& out) {
  for (const PressureStall& stall : pressure) {
    for (const PressureNames& names : kPressure) {
      if (names.resource != stall.resource) continue;
      if (stall.some_seconds) {
        out.family(names.waiting_name, names.waiting_help, MetricType::counter);
        out.sample({}, *stall.some_seconds);
      }
      if (stall.full_seconds) {
        out.family(names.stalled_name, names.stalled_help, MetricType::counter);
        out.sample({}, *stall.full_seconds);
      }
    }
  }
}

}  // namespace

void render_host(const HostSnapshot& snapshot, ExpositionWriter& writer,
                 std::span<const Label> node_labels, bool node_families) {
  NodeWriter out(writer, node_labels);
  if (node_families) {
    render_cpu(snapshot.cpu, out);
    render_memory(snapshot.memory, out);
    render_load(snapshot.load, out);
    render_pressure(snapshot.pressure, out);
  }
  if (snapshot.cpu_utilization_ratio) {
    out.family("kafka_sentinel_host_cpu_utilization_ratio",
               "Fraction of CPU time of all CPUs spent busy (not idle or iowait) over the last "
               "host collection interval.",
               MetricType::gauge);
    out.sample({}, *snapshot.cpu_utilization_ratio);
  }
  if (snapshot.memory_available_ratio) {
    out.family("kafka_sentinel_host_memory_available_ratio",
               "MemAvailable / MemTotal of /proc/meminfo: the fraction of memory available "
               "for new work without swapping.",
               MetricType::gauge);
    out.sample({}, *snapshot.memory_available_ratio);
  }
}

}  // namespace ks::prom

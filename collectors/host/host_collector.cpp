#include "collectors/host/host_collector.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <filesystem>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "collectors/host/procfs_parsers.hpp"

namespace ks {
namespace {

namespace fs = std::filesystem;

struct ReadResult {
  std::string text;
  int error = 0;  // errno of the failed open/read, 0 on success
};

// procfs files report size 0, so read until EOF rather than by file size.
ReadResult read_whole_file(const std::string& path) {
  ReadResult result;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    result.error = errno;
    return result;
  }
  std::array<char, 8192> buffer;
  for (;;) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n > 0) {
      result.text.append(buffer.data(), static_cast<std::size_t>(n));
    } else if (n == 0) {
      break;
    } else if (errno != EINTR) {
      result.error = errno;
      result.text.clear();
      break;
    }
  }
  ::close(fd);
  return result;
}

[[noreturn]] void fail_read(const std::string& path, int error) {
  throw CollectError(
      fmt::format("cannot read {}: {}", path, std::generic_category().message(error)));
}

std::string read_or_throw(const std::string& path) {
  ReadResult r = read_whole_file(path);
  if (r.error != 0) fail_read(path, r.error);
  return std::move(r.text);
}

// Parses with the collector's error type; the parsers' messages already name the file.
template <class F>
auto parse_or_throw(F&& parse) {
  try {
    return parse();
  } catch (const host::ParseError& e) {
    throw CollectError(e.what());
  }
}

std::uint64_t to_ticks(double seconds) {
  return static_cast<std::uint64_t>(std::llround(seconds * host::kUserHz));
}

std::optional<double> field_value(const std::vector<MeminfoField>& memory,
                                  std::string_view name) {
  const auto it = std::find_if(memory.begin(), memory.end(),
                               [&](const MeminfoField& f) { return f.name == name; });
  if (it == memory.end()) return std::nullopt;
  return it->value;
}

std::optional<double> available_ratio(const std::vector<MeminfoField>& memory) {
  const auto total = field_value(memory, "MemTotal");
  const auto available = field_value(memory, "MemAvailable");
  if (!total || !available || *total <= 0) return std::nullopt;
  return *available / *total;
}

// Pressure stall information exists from Linux 4.20 with CONFIG_PSI, and only when not
// disabled at boot (psi=0): no pressure directory is a normal host, not an error.
std::vector<PressureStall> read_pressure(const fs::path& pressure_dir) {
  std::vector<PressureStall> pressure;
  std::error_code ec;
  const fs::file_status status = fs::status(pressure_dir, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) {
    throw CollectError(fmt::format("cannot read {}: {}", pressure_dir.string(), ec.message()));
  }
  if (!fs::exists(status)) return pressure;
  if (!fs::is_directory(status)) {
    throw CollectError(fmt::format("{} is not a directory", pressure_dir.string()));
  }
  for (const std::string_view resource : {"cpu", "memory", "io"}) {
    const std::string path = (pressure_dir / resource).string();
    ReadResult r = read_whole_file(path);
    if (r.error == EOPNOTSUPP) {
      // Older kernels keep the files when PSI is disabled and refuse reads: treat as
      // no pressure information, as node_exporter does.
      pressure.clear();
      break;
    }
    if (r.error != 0) fail_read(path, r.error);
    pressure.push_back(parse_or_throw([&] { return host::parse_pressure(resource, r.text, path); }));
  }
  return pressure;
}

}  // namespace

HostCollector::HostCollector(const HostCollectorConfig& config, Latest<HostSnapshot>& out)
    : config_(config), out_(out) {}

void HostCollector::collect_once(std::stop_token /*stop: reads procfs, never waits*/) {
  const fs::path root(config_.procfs);
  const auto path_of = [&root](std::string_view name) { return (root / name).string(); };

  auto snapshot = std::make_shared<HostSnapshot>();
  snapshot->taken_at = std::chrono::system_clock::now();

  const std::string stat_path = path_of("stat");
  const std::string stat_text = read_or_throw(stat_path);
  snapshot->cpu = parse_or_throw([&] { return host::parse_proc_stat(stat_text, stat_path); });

  const std::string meminfo_path = path_of("meminfo");
  const std::string meminfo_text = read_or_throw(meminfo_path);
  snapshot->memory =
      parse_or_throw([&] { return host::parse_meminfo(meminfo_text, meminfo_path); });

  const std::string loadavg_path = path_of("loadavg");
  const std::string loadavg_text = read_or_throw(loadavg_path);
  snapshot->load = parse_or_throw([&] { return host::parse_loadavg(loadavg_text, loadavg_path); });

  snapshot->pressure = read_pressure(root / "pressure");

  const CpuTimes& all = snapshot->cpu.all;
  const std::uint64_t idle = to_ticks(all.idle) + to_ticks(all.iowait);
  const std::uint64_t busy = to_ticks(all.user) + to_ticks(all.nice) + to_ticks(all.system) +
                             to_ticks(all.irq) + to_ticks(all.softirq) + to_ticks(all.steal);
  const CpuTicks now{busy, busy + idle};
  if (previous_cpu_ && now.total > previous_cpu_->total) {
    // Signed: some kernels let iowait (hence busy vs. idle) step backwards a little.
    const double busy_delta = static_cast<double>(static_cast<std::int64_t>(now.busy) -
                                                  static_cast<std::int64_t>(previous_cpu_->busy));
    const double total_delta = static_cast<double>(now.total - previous_cpu_->total);
    snapshot->cpu_utilization_ratio = std::clamp(busy_delta / total_delta, 0.0, 1.0);
  }
  snapshot->memory_available_ratio = available_ratio(snapshot->memory);

  out_.publish(std::move(snapshot));
  previous_cpu_ = now;
}

}  // namespace ks

#include <catch2/catch.hpp>

#include <sstream>
#include <string>

#include "collectors/host/host_collector.hpp"
#include "exporters/prometheus/host_metrics.hpp"

using Catch::Matchers::Contains;

namespace {

const std::string kProcfs = std::string(KS_FIXTURES_DIR) + "/procfs";

ks::MeminfoField field(std::string name, double value, bool has_unit) {
  ks::MeminfoField f;
  f.name = std::move(name);
  f.value = value;
  f.has_unit = has_unit;
  return f;
}

ks::CpuTimes cpu_times(std::string cpu, double user, double nice, double system, double idle,
                       double iowait, double irq, double softirq, double steal) {
  ks::CpuTimes t;
  t.cpu = std::move(cpu);
  t.user = user;
  t.nice = nice;
  t.system = system;
  t.idle = idle;
  t.iowait = iowait;
  t.irq = irq;
  t.softirq = softirq;
  t.steal = steal;
  return t;
}

ks::PressureStall stall(std::string resource, std::optional<double> some,
                        std::optional<double> full) {
  ks::PressureStall s;
  s.resource = std::move(resource);
  s.some_seconds = some;
  s.full_seconds = full;
  return s;
}

std::string render(const ks::HostSnapshot& snapshot) {
  ks::prom::ExpositionWriter writer;
  ks::prom::render_host(snapshot, writer);
  return writer.finish();
}

// The value of the sample line starting with `series ` (exactly one expected).
double sample_value(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  std::string line;
  int found = 0;
  double value = 0;
  while (std::getline(lines, line)) {
    if (line.rfind(series + " ", 0) == 0) {
      ++found;
      value = std::stod(line.substr(series.size() + 1));
    }
  }
  INFO(series);
  REQUIRE(found == 1);
  return value;
}

}  // namespace

TEST_CASE("render_host writes node_exporter's families", "[host][prometheus]") {
  ks::HostSnapshot s;
  s.cpu.all = cpu_times("", 3.5, 0.5, 1, 19.5, 0.5, 0.02, 0.04, 0.125);
  s.cpu.per_cpu = {cpu_times("0", 1.5, 0, 0.25, 10, 0.5, 0, 0.01, 0),
                   cpu_times("1", 2, 0.5, 0.75, 9.5, 0, 0.02, 0.03, 0.125)};
  s.memory = {field("MemTotal", 976 * 1024, true), field("MemAvailable", 512 * 1024, true),
              field("Active_anon", 4096, true), field("HugePages_Total", 0, false)};
  s.load = {0.5, 0.25, 0.125};
  s.pressure = {stall("cpu", 1.5, std::nullopt), stall("memory", 0.25, 0.125),
                stall("io", 2, 1)};
  s.cpu_utilization_ratio = 0.35;
  s.memory_available_ratio = 0.5;

  const std::string expected =
      "# HELP kafka_sentinel_host_cpu_utilization_ratio Fraction of CPU time of all CPUs spent "
      "busy (not idle or iowait) over the last host collection interval.\n"
      "# TYPE kafka_sentinel_host_cpu_utilization_ratio gauge\n"
      "kafka_sentinel_host_cpu_utilization_ratio 0.35\n"
      "# HELP kafka_sentinel_host_memory_available_ratio MemAvailable / MemTotal of "
      "/proc/meminfo: the fraction of memory available for new work without swapping.\n"
      "# TYPE kafka_sentinel_host_memory_available_ratio gauge\n"
      "kafka_sentinel_host_memory_available_ratio 0.5\n"
      "# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.\n"
      "# TYPE node_cpu_seconds_total counter\n"
      "node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"} 10\n"
      "node_cpu_seconds_total{cpu=\"0\",mode=\"iowait\"} 0.5\n"
      "node_cpu_seconds_total{cpu=\"0\",mode=\"irq\"} 0\n"
      "node_cpu_seconds_total{cpu=\"0\",mode=\"nice\"} 0\n"
      "node_cpu_seconds_total{cpu=\"0\",mode=\"softirq\"} 0.01\n"
      "node_cpu_seconds_total{cpu=\"0\",mode=\"steal\"} 0\n"
      "node_cpu_seconds_total{cpu=\"0\",mode=\"system\"} 0.25\n"
      "node_cpu_seconds_total{cpu=\"0\",mode=\"user\"} 1.5\n"
      "node_cpu_seconds_total{cpu=\"1\",mode=\"idle\"} 9.5\n"
      "node_cpu_seconds_total{cpu=\"1\",mode=\"iowait\"} 0\n"
      "node_cpu_seconds_total{cpu=\"1\",mode=\"irq\"} 0.02\n"
      "node_cpu_seconds_total{cpu=\"1\",mode=\"nice\"} 0.5\n"
      "node_cpu_seconds_total{cpu=\"1\",mode=\"softirq\"} 0.03\n"
      "node_cpu_seconds_total{cpu=\"1\",mode=\"steal\"} 0.125\n"
      "node_cpu_seconds_total{cpu=\"1\",mode=\"system\"} 0.75\n"
      "node_cpu_seconds_total{cpu=\"1\",mode=\"user\"} 2\n"
      "# HELP node_load1 1m load average.\n"
      "# TYPE node_load1 gauge\n"
      "node_load1 0.5\n"
      "# HELP node_load15 15m load average.\n"
      "# TYPE node_load15 gauge\n"
      "node_load15 0.125\n"
      "# HELP node_load5 5m load average.\n"
      "# TYPE node_load5 gauge\n"
      "node_load5 0.25\n"
      "# HELP node_memory_Active_anon_bytes Memory information field Active_anon_bytes.\n"
      "# TYPE node_memory_Active_anon_bytes gauge\n"
      "node_memory_Active_anon_bytes 4096\n"
      "# HELP node_memory_HugePages_Total Memory information field HugePages_Total.\n"
      "# TYPE node_memory_HugePages_Total gauge\n"
      "node_memory_HugePages_Total 0\n"
      "# HELP node_memory_MemAvailable_bytes Memory information field MemAvailable_bytes.\n"
      "# TYPE node_memory_MemAvailable_bytes gauge\n"
      "node_memory_MemAvailable_bytes 524288\n"
      "# HELP node_memory_MemTotal_bytes Memory information field MemTotal_bytes.\n"
      "# TYPE node_memory_MemTotal_bytes gauge\n"
      "node_memory_MemTotal_bytes 999424\n"
      "# HELP node_pressure_cpu_waiting_seconds_total Total time in seconds that processes have "
      "waited for CPU time\n"
      "# TYPE node_pressure_cpu_waiting_seconds_total counter\n"
      "node_pressure_cpu_waiting_seconds_total 1.5\n"
      "# HELP node_pressure_io_stalled_seconds_total Total time in seconds no process could make "
      "progress due to IO congestion\n"
      "# TYPE node_pressure_io_stalled_seconds_total counter\n"
      "node_pressure_io_stalled_seconds_total 1\n"
      "# HELP node_pressure_io_waiting_seconds_total Total time in seconds that processes have "
      "waited due to IO congestion\n"
      "# TYPE node_pressure_io_waiting_seconds_total counter\n"
      "node_pressure_io_waiting_seconds_total 2\n"
      "# HELP node_pressure_memory_stalled_seconds_total Total time in seconds no process could "
      "make progress due to memory congestion\n"
      "# TYPE node_pressure_memory_stalled_seconds_total counter\n"
      "node_pressure_memory_stalled_seconds_total 0.125\n"
      "# HELP node_pressure_memory_waiting_seconds_total Total time in seconds that processes "
      "have waited for memory\n"
      "# TYPE node_pressure_memory_waiting_seconds_total counter\n"
      "node_pressure_memory_waiting_seconds_total 0.25\n";
  CHECK(render(s) == expected);
}

TEST_CASE("render_host leaves out what the snapshot lacks", "[host][prometheus]") {
  ks::HostSnapshot s;
  s.cpu.per_cpu = {cpu_times("0", 1, 0, 0, 1, 0, 0, 0, 0)};
  s.pressure = {stall("cpu", 1.5, std::nullopt)};
  const std::string text = render(s);
  CHECK_THAT(text, Contains("node_pressure_cpu_waiting_seconds_total 1.5\n"));
  CHECK_THAT(text, !Contains("node_pressure_cpu_stalled_seconds_total"));
  CHECK_THAT(text, !Contains("kafka_sentinel_host_cpu_utilization_ratio"));
  CHECK_THAT(text, !Contains("kafka_sentinel_host_memory_available_ratio"));
  CHECK_THAT(text, !Contains("node_memory_"));
  CHECK_THAT(text, Contains("node_load1 0\n"));

  s.pressure = {stall("cpu", 1.5, 0.25)};
  CHECK_THAT(render(s),
             Contains("# HELP node_pressure_cpu_stalled_seconds_total Total time in seconds no "
                      "process could make progress due to CPU congestion\n"
                      "# TYPE node_pressure_cpu_stalled_seconds_total counter\n"
                      "node_pressure_cpu_stalled_seconds_total 0.25\n"));

  s.pressure.clear();
  CHECK_THAT(render(s), !Contains("node_pressure_"));
}

TEST_CASE("render_host without node families: only the derived ratios", "[host][prometheus]") {
  ks::HostSnapshot s;
  s.cpu.per_cpu = {cpu_times("0", 1, 0, 0, 1, 0, 0, 0, 0)};
  s.memory = {{"MemTotal", 2048, true}, {"MemAvailable", 512, true}};
  s.pressure = {stall("cpu", 1.5, 0.25)};
  s.cpu_utilization_ratio = 0.5;
  s.memory_available_ratio = 0.25;
  ks::prom::ExpositionWriter writer;
  const std::vector<ks::prom::Label> node = {{"node", "n1"}};
  ks::prom::render_host(s, writer, node, /*node_families=*/false);
  const std::string text = writer.finish();
  CHECK(text ==
        "# HELP kafka_sentinel_host_cpu_utilization_ratio Fraction of CPU time of all CPUs spent "
        "busy (not idle or iowait) over the last host collection interval.\n"
        "# TYPE kafka_sentinel_host_cpu_utilization_ratio gauge\n"
        "kafka_sentinel_host_cpu_utilization_ratio{node=\"n1\"} 0.5\n"
        "# HELP kafka_sentinel_host_memory_available_ratio MemAvailable / MemTotal of "
        "/proc/meminfo: the fraction of memory available for new work without swapping.\n"
        "# TYPE kafka_sentinel_host_memory_available_ratio gauge\n"
        "kafka_sentinel_host_memory_available_ratio{node=\"n1\"} 0.25\n");
  // The same snapshot with them: node_exporter's families come first, then the ratios.
  CHECK_THAT(render(s), Contains("node_memory_MemTotal_bytes 2048\n"));
  CHECK_THAT(render(s), Contains("node_pressure_cpu_stalled_seconds_total 0.25\n"));
}

TEST_CASE("render_host of a collected fixture host", "[host][prometheus]") {
  ks::Latest<ks::HostSnapshot> latest;
  ks::HostCollectorConfig config;
  config.procfs = kProcfs + "/normal";
  ks::HostCollector collector(config, latest);
  collector.collect_once({});
  REQUIRE(latest.get());
  const std::string text = render(*latest.get());

  // 2 CPUs x 8 modes; the aggregate "cpu" line is not exported (as in node_exporter).
  std::size_t cpu_samples = 0;
  for (std::size_t at = 0; (at = text.find("\nnode_cpu_seconds_total{", at)) != std::string::npos;
       ++at) {
    ++cpu_samples;
  }
  CHECK(cpu_samples == 16);
  CHECK_THAT(text, !Contains("cpu=\"\""));
  CHECK(sample_value(text, "node_cpu_seconds_total{cpu=\"1\",mode=\"user\"}") == 44.57);
  CHECK(sample_value(text, "node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"}") == 159.89);

  CHECK_THAT(text, Contains("# HELP node_memory_MemTotal_bytes Memory information field "
                            "MemTotal_bytes.\n# TYPE node_memory_MemTotal_bytes gauge\n"));
  CHECK(sample_value(text, "node_memory_MemTotal_bytes") == 8039456.0 * 1024);
  CHECK(sample_value(text, "node_memory_MemAvailable_bytes") == 5627620.0 * 1024);
  CHECK(sample_value(text, "node_memory_MemFree_bytes") == 1123848.0 * 1024);
  CHECK(sample_value(text, "node_memory_Buffers_bytes") == 212344.0 * 1024);
  CHECK(sample_value(text, "node_memory_Cached_bytes") == 4318720.0 * 1024);
  CHECK(sample_value(text, "node_memory_SwapTotal_bytes") == 2097148.0 * 1024);
  CHECK(sample_value(text, "node_memory_SwapFree_bytes") == 2097148.0 * 1024);
  CHECK(sample_value(text, "node_memory_Active_anon_bytes") == 1602460.0 * 1024);
  CHECK(sample_value(text, "node_memory_HugePages_Total") == 0);
  CHECK_THAT(text, Contains("# TYPE node_memory_HugePages_Total gauge\n"));

  CHECK(sample_value(text, "node_load1") == 0.62);
  CHECK(sample_value(text, "node_load5") == 0.48);
  CHECK(sample_value(text, "node_load15") == 0.41);

  CHECK(sample_value(text, "node_pressure_cpu_waiting_seconds_total") ==
        14294067 / 1000.0 / 1000.0);
  CHECK(sample_value(text, "node_pressure_cpu_stalled_seconds_total") == 0);
  CHECK(sample_value(text, "node_pressure_memory_waiting_seconds_total") ==
        183512 / 1000.0 / 1000.0);
  CHECK(sample_value(text, "node_pressure_memory_stalled_seconds_total") ==
        120734 / 1000.0 / 1000.0);
  CHECK(sample_value(text, "node_pressure_io_waiting_seconds_total") ==
        6208119 / 1000.0 / 1000.0);
  CHECK(sample_value(text, "node_pressure_io_stalled_seconds_total") ==
        4742455 / 1000.0 / 1000.0);

  CHECK(sample_value(text, "kafka_sentinel_host_memory_available_ratio") ==
        Approx(5627620.0 / 8039456.0).epsilon(1e-15));
  CHECK_THAT(text, !Contains("kafka_sentinel_host_cpu_utilization_ratio"));
}

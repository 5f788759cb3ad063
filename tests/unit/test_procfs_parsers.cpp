#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>

#include "collectors/host/procfs_parsers.hpp"

using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using ks::host::ParseError;

namespace {

const std::string kProcfs = std::string(KS_FIXTURES_DIR) + "/procfs";

std::string read_fixture(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

const ks::MeminfoField* find_field(const std::vector<ks::MeminfoField>& fields,
                                   std::string_view name) {
  const auto it = std::find_if(fields.begin(), fields.end(),
                               [&](const ks::MeminfoField& f) { return f.name == name; });
  return it == fields.end() ? nullptr : &*it;
}

}  // namespace

// ---------------------------------------------------------------------------- /proc/stat

TEST_CASE("parse_proc_stat reads the aggregate and per-CPU lines in seconds", "[host][procfs]") {
  const auto stat = ks::host::parse_proc_stat(read_fixture(kProcfs + "/normal/stat"));

  CHECK(stat.all.cpu.empty());
  CHECK(stat.all.user == 8241 / 100.0);
  CHECK(stat.all.nice == 12 / 100.0);
  CHECK(stat.all.system == 2809 / 100.0);
  CHECK(stat.all.idle == 29635 / 100.0);
  CHECK(stat.all.iowait == 615 / 100.0);
  CHECK(stat.all.irq == 0.0);
  CHECK(stat.all.softirq == 212 / 100.0);
  CHECK(stat.all.steal == 282 / 100.0);

  REQUIRE(stat.per_cpu.size() == 2);
  CHECK(stat.per_cpu[0].cpu == "0");
  CHECK(stat.per_cpu[1].cpu == "1");
  CHECK(stat.per_cpu[0].user == 3784 / 100.0);
  CHECK(stat.per_cpu[0].idle == 15989 / 100.0);
  CHECK(stat.per_cpu[1].iowait == 561 / 100.0);
  CHECK(stat.per_cpu[1].steal == 167 / 100.0);
  CHECK(stat.per_cpu[1].system == 1915 / 100.0);
}

TEST_CASE("parse_proc_stat does not count guest time twice", "[host][procfs]") {
  // guest (0.9 s) and guest_nice (0.1 s) are already inside user and nice: total is 36 s.
  const auto stat = ks::host::parse_proc_stat("cpu  100 200 300 400 500 600 700 800 90 10\n"
                                              "cpu0 100 200 300 400 500 600 700 800 90 10\n");
  CHECK(stat.all.total() == Approx(36.0));
  CHECK(stat.all.user == 1.0);
  CHECK(stat.all.nice == 2.0);
}

TEST_CASE("parse_proc_stat accepts old kernels' 8 columns and new kernels' extra ones",
          "[host][procfs]") {
  const auto old_kernel = ks::host::parse_proc_stat("cpu  1 2 3 4 5 6 7 8\ncpu0 1 2 3 4 5 6 7 8\n");
  CHECK(old_kernel.all.steal == 0.08);
  const auto new_kernel =
      ks::host::parse_proc_stat("cpu  1 2 3 4 5 6 7 8 9 10 11 12\ncpu0 1 2 3 4 5 6 7 8 9 10 x y\n"
                                "some_new_line 1 2 3\n");
  CHECK(new_kernel.all.user == 0.01);
  CHECK(new_kernel.per_cpu.size() == 1);
}

TEST_CASE("parse_proc_stat rejects malformed input with a message naming file and line",
          "[host][procfs]") {
  using ks::host::parse_proc_stat;
  CHECK_THROWS_AS(parse_proc_stat(""), ParseError);
  CHECK_THROWS_WITH(parse_proc_stat(""), Equals("/proc/stat: empty file"));
  CHECK_THROWS_WITH(parse_proc_stat("cpu  1 2 3 4 5 6 7 8\ncpu0 1 2 3 4\n"),
                    Equals("/proc/stat line 2: expected at least 8 numbers after 'cpu0', got 4"));
  CHECK_THROWS_WITH(parse_proc_stat("cpu\n"),
                    Equals("/proc/stat line 1: expected at least 8 numbers after 'cpu', got 0"));
  CHECK_THROWS_WITH(parse_proc_stat("cpu  1 2 x 4 5 6 7 8\n"),
                    Equals("/proc/stat line 1: system of 'cpu' is not a non-negative "
                           "integer: 'x'"));
  CHECK_THROWS_WITH(parse_proc_stat("cpu  1 2 3 -4 5 6 7 8\n"),
                    Equals("/proc/stat line 1: idle of 'cpu' is not a non-negative integer: '-4'"));
  CHECK_THROWS_WITH(parse_proc_stat("cpu  1 2 3 4 5 6 7 8 9 1e3\n"),
                    Contains("guest_nice of 'cpu' is not a non-negative integer: '1e3'"));
  CHECK_THROWS_WITH(parse_proc_stat("cpu  1 2 3 4 5 6 7 99999999999999999999999\n"),
                    Contains("steal of 'cpu' is not a non-negative integer"));
  CHECK_THROWS_WITH(parse_proc_stat("cpu0 1 2 3 4 5 6 7 8\nctxt 5\n"),
                    Equals("/proc/stat: no aggregate 'cpu' line"));
  CHECK_THROWS_WITH(parse_proc_stat("intr 1 2 3\n"), Equals("/proc/stat: no aggregate 'cpu' line"));
  CHECK_THROWS_WITH(parse_proc_stat("cpu  1 2 3 4 5 6 7 8\ncpuX 1 2 3 4 5 6 7 8\n"),
                    Equals("/proc/stat line 2: unexpected key 'cpuX'"));
  CHECK_THROWS_WITH(parse_proc_stat("cpu  1 2 3 4 5 6 7 8\ncpu0 1 2 3 4 5 6 7 8\n"
                                    "cpu0 1 2 3 4 5 6 7 8\n"),
                    Equals("/proc/stat line 3: second 'cpu0' line"));
  CHECK_THROWS_WITH(parse_proc_stat("cpu  1 2 3 4 5 6 7 8\ncpu  1 2 3 4 5 6 7 8\n"),
                    Equals("/proc/stat line 2: second aggregate 'cpu' line"));
  // The last number of a line cut mid-way may be missing digits: never trust it.
  CHECK_THROWS_WITH(parse_proc_stat("cpu  1 2 3 4 5 6 7 8 9 10\ncpu0 1 2 3 4 5 6 7 8 9 1"),
                    Equals("/proc/stat: last line does not end with a newline (file cut short?)"));
  // Binary junk is quoted printably.
  CHECK_THROWS_WITH(parse_proc_stat(std::string("cpu  1 2 \x01\x02 4 5 6 7 8\n")),
                    Contains("system of 'cpu' is not a non-negative integer: '\?\?'"));
}

TEST_CASE("parse_proc_stat names the file it was given", "[host][procfs]") {
  const std::string path = kProcfs + "/truncated-stat/stat";
  CHECK_THROWS_WITH(ks::host::parse_proc_stat(read_fixture(path), path),
                    Equals(path + " line 3: expected at least 8 numbers after 'cpu1', got 4"));
}

// ------------------------------------------------------------------------- /proc/meminfo

TEST_CASE("parse_meminfo reads every field like node_exporter", "[host][procfs]") {
  const auto fields = ks::host::parse_meminfo(read_fixture(kProcfs + "/normal/meminfo"));
  REQUIRE(fields.size() == 54);
  CHECK(fields.front().name == "MemTotal");
  CHECK(fields.back().name == "DirectMap1G");

  const auto* total = find_field(fields, "MemTotal");
  REQUIRE(total);
  CHECK(total->has_unit);
  CHECK(total->value == 8039456.0 * 1024);

  const auto* available = find_field(fields, "MemAvailable");
  REQUIRE(available);
  CHECK(available->value == 5627620.0 * 1024);

  const auto* anon = find_field(fields, "Active_anon");
  REQUIRE(anon);
  CHECK(anon->value == 1602460.0 * 1024);
  CHECK(find_field(fields, "Inactive_file"));
  CHECK_FALSE(find_field(fields, "Active(anon)"));

  const auto* vmalloc = find_field(fields, "VmallocTotal");
  REQUIRE(vmalloc);
  CHECK(vmalloc->value == 34359738367.0 * 1024);

  const auto* hugepages = find_field(fields, "HugePages_Total");
  REQUIRE(hugepages);
  CHECK_FALSE(hugepages->has_unit);
  CHECK(hugepages->value == 0.0);
  const auto* hugepagesize = find_field(fields, "Hugepagesize");
  REQUIRE(hugepagesize);
  CHECK(hugepagesize->has_unit);
  CHECK(hugepagesize->value == 2048.0 * 1024);

  for (const auto& f : fields) {
    CHECK(f.name.find_first_of("():") == std::string::npos);
  }
}

TEST_CASE("parse_meminfo keeps unitless counts and skips blank lines", "[host][procfs]") {
  const auto fields = ks::host::parse_meminfo("MemTotal: 10 kB\n\nHugePages_Free:   7\n");
  REQUIRE(fields.size() == 2);
  CHECK(fields[1].name == "HugePages_Free");
  CHECK(fields[1].value == 7.0);
  CHECK_FALSE(fields[1].has_unit);
}

TEST_CASE("sanitize_meminfo_name follows node_exporter", "[host][procfs]") {
  CHECK(ks::host::sanitize_meminfo_name("Active(anon)") == "Active_anon");
  CHECK(ks::host::sanitize_meminfo_name("Inactive(file)") == "Inactive_file");
  CHECK(ks::host::sanitize_meminfo_name("MemTotal") == "MemTotal");
  CHECK(ks::host::sanitize_meminfo_name("Committed_AS") == "Committed_AS");
}

TEST_CASE("parse_meminfo rejects malformed input with a message naming file and line",
          "[host][procfs]") {
  using ks::host::parse_meminfo;
  CHECK_THROWS_AS(parse_meminfo(""), ParseError);
  CHECK_THROWS_WITH(parse_meminfo(""), Equals("/proc/meminfo: empty file"));
  CHECK_THROWS_WITH(parse_meminfo("\n\n"), Equals("/proc/meminfo: no fields"));
  CHECK_THROWS_WITH(parse_meminfo("MemTotal: 1 kB\nMemFree 5 kB\n"),
                    Equals("/proc/meminfo line 2: expected 'Name: value [kB]', got "
                           "'MemFree 5 kB'"));
  CHECK_THROWS_WITH(parse_meminfo(":\n"), Contains("line 1: expected 'Name: value [kB]'"));
  CHECK_THROWS_WITH(parse_meminfo("MemTotal:\n"),
                    Equals("/proc/meminfo line 1: no value for 'MemTotal'"));
  CHECK_THROWS_WITH(parse_meminfo("MemTotal: abc kB\n"),
                    Equals("/proc/meminfo line 1: value of 'MemTotal' is not a non-negative "
                           "integer: 'abc'"));
  CHECK_THROWS_WITH(parse_meminfo("MemTotal: -5 kB\n"),
                    Contains("value of 'MemTotal' is not a non-negative integer: '-5'"));
  CHECK_THROWS_WITH(parse_meminfo("MemTotal: 1.5 kB\n"),
                    Contains("value of 'MemTotal' is not a non-negative integer: '1.5'"));
  CHECK_THROWS_WITH(parse_meminfo("MemTotal: 5 MB\n"),
                    Equals("/proc/meminfo line 1: unit of 'MemTotal' is 'MB', expected 'kB'"));
  CHECK_THROWS_WITH(parse_meminfo("MemTotal: 5 kB extra\n"),
                    Equals("/proc/meminfo line 1: unexpected text after the value of "
                           "'MemTotal': 'extra'"));
  CHECK_THROWS_WITH(parse_meminfo("Mem-Total: 5 kB\n"),
                    Equals("/proc/meminfo line 1: field name 'Mem-Total' cannot form a "
                           "metric name"));
  CHECK_THROWS_WITH(parse_meminfo("MemTotal: 5 kB\nMemTotal: 6 kB\n"),
                    Equals("/proc/meminfo line 2: second 'MemTotal' field"));
  CHECK_THROWS_WITH(parse_meminfo("MemTotal: 5 kB\nMemFree:  12"),
                    Equals("/proc/meminfo: last line does not end with a newline (file cut "
                           "short?)"));
}

TEST_CASE("parse_meminfo names the file it was given", "[host][procfs]") {
  const std::string garbage = kProcfs + "/garbage-meminfo/meminfo";
  CHECK_THROWS_WITH(
      ks::host::parse_meminfo(read_fixture(garbage), garbage),
      Equals(garbage + " line 4: value of 'Buffers' is not a non-negative integer: '21z344'"));
  const std::string no_colon = kProcfs + "/meminfo-no-colon/meminfo";
  CHECK_THROWS_WITH(
      ks::host::parse_meminfo(read_fixture(no_colon), no_colon),
      Equals(no_colon + " line 5: expected 'Name: value [kB]', got 'Cached           4318720 kB'"));
}

// ------------------------------------------------------------------------- /proc/loadavg

TEST_CASE("parse_loadavg reads the three averages", "[host][procfs]") {
  const auto load = ks::host::parse_loadavg(read_fixture(kProcfs + "/normal/loadavg"));
  CHECK(load.load1 == 0.62);
  CHECK(load.load5 == 0.48);
  CHECK(load.load15 == 0.41);
  const auto busy = ks::host::parse_loadavg("12.50 8 130.05 40/1200 99\n");
  CHECK(busy.load1 == 12.5);
  CHECK(busy.load5 == 8.0);
  CHECK(busy.load15 == 130.05);
}

TEST_CASE("parse_loadavg rejects malformed input with a message naming the file",
          "[host][procfs]") {
  using ks::host::parse_loadavg;
  const std::string empty = kProcfs + "/empty-loadavg/loadavg";
  CHECK_THROWS_AS(parse_loadavg(read_fixture(empty), empty), ParseError);
  CHECK_THROWS_WITH(parse_loadavg(read_fixture(empty), empty), Equals(empty + ": empty file"));
  CHECK_THROWS_WITH(parse_loadavg("\n"),
                    Equals("/proc/loadavg line 1: expected at least 3 load averages, got 0 "
                           "fields"));
  CHECK_THROWS_WITH(parse_loadavg("0.62 0.48\n"),
                    Equals("/proc/loadavg line 1: expected at least 3 load averages, got 2 "
                           "fields"));
  CHECK_THROWS_WITH(parse_loadavg("0.62 abc 0.41 3/412 18734\n"),
                    Equals("/proc/loadavg line 1: 5m load average is not a non-negative "
                           "decimal number: 'abc'"));
  CHECK_THROWS_WITH(parse_loadavg("-0.62 0.48 0.41 3/412 18734\n"),
                    Contains("1m load average is not a non-negative decimal number: '-0.62'"));
  CHECK_THROWS_WITH(parse_loadavg("0.62 0.48 nan 3/412 18734\n"),
                    Contains("15m load average is not a non-negative decimal number: 'nan'"));
  CHECK_THROWS_WITH(parse_loadavg("0.62 0.48 1. 3/412 18734\n"),
                    Contains("15m load average is not a non-negative decimal number: '1.'"));
  CHECK_THROWS_WITH(parse_loadavg("0.62 0.48 0.41 3/41"),
                    Equals("/proc/loadavg: last line does not end with a newline (file cut "
                           "short?)"));
}

// ----------------------------------------------------------------------- /proc/pressure

TEST_CASE("parse_pressure reads some and full totals in seconds", "[host][procfs]") {
  const auto cpu = ks::host::parse_pressure("cpu", read_fixture(kProcfs + "/normal/pressure/cpu"));
  CHECK(cpu.resource == "cpu");
  REQUIRE(cpu.some_seconds);
  CHECK(*cpu.some_seconds == 14294067 / 1000.0 / 1000.0);
  REQUIRE(cpu.full_seconds);
  CHECK(*cpu.full_seconds == 0.0);

  const auto memory =
      ks::host::parse_pressure("memory", read_fixture(kProcfs + "/normal/pressure/memory"));
  REQUIRE(memory.some_seconds);
  REQUIRE(memory.full_seconds);
  CHECK(*memory.some_seconds == 183512 / 1000.0 / 1000.0);
  CHECK(*memory.full_seconds == 120734 / 1000.0 / 1000.0);

  const auto io = ks::host::parse_pressure("io", read_fixture(kProcfs + "/normal/pressure/io"));
  REQUIRE(io.some_seconds);
  REQUIRE(io.full_seconds);
  CHECK(*io.some_seconds == 6208119 / 1000.0 / 1000.0);
  CHECK(*io.full_seconds == 4742455 / 1000.0 / 1000.0);
}

TEST_CASE("parse_pressure accepts cpu without a full line (Linux < 5.13) and extra keys",
          "[host][procfs]") {
  const auto cpu =
      ks::host::parse_pressure("cpu", "some avg10=1.00 avg60=0.50 avg300=0.25 total=2500000\n");
  CHECK(cpu.some_seconds == 2.5);
  CHECK_FALSE(cpu.full_seconds);
  const auto future = ks::host::parse_pressure(
      "io",
      "some avg10=0.00 avg60=0.00 avg300=0.00 total=1000000 avg1800=0.00\n"
      "full avg10=0.00 avg60=0.00 avg300=0.00 total=500000\n"
      "partial avg10=0.00 total=7\n");
  CHECK(future.some_seconds == 1.0);
  CHECK(future.full_seconds == 0.5);
}

TEST_CASE("parse_pressure rejects malformed input with a message naming the file",
          "[host][procfs]") {
  using ks::host::parse_pressure;
  const std::string bad = kProcfs + "/bad-pressure/pressure/memory";
  CHECK_THROWS_AS(parse_pressure("memory", read_fixture(bad), bad), ParseError);
  CHECK_THROWS_WITH(
      parse_pressure("memory", read_fixture(bad), bad),
      Equals(bad + " line 1: total of 'some' is not a non-negative integer: '-183512'"));
  CHECK_THROWS_WITH(parse_pressure("io", ""), Equals("/proc/pressure/io: empty file"));
  CHECK_THROWS_WITH(parse_pressure("io", "full avg10=0.00 avg60=0.00 avg300=0.00 total=5\n"),
                    Equals("/proc/pressure/io: no 'some' line"));
  CHECK_THROWS_WITH(parse_pressure("io", "some avg10=0.00 avg60=0.00 avg300=0.00\n"),
                    Equals("/proc/pressure/io line 1: 'some' line lacks total="));
  CHECK_THROWS_WITH(parse_pressure("io", "some avg10=0.00 avg60=0.00 total=5\n"),
                    Equals("/proc/pressure/io line 1: 'some' line lacks avg300="));
  CHECK_THROWS_WITH(parse_pressure("io", "some avg10=x avg60=0.00 avg300=0.00 total=5\n"),
                    Equals("/proc/pressure/io line 1: avg10 of 'some' is not a non-negative "
                           "decimal number: 'x'"));
  CHECK_THROWS_WITH(parse_pressure("io", "some avg10=0.00 avg60=0.00 avg300=0.00 total=\n"),
                    Contains("total of 'some' is not a non-negative integer: ''"));
  CHECK_THROWS_WITH(parse_pressure("io", "some avg10=0.00 avg60 avg300=0.00 total=5\n"),
                    Equals("/proc/pressure/io line 1: expected key=value, got 'avg60'"));
  CHECK_THROWS_WITH(parse_pressure("io", "some avg10=0.00 avg60=0.00 avg300=0.00 total=5\n"
                                         "some avg10=0.00 avg60=0.00 avg300=0.00 total=6\n"),
                    Equals("/proc/pressure/io line 2: second 'some' line"));
  CHECK_THROWS_WITH(parse_pressure("io", "some avg10=0.00 avg60=0.00 avg300=0.00 total=5\n"
                                         "full avg10=0.00 avg60=0.00 avg300=0.00 total=1"),
                    Equals("/proc/pressure/io: last line does not end with a newline (file cut "
                           "short?)"));
}

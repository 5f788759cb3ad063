#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "collectors/host/host_collector.hpp"

using Catch::Matchers::Contains;
using Catch::Matchers::Equals;

namespace {

namespace fs = std::filesystem;

const std::string kProcfs = std::string(KS_FIXTURES_DIR) + "/procfs";

ks::HostCollectorConfig config_for(const std::string& procfs) {
  ks::HostCollectorConfig config;
  config.procfs = procfs;
  config.interval = std::chrono::seconds(15);
  return config;
}

// A private procfs root whose content a test swaps between cycles, as /proc changes
// between two collections of one collector.
class ScratchProcfs {
 public:
  ScratchProcfs() {
    std::string pattern = (fs::temp_directory_path() / "ks-host-test-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    root_ = pattern;
  }
  ~ScratchProcfs() {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  ScratchProcfs(const ScratchProcfs&) = delete;
  ScratchProcfs& operator=(const ScratchProcfs&) = delete;

  // Makes the root an exact copy of fixture `name`.
  void load(const std::string& name) {
    for (const auto& entry : fs::directory_iterator(root_)) fs::remove_all(entry.path());
    fs::copy(kProcfs + "/" + name, root_, fs::copy_options::recursive);
  }
  std::string path() const { return root_.string(); }

 private:
  fs::path root_;
};

}  // namespace

TEST_CASE("HostCollector publishes a snapshot of a normal host", "[host][collector]") {
  ks::Latest<ks::HostSnapshot> latest;
  ks::HostCollector collector(config_for(kProcfs + "/normal"), latest);
  CHECK(collector.name() == "host");
  CHECK(collector.interval() == std::chrono::seconds(15));

  const auto before = std::chrono::system_clock::now();
  collector.collect_once({});
  const auto snapshot = latest.get();
  REQUIRE(snapshot);
  CHECK(latest.version() == 1);
  CHECK(snapshot->taken_at >= before);

  CHECK(snapshot->cpu.all.user == 8241 / 100.0);
  REQUIRE(snapshot->cpu.per_cpu.size() == 2);
  CHECK(snapshot->memory.size() == 54);
  CHECK(snapshot->load.load1 == 0.62);

  REQUIRE(snapshot->pressure.size() == 3);
  CHECK(snapshot->pressure[0].resource == "cpu");
  CHECK(snapshot->pressure[1].resource == "memory");
  CHECK(snapshot->pressure[2].resource == "io");
  CHECK(snapshot->pressure[2].full_seconds == 4742455 / 1000.0 / 1000.0);

  // First cycle: nothing to compare with yet.
  CHECK_FALSE(snapshot->cpu_utilization_ratio);
  REQUIRE(snapshot->memory_available_ratio);
  CHECK(*snapshot->memory_available_ratio == 5627620.0 / 8039456.0);
}

TEST_CASE("HostCollector computes CPU utilisation between two cycles exactly",
          "[host][collector]") {
  ScratchProcfs procfs;
  ks::Latest<ks::HostSnapshot> latest;
  ks::HostCollector collector(config_for(procfs.path()), latest);

  procfs.load("normal");
  collector.collect_once({});
  REQUIRE(latest.get());
  CHECK_FALSE(latest.get()->cpu_utilization_ratio);

  // normal -> normal-later: 3000 ticks passed on the aggregate line (15 s on 2 CPUs), of
  // which user 600 + system 300 + softirq 90 + steal 60 = 1050 busy; idle 1890 and iowait
  // 60 are not. guest grew by 30, already inside user: counting it again would give
  // 1080/3030.
  procfs.load("normal-later");
  collector.collect_once({});
  const auto later = latest.get();
  REQUIRE(later);
  REQUIRE(later->cpu_utilization_ratio);
  CHECK(*later->cpu_utilization_ratio == 0.35);
  CHECK(*later->cpu_utilization_ratio == 1050.0 / 3000.0);
  CHECK(*later->memory_available_ratio == 5602284.0 / 8039456.0);
  CHECK(later->load.load1 == 0.71);

  // Nothing changed since: no time passed on the CPUs, so no ratio.
  collector.collect_once({});
  REQUIRE(latest.get());
  CHECK_FALSE(latest.get()->cpu_utilization_ratio);
  CHECK(latest.version() == 3);
}

TEST_CASE("HostCollector works on a host without /proc/pressure", "[host][collector]") {
  ks::Latest<ks::HostSnapshot> latest;
  ks::HostCollector collector(config_for(kProcfs + "/no-pressure"), latest);
  collector.collect_once({});
  const auto snapshot = latest.get();
  REQUIRE(snapshot);
  CHECK(snapshot->pressure.empty());
  CHECK(snapshot->memory.size() == 54);
}

TEST_CASE("HostCollector reports malformed or missing files and publishes nothing",
          "[host][collector]") {
  struct Case {
    const char* fixture;
    const char* message;  // after the fixture's root path
  };
  const Case cases[] = {
      {"truncated-stat", "/stat line 3: expected at least 8 numbers after 'cpu1', got 4"},
      {"garbage-meminfo",
       "/meminfo line 4: value of 'Buffers' is not a non-negative integer: '21z344'"},
      {"meminfo-no-colon",
       "/meminfo line 5: expected 'Name: value [kB]', got 'Cached           4318720 kB'"},
      {"empty-loadavg", "/loadavg: empty file"},
      {"bad-pressure",
       "/pressure/memory line 1: total of 'some' is not a non-negative integer: '-183512'"},
      {"missing-pressure-file", "/pressure/io: No such file or directory"},
      {"missing-meminfo", "/meminfo: No such file or directory"},
  };
  for (const Case& c : cases) {
    INFO("fixture " << c.fixture);
    const std::string root = kProcfs + "/" + c.fixture;
    const bool read_error = std::string_view(c.message).ends_with("No such file or directory");
    const std::string expected = (read_error ? "cannot read " : "") + root + c.message;

    ks::Latest<ks::HostSnapshot> latest;
    ks::HostCollector collector(config_for(root), latest);
    CHECK_THROWS_AS(collector.collect_once({}), ks::CollectError);
    CHECK_THROWS_WITH(collector.collect_once({}), Equals(expected));
    CHECK_FALSE(latest.get());
    CHECK(latest.version() == 0);
  }
}

TEST_CASE("HostCollector reports a missing procfs root", "[host][collector]") {
  ks::Latest<ks::HostSnapshot> latest;
  ks::HostCollector collector(config_for(kProcfs + "/does-not-exist"), latest);
  CHECK_THROWS_WITH(collector.collect_once({}),
                    Equals("cannot read " + kProcfs +
                           "/does-not-exist/stat: No such file or directory"));
  CHECK_FALSE(latest.get());
}

TEST_CASE("HostCollector keeps the last good snapshot when a cycle fails", "[host][collector]") {
  ScratchProcfs procfs;
  ks::Latest<ks::HostSnapshot> latest;
  ks::HostCollector collector(config_for(procfs.path()), latest);

  procfs.load("normal");
  collector.collect_once({});
  const auto good = latest.get();
  REQUIRE(good);

  for (const char* broken : {"truncated-stat", "garbage-meminfo", "empty-loadavg", "bad-pressure",
                             "missing-pressure-file"}) {
    INFO("fixture " << broken);
    procfs.load(broken);
    CHECK_THROWS_AS(collector.collect_once({}), ks::CollectError);
    CHECK(latest.get() == good);
    CHECK(latest.version() == 1);
  }

  // Recovery: utilisation is measured against the last successful cycle ("normal").
  procfs.load("normal-later");
  collector.collect_once({});
  REQUIRE(latest.get() != good);
  REQUIRE(latest.get()->cpu_utilization_ratio);
  CHECK(*latest.get()->cpu_utilization_ratio == 0.35);
}

TEST_CASE("HostCollector error messages name the scratch file too", "[host][collector]") {
  ScratchProcfs procfs;
  ks::Latest<ks::HostSnapshot> latest;
  ks::HostCollector collector(config_for(procfs.path()), latest);
  procfs.load("bad-pressure");
  CHECK_THROWS_WITH(collector.collect_once({}),
                    Contains(procfs.path() + "/pressure/memory line 1:"));
}

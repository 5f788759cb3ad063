#include <catch2/catch.hpp>

#include "agent/config/config_loader.hpp"

using namespace std::chrono_literals;

namespace {

ks::config::LoadResult load(std::string_view yaml) {
  return ks::config::load_config_text(yaml, "test.yaml",
                                      [](const std::string&) { return std::nullopt; });
}

std::vector<std::string> problems(std::string_view yaml) {
  std::vector<std::string> out;
  for (const auto& p : load(yaml).problems) out.push_back(p.to_string());
  return out;
}

}  // namespace

TEST_CASE("events config: defaults", "[events]") {
  const ks::EventsConfig e = ks::config::default_config().config.events;
  CHECK_FALSE(e.enabled);
  CHECK(e.topic == "kafka-sentinel-health");
  CHECK(e.partitions == 3);
  CHECK(e.replication_factor == -1);
  CHECK(e.spool_max_bytes == 64 * 1024 * 1024);
  CHECK(e.fire_cycles == 2);
  CHECK(e.group_states == std::vector<std::string>{"Empty", "Dead"});
  CHECK(e.host_cpu_utilization == 0.9);
}

TEST_CASE("events config: every key is read", "[events]") {
  const auto r = load(R"(
events:
  enabled: true
  topic: health.events
  partitions: 6
  replication_factor: 3
  topic_config:
    retention.ms: 86400000
    min.insync.replicas: 2
  cluster_name: prod-eu
  node_name: kafka-1
  spool:
    dir: /tmp/spool
    max_bytes: 5000000000
    max_events: 20
  hysteresis:
    fire_cycles: 3
    resolve_cycles: 4
  groups:
    lag_messages: 10000000000
    lag_seconds: 5m
    states: [Empty]
    overrides:
      - group: "payments-.*"
        lag_messages: 100
        lag_seconds: 30s
      - group: batch
        lag_seconds: 0s
  host:
    cpu_utilization: 0.75
    memory_available: 5e-2
    cycles: 6
  agent:
    collector_failure_cycles: 5
)");
  INFO((r.problems.empty() ? "" : r.problems[0].to_string()));
  REQUIRE(r.ok());
  const ks::EventsConfig& e = r.config.events;
  CHECK(e.enabled);
  CHECK(e.topic == "health.events");
  CHECK(e.partitions == 6);
  CHECK(e.replication_factor == 3);
  CHECK(e.topic_config == std::map<std::string, std::string>{{"min.insync.replicas", "2"},
                                                             {"retention.ms", "86400000"}});
  CHECK(e.cluster_name == "prod-eu");
  CHECK(e.node_name == "kafka-1");
  CHECK(e.spool_dir == "/tmp/spool");
  CHECK(e.spool_max_bytes == 5000000000LL);
  CHECK(e.spool_max_events == 20);
  CHECK(e.fire_cycles == 3);
  CHECK(e.resolve_cycles == 4);
  CHECK(e.group_thresholds.lag_messages == 10000000000LL);
  CHECK(e.group_thresholds.lag_seconds == 5min);
  CHECK(e.group_states == std::vector<std::string>{"Empty"});
  REQUIRE(e.group_overrides.size() == 2);
  CHECK(e.group_overrides[0] == ks::GroupEventOverride{"payments-.*", 100, 30s});
  CHECK(e.group_overrides[1] == ks::GroupEventOverride{"batch", std::nullopt, 0s});
  CHECK(e.host_cpu_utilization == 0.75);
  CHECK(e.host_memory_available == 0.05);
  CHECK(e.host_cycles == 6);
  CHECK(e.collector_failure_cycles == 5);
}

TEST_CASE("events config: problems name the key and the line", "[events]") {
  CHECK(problems("events:\n  topic: \"bad topic\"\n") ==
        std::vector<std::string>{"test.yaml:2: events.topic: may only contain letters, digits, "
                                 "'.', '_' and '-', got \"bad topic\""});
  CHECK(problems("events:\n  partitions: 0\n") ==
        std::vector<std::string>{"test.yaml:2: events.partitions: must be -1 (the brokers' "
                                 "default) or between 1 and 100000, got 0"});
  CHECK(problems("events:\n  spool:\n    max_bytes: 10\n") ==
        std::vector<std::string>{"test.yaml:3: events.spool.max_bytes: must be between 65536 "
                                 "(64 KiB) and 1099511627776 (1 TiB), got 10"});
  CHECK(problems("events:\n  host:\n    cpu_utilization: lots\n") ==
        std::vector<std::string>{"test.yaml:3: events.host.cpu_utilization: expected a number, "
                                 "got \"lots\""});
  CHECK(problems("events:\n  host:\n    cpu_utilization: 1.5\n") ==
        std::vector<std::string>{"test.yaml:3: events.host.cpu_utilization: must be a ratio "
                                 "between 0 (off) and 1, got 1.5"});
  CHECK(problems("events:\n  groups:\n    states: [Empty, Sleeping]\n") ==
        std::vector<std::string>{
            "test.yaml:3: events.groups.states[1]: expected a consumer group state (Empty, "
            "Stable, PreparingRebalance, CompletingRebalance, Dead, Assigning, Reconciling), got "
            "\"Sleeping\""});
  CHECK(problems("events:\n  groups:\n    overrides:\n      - lag_messages: 5\n") ==
        std::vector<std::string>{"test.yaml:4: events.groups.overrides[0]: missing key \"group\" "
                                 "(a regular expression)"});
  CHECK(problems("events:\n  groups:\n    overrides:\n      - 3\n      - group: \"a(\"\n") ==
        std::vector<std::string>{
            "test.yaml:4: events.groups.overrides[0]: expected a mapping, got \"3\"",
            "test.yaml:5: events.groups.overrides[1].group: invalid regular expression \"a(\": "
            "Mismatched '(' and ')' in regular expression"});
  CHECK(problems("events:\n  groups:\n    overrides:\n      - group: a\n        lag_mesages: 5\n") ==
        std::vector<std::string>{
            "test.yaml:5: events.groups.overrides[0].lag_mesages: unknown key \"lag_mesages\" "
            "(did you mean \"lag_messages\"?)"});
  CHECK(problems("events:\n  hysteresis:\n    fire_cycles: 0\n") ==
        std::vector<std::string>{
            "test.yaml:3: events.hysteresis.fire_cycles: must be between 1 and 1000, got 0"});
  CHECK(problems("events:\n  node_name: a/b\n") ==
        std::vector<std::string>{"test.yaml:2: events.node_name: must not contain '/', spaces "
                                 "or control characters (it is part of the events' source)"});
}

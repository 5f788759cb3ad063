#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "agent/config/config_loader.hpp"
#include "agent/config/yaml_documents.hpp"
#include "agent/config/env_interpolation.hpp"
#include "agent/config/validators.hpp"

using namespace std::chrono_literals;
using ks::config::ConfigProblem;
using ks::config::EnvLookup;
using ks::config::LoadResult;

namespace {

using Vars = std::map<std::string, std::string>;

EnvLookup env_of(Vars vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

LoadResult load(std::string_view yaml, Vars vars = {}) {
  return ks::config::load_config_text(yaml, "test.yaml", env_of(std::move(vars)));
}

std::vector<std::string> messages(const std::vector<ConfigProblem>& problems) {
  std::vector<std::string> out;
  for (const ConfigProblem& p : problems) out.push_back(p.to_string());
  return out;
}

std::string joined(const LoadResult& result) {
  std::string out;
  for (const std::string& m : messages(result.problems)) out += m + "\n";
  return out;
}

// The one problem of `yaml`, as "LINE: KEY.PATH: MESSAGE" via to_string().
std::string only_problem(std::string_view yaml, Vars vars = {}) {
  const LoadResult result = load(yaml, std::move(vars));
  INFO(joined(result));
  REQUIRE(result.problems.size() == 1);
  return result.problems.front().to_string();
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

const std::string kReferenceConfig = std::string(KS_SOURCE_DIR) + "/config/kafka-sentinel.yaml";
const std::string kBrokenFixture = std::string(KS_FIXTURES_DIR) + "/config/broken.yaml";
const std::string kSyntaxErrorFixture = std::string(KS_FIXTURES_DIR) + "/config/syntax-error.yaml";
const std::string kAllProblemsFixture = std::string(KS_FIXTURES_DIR) + "/config/all-problems.yaml";

// Every key of the schema: each is in the reference config and in docs/config.md.
const std::vector<std::string> kAllKeys = {
    "log.level",
    "log.format",
    "http.listen",
    "http.web_config_file",
    "http.healthz_without_auth",
    "kafka.bootstrap_servers",
    "kafka.client_id",
    "kafka.request_timeout",
    "kafka.statistics_interval",
    "kafka.properties",
    "collectors.host.enabled",
    "collectors.host.interval",
    "collectors.host.procfs",
    "collectors.host.node_metrics",
    "collectors.brokers.enabled",
    "collectors.brokers.interval",
    "collectors.brokers.topics.include",
    "collectors.brokers.topics.exclude",
    "collectors.brokers.include_internal_topics",
    "collectors.brokers.broker_down_retention",
    "collectors.brokers.expected_brokers",
    "collectors.brokers.topic_config_refresh",
    "collectors.groups.enabled",
    "collectors.groups.interval",
    "collectors.groups.source",
    "collectors.groups.groups.include",
    "collectors.groups.groups.exclude",
    "collectors.groups.max_concurrent_requests",
    "collectors.groups.status_window_commits",
    "collectors.groups.lag_history_points",
    "collectors.groups.granularity",
    "collectors.groups.exclude_families",
    "events.enabled",
    "events.topic",
    "events.partitions",
    "events.replication_factor",
    "events.topic_config",
    "events.cluster_name",
    "events.node_name",
    "events.spool.dir",
    "events.spool.max_bytes",
    "events.spool.max_events",
    "events.hysteresis.fire_cycles",
    "events.hysteresis.resolve_cycles",
    "events.groups.lag_messages",
    "events.groups.lag_seconds",
    "events.groups.states",
    "events.groups.overrides",
    "events.host.cpu_utilization",
    "events.host.memory_available",
    "events.host.cycles",
    "events.agent.collector_failure_cycles",
    "fleet.enabled",
    "fleet.group",
    "fleet.topic",
    "fleet.partitions",
    "fleet.replication_factor",
    "fleet.session_timeout",
    "fleet.node_name",
    "fleet.broker_id",
    "fleet.advertised_url",
    "probe.enabled",
    "probe.topic",
    "probe.manage_topic",
    "probe.replication_factor",
    "probe.interval",
    "probe.timeout",
    "probe.acks",
    "probe.message_size",
    "probe.group",
    "probe.failing_intervals",
    "probe.slow_threshold",
    "probe.slow_window",
    "burrow.cluster",
};

}  // namespace

TEST_CASE("a full valid config gives exactly its values", "[config]") {
  const LoadResult result = load(R"(log:
  level: debug
  format: json
http:
  listen: "127.0.0.1:19742"
kafka:
  bootstrap_servers: "kafka1:9092, kafka2:9093"
  client_id: sentinel-test
  request_timeout: 2m30s
  properties:
    security.protocol: SASL_SSL
    sasl.mechanisms: PLAIN
    sasl.username: ${KAFKA_USER}
    sasl.password: ${KAFKA_PASSWORD}
    linger.ms: 5
    enable.ssl.certificate.verification: false
collectors:
  host:
    enabled: false
    interval: 500ms
    procfs: /host/proc
    node_metrics: false
  brokers:
    enabled: true
    interval: 1m
    topics:
      include: ["orders\\..*", payments]
      exclude: [".*-dlq"]
    include_internal_topics: true
    broker_down_retention: 1h
    expected_brokers: 3
    topic_config_refresh: 10m
  groups:
    enabled: false
    interval: 30s
    groups:
      include:
        - billing-.*
      exclude: []
    max_concurrent_requests: 1000
    status_window_commits: 2
    lag_history_points: 10000
)",
                                 {{"KAFKA_USER", "sentinel"}, {"KAFKA_PASSWORD", "s3cret"}});
  INFO(joined(result));
  REQUIRE(result.ok());
  const ks::Config& c = result.config;

  ks::Config expected;
  expected.source = "test.yaml";
  expected.log = {"debug", "json"};
  expected.http = {"127.0.0.1", 19742, "", false};
  expected.kafka.bootstrap_servers = "kafka1:9092, kafka2:9093";
  expected.kafka.client_id = "sentinel-test";
  expected.kafka.request_timeout = 150s;
  expected.kafka.properties = {{"security.protocol", "SASL_SSL"},
                               {"sasl.mechanisms", "PLAIN"},
                               {"sasl.username", "sentinel"},
                               {"sasl.password", "s3cret"},
                               {"linger.ms", "5"},
                               {"enable.ssl.certificate.verification", "false"}};
  expected.collectors.host = {false, 500ms, "/host/proc", false};
  auto& brokers = expected.collectors.brokers;
  brokers.enabled = true;
  brokers.interval = 1min;
  brokers.topics = {{"orders\\..*", "payments"}, {".*-dlq"}};
  brokers.include_internal_topics = true;
  brokers.broker_down_retention = 1h;
  brokers.expected_brokers = 3;
  brokers.topic_config_refresh = 10min;
  auto& groups = expected.collectors.groups;
  groups.enabled = false;
  groups.interval = 30s;
  groups.groups = {{"billing-.*"}, {}};
  groups.max_concurrent_requests = 1000;
  groups.status_window_commits = 2;
  groups.lag_history_points = 10000;

  CHECK(c.source == expected.source);
  CHECK(c.log == expected.log);
  CHECK(c.http == expected.http);
  CHECK(c.kafka.properties == expected.kafka.properties);
  CHECK(c.kafka == expected.kafka);
  CHECK(c.collectors.host == expected.collectors.host);
  CHECK(c.collectors.brokers.topics.include == brokers.topics.include);
  CHECK(c.collectors.brokers == expected.collectors.brokers);
  CHECK(c.collectors.groups == expected.collectors.groups);
  CHECK(c == expected);
}

TEST_CASE("no file, an empty file or only comments give the defaults", "[config]") {
  const LoadResult defaults = ks::config::default_config();
  INFO(joined(defaults));
  REQUIRE(defaults.ok());
  CHECK(defaults.config == ks::Config{});
  CHECK(defaults.config.http.listen_port == 9742);
  CHECK(defaults.config.http.listen_host == "0.0.0.0");

  for (const char* text : {"", "\n", "# nothing here\n# at all\n", "---\n", "log:\nhttp:\n",
                           "log:\n  # level: debug\ncollectors:\n  host:\n"}) {
    INFO("text: " << text);
    LoadResult result = load(text);
    INFO(joined(result));
    REQUIRE(result.ok());
    CHECK(result.config.source == "test.yaml");
    result.config.source.clear();
    CHECK(result.config == defaults.config);
  }
}

TEST_CASE("the reference config loads cleanly and states the defaults", "[config]") {
  // No environment at all: the SASL example is commented out.
  LoadResult result = ks::config::load_config_file(kReferenceConfig, env_of({}));
  INFO(joined(result));
  REQUIRE(result.ok());
  result.config.source.clear();
  CHECK(result.config == ks::config::default_config().config);
}

TEST_CASE("the reference config lists every key, and docs/config.md documents it", "[config]") {
  const YAML::Node root = YAML::LoadFile(kReferenceConfig);
  const std::string docs = read_text(std::string(KS_SOURCE_DIR) + "/docs/config.md");
  for (const std::string& key : kAllKeys) {
    INFO(key);
    YAML::Node node = YAML::Clone(root);
    std::stringstream parts(key);
    for (std::string part; std::getline(parts, part, '.');) {
      REQUIRE(node.IsMap());
      node = node[part];
      REQUIRE(node.IsDefined());
    }
    CHECK(docs.find("`" + key + "`") != std::string::npos);
  }
}

TEST_CASE("the reference config's commented SASL_SSL example is valid", "[config]") {
  std::string text = read_text(kReferenceConfig);
  for (const std::string name : {"security.protocol:", "sasl.mechanisms:", "sasl.username:",
                                 "sasl.password:", "ssl.ca.location:"}) {
    const std::size_t at = text.find("    # " + name);
    REQUIRE(at != std::string::npos);
    text.erase(at + 4, 2);
  }
  const LoadResult result =
      load(text, {{"KAFKA_USER", "monitor"}, {"KAFKA_PASSWORD", "pa$$word"}});
  INFO(joined(result));
  REQUIRE(result.ok());
  const auto& properties = result.config.kafka.properties;
  CHECK(properties.at("security.protocol") == "SASL_SSL");
  CHECK(properties.at("sasl.mechanisms") == "PLAIN");
  CHECK(properties.at("sasl.username") == "monitor");
  CHECK(properties.at("sasl.password") == "pa$$word");

  const LoadResult without_env = load(text);
  CHECK(messages(without_env.problems) ==
        std::vector<std::string>{
            "test.yaml:46: kafka.properties.sasl.username: environment variable \"KAFKA_USER\" is not set",
            "test.yaml:47: kafka.properties.sasl.password: environment variable \"KAFKA_PASSWORD\" is not set"});
}

TEST_CASE("type errors name the key, the line and what was expected", "[config]") {
  CHECK(only_problem("collectors:\n  host:\n    interval: fast\n") ==
        "test.yaml:3: collectors.host.interval: expected a duration like \"15s\", got \"fast\"");
  CHECK(only_problem("collectors:\n  host:\n    interval: 15\n") ==
        "test.yaml:3: collectors.host.interval: expected a duration like \"15s\", got \"15\" "
        "(add a unit: ms, s, m, h or d)");
  CHECK(only_problem("kafka:\n  request_timeout: -5s\n") ==
        "test.yaml:2: kafka.request_timeout: expected a duration like \"15s\", got \"-5s\"");
  CHECK(only_problem("collectors:\n  host:\n    enabled: yes please\n") ==
        "test.yaml:3: collectors.host.enabled: expected true or false, got \"yes please\"");
  CHECK(only_problem("collectors:\n  host:\n    node_metrics: node_exporter\n") ==
        "test.yaml:3: collectors.host.node_metrics: expected true or false, got \"node_exporter\"");
  CHECK(only_problem("collectors:\n  brokers:\n    expected_brokers: many\n") ==
        "test.yaml:3: collectors.brokers.expected_brokers: expected an integer, got \"many\"");
  CHECK(only_problem("collectors:\n  brokers:\n    expected_brokers: +-2\n") ==
        "test.yaml:3: collectors.brokers.expected_brokers: expected an integer, got \"+-2\"");
  CHECK(only_problem("collectors:\n  brokers:\n    expected_brokers: 2.5\n") ==
        "test.yaml:3: collectors.brokers.expected_brokers: expected an integer, got \"2.5\"");
  CHECK(only_problem("collectors:\n  groups:\n    lag_history_points: 99999999999\n") ==
        "test.yaml:3: collectors.groups.lag_history_points: integer \"99999999999\" is out of range");
  CHECK(only_problem("kafka:\n  client_id:\n    name: x\n") ==
        "test.yaml:2: kafka.client_id: expected a string, got a mapping");
  CHECK(only_problem("log:\n  level: [info, debug]\n") ==
        "test.yaml:2: log.level: expected a string, got a sequence");
  CHECK(only_problem("collectors:\n  host:\n    - enabled: true\n") ==
        "test.yaml:2: collectors.host: expected a mapping, got a sequence");
  CHECK(only_problem("log: debug\n") == "test.yaml:1: log: expected a mapping, got \"debug\"");
  CHECK(only_problem("collectors:\n  brokers:\n    topics:\n      include: orders\n") ==
        "test.yaml:4: collectors.brokers.topics.include: expected a list, got \"orders\"");
  CHECK(only_problem("collectors:\n  brokers:\n    topics:\n      include:\n        - a\n        - [b]\n") ==
        "test.yaml:6: collectors.brokers.topics.include[1]: expected a string, got a sequence");
  // An empty value is reported at its key, not at the next line.
  CHECK(only_problem("collectors:\n  host:\n    interval:\n    enabled: true\n") ==
        "test.yaml:3: collectors.host.interval: expected a duration like \"15s\", got an empty value");
}

TEST_CASE("booleans and integers accept their YAML spellings", "[config]") {
  const LoadResult result = load(R"(collectors:
  host: {enabled: False}
  brokers: {enabled: TRUE, expected_brokers: +5}
  groups: {enabled: "false", max_concurrent_requests: "7"}
)");
  INFO(joined(result));
  REQUIRE(result.ok());
  CHECK_FALSE(result.config.collectors.host.enabled);
  CHECK(result.config.collectors.brokers.enabled);
  CHECK(result.config.collectors.brokers.expected_brokers == 5);
  CHECK_FALSE(result.config.collectors.groups.enabled);
  CHECK(result.config.collectors.groups.max_concurrent_requests == 7);
}

TEST_CASE("values out of their range are errors", "[config]") {
  CHECK(only_problem("collectors:\n  brokers:\n    interval: 50ms\n") ==
        "test.yaml:3: collectors.brokers.interval: must be at least 100ms, got 50ms");
  CHECK(only_problem("collectors:\n  host:\n    interval: 0s\n") ==
        "test.yaml:3: collectors.host.interval: must be at least 100ms, got 0s");
  CHECK(only_problem("collectors:\n  brokers:\n    topic_config_refresh: 10ms\n") ==
        "test.yaml:3: collectors.brokers.topic_config_refresh: must be at least 100ms, got 10ms");
  CHECK(only_problem("kafka:\n  request_timeout: 10m\n") ==
        "test.yaml:2: kafka.request_timeout: must be between 100ms and 5m, got 10m");
  CHECK(only_problem("collectors:\n  brokers:\n    expected_brokers: -1\n") ==
        "test.yaml:3: collectors.brokers.expected_brokers: must be 0 (unknown) or more, got -1");
  CHECK(only_problem("collectors:\n  groups:\n    max_concurrent_requests: 0\n") ==
        "test.yaml:3: collectors.groups.max_concurrent_requests: must be between 1 and 1000, got 0");
  CHECK(only_problem("collectors:\n  groups:\n    max_concurrent_requests: 1001\n") ==
        "test.yaml:3: collectors.groups.max_concurrent_requests: must be between 1 and 1000, got 1001");
  CHECK(only_problem("collectors:\n  groups:\n    status_window_commits: 1\n") ==
        "test.yaml:3: collectors.groups.status_window_commits: must be between 2 and 100, got 1");
  CHECK(only_problem("collectors:\n  groups:\n    lag_history_points: 10001\n") ==
        "test.yaml:3: collectors.groups.lag_history_points: must be between 2 and 10000, got 10001");
  CHECK(only_problem("log:\n  level: verbose\n") ==
        "test.yaml:2: log.level: expected one of trace, debug, info, warn, error, critical, off, "
        "got \"verbose\"");
  CHECK(only_problem("collectors:\n  groups:\n    source: topic\n") ==
        "test.yaml:3: collectors.groups.source: expected auto, offsets_topic or admin_api, got "
        "\"topic\"");
  CHECK(only_problem("log:\n  format: xml\n") ==
        "test.yaml:2: log.format: expected text or json, got \"xml\"");
  CHECK(only_problem("kafka:\n  client_id: \"\"\n") ==
        "test.yaml:2: kafka.client_id: must not be empty");
  CHECK(only_problem("collectors:\n  host:\n    procfs: \"\"\n") ==
        "test.yaml:3: collectors.host.procfs: must not be empty");

  const LoadResult edges = load(R"(collectors:
  host: {interval: 100ms}
  brokers: {expected_brokers: 0, broker_down_retention: 0s}
  groups: {max_concurrent_requests: 1, status_window_commits: 100, lag_history_points: 2}
kafka: {request_timeout: 5m}
)");
  INFO(joined(edges));
  CHECK(edges.ok());
}

TEST_CASE("invalid regular expressions name the list item", "[config]") {
  const LoadResult result = load(R"(collectors:
  brokers:
    topics:
      include:
        - orders
        - payments
        - "invoices("
      exclude: ["[a-"]
  groups:
    groups:
      include: [ok, ""]
)");
  CHECK(messages(result.problems) ==
        std::vector<std::string>{
            "test.yaml:7: collectors.brokers.topics.include[2]: invalid regular expression "
            "\"invoices(\": Mismatched '(' and ')' in regular expression",
            "test.yaml:8: collectors.brokers.topics.exclude[0]: invalid regular expression "
            "\"[a-\": Invalid end of '[x-x]' range in regular expression",
            "test.yaml:11: collectors.groups.groups.include[1]: empty regular expression (it "
            "would match only an empty name)"});
}

TEST_CASE("http.listen accepts HOST:PORT and [IPV6]:PORT only", "[config]") {
  const auto listen_of = [](const std::string& value) {
    const LoadResult result = load("http:\n  listen: \"" + value + "\"\n");
    INFO(joined(result));
    REQUIRE(result.ok());
    return std::pair(result.config.http.listen_host, result.config.http.listen_port);
  };
  CHECK(listen_of("127.0.0.1:8080") == std::pair<std::string, int>("127.0.0.1", 8080));
  CHECK(listen_of("[::]:9742") == std::pair<std::string, int>("::", 9742));
  CHECK(listen_of("[fe80::1%eth0]:1") == std::pair<std::string, int>("fe80::1%eth0", 1));
  CHECK(listen_of("monitor-1.example.com:65535") ==
        std::pair<std::string, int>("monitor-1.example.com", 65535));
  CHECK(listen_of("127.0.0.1:0") == std::pair<std::string, int>("127.0.0.1", 0));  // kernel's pick

  const std::string suffix = " (expected \"HOST:PORT\" like \"0.0.0.0:9742\" or \"[::]:9742\")";
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"9742", "invalid address \"9742\": missing \":PORT\""},
      {":9742", "invalid address \":9742\": empty host (0.0.0.0 listens on all IPv4 "
                "interfaces, [::] on all)"},
      {"localhost:65536", "invalid address \"localhost:65536\": port must be a number from 0 to 65535, got \"65536\""},
      {"localhost:http", "invalid address \"localhost:http\": port must be a number from 0 to 65535, got \"http\""},
      {"localhost:", "invalid address \"localhost:\": missing port after \":\""},
      {"::1:9742", "invalid address \"::1:9742\": IPv6 addresses need brackets, like \"[::1]:9092\""},
      {"[::1]", "invalid address \"[::1]\": missing \":PORT\""},
      {"[::1:9742", "invalid address \"[::1:9742\": missing \"]\" after the IPv6 address"},
      {"[localhost]:9742", "invalid address \"[localhost]:9742\": brackets are for IPv6 addresses, got \"localhost\""},
      {"my host:9742", "invalid address \"my host:9742\": invalid host \"my host\""},
      {"", "invalid address \"\": empty address"},
  };
  for (const auto& [value, message] : bad) {
    INFO(value);
    CHECK(only_problem("http:\n  listen: \"" + value + "\"\n") ==
          "test.yaml:2: http.listen: " + message + suffix);
  }
}

TEST_CASE("kafka.bootstrap_servers is a list of HOST:PORT", "[config]") {
  for (const char* good : {"localhost:9092", "a:1,b:2,c:3", "a:1, b:2", "[::1]:9092,10.0.0.1:9092"}) {
    INFO(good);
    CHECK(ks::config::check_bootstrap_servers(good).empty());
  }
  CHECK(only_problem("kafka:\n  bootstrap_servers: \"kafka1:9092,kafka2\"\n") ==
        "test.yaml:2: kafka.bootstrap_servers: invalid broker address \"kafka2\": missing "
        "\":PORT\" (expected \"HOST:PORT,HOST:PORT...\")");
  CHECK(only_problem("kafka:\n  bootstrap_servers: \"kafka1:9092,\"\n") ==
        "test.yaml:2: kafka.bootstrap_servers: entry 2 of the broker list is empty (a stray comma?)");
  CHECK(only_problem("kafka:\n  bootstrap_servers: \" \"\n") ==
        "test.yaml:2: kafka.bootstrap_servers: expected at least one broker as \"HOST:PORT\", "
        "got an empty list");
}

TEST_CASE("unknown keys are errors, with a suggestion when one is close", "[config]") {
  CHECK(only_problem("collectors:\n  host:\n    intervall: 15s\n") ==
        "test.yaml:3: collectors.host.intervall: unknown key \"intervall\" (did you mean \"interval\"?)");
  CHECK(only_problem("collectors:\n  groups:\n    max_concurent_requests: 5\n") ==
        "test.yaml:3: collectors.groups.max_concurent_requests: unknown key "
        "\"max_concurent_requests\" (did you mean \"max_concurrent_requests\"?)");
  CHECK(only_problem("colectors:\n  host: {}\n") ==
        "test.yaml:1: colectors: unknown key \"colectors\" (did you mean \"collectors\"?)");
  CHECK(only_problem("kafka:\n  bootstrap.servers: a:1\n") ==
        "test.yaml:2: kafka.bootstrap.servers: unknown key \"bootstrap.servers\" (did you mean "
        "\"bootstrap_servers\"?)");
  CHECK(only_problem("collectors:\n  host:\n    Interval: 15s\n") ==
        "test.yaml:3: collectors.host.Interval: unknown key \"Interval\" (did you mean \"interval\"?)");
  CHECK(only_problem("collectors:\n  brokers:\n    topics:\n      inclde: [a]\n") ==
        "test.yaml:4: collectors.brokers.topics.inclde: unknown key \"inclde\" (did you mean \"include\"?)");
  CHECK(only_problem("collectors:\n  host:\n    cpu: true\n") ==
        "test.yaml:3: collectors.host.cpu: unknown key \"cpu\" (valid keys under collectors.host: "
        "enabled, interval, procfs, node_metrics)");
  CHECK(only_problem("metrics:\n  port: 1\n") ==
        "test.yaml:1: metrics: unknown key \"metrics\" (valid keys: log, http, kafka, collectors, "
        "events, fleet, probe, burrow)");
  CHECK(only_problem("kafka:\n  security.protocol: SSL\n") ==
        "test.yaml:2: kafka.security.protocol: unknown key \"security.protocol\" (librdkafka "
        "properties go under kafka.properties)");
}

TEST_CASE("a key given twice is an error", "[config]") {
  CHECK(only_problem("collectors:\n  host:\n    interval: 1m\n    enabled: true\n    interval: 2m\n") ==
        "test.yaml:5: collectors.host.interval: duplicate key \"interval\" (first set on line 3)");
  CHECK(only_problem("kafka:\n  properties:\n    linger.ms: 1\n    linger.ms: 2\n") ==
        "test.yaml:4: kafka.properties.linger.ms: duplicate key \"linger.ms\" (first set on line 3)");
}

TEST_CASE("${VAR} interpolation", "[config]") {
  SECTION("an unset variable is an error naming it") {
    CHECK(only_problem("kafka:\n  properties:\n    sasl.password: ${KAFKA_PASSWORD}\n") ==
          "test.yaml:3: kafka.properties.sasl.password: environment variable \"KAFKA_PASSWORD\" is not set");
  }
  SECTION("each unset variable is reported") {
    const LoadResult result = load("kafka:\n  bootstrap_servers: ${A}:${B}\n");
    CHECK(messages(result.problems) ==
          std::vector<std::string>{
              "test.yaml:2: kafka.bootstrap_servers: environment variable \"A\" is not set",
              "test.yaml:2: kafka.bootstrap_servers: environment variable \"B\" is not set"});
  }
  SECTION("any number of occurrences, anywhere in the value") {
    const LoadResult result =
        load("kafka:\n  bootstrap_servers: \"${H1}:9092,${H2}:${P2}\"\n  client_id: sentinel-${NODE}\n",
             {{"H1", "k1"}, {"H2", "k2"}, {"P2", "9093"}, {"NODE", "3"}});
    INFO(joined(result));
    REQUIRE(result.ok());
    CHECK(result.config.kafka.bootstrap_servers == "k1:9092,k2:9093");
    CHECK(result.config.kafka.client_id == "sentinel-3");
  }
  SECTION("happens before type conversion") {
    const std::string yaml = "collectors:\n  host:\n    interval: ${INTERVAL}\n    enabled: ${ENABLED}\n";
    const LoadResult result = load(yaml, {{"INTERVAL", "2m30s"}, {"ENABLED", "false"}});
    INFO(joined(result));
    REQUIRE(result.ok());
    CHECK(result.config.collectors.host.interval == 150s);
    CHECK_FALSE(result.config.collectors.host.enabled);
    CHECK(only_problem(yaml, {{"INTERVAL", "fast"}, {"ENABLED", "true"}}) ==
          "test.yaml:3: collectors.host.interval: expected a duration like \"15s\", got \"fast\"");
  }
  SECTION("${VAR:-default} uses the default when unset or empty") {
    const std::string yaml = "collectors:\n  host:\n    interval: ${INTERVAL:-30s}\n    procfs: ${PROCFS:-}\n";
    const LoadResult unset = load(yaml, {{"PROCFS", "/p"}});
    INFO(joined(unset));
    REQUIRE(unset.ok());
    CHECK(unset.config.collectors.host.interval == 30s);
    CHECK(unset.config.collectors.host.procfs == "/p");
    CHECK(load(yaml, {{"INTERVAL", "5s"}, {"PROCFS", "/p"}}).config.collectors.host.interval == 5s);
    CHECK(load(yaml, {{"INTERVAL", ""}, {"PROCFS", "/p"}}).config.collectors.host.interval == 30s);
    CHECK(only_problem(yaml) == "test.yaml:4: collectors.host.procfs: must not be empty");
  }
  SECTION("$${ is a literal ${, other $ are kept") {
    const LoadResult result = load(
        "kafka:\n  client_id: \"a$${NOT_A_VAR}b\"\n  properties:\n    sasl.password: \"p$ss$$w${X}rd$\"\n",
        {{"X", "o"}});
    INFO(joined(result));
    REQUIRE(result.ok());
    CHECK(result.config.kafka.client_id == "a${NOT_A_VAR}b");
    CHECK(result.config.kafka.properties.at("sasl.password") == "p$ss$$word$");
  }
  SECTION("malformed references") {
    CHECK(only_problem("kafka:\n  client_id: ${UNCLOSED\n") ==
          "test.yaml:2: kafka.client_id: unterminated \"${\" (write \"$${\" for a literal \"${\")");
    CHECK(only_problem("kafka:\n  client_id: a${1X}\n") ==
          "test.yaml:2: kafka.client_id: invalid environment variable reference \"${1X}\" (names "
          "are letters, digits and _, not starting with a digit; write \"$${\" for a literal \"${\")");
  }
  SECTION("the substituted text is not scanned again") {
    const auto result = ks::config::interpolate_env("${A}", env_of({{"A", "${B}"}}));
    CHECK(result.errors.empty());
    CHECK(result.value == "${B}");
  }
  SECTION("the default lookup is the process environment") {
    ::setenv("KS_TEST_CONFIG_CLIENT_ID", "from-env", 1);
    const LoadResult result =
        ks::config::load_config_text("kafka:\n  client_id: ${KS_TEST_CONFIG_CLIENT_ID}\n", "t.yaml");
    ::unsetenv("KS_TEST_CONFIG_CLIENT_ID");
    INFO(joined(result));
    REQUIRE(result.ok());
    CHECK(result.config.kafka.client_id == "from-env");
  }
}

TEST_CASE("YAML syntax errors give line and column", "[config]") {
  const LoadResult result = load("log:\n  level: info\nhttp:\n  listen: [0.0.0.0:9742\n");
  REQUIRE(result.problems.size() == 1);
  const ConfigProblem& problem = result.problems.front();
  // yaml-cpp finds the missing "]" after the last character: reported at the end of the last
  // line, not on a line 5 the file does not have.
  CHECK(problem.line == 4);
  CHECK(problem.column == 24);
  CHECK(problem.key_path.empty());
  CHECK(problem.to_string() == "test.yaml:4:24: yaml syntax error: end of sequence flow not found");

  CHECK(only_problem("kafka:\n  client_id: x\n bootstrap_servers: y\n") ==
        "test.yaml:3:2: yaml syntax error: end of map not found");
  CHECK(only_problem("log: {level: info\n") ==
        "test.yaml:1:18: yaml syntax error: end of map flow not found");
  CHECK(only_problem("log:\n  level: *undefined\n") ==
        "test.yaml:2:10: yaml syntax error: the referenced anchor is not defined");
}

TEST_CASE("the top level must be one mapping", "[config]") {
  CHECK(only_problem("- log\n- http\n") ==
        "test.yaml:1:1: expected a mapping of sections at the top level, got a sequence");
  CHECK(only_problem("# comment\nhello\n") ==
        "test.yaml:2:1: expected a mapping of sections at the top level, got \"hello\"");
  CHECK(only_problem("log: {}\n---\nhttp: {}\n") ==
        "test.yaml:3:1: expected one YAML document, found 2 (remove the \"---\" separators)");
}

TEST_CASE("YAML documents are counted with a bound, and an empty one ends them", "[config]") {
  // A trailing separator or an empty file are not a second document (as yaml-cpp's LoadAll).
  CHECK(load("log: {}\n---\n").problems.empty());
  CHECK(load("").problems.empty());
  CHECK(ks::config::count_yaml_documents("a: 1\n---\nb: 2\n---\nc: 3\n", 16).documents == 3);
  const ks::config::YamlDocumentCount two = ks::config::count_yaml_documents("a: 1\n---\nb: 2\n", 1);
  CHECK(two.documents == 1);
  CHECK(two.more);
  // Found by the config fuzzer (tests/fuzz/crashes/config_yaml/): after its first document,
  // yaml-cpp's parser hands out empty documents forever on this input, and LoadAll never
  // returned. Counting stops at the first empty one; the loader answers with its problems.
  const std::string endless{"{colectors: {groups:\xd6\xff\xff\xff" "o(ps: {include: [\"^"
                            "\0\0\0\0\0\0\0\0" "bad\"]}}},  http8 {listen8 \":99999\"}}\n", 88};
  const ks::config::YamlDocumentCount counted = ks::config::count_yaml_documents(endless, 16);
  CHECK(counted.documents == 1);
  CHECK_FALSE(counted.more);
  const auto loaded = load(endless);
  REQUIRE_FALSE(loaded.problems.empty());
  CHECK_THAT(joined(loaded), Catch::Contains("colectors"));
}

TEST_CASE("kafka.properties are checked by librdkafka", "[config]") {
  CHECK(only_problem("kafka:\n  properties:\n    linger.ms: 5\n    no.such.property: 1\n") ==
        "test.yaml:4: kafka.properties.no.such.property: librdkafka: No such configuration "
        "property: \"no.such.property\"");
  CHECK(only_problem("kafka:\n  properties:\n    security.protocol: FOO\n") ==
        "test.yaml:3: kafka.properties.security.protocol: librdkafka: Invalid value \"FOO\" for "
        "configuration property \"security.protocol\"");
  CHECK(only_problem("kafka:\n  properties:\n    socket.timeout.ms: soon\n") ==
        "test.yaml:3: kafka.properties.socket.timeout.ms: librdkafka: Invalid value for "
        "configuration property \"socket.timeout.ms\"");
  CHECK(only_problem("kafka:\n  properties:\n    bootstrap.servers: \"kafka:9092\"\n") ==
        "test.yaml:3: kafka.properties.bootstrap.servers: \"bootstrap.servers\" is set by the "
        "agent from kafka.bootstrap_servers; set it there instead");
  CHECK(only_problem("kafka:\n  properties:\n    metadata.broker.list: \"kafka:9092\"\n") ==
        "test.yaml:3: kafka.properties.metadata.broker.list: \"metadata.broker.list\" is set by "
        "the agent from kafka.bootstrap_servers; set it there instead");
  CHECK(only_problem("kafka:\n  properties:\n    client.id: me\n") ==
        "test.yaml:3: kafka.properties.client.id: \"client.id\" is set by the agent from "
        "kafka.client_id; set it there instead");
  CHECK(only_problem("kafka:\n  properties:\n    security:\n      protocol: SSL\n") ==
        "test.yaml:3: kafka.properties.security: expected a string, number or boolean, got a "
        "mapping (write each property's full name, like \"ssl.ca.location: /etc/kafka/ca.pem\")");
  CHECK(only_problem("kafka:\n  properties:\n    sasl.mechanisms: [PLAIN]\n") ==
        "test.yaml:3: kafka.properties.sasl.mechanisms: expected a string, number or boolean, "
        "got a sequence (librdkafka lists are one comma-separated string)");
  CHECK(only_problem("kafka:\n  properties:\n    sasl.password:\n") ==
        "test.yaml:3: kafka.properties.sasl.password: expected a string, number or boolean, got "
        "an empty value (write \"\" for an empty string)");
  CHECK(only_problem("kafka:\n  properties: [a]\n") ==
        "test.yaml:2: kafka.properties: expected a mapping, got a sequence");
}

TEST_CASE("several problems in one file are all reported in file order", "[config]") {
  const LoadResult result = load(R"(# A config with many problems.
log:
  level: loud
http:
  listen: "localhost"
kafka:
  bootstrap_servers: "kafka1:9092"
  properties:
    security.protocol: FOO
    sasl.password: ${KAFKA_PASSWORD}
collectors:
  host:
    interval: fast
    enabled: yes please
  brokers:
    intervall: 30s
    topics:
      include: [ok, "bad("]
  groups:
    max_concurrent_requests: 0
    interval: 10ms
)");
  CHECK(messages(result.problems) ==
        std::vector<std::string>{
            "test.yaml:3: log.level: expected one of trace, debug, info, warn, error, critical, "
            "off, got \"loud\"",
            "test.yaml:5: http.listen: invalid address \"localhost\": missing \":PORT\" (expected "
            "\"HOST:PORT\" like \"0.0.0.0:9742\" or \"[::]:9742\")",
            "test.yaml:9: kafka.properties.security.protocol: librdkafka: Invalid value \"FOO\" "
            "for configuration property \"security.protocol\"",
            "test.yaml:10: kafka.properties.sasl.password: environment variable \"KAFKA_PASSWORD\" "
            "is not set",
            "test.yaml:13: collectors.host.interval: expected a duration like \"15s\", got \"fast\"",
            "test.yaml:14: collectors.host.enabled: expected true or false, got \"yes please\"",
            "test.yaml:16: collectors.brokers.intervall: unknown key \"intervall\" (did you mean "
            "\"interval\"?)",
            "test.yaml:18: collectors.brokers.topics.include[1]: invalid regular expression "
            "\"bad(\": Mismatched '(' and ')' in regular expression",
            "test.yaml:20: collectors.groups.max_concurrent_requests: must be between 1 and 1000, got 0",
            "test.yaml:21: collectors.groups.interval: must be at least 100ms, got 10ms",
        });
  // Invalid values leave the defaults in place.
  CHECK(result.config.collectors.host.interval == 15s);
  CHECK(result.config.http == ks::HttpConfig{});
}

TEST_CASE("list item paths count items as written in the file", "[config]") {
  // include[1] is invalid and left out; include[2] is reported as include[2], not [1].
  const LoadResult result = load("collectors:\n  brokers:\n    topics:\n      include: [a, \"${UNSET}\", \"(\"]\n");
  CHECK(messages(result.problems) ==
        std::vector<std::string>{
            "test.yaml:4: collectors.brokers.topics.include[1]: environment variable \"UNSET\" is not set",
            "test.yaml:4: collectors.brokers.topics.include[2]: invalid regular expression \"(\": "
            "Mismatched '(' and ')' in regular expression"});
}

TEST_CASE("fixture broken.yaml: a type error, an unknown key and an unset variable", "[config]") {
  const LoadResult result = ks::config::load_config_file(kBrokenFixture, env_of({}));
  const std::string f = kBrokenFixture;
  CHECK(messages(result.problems) ==
        std::vector<std::string>{
            f + ":9: kafka.properties.sasl.password: environment variable "
                "\"KS_TEST_UNSET_PASSWORD\" is not set",
            f + ":12: collectors.host.interval: expected a duration like \"15s\", got \"fast\"",
            f + ":14: collectors.brokers.intervall: unknown key \"intervall\" (did you mean "
                "\"interval\"?)"});
}

TEST_CASE("fixture syntax-error.yaml: a YAML syntax error", "[config]") {
  const LoadResult result = ks::config::load_config_file(kSyntaxErrorFixture, env_of({}));
  CHECK(messages(result.problems) ==
        std::vector<std::string>{kSyntaxErrorFixture + ":5:4: yaml syntax error: end of map not found"});
}

TEST_CASE("fixture all-problems.yaml: the problems before a syntax error are reported too",
          "[config]") {
  const LoadResult result = ks::config::load_config_file(kAllProblemsFixture, env_of({}));
  const std::string f = kAllProblemsFixture;
  CHECK(messages(result.problems) ==
        std::vector<std::string>{
            f + ":8: kafka.properties.sasl.password: environment variable "
                "\"KS_TEST_UNSET_PASSWORD\" is not set",
            f + ":11: collectors.host.interval: expected a duration like \"15s\", got \"fast\"",
            f + ":13: collectors.brokers.intervall: unknown key \"intervall\" (did you mean "
                "\"interval\"?)",
            f + ":16:4: yaml syntax error: end of map not found"});
}

TEST_CASE("before a syntax error, nothing is reported that the cut-off lines could complete",
          "[config]") {
  // The value of interval may be on the lines after the cut: no "empty value" error.
  CHECK(only_problem("collectors:\n  host:\n    interval:\n  brokers: {a\n") ==
        "test.yaml:4:14: yaml syntax error: end of map flow not found");
  // An unclosed flow sequence: the prefix is cut before it starts; log.level is fine.
  CHECK(only_problem("log:\n  level: info\nhttp:\n  listen: [0.0.0.0:9742\n") ==
        "test.yaml:4:24: yaml syntax error: end of sequence flow not found");
  // Validation (ranges, cross-key rules such as this empty topic) needs the whole file: it
  // runs once the file parses, never on a half-read one.
  const LoadResult r = load("events:\n  enabled: true\n  topic: \"\"\nlog:\n  level: [x\n");
  REQUIRE(r.problems.size() == 1);
  CHECK(r.problems.front().message.starts_with("yaml syntax error"));
  // An error on the first line: nothing before it.
  CHECK(only_problem("log: {level: info\n") ==
        "test.yaml:1:18: yaml syntax error: end of map flow not found");
}

TEST_CASE("an unreadable file is one problem without a line", "[config]") {
  const LoadResult missing = ks::config::load_config_file("/nonexistent/kafka-sentinel.yaml");
  REQUIRE(missing.problems.size() == 1);
  CHECK(missing.problems.front().line == 0);
  CHECK(missing.problems.front().to_string() ==
        "/nonexistent/kafka-sentinel.yaml: cannot read: No such file or directory");

  const LoadResult directory = ks::config::load_config_file(KS_FIXTURES_DIR);
  REQUIRE(directory.problems.size() == 1);
  CHECK(directory.problems.front().to_string() ==
        std::string(KS_FIXTURES_DIR) + ": cannot read: Is a directory");
}

TEST_CASE("ConfigProblem::to_string", "[config]") {
  CHECK(ConfigProblem{"a.yaml", 14, 15, "collectors.host.interval", "bad"}.to_string() ==
        "a.yaml:14: collectors.host.interval: bad");
  CHECK(ConfigProblem{"a.yaml", 3, 7, "", "yaml syntax error: x"}.to_string() ==
        "a.yaml:3:7: yaml syntax error: x");
  CHECK(ConfigProblem{"a.yaml", 0, 0, "", "cannot read: x"}.to_string() == "a.yaml: cannot read: x");
  CHECK(ConfigProblem{"command line", 0, 0, "--listen", "bad"}.to_string() ==
        "command line: --listen: bad");
}

TEST_CASE("command-line overrides are validated like the keys they replace", "[config]") {
  SECTION("valid overrides replace the values") {
    ks::Config config;
    const auto problems = ks::config::apply_overrides(
        config, {std::string("[::1]:9000"), std::string("k1:9092,k2:9092"), std::string("debug"),
                 std::nullopt});
    CHECK(problems.empty());
    CHECK(config.http == ks::HttpConfig{"::1", 9000, "", false});
    CHECK(config.kafka.bootstrap_servers == "k1:9092,k2:9092");
    CHECK(config.log.level == "debug");
  }
  SECTION("absent overrides change nothing") {
    ks::Config config;
    CHECK(ks::config::apply_overrides(config, {}).empty());
    CHECK(config == ks::Config{});
  }
  SECTION("invalid overrides are problems naming the flag, and leave the values") {
    ks::Config config;
    const auto problems = ks::config::apply_overrides(
        config, {std::string("localhost"), std::string("kafka1"), std::string("loud"), std::nullopt});
    CHECK(messages(problems) ==
          std::vector<std::string>{
              "command line: --listen: invalid address \"localhost\": missing \":PORT\" "
              "(expected \"HOST:PORT\" like \"0.0.0.0:9742\" or \"[::]:9742\")",
              "command line: --bootstrap-servers: invalid broker address \"kafka1\": missing "
              "\":PORT\" (expected \"HOST:PORT,HOST:PORT...\")",
              "command line: --log-level: expected one of trace, debug, info, warn, error, "
              "critical, off, got \"loud\""});
    CHECK(config == ks::Config{});
  }
}

TEST_CASE("fleet: keys, defaults and range errors with their lines", "[config][fleet]") {
  const ks::FleetConfig defaults;
  CHECK_FALSE(defaults.enabled);
  CHECK(defaults.group.empty());
  CHECK(defaults.topic == "kafka-sentinel-fleet");
  CHECK(defaults.partitions == 12);

  const LoadResult full = load(R"(fleet:
  enabled: true
  group: my-fleet
  topic: my.fleet
  partitions: 6
  replication_factor: 3
  session_timeout: 6s
  node_name: kafka-1
  broker_id: 1
  advertised_url: https://kafka-1.example:9742
)");
  INFO(joined(full));
  REQUIRE(full.ok());
  const ks::FleetConfig& f = full.config.fleet;
  CHECK(f.enabled);
  CHECK(f.group == "my-fleet");
  CHECK(f.topic == "my.fleet");
  CHECK(f.partitions == 6);
  CHECK(f.replication_factor == 3);
  CHECK(f.session_timeout == 6s);
  CHECK(f.node_name == "kafka-1");
  CHECK(f.broker_id == 1);
  CHECK(f.advertised_url == "https://kafka-1.example:9742");
  CHECK(only_problem("fleet:\n  advertised_url: kafka-1:9742\n") ==
        "test.yaml:2: fleet.advertised_url: must be an http:// or https:// URL of at most 200 characters, "
        "without spaces or '@', got \"kafka-1:9742\"");
  CHECK(only_problem("fleet:\n  advertised_url: \"http://a b:1\"\n") ==
        "test.yaml:2: fleet.advertised_url: must be an http:// or https:// URL of at most 200 characters, "
        "without spaces or '@', got \"http://a b:1\"");

  CHECK(only_problem("fleet:\n  partitions: 0\n") ==
        "test.yaml:2: fleet.partitions: must be between 1 and 10000, got 0");
  CHECK(only_problem("fleet:\n  enabled: true\n  session_timeout: 500ms\n") ==
        "test.yaml:3: fleet.session_timeout: must be between 1s and 30m, got 500ms");
  CHECK(only_problem("fleet:\n  replication_factor: 0\n") ==
        "test.yaml:2: fleet.replication_factor: must be -1 (the brokers' default) or between 1 "
        "and 32767, got 0");
  CHECK(only_problem("fleet:\n  topic: \"a b\"\n") ==
        "test.yaml:2: fleet.topic: may only contain letters, digits, '.', '_' and '-', got \"a b\"");
  CHECK(only_problem("fleet:\n  broker_id: -2\n") ==
        "test.yaml:2: fleet.broker_id: must be -1 (none) or a broker id (0 or more), got -2");
  CHECK(only_problem("fleet:\n  session_timeout: fast\n") ==
        "test.yaml:2: fleet.session_timeout: expected a duration like \"15s\", got \"fast\"");
  CHECK(only_problem("fleet:\n  enabeld: true\n") ==
        "test.yaml:2: fleet.enabeld: unknown key \"enabeld\" (did you mean \"enabled\"?)");
}

TEST_CASE("probe options: values and every bad value named with its line", "[config][probe]") {
  const LoadResult result = load("probe:\n  enabled: true\n  interval: 500ms\n  timeout: 3s\n"
                                 "  acks: \"1\"\n  manage_topic: false\n  slow_threshold: 0s\n");
  INFO(joined(result));
  REQUIRE(result.ok());
  const ks::ProbeConfig& p = result.config.probe;
  CHECK(p.enabled);
  CHECK(p.interval == std::chrono::milliseconds(500));
  CHECK(p.timeout == std::chrono::seconds(3));
  CHECK(p.acks == "1");
  CHECK_FALSE(p.manage_topic);
  CHECK(p.slow_threshold.count() == 0);

  CHECK(only_problem("probe:\n  topic: \"a b\"\n") ==
        "test.yaml:2: probe.topic: may only contain letters, digits, '.', '_' and '-', got \"a b\"");
  CHECK(only_problem("probe:\n  acks: \"0\"\n") == "test.yaml:2: probe.acks: expected all or 1, got \"0\"");
  CHECK(only_problem("probe:\n  interval: 10ms\n") ==
        "test.yaml:2: probe.interval: must be between 100ms and 10m, got 10ms");
  CHECK(only_problem("probe:\n  interval: 5s\n  timeout: 2s\n") ==
        "test.yaml:3: probe.timeout: must be between 5s and 10m, got 2s");
  CHECK(only_problem("probe:\n  replication_factor: 0\n") ==
        "test.yaml:2: probe.replication_factor: must be -1 (the brokers' default) or between 1 "
        "and 32767, got 0");
  CHECK(only_problem("probe:\n  message_size: -1\n") ==
        "test.yaml:2: probe.message_size: must be between 0 and 1000000, got -1");
  CHECK(only_problem("probe:\n  failing_intervals: 0\n") ==
        "test.yaml:2: probe.failing_intervals: must be between 1 and 1000, got 0");
  CHECK(only_problem("probe:\n  slow_threshold: 11m\n") ==
        "test.yaml:2: probe.slow_threshold: must be between 0s and 10m, got 11m");
  CHECK(only_problem("probe:\n  slow_window: 0\n") ==
        "test.yaml:2: probe.slow_window: must be between 1 and 10000, got 0");
  CHECK(only_problem("probe:\n  group: \"a\\tb\"\n") ==
        "test.yaml:2: probe.group: must be at most 249 characters without control characters");
  CHECK(only_problem("probe:\n  enabled: maybe\n").starts_with("test.yaml:2: probe.enabled:"));
  CHECK(only_problem("probe:\n  intervall: 1s\n") ==
        "test.yaml:2: probe.intervall: unknown key \"intervall\" (did you mean \"interval\"?)");
}

TEST_CASE("kafka.statistics_interval: 0 turns statistics off, else 1s to 24h", "[config]") {
  const LoadResult off = load("kafka:\n  statistics_interval: 0s\n");
  REQUIRE(off.problems.empty());
  CHECK(off.config.kafka.statistics_interval == std::chrono::milliseconds(0));
  const LoadResult set = load("kafka:\n  statistics_interval: 2m\n");
  REQUIRE(set.problems.empty());
  CHECK(set.config.kafka.statistics_interval == std::chrono::minutes(2));
  CHECK(only_problem("kafka:\n  statistics_interval: 500ms\n") ==
        "test.yaml:2: kafka.statistics_interval: must be between 1s and 1d, got 500ms");
  CHECK(only_problem("kafka:\n  statistics_interval: 2d\n") ==
        "test.yaml:2: kafka.statistics_interval: must be between 1s and 1d, got 2d");
  CHECK(only_problem("kafka:\n  statistics_interval: often\n") ==
        "test.yaml:2: kafka.statistics_interval: expected a duration like \"15s\", got \"often\"");
}

TEST_CASE("burrow.cluster: a path segment of Burrow's URLs", "[config][burrow]") {
  CHECK(ks::BurrowConfig{}.cluster == "local");
  const LoadResult full = load("burrow:\n  cluster: prod-eu.1\n");
  INFO(joined(full));
  REQUIRE(full.ok());
  CHECK(full.config.burrow.cluster == "prod-eu.1");

  const std::string rule =
      "must be 1 to 100 letters, digits, '-', '_' or '.' (a path segment of "
      "/v3/kafka/{cluster}), got ";
  CHECK(only_problem("burrow:\n  cluster: \"\"\n") == "test.yaml:2: burrow.cluster: " + rule + "\"\"");
  CHECK(only_problem("burrow:\n  cluster: a/b\n") == "test.yaml:2: burrow.cluster: " + rule + "\"a/b\"");
  CHECK(only_problem("burrow:\n  cluster: " + std::string(101, 'x') + "\n") ==
        "test.yaml:2: burrow.cluster: " + rule + "\"" + std::string(101, 'x') + "\"");
  CHECK(only_problem("burrow:\n  clustre: x\n") ==
        "test.yaml:2: burrow.clustre: unknown key \"clustre\" (did you mean \"cluster\"?)");
}

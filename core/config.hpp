// Typed configuration of the agent. Defaults here are the documented defaults
// (docs/config.md, config/kafka-sentinel.yaml); agent/config/ fills these from YAML and
// validates them.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ks {

using Duration = std::chrono::milliseconds;

// 9742 clashes with none of what runs beside Kafka: Kafka (9092/9093), kafka_exporter
// (9308), Prometheus (9090), Alertmanager (9093/9094), node_exporter (9100).
inline constexpr int kDefaultListenPort = 9742;

struct LogConfig {
  std::string level = "info";   // trace, debug, info, warn, error, critical, off
  std::string format = "text";  // text | json

  bool operator==(const LogConfig&) const = default;
};

struct HttpConfig {
  std::string listen_host = "0.0.0.0";
  int listen_port = kDefaultListenPort;
  // TLS and basic authentication, in Prometheus exporters' web config format ("" = plain
  // HTTP, no authentication). docs/security-http.md.
  std::string web_config_file;
  // With basic authentication configured: /healthz answers without it (for probes that
  // cannot send credentials). Every other path always requires it.
  bool healthz_without_auth = false;

  bool operator==(const HttpConfig&) const = default;
};

struct KafkaConfig {
  std::string bootstrap_servers = "localhost:9092";
  std::string client_id = "kafka-sentinel";
  Duration request_timeout{std::chrono::seconds(10)};
  // librdkafka's statistics of the agent's clients (kafka_sentinel_client_broker_*); 0 = off.
  Duration statistics_interval{std::chrono::seconds(15)};
  // Passed verbatim to librdkafka (security.protocol, sasl.*, ssl.*, ...).
  std::map<std::string, std::string> properties;

  bool operator==(const KafkaConfig&) const = default;
};

struct NameFilter {
  std::vector<std::string> include;  // regexes (full match); empty = everything
  std::vector<std::string> exclude;  // regexes (full match)

  bool operator==(const NameFilter&) const = default;
};

struct HostCollectorConfig {
  bool enabled = true;
  Duration interval{std::chrono::seconds(15)};
  std::string procfs = "/proc";
  // Export the node_* families under node_exporter's names. Off where node_exporter already
  // runs on the host (its series would be duplicated); the derived kafka_sentinel_host_*
  // ratios, the host events and alerts keep working either way.
  bool node_metrics = true;

  bool operator==(const HostCollectorConfig&) const = default;
};

struct BrokersCollectorConfig {
  bool enabled = true;
  Duration interval{std::chrono::seconds(15)};
  NameFilter topics;
  bool include_internal_topics = false;
  // A broker seen once and now gone stays listed with kafka_broker_up 0 this long.
  Duration broker_down_retention{std::chrono::minutes(10)};
  int expected_brokers = 0;  // 0 = unknown: only brokers seen are reported
  Duration topic_config_refresh{std::chrono::minutes(5)};

  bool operator==(const BrokersCollectorConfig&) const = default;
};

// How finely the consumer-group families are exported (docs/metrics.md, "Cardinality"):
// per partition (kafka_exporter's families), or only per group and topic (their sums and
// maxima), which divides the lag series by the partitions per topic.
enum class GroupsGranularity { partition, topic };

struct GroupsCollectorConfig {
  bool enabled = true;
  Duration interval{std::chrono::seconds(15)};
  // Where committed offsets, members and assignments come from: "offsets_topic" (read
  // `__consumer_offsets` as a stream), "admin_api" (DescribeGroups and OffsetFetch per group
  // every cycle) or "auto" (the stream, or the admin API when it may not be read).
  std::string source = "auto";
  NameFilter groups;
  int max_concurrent_requests = 50;
  int status_window_commits = 10;       // Burrow-like window length
  int lag_history_points = 60;          // (high watermark, time) samples per partition
  GroupsGranularity granularity = GroupsGranularity::partition;
  // kafka_consumergroup_* families not exported (full names, checked against the renderer's).
  std::vector<std::string> exclude_families;

  bool operator==(const GroupsCollectorConfig&) const = default;
};

struct CollectorsConfig {
  HostCollectorConfig host;
  BrokersCollectorConfig brokers;
  GroupsCollectorConfig groups;

  bool operator==(const CollectorsConfig&) const = default;
};

// Health events (docs/events.md): evaluated from the snapshots, published to a Kafka topic
// through an on-disk spool.
struct GroupEventThresholds {
  // Per (group, topic): lag in messages above this fires group.lag_messages; 0 = off.
  std::int64_t lag_messages = 0;
  // Per (group, topic): lag in seconds above this fires group.lag_seconds; 0s = off.
  Duration lag_seconds{0};

  bool operator==(const GroupEventThresholds&) const = default;
};

struct GroupEventOverride {
  std::string group;  // regex, full match; the first matching override wins
  // Unset: the default threshold applies.
  std::optional<std::int64_t> lag_messages;
  std::optional<Duration> lag_seconds;

  bool operator==(const GroupEventOverride&) const = default;
};

struct EventsConfig {
  bool enabled = false;
  std::string topic = "kafka-sentinel-health";
  int partitions = 3;           // when the agent creates the topic
  int replication_factor = -1;  // -1: the brokers' default.replication.factor
  std::map<std::string, std::string> topic_config;  // topic configs at creation
  // Source of the events: "/kafka-sentinel/<cluster>/<node>". "" = the Kafka cluster id
  // and the host name.
  std::string cluster_name;
  std::string node_name;
  std::string spool_dir = "/var/lib/kafka-sentinel/events";
  std::int64_t spool_max_bytes = 64LL * 1024 * 1024;
  int spool_max_events = 100000;
  // Hysteresis: consecutive cycles a condition must hold to fire, and be clear to resolve.
  int fire_cycles = 2;
  int resolve_cycles = 2;
  GroupEventThresholds group_thresholds;
  std::vector<GroupEventOverride> group_overrides;
  std::vector<std::string> group_states{"Empty", "Dead"};  // group.state fires in these
  double host_cpu_utilization = 0.9;   // host.cpu_high above this ratio; 0 = off
  double host_memory_available = 0.1;  // host.memory_pressure below this ratio; 0 = off
  int host_cycles = 4;                 // hysteresis of the host conditions (fire and resolve)
  int collector_failure_cycles = 3;    // agent.collector_failing after this many failures

  bool operator==(const EventsConfig&) const = default;
};

// A fleet of agents (docs/fleet.md): one agent per Kafka node, coordinated through a Kafka
// consumer group on a small topic, so that cluster-wide work is done once.
struct FleetConfig {
  bool enabled = false;  // off: this agent alone does everything
  std::string group;     // "" = "kafka-sentinel-fleet.<cluster id>"
  std::string topic = "kafka-sentinel-fleet";
  int partitions = 12;          // when the agent creates the topic: shards of the group work
  int replication_factor = -1;  // -1: the brokers' default.replication.factor
  // How long a silent agent keeps its roles in the group's eyes; it drops them itself after
  // half of it. Within the brokers' group.{min,max}.session.timeout.ms (6s..30m by default).
  Duration session_timeout{std::chrono::seconds(10)};
  // Labels of this agent's host metrics; "" = the host name; -1 = no broker_id label.
  std::string node_name;
  int broker_id = -1;
  // This agent's HTTP URL as the others give it (the owner of a group in the JSON API's
  // 404); "" = http(s)://<host name or listen address>:<listen port>.
  std::string advertised_url;

  bool operator==(const FleetConfig&) const = default;
};

// The end-to-end probe (docs/probe.md): a message per probe partition every interval,
// produced and consumed back, to see every broker serve produce and fetch, and how fast.
struct ProbeConfig {
  bool enabled = false;
  std::string topic = "kafka-sentinel-probe";
  // true: created when missing with a partition led by each broker, grown when a broker
  // leads none. false: used as is; brokers it cannot cover are reported.
  bool manage_topic = true;
  int replication_factor = -1;  // -1: the brokers' default.replication.factor
  Duration interval{std::chrono::seconds(1)};
  Duration timeout{std::chrono::seconds(5)};  // a message not consumed by then is lost
  std::string acks = "all";                   // all | 1
  int message_size = 100;                     // bytes of each message's value (padded)
  std::string group;  // the probe's consumer group; "" = "kafka-sentinel-probe.<agent id>"
  int failing_intervals = 3;  // probe.failing fires after this many failing intervals
  Duration slow_threshold{std::chrono::seconds(1)};  // p99 end-to-end; 0 = probe.slow off
  // The recent messages per broker the p99 is computed over (judged from min(this, 100)).
  int slow_window = 300;

  bool operator==(const ProbeConfig&) const = default;
};

// Burrow's v3 HTTP API (docs/api-burrow.md): the agent answers for one cluster, under this
// name (Burrow's cluster module name, the {cluster} of /v3/kafka/{cluster}/...).
struct BurrowConfig {
  std::string cluster = "local";

  bool operator==(const BurrowConfig&) const = default;
};

struct Config {
  std::string source;  // file the config came from, "" for built-in defaults
  LogConfig log;
  HttpConfig http;
  KafkaConfig kafka;
  CollectorsConfig collectors;
  EventsConfig events;
  FleetConfig fleet;
  ProbeConfig probe;
  BurrowConfig burrow;

  bool operator==(const Config&) const = default;
};

}  // namespace ks

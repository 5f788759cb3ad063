// Typed configuration of the agent. Defaults here are the documented defaults
// (docs/config.md, config/kafka-sentinel.yaml); agent/config/ fills these from YAML and
// validates them.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
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

  bool operator==(const HttpConfig&) const = default;
};

struct KafkaConfig {
  std::string bootstrap_servers = "localhost:9092";
  std::string client_id = "kafka-sentinel";
  Duration request_timeout{std::chrono::seconds(10)};
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

struct GroupsCollectorConfig {
  bool enabled = true;
  Duration interval{std::chrono::seconds(15)};
  NameFilter groups;
  int max_concurrent_requests = 50;
  int status_window_commits = 10;       // Burrow-like window length
  int lag_history_points = 60;          // (high watermark, time) samples per partition

  bool operator==(const GroupsCollectorConfig&) const = default;
};

struct CollectorsConfig {
  HostCollectorConfig host;
  BrokersCollectorConfig brokers;
  GroupsCollectorConfig groups;

  bool operator==(const CollectorsConfig&) const = default;
};

struct Config {
  std::string source;  // file the config came from, "" for built-in defaults
  LogConfig log;
  HttpConfig http;
  KafkaConfig kafka;
  CollectorsConfig collectors;

  bool operator==(const Config&) const = default;
};

}  // namespace ks

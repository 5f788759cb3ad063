#include "agent/config/config_loader.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <tuple>

#include <fmt/format.h>

#include "agent/config/kafka_properties.hpp"
#include "agent/config/validators.hpp"
#include "agent/config/yaml_documents.hpp"
#include "agent/web_config.hpp"
#include "core/duration.hpp"
#include "exporters/prometheus/group_families.hpp"

namespace ks::config {
namespace {

using namespace std::chrono_literals;

constexpr Duration kMinInterval = 100ms;
constexpr Duration kMaxRequestTimeout = 5min;  // librdkafka's socket.timeout.ms maximum
constexpr const char* kDefaultsSource = "built-in defaults";

struct Location {
  int line = 0;    // 1-based, 0 = none
  int column = 0;  // 1-based, 0 = none
};

Location location_of(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null()) return {};
  return {mark.line + 1, mark.column + 1};
}

// Where a value of the typed Config came from, keyed by its path in the Config (list items
// by their index in the Config's vector). The path shown can differ for list items: the
// index in the file, which differs when an earlier item was invalid and left out.
struct Origin {
  Location at;
  std::string path;
};
using Origins = std::map<std::string, Origin>;

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return quote(node.Scalar());
    case YAML::NodeType::Sequence:
      return "a sequence";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      break;
  }
  return "an empty value";
}

std::string join(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return std::string(parent) + "." + std::string(key);
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// Optimal string alignment distance (Levenshtein plus adjacent transpositions), ignoring
// case: "intreval" is one edit from "interval".
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) && lower(a[i - 2]) == lower(b[j - 1])) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

bool all_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

struct Value {
  YAML::Node node;
  std::string path;
  Location key;  // the key's position: empty and block values are reported there
};

struct Field {
  std::string_view key;
  std::function<void(const Value&)> read;
};

std::string unknown_key_message(std::string_view name, const std::vector<Field>& fields,
                                std::string_view parent) {
  std::string_view best;
  std::size_t best_distance = std::string_view::npos;
  for (const Field& field : fields) {
    const std::size_t distance = edit_distance(name, field.key);
    const std::size_t allowed = std::max<std::size_t>(2, field.key.size() / 3);
    if (distance <= allowed && distance < name.size() && distance < best_distance) {
      best = field.key;
      best_distance = distance;
    }
  }
  std::string message = "unknown key " + quote(name);
  if (!best.empty()) return message + " (did you mean " + quote(best) + "?)";
  if (parent == "kafka" && name.find('.') != std::string_view::npos) {
    return message + " (librdkafka properties go under kafka.properties)";
  }
  message += " (valid keys";
  if (!parent.empty()) message += " under " + std::string(parent);
  message += ": ";
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) message += ", ";
    message += fields[i].key;
  }
  return message + ")";
}

// Reads YAML nodes into typed values; records type problems and where each value came from.
class Reader {
 public:
  Reader(std::string file, const EnvLookup& env, std::vector<ConfigProblem>& problems,
         Origins& origins)
      : file_(std::move(file)), env_(env), problems_(problems), origins_(origins) {}

  void add(Location at, std::string key_path, std::string message) {
    problems_.push_back({file_, at.line, at.column, std::move(key_path), std::move(message)});
  }

  // Scalars are reported where they are; empty values and collections at their key.
  static Location where(const Value& value) {
    return value.node.IsScalar() ? location_of(value.node) : value.key;
  }

  void mapping(const Value& value, const std::vector<Field>& fields) {
    if (value.node.IsNull()) return;  // "log:" with everything below commented out
    if (!value.node.IsMap()) {
      if (value.path.empty()) {
        add(location_of(value.node), "",
            "expected a mapping of sections at the top level, got " + describe(value.node));
      } else {
        add(where(value), value.path, "expected a mapping, got " + describe(value.node));
      }
      return;
    }
    for_each_key(value, [&](const std::string& name, const Value& entry) {
      const auto field = std::find_if(fields.begin(), fields.end(),
                                      [&](const Field& f) { return f.key == name; });
      if (field == fields.end()) {
        add(entry.key, entry.path, unknown_key_message(name, fields, value.path));
        return;
      }
      field->read(entry);
    });
  }

  void duration(const Value& value, Duration& out) {
    const std::string expected = "a duration like \"15s\"";
    const auto text = scalar(value, expected);
    if (!text) return;
    const auto parsed = parse_duration(*text);
    if (!parsed) {
      std::string message = "expected " + expected + ", got " + quote(*text);
      if (all_digits(*text)) message += " (add a unit: ms, s, m, h or d)";
      add(where(value), value.path, std::move(message));
      return;
    }
    out = *parsed;
  }

  void boolean(const Value& value, bool& out) {
    const auto text = scalar(value, "true or false");
    if (!text) return;
    if (*text == "true" || *text == "True" || *text == "TRUE") {
      out = true;
    } else if (*text == "false" || *text == "False" || *text == "FALSE") {
      out = false;
    } else {
      add(where(value), value.path, "expected true or false, got " + quote(*text));
    }
  }

  void integer(const Value& value, int& out) {
    const auto text = scalar(value, "an integer");
    if (!text) return;
    std::string_view digits = *text;
    if (digits.size() > 1 && digits.front() == '+' && digits[1] != '-') digits.remove_prefix(1);
    int parsed = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), parsed);
    if (error == std::errc::result_out_of_range) {
      add(where(value), value.path, "integer " + quote(*text) + " is out of range");
    } else if (error != std::errc() || end != digits.data() + digits.size() || digits.empty()) {
      add(where(value), value.path, "expected an integer, got " + quote(*text));
    } else {
      out = parsed;
    }
  }

  void integer64(const Value& value, std::int64_t& out) {
    const auto text = scalar(value, "an integer");
    if (!text) return;
    std::string_view digits = *text;
    if (digits.size() > 1 && digits.front() == '+' && digits[1] != '-') digits.remove_prefix(1);
    std::int64_t parsed = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), parsed);
    if (error == std::errc::result_out_of_range) {
      add(where(value), value.path, "integer " + quote(*text) + " is out of range");
    } else if (error != std::errc() || end != digits.data() + digits.size() || digits.empty()) {
      add(where(value), value.path, "expected an integer, got " + quote(*text));
    } else {
      out = parsed;
    }
  }

  // A decimal number ("0.9", "1", "1e-3"); no inf or nan.
  void number(const Value& value, double& out) {
    const auto text = scalar(value, "a number");
    if (!text) return;
    std::string_view digits = *text;
    if (digits.size() > 1 && digits.front() == '+') digits.remove_prefix(1);
    double parsed = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), parsed);
    if (error != std::errc() || end != digits.data() + digits.size() || digits.empty() ||
        !std::isfinite(parsed)) {
      add(where(value), value.path, "expected a number, got " + quote(*text));
      return;
    }
    out = parsed;
  }

  // A list of mappings, each read by `item` into a new element of `out`. Items are named
  // by their index in the file; in the Config by their index in `out`.
  template <class T>
  void mapping_list(const Value& value, std::vector<T>& out,
                    const std::function<void(const Value&, const std::string&, T&)>& item) {
    each_list_item(value, out, [&](const Value& element_value, const std::string& config_path) {
      if (!element_value.node.IsMap()) {
        add(element_value.key, element_value.path,
            "expected a mapping, got " + describe(element_value.node));
        return;
      }
      T element{};
      item(element_value, config_path, element);
      out.push_back(std::move(element));
    });
  }

  // The walk shared by every list: null is an empty list, anything but a sequence is an
  // error; otherwise `out` is cleared and `item` gets each element, named by its index in the
  // file (its Value's path) and by the index it would take in `out` (config_path).
  template <class T, class Item>
  void each_list_item(const Value& value, std::vector<T>& out, Item item) {
    if (value.node.IsNull()) {  // "include:" with nothing: an empty list
      out.clear();
      return;
    }
    if (!value.node.IsSequence()) {
      add(where(value), value.path, "expected a list, got " + describe(value.node));
      return;
    }
    out.clear();
    for (std::size_t i = 0; i < value.node.size(); ++i) {
      const YAML::Node node = value.node[i];
      const std::string file_path = fmt::format("{}[{}]", value.path, i);
      const std::string config_path = fmt::format("{}[{}]", value.path, out.size());
      const Location at = location_of(node).line > 0 ? location_of(node) : value.key;
      item(Value{node, file_path, at}, config_path);
    }
  }

  // Records that `config_path` (a list item's key in the Config) was read from `value`.
  void alias(const std::string& config_path, const Value& value) {
    origins_[config_path] = Origin{where(value), value.path};
  }

  void string(const Value& value, std::string& out) {
    if (auto text = scalar(value, "a string")) out = std::move(*text);
  }

  void listen(const Value& value, HttpConfig& out) {
    const auto text = scalar(value, "an address like \"0.0.0.0:9742\"");
    if (!text) return;
    if (std::string problem = parse_listen(*text, out); !problem.empty()) {
      add(where(value), value.path, std::move(problem));
    }
  }

  void string_list(const Value& value, std::vector<std::string>& out) {
    each_list_item(value, out, [&](const Value& item, const std::string& config_path) {
      if (auto text = scalar(item, "a string", config_path)) out.push_back(std::move(*text));
    });
  }

  void properties(const Value& value, std::map<std::string, std::string>& out) {
    if (value.node.IsNull()) return;
    if (!value.node.IsMap()) {
      add(where(value), value.path, "expected a mapping, got " + describe(value.node));
      return;
    }
    const std::string expected = "a string, number or boolean";
    for_each_key(value, [&](const std::string& name, const Value& entry) {
      if (entry.node.IsMap()) {
        add(entry.key, entry.path,
            "expected " + expected + ", got a mapping (write each property's full name, "
            "like \"ssl.ca.location: /etc/kafka/ca.pem\")");
      } else if (entry.node.IsSequence()) {
        add(entry.key, entry.path,
            "expected " + expected + ", got a sequence (librdkafka lists are one "
            "comma-separated string)");
      } else if (entry.node.IsNull()) {
        add(entry.key, entry.path,
            "expected " + expected + ", got an empty value (write \"\" for an empty string)");
      } else if (auto text = scalar(entry, expected)) {
        out[name] = std::move(*text);
      }
    });
  }

  // The field `key`, read into `out` by out's type (bool, duration, integer, number, string,
  // list of strings, librdkafka properties).
  template <class T>
  Field field(std::string_view key, T& out) {
    return {key, [this, &out](const Value& x) { read(x, out); }};
  }

  // The field `key`: a mapping of `fields`.
  Field section(std::string_view key, std::vector<Field> fields) {
    return {key, [this, fields = std::move(fields)](const Value& x) { mapping(x, fields); }};
  }

 private:
  // The scalar's text after ${VAR} interpolation, or nullopt with the problem recorded.
  std::optional<std::string> scalar(const Value& value, std::string_view expected,
                                    const std::string& config_path = "") {
    if (!value.node.IsScalar()) {
      add(where(value), value.path,
          "expected " + std::string(expected) + ", got " + describe(value.node));
      return std::nullopt;
    }
    origins_[config_path.empty() ? value.path : config_path] = Origin{where(value), value.path};
    Interpolated interpolated = interpolate_env(value.node.Scalar(), env_);
    if (!interpolated.errors.empty()) {
      for (std::string& error : interpolated.errors) add(where(value), value.path, std::move(error));
      return std::nullopt;
    }
    return std::move(interpolated.value);
  }

  // Calls `visit` for each entry with a plain-name key; reports other keys and duplicates.
  void for_each_key(const Value& value,
                    const std::function<void(const std::string&, const Value&)>& visit) {
    std::map<std::string, int> first_line;
    for (auto it = value.node.begin(); it != value.node.end(); ++it) {
      const Location key_at = location_of(it->first);
      if (!it->first.IsScalar()) {
        add(key_at, value.path, "expected a key name, got " + describe(it->first));
        continue;
      }
      const std::string& name = it->first.Scalar();
      const Value entry{it->second, join(value.path, name), key_at};
      if (const auto [previous, inserted] = first_line.emplace(name, key_at.line); !inserted) {
        add(key_at, entry.path,
            fmt::format("duplicate key {} (first set on line {})", quote(name), previous->second));
        continue;
      }
      visit(name, entry);
    }
  }

  void read(const Value& x, bool& out) { boolean(x, out); }
  void read(const Value& x, Duration& out) { duration(x, out); }
  void read(const Value& x, int& out) { integer(x, out); }
  void read(const Value& x, std::int64_t& out) { integer64(x, out); }
  void read(const Value& x, double& out) { number(x, out); }
  void read(const Value& x, std::string& out) { string(x, out); }
  void read(const Value& x, std::vector<std::string>& out) { string_list(x, out); }
  void read(const Value& x, std::map<std::string, std::string>& out) { properties(x, out); }

  std::string file_;
  const EnvLookup& env_;
  std::vector<ConfigProblem>& problems_;
  Origins& origins_;
};

void read_events(Reader& r, const Value& v, EventsConfig& e) {
  const auto group_override = [&r](const Value& item, const std::string& config_path,
                                   GroupEventOverride& o) {
    r.mapping(item, {{"group",
                      [&](const Value& x) {
                        r.string(x, o.group);
                        r.alias(config_path + ".group", x);
                      }},
                     {"lag_messages",
                      [&](const Value& x) {
                        std::int64_t n = 0;
                        r.integer64(x, n);
                        o.lag_messages = n;
                        r.alias(config_path + ".lag_messages", x);
                      }},
                     {"lag_seconds", [&](const Value& x) {
                        Duration d{0};
                        r.duration(x, d);
                        o.lag_seconds = d;
                        r.alias(config_path + ".lag_seconds", x);
                      }}});
    if (o.group.empty()) r.add(item.key, item.path, "missing key \"group\" (a regular expression)");
  };
  r.mapping(v, {r.field("enabled", e.enabled),
                r.field("topic", e.topic),
                r.field("partitions", e.partitions),
                r.field("replication_factor", e.replication_factor),
                r.field("topic_config", e.topic_config),
                r.field("cluster_name", e.cluster_name),
                r.field("node_name", e.node_name),
                r.section("spool", {r.field("dir", e.spool_dir),
                                    r.field("max_bytes", e.spool_max_bytes),
                                    r.field("max_events", e.spool_max_events)}),
                r.section("hysteresis", {r.field("fire_cycles", e.fire_cycles),
                                         r.field("resolve_cycles", e.resolve_cycles)}),
                r.section("groups",
                          {r.field("lag_messages", e.group_thresholds.lag_messages),
                           r.field("lag_seconds", e.group_thresholds.lag_seconds),
                           r.field("states", e.group_states),
                           {"overrides",
                            [&](const Value& x) {
                              r.mapping_list<GroupEventOverride>(x, e.group_overrides,
                                                                 group_override);
                            }}}),
                r.section("host", {r.field("cpu_utilization", e.host_cpu_utilization),
                                   r.field("memory_available", e.host_memory_available),
                                   r.field("cycles", e.host_cycles)}),
                r.section("agent",
                          {r.field("collector_failure_cycles", e.collector_failure_cycles)})});
}

void read_fleet(Reader& r, const Value& v, FleetConfig& f) {
  r.mapping(v, {r.field("enabled", f.enabled),
                r.field("group", f.group),
                r.field("topic", f.topic),
                r.field("partitions", f.partitions),
                r.field("replication_factor", f.replication_factor),
                r.field("session_timeout", f.session_timeout),
                r.field("node_name", f.node_name),
                r.field("broker_id", f.broker_id),
                r.field("advertised_url", f.advertised_url)});
}

void read_probe(Reader& r, const Value& v, ProbeConfig& p) {
  r.mapping(v, {r.field("enabled", p.enabled),
                r.field("topic", p.topic),
                r.field("manage_topic", p.manage_topic),
                r.field("replication_factor", p.replication_factor),
                r.field("interval", p.interval),
                r.field("timeout", p.timeout),
                r.field("acks", p.acks),
                r.field("message_size", p.message_size),
                r.field("group", p.group),
                r.field("failing_intervals", p.failing_intervals),
                r.field("slow_threshold", p.slow_threshold),
                r.field("slow_window", p.slow_window)});
}

// collectors.groups.granularity: partition or topic.
void read_granularity(Reader& r, const Value& v, GroupsCollectorConfig& groups) {
  // Left as it was when the value is no string (r.string reports that): one problem, not two.
  std::string text = groups.granularity == GroupsGranularity::topic ? "topic" : "partition";
  r.string(v, text);
  if (text == "partition") {
    groups.granularity = GroupsGranularity::partition;
  } else if (text == "topic") {
    groups.granularity = GroupsGranularity::topic;
  } else {
    r.add(Reader::where(v), v.path, "expected partition or topic, got " + quote(text));
  }
}

void read_config(Reader& r, const YAML::Node& root, Config& c) {
  const auto filter = [&r](std::string_view key, NameFilter& f) {
    return r.section(key, {r.field("include", f.include), r.field("exclude", f.exclude)});
  };
  auto& host = c.collectors.host;
  auto& brokers = c.collectors.brokers;
  auto& groups = c.collectors.groups;
  r.mapping(
      Value{root, "", location_of(root)},
      {r.section("log", {r.field("level", c.log.level), r.field("format", c.log.format)}),
       r.section("http", {{"listen", [&](const Value& x) { r.listen(x, c.http); }},
                          r.field("web_config_file", c.http.web_config_file),
                          r.field("healthz_without_auth", c.http.healthz_without_auth)}),
       r.section("kafka", {r.field("bootstrap_servers", c.kafka.bootstrap_servers),
                           r.field("client_id", c.kafka.client_id),
                           r.field("request_timeout", c.kafka.request_timeout),
                           r.field("statistics_interval", c.kafka.statistics_interval),
                           r.field("properties", c.kafka.properties)}),
       r.section(
           "collectors",
           {r.section("host", {r.field("enabled", host.enabled),
                               r.field("interval", host.interval),
                               r.field("procfs", host.procfs),
                               r.field("node_metrics", host.node_metrics)}),
            r.section("brokers",
                      {r.field("enabled", brokers.enabled),
                       r.field("interval", brokers.interval),
                       filter("topics", brokers.topics),
                       r.field("include_internal_topics", brokers.include_internal_topics),
                       r.field("broker_down_retention", brokers.broker_down_retention),
                       r.field("expected_brokers", brokers.expected_brokers),
                       r.field("topic_config_refresh", brokers.topic_config_refresh)}),
            r.section("groups",
                      {r.field("enabled", groups.enabled),
                       r.field("interval", groups.interval),
                       r.field("source", groups.source),
                       filter("groups", groups.groups),
                       r.field("max_concurrent_requests", groups.max_concurrent_requests),
                       r.field("status_window_commits", groups.status_window_commits),
                       r.field("lag_history_points", groups.lag_history_points),
                       {"granularity", [&](const Value& x) { read_granularity(r, x, groups); }},
                       r.field("exclude_families", groups.exclude_families)})}),
       {"events", [&](const Value& v) { read_events(r, v, c.events); }},
       {"fleet", [&](const Value& v) { read_fleet(r, v, c.fleet); }},
       {"probe", [&](const Value& v) { read_probe(r, v, c.probe); }},
       r.section("burrow", {r.field("cluster", c.burrow.cluster)})});
}

// Checks values against each other and their allowed ranges: the same for a loaded file,
// the built-in defaults and (via the same validators) command-line overrides.
class Validator {
 public:
  Validator(std::string file, const Origins& origins, std::vector<ConfigProblem>& problems)
      : file_(std::move(file)), origins_(origins), problems_(problems) {}

  void check(const std::string& config_path, std::string message) {
    if (message.empty()) return;
    const auto origin = origins_.find(config_path);
    if (origin == origins_.end()) {
      problems_.push_back({file_, 0, 0, config_path, std::move(message)});
    } else {
      problems_.push_back({file_, origin->second.at.line, origin->second.at.column,
                           origin->second.path, std::move(message)});
    }
  }

  void at_least(const std::string& path, Duration value, Duration minimum) {
    if (value < minimum) {
      check(path, "must be at least " + format_duration(minimum) + ", got " + format_duration(value));
    }
  }

  void between(const std::string& path, Duration value, Duration minimum, Duration maximum) {
    if (value < minimum || value > maximum) {
      check(path, "must be between " + format_duration(minimum) + " and " +
                      format_duration(maximum) + ", got " + format_duration(value));
    }
  }

  void between(const std::string& path, int value, int minimum, int maximum) {
    if (value < minimum || value > maximum) {
      check(path, fmt::format("must be between {} and {}, got {}", minimum, maximum, value));
    }
  }

  // Problems found in another file (they name it themselves).
  void add_all(std::vector<ConfigProblem> problems) {
    for (ConfigProblem& problem : problems) problems_.push_back(std::move(problem));
  }

  void regexes(const std::string& path, const std::vector<std::string>& patterns) {
    for (std::size_t i = 0; i < patterns.size(); ++i) {
      check(fmt::format("{}[{}]", path, i), check_regex(patterns[i]));
    }
  }

 private:
  std::string file_;
  const Origins& origins_;
  std::vector<ConfigProblem>& problems_;
};

std::string format_listen(const HttpConfig& http) {
  const bool ipv6 = http.listen_host.find(':') != std::string::npos;
  if (ipv6) return fmt::format("[{}]:{}", http.listen_host, http.listen_port);
  return fmt::format("{}:{}", http.listen_host, http.listen_port);
}

// Kafka's rule for topic names: 1 to 249 of [a-zA-Z0-9._-], not "." or "..".
std::string check_topic_name(std::string_view name) {
  if (name.empty()) return "must not be empty";
  if (name.size() > 249) return fmt::format("must be at most 249 characters, got {}", name.size());
  if (name == "." || name == "..") return "must not be \".\" or \"..\"";
  for (const char ch : name) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                    ch == '.' || ch == '_' || ch == '-';
    if (!ok) return "may only contain letters, digits, '.', '_' and '-', got " + quote(name);
  }
  return "";
}

// events.groups: thresholds, states and per-group overrides.
void validate_events_groups(const EventsConfig& e, Validator& v) {
  if (e.group_thresholds.lag_messages < 0) {
    v.check("events.groups.lag_messages",
            fmt::format("must be 0 (off) or more, got {}", e.group_thresholds.lag_messages));
  }
  static const std::vector<std::string> kStates{"Empty", "Stable", "PreparingRebalance",
                                                "CompletingRebalance", "Dead", "Assigning",
                                                "Reconciling"};
  for (std::size_t i = 0; i < e.group_states.size(); ++i) {
    if (std::find(kStates.begin(), kStates.end(), e.group_states[i]) == kStates.end()) {
      v.check(fmt::format("events.groups.states[{}]", i),
              "expected a consumer group state (Empty, Stable, PreparingRebalance, "
              "CompletingRebalance, Dead, Assigning, Reconciling), got " + quote(e.group_states[i]));
    }
  }
  for (std::size_t i = 0; i < e.group_overrides.size(); ++i) {
    const GroupEventOverride& o = e.group_overrides[i];
    const std::string path = fmt::format("events.groups.overrides[{}]", i);
    if (!o.group.empty()) v.check(path + ".group", check_regex(o.group));
    if (o.lag_messages && *o.lag_messages < 0) {
      v.check(path + ".lag_messages", fmt::format("must be 0 (off) or more, got {}", *o.lag_messages));
    }
  }
}

void validate_events(const EventsConfig& e, Validator& v) {
  v.check("events.topic", check_topic_name(e.topic));
  if (e.partitions != -1 && (e.partitions < 1 || e.partitions > 100000)) {
    v.check("events.partitions",
            fmt::format("must be -1 (the brokers' default) or between 1 and 100000, got {}",
                        e.partitions));
  }
  if (e.replication_factor != -1 && (e.replication_factor < 1 || e.replication_factor > 32767)) {
    v.check("events.replication_factor",
            fmt::format("must be -1 (the brokers' default) or between 1 and 32767, got {}",
                        e.replication_factor));
  }
  for (const char ch : e.cluster_name + e.node_name) {
    if (ch == '/' || ch == ' ' || static_cast<unsigned char>(ch) < 0x20) {
      v.check(e.cluster_name.find(ch) != std::string::npos ? "events.cluster_name" : "events.node_name",
              "must not contain '/', spaces or control characters (it is part of the events' source)");
      break;
    }
  }
  if (e.spool_dir.empty()) v.check("events.spool.dir", "must not be empty");
  if (e.spool_max_bytes < 65536 || e.spool_max_bytes > (std::int64_t{1} << 40)) {
    v.check("events.spool.max_bytes",
            fmt::format("must be between 65536 (64 KiB) and 1099511627776 (1 TiB), got {}",
                        e.spool_max_bytes));
  }
  v.between("events.spool.max_events", e.spool_max_events, 10, 100000000);
  v.between("events.hysteresis.fire_cycles", e.fire_cycles, 1, 1000);
  v.between("events.hysteresis.resolve_cycles", e.resolve_cycles, 1, 1000);
  validate_events_groups(e, v);
  if (e.host_cpu_utilization < 0 || e.host_cpu_utilization > 1) {
    v.check("events.host.cpu_utilization",
            fmt::format("must be a ratio between 0 (off) and 1, got {}", e.host_cpu_utilization));
  }
  if (e.host_memory_available < 0 || e.host_memory_available > 1) {
    v.check("events.host.memory_available",
            fmt::format("must be a ratio between 0 (off) and 1, got {}", e.host_memory_available));
  }
  v.between("events.host.cycles", e.host_cycles, 1, 1000);
  v.between("events.agent.collector_failure_cycles", e.collector_failure_cycles, 1, 1000);
}

bool has_control_character(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char ch) { return static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f; });
}

void validate_fleet(const FleetConfig& f, Validator& v) {
  v.check("fleet.topic", check_topic_name(f.topic));
  // Kafka allows any group id up to 32767 bytes; control characters only make logs unreadable.
  if (f.group.size() > 249 || has_control_character(f.group)) {
    v.check("fleet.group", "must be at most 249 characters without control characters");
  }
  v.between("fleet.partitions", f.partitions, 1, 10000);
  if (f.replication_factor != -1 && (f.replication_factor < 1 || f.replication_factor > 32767)) {
    v.check("fleet.replication_factor",
            fmt::format("must be -1 (the brokers' default) or between 1 and 32767, got {}",
                        f.replication_factor));
  }
  // The brokers refuse session timeouts outside group.{min,max}.session.timeout.ms
  // (6s..30m unless changed); below 1s the agent's own lease checks could not keep up.
  v.between("fleet.session_timeout", f.session_timeout, Duration(std::chrono::seconds(1)),
            Duration(std::chrono::minutes(30)));
  if (has_control_character(f.node_name) || f.node_name.size() > 253) {
    v.check("fleet.node_name", "must be at most 253 characters without control characters");
  }
  const std::string& url = f.advertised_url;
  if (!url.empty() && (!(url.starts_with("http://") || url.starts_with("https://")) || url.size() > 200 ||
                       url.find_first_of(" @") != std::string::npos || has_control_character(url))) {
    v.check("fleet.advertised_url", "must be an http:// or https:// URL of at most 200 characters, "
                                    "without spaces or '@', got \"" + url + "\"");
  }
  if (f.broker_id < -1) {
    v.check("fleet.broker_id", fmt::format("must be -1 (none) or a broker id (0 or more), got {}",
                                           f.broker_id));
  }
}

void validate_probe(const ProbeConfig& p, Validator& v) {
  v.check("probe.topic", check_topic_name(p.topic));
  if (p.group.size() > 249 || has_control_character(p.group)) {
    v.check("probe.group", "must be at most 249 characters without control characters");
  }
  if (p.replication_factor != -1 && (p.replication_factor < 1 || p.replication_factor > 32767)) {
    v.check("probe.replication_factor",
            fmt::format("must be -1 (the brokers' default) or between 1 and 32767, got {}",
                        p.replication_factor));
  }
  v.between("probe.interval", p.interval, kMinInterval, Duration(std::chrono::minutes(10)));
  // A message must have time to come back: at least one interval, and within librdkafka's
  // message.timeout.ms range.
  v.between("probe.timeout", p.timeout, std::max(p.interval, Duration(std::chrono::seconds(1))),
            Duration(std::chrono::minutes(10)));
  if (p.acks != "all" && p.acks != "1") {
    v.check("probe.acks", "expected all or 1, got " + quote(p.acks));
  }
  v.between("probe.message_size", p.message_size, 0, 1000000);
  v.between("probe.failing_intervals", p.failing_intervals, 1, 1000);
  v.between("probe.slow_threshold", p.slow_threshold, Duration(0), Duration(std::chrono::minutes(10)));
  v.between("probe.slow_window", p.slow_window, 1, 10000);
}

// burrow.cluster is a path segment of Burrow's URLs: Burrow's own cluster names are TOML
// keys, so the same characters.
void validate_burrow(const BurrowConfig& b, Validator& v) {
  const bool plain = std::all_of(b.cluster.begin(), b.cluster.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '.';
  });
  if (b.cluster.empty() || b.cluster.size() > 100 || !plain) {
    v.check("burrow.cluster",
            fmt::format("must be 1 to 100 letters, digits, '-', '_' or '.' (a path segment of "
                        "/v3/kafka/{{cluster}}), got \"{}\"",
                        b.cluster));
  }
}

// collectors.groups.exclude_families: names of the consumer-group renderer's families.
void validate_group_families(const std::vector<std::string>& names, Validator& v) {
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (prom::find_group_family(names[i])) continue;
    std::string_view best;
    std::size_t best_distance = std::string_view::npos;
    for (const prom::GroupFamily* family : prom::group_families()) {
      const std::size_t distance = edit_distance(names[i], family->name);
      if (distance <= 3 && distance < best_distance) {
        best = family->name;
        best_distance = distance;
      }
    }
    std::string message = "unknown family " + quote(names[i]);
    message += best.empty() ? " (the kafka_consumergroup_* families of docs/metrics.md)"
                            : " (did you mean " + quote(best) + "?)";
    v.check(fmt::format("collectors.groups.exclude_families[{}]", i), std::move(message));
  }
}

// The web config file must load as the HTTP server will load it: problems inside it name
// that file and its key; an unreadable file is a problem of http.web_config_file.
void validate_web_config(const std::string& path, Validator& v) {
  if (path.empty()) return;
  web::WebConfigLoad web = web::load_web_config_file(path);
  if (!web.unreadable.empty()) {
    v.check("http.web_config_file", "cannot read " + quote(path) + ": " + web.unreadable);
    return;
  }
  v.add_all(std::move(web.problems));
}

void validate(const Config& c, Validator& v) {
  v.check("log.level", check_log_level(c.log.level));
  v.check("log.format", check_log_format(c.log.format));
  HttpConfig scratch;
  v.check("http.listen", parse_listen(format_listen(c.http), scratch));
  validate_web_config(c.http.web_config_file, v);

  v.check("kafka.bootstrap_servers", check_bootstrap_servers(c.kafka.bootstrap_servers));
  if (c.kafka.client_id.empty()) v.check("kafka.client_id", "must not be empty");
  v.between("kafka.request_timeout", c.kafka.request_timeout, kMinInterval, kMaxRequestTimeout);
  if (c.kafka.statistics_interval != Duration::zero()) {  // 0 = off
    v.between("kafka.statistics_interval", c.kafka.statistics_interval, 1s, 24h);
  }
  for (PropertyProblem& problem : check_kafka_properties(c.kafka)) {
    v.check(problem.key_path, std::move(problem.message));
  }

  const auto& host = c.collectors.host;
  v.at_least("collectors.host.interval", host.interval, kMinInterval);
  if (host.procfs.empty()) v.check("collectors.host.procfs", "must not be empty");

  const auto& brokers = c.collectors.brokers;
  v.at_least("collectors.brokers.interval", brokers.interval, kMinInterval);
  v.regexes("collectors.brokers.topics.include", brokers.topics.include);
  v.regexes("collectors.brokers.topics.exclude", brokers.topics.exclude);
  if (brokers.expected_brokers < 0) {
    v.check("collectors.brokers.expected_brokers",
            fmt::format("must be 0 (unknown) or more, got {}", brokers.expected_brokers));
  }
  v.at_least("collectors.brokers.topic_config_refresh", brokers.topic_config_refresh, kMinInterval);

  const auto& groups = c.collectors.groups;
  v.at_least("collectors.groups.interval", groups.interval, kMinInterval);
  v.check("collectors.groups.source", check_groups_source(groups.source));
  v.regexes("collectors.groups.groups.include", groups.groups.include);
  v.regexes("collectors.groups.groups.exclude", groups.groups.exclude);
  v.between("collectors.groups.max_concurrent_requests", groups.max_concurrent_requests, 1, 1000);
  v.between("collectors.groups.status_window_commits", groups.status_window_commits, 2, 100);
  v.between("collectors.groups.lag_history_points", groups.lag_history_points, 2, 10000);
  validate_group_families(groups.exclude_families, v);

  validate_events(c.events, v);
  validate_fleet(c.fleet, v);
  validate_probe(c.probe, v);
  validate_burrow(c.burrow, v);
}

void sort_in_file_order(std::vector<ConfigProblem>& problems) {
  std::stable_sort(problems.begin(), problems.end(), [](const ConfigProblem& a, const ConfigProblem& b) {
    return std::tie(a.line, a.column) < std::tie(b.line, b.column);
  });
}

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};

// yaml-cpp reports "not found" errors (an unclosed bracket or quote) at the position after
// the last character, a line past the end of a file that ends in a newline: point at the end
// of the last line instead, a place the user can find in the file.
void clamp_to_text(std::string_view text, int& line, int& column) {
  if (line <= 0 || text.empty()) return;
  std::string_view body = text;
  if (body.back() == '\n') body.remove_suffix(1);
  const int lines = static_cast<int>(std::count(body.begin(), body.end(), '\n')) + 1;
  if (line <= lines) return;
  const std::size_t last_start = body.rfind('\n') == std::string_view::npos ? 0 : body.rfind('\n') + 1;
  std::string_view last = body.substr(last_start);
  if (!last.empty() && last.back() == '\r') last.remove_suffix(1);
  line = lines;
  column = static_cast<int>(last.size()) + 1;
}

// 1-based number of the last line of `text` that holds YAML content (not blank, not only a
// comment); 0 when there is none.
int last_content_line(std::string_view text) {
  int line = 0;
  int last = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    ++line;
    const std::string_view content = text.substr(start, end - start);
    const std::size_t first = content.find_first_not_of(" \t\r");
    if (first != std::string_view::npos && content[first] != '#') last = line;
    start = end + 1;
  }
  return last;
}

// A YAML syntax error stops the parse, but the lines before it are usually sound: so that one
// run reports every problem, read the longest prefix of whole lines before `error_line` that
// parses, and keep what the key-by-key reading finds there (type errors, unknown keys, unset
// variables). Problems on the prefix's last content line are dropped (its value may continue
// on the lines cut off), and so are the cross-key validations (keys after the error are
// unknown).
std::vector<ConfigProblem> problems_before_syntax_error(std::string_view yaml, int error_line,
                                                        const std::string& source_name,
                                                        const EnvLookup& env) {
  std::vector<std::size_t> line_ends;  // offset just past each line's '\n'
  for (std::size_t i = 0; i < yaml.size() && static_cast<int>(line_ends.size()) < error_line - 1;
       ++i) {
    if (yaml[i] == '\n') line_ends.push_back(i + 1);
  }
  for (auto cut = line_ends.rbegin(); cut != line_ends.rend(); ++cut) {
    const std::string prefix(yaml.substr(0, *cut));
    YAML::Node root;
    try {
      root = YAML::Load(prefix);
    } catch (const YAML::Exception&) {
      continue;  // the broken construct started earlier: cut more
    }
    std::vector<ConfigProblem> problems;
    Origins origins;
    Config ignored;
    Reader reader(source_name, env, problems, origins);
    read_config(reader, root, ignored);
    const int complete_before = last_content_line(prefix);
    std::erase_if(problems, [&](const ConfigProblem& p) {
      return p.line <= 0 || p.line >= complete_before;
    });
    return problems;
  }
  return {};
}

}  // namespace

std::string ConfigProblem::to_string() const {
  std::string out = file;
  if (line > 0) {
    out += fmt::format(":{}", line);
    if (key_path.empty() && column > 0) out += fmt::format(":{}", column);
  }
  out += ": ";
  if (!key_path.empty()) out += key_path + ": ";
  return out + message;
}

// A config is one document; beyond this many, the error says "more than".
constexpr int kMaxDocumentsCounted = 16;

LoadResult load_config_text(std::string_view yaml, const std::string& source_name,
                            const EnvLookup& env) {
  LoadResult result;
  result.config.source = source_name;
  YAML::Node document;
  YamlDocumentCount count;
  try {
    // Counted first, bounded (see yaml_documents.hpp), then only the first one is built.
    count = count_yaml_documents(yaml, kMaxDocumentsCounted);
    if (count.documents > 0) document = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    int line = e.mark.is_null() ? 0 : e.mark.line + 1;
    int column = e.mark.is_null() ? 0 : e.mark.column + 1;
    clamp_to_text(yaml, line, column);
    result.problems = problems_before_syntax_error(yaml, line, source_name, env);
    result.problems.push_back({source_name, line, column, "", "yaml syntax error: " + e.msg});
    sort_in_file_order(result.problems);
    return result;
  }
  if (count.documents > 1) {
    result.problems.push_back(
        {source_name, count.second_line, count.second_column, "",
         fmt::format("expected one YAML document, found {}{} (remove the \"---\" separators)",
                     count.more ? "more than " : "", count.documents)});
  }
  Origins origins;
  if (count.documents > 0) {
    Reader reader(source_name, env, result.problems, origins);
    read_config(reader, document, result.config);
  }
  Validator validator(source_name, origins, result.problems);
  validate(result.config, validator);
  sort_in_file_order(result.problems);
  return result;
}

LoadResult load_config_file(const std::string& path, const EnvLookup& env) {
  const std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  const auto unreadable = [&path](int error) {
    LoadResult result;
    result.config.source = path;
    result.problems.push_back({path, 0, 0, "", std::string("cannot read: ") + std::strerror(error)});
    return result;
  };
  if (!file) return unreadable(errno);
  std::string text;
  std::array<char, 65536> buffer{};
  while (true) {
    const std::size_t n = std::fread(buffer.data(), 1, buffer.size(), file.get());
    text.append(buffer.data(), n);
    if (n < buffer.size()) break;
  }
  if (std::ferror(file.get())) return unreadable(errno);  // e.g. EISDIR for a directory
  return load_config_text(text, path, env);
}

LoadResult default_config() {
  LoadResult result;
  const Origins no_origins;
  Validator validator(kDefaultsSource, no_origins, result.problems);
  validate(result.config, validator);
  return result;
}

std::vector<ConfigProblem> apply_overrides(Config& config, const Overrides& overrides) {
  std::vector<ConfigProblem> problems;
  const auto add = [&problems](const char* flag, std::string message) {
    if (!message.empty()) problems.push_back({"command line", 0, 0, flag, std::move(message)});
  };
  if (overrides.listen) add("--listen", parse_listen(*overrides.listen, config.http));
  if (overrides.web_config_file) {
    config.http.web_config_file = *overrides.web_config_file;
    const web::WebConfigLoad web = web::load_web_config_file(*overrides.web_config_file);
    if (!web.unreadable.empty()) {
      add("--web.config.file", "cannot read " + quote(*overrides.web_config_file) + ": " + web.unreadable);
    } else {
      problems.insert(problems.end(), web.problems.begin(), web.problems.end());
    }
  }
  if (overrides.bootstrap_servers) {
    std::string problem = check_bootstrap_servers(*overrides.bootstrap_servers);
    if (problem.empty()) config.kafka.bootstrap_servers = *overrides.bootstrap_servers;
    add("--bootstrap-servers", std::move(problem));
  }
  if (overrides.log_level) {
    std::string problem = check_log_level(*overrides.log_level);
    if (problem.empty()) config.log.level = *overrides.log_level;
    add("--log-level", std::move(problem));
  }
  return problems;
}

}  // namespace ks::config

#include "kafka/statistics.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <limits>
#include <stdexcept>

namespace ks::kafka {
namespace {

using json = nlohmann::json;

// A malformed document: `where` is the key path of the bad value.
struct Malformed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void malformed(const std::string& where, std::string_view expected, const json& got) {
  throw Malformed(fmt::format("{}: expected {}, got {}", where, expected, got.type_name()));
}

// librdkafka writes integers; a value that is not one (or does not fit) is malformed.
std::int64_t integer(const json& object, const char* key, const std::string& where) {
  const auto it = object.find(key);
  if (it == object.end()) return 0;  // older librdkafka versions lack some fields
  if (it->is_number_unsigned()) {  // (is_number_integer() is true for these too)
    const auto value = it->get<std::uint64_t>();
    if (value <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return static_cast<std::int64_t>(value);
    }
  } else if (it->is_number_integer()) {
    return it->get<std::int64_t>();
  }
  malformed(where + "." + key, "an integer", *it);
}

std::uint64_t total(const json& object, const char* key, const std::string& where) {
  const std::int64_t value = integer(object, key, where);
  if (value < 0) throw Malformed(fmt::format("{}.{}: expected a count, got {}", where, key, value));
  return static_cast<std::uint64_t>(value);
}

std::string text(const json& object, const char* key, const std::string& where) {
  const auto it = object.find(key);
  if (it == object.end()) return {};
  if (!it->is_string()) malformed(where + "." + key, "a string", *it);
  return it->get<std::string>();
}

StatisticsWindow window(const json& broker, const char* key, const std::string& where) {
  const auto it = broker.find(key);
  if (it == broker.end()) return {};
  const std::string path = where + "." + key;
  if (!it->is_object()) malformed(path, "an object", *it);
  return {integer(*it, "avg", path), integer(*it, "max", path), integer(*it, "p99", path),
          integer(*it, "cnt", path), integer(*it, "outofrange", path)};
}

BrokerStatistics broker(const std::string& key, const json& value) {
  const std::string where = fmt::format("brokers.\"{}\"", key);
  if (!value.is_object()) malformed(where, "an object", value);
  BrokerStatistics b;
  b.name = text(value, "name", where);
  if (b.name.empty()) b.name = key;
  const std::int64_t nodeid = integer(value, "nodeid", where);
  if (nodeid < -1 || nodeid > std::numeric_limits<std::int32_t>::max()) {
    throw Malformed(fmt::format("{}.nodeid: expected a broker id or -1, got {}", where, nodeid));
  }
  b.nodeid = static_cast<std::int32_t>(nodeid);
  b.source = text(value, "source", where);
  b.rtt = window(value, "rtt", where);
  b.throttle = window(value, "throttle", where);
  b.request_timeouts = total(value, "req_timeouts", where);
  b.transmit_errors = total(value, "txerrs", where);
  b.receive_errors = total(value, "rxerrs", where);
  b.connects = total(value, "connects", where);
  b.disconnects = total(value, "disconnects", where);
  return b;
}

ClientStatistics client(const json& document) {
  if (!document.is_object()) malformed("statistics", "an object", document);
  ClientStatistics c;
  c.handle = text(document, "name", "statistics");
  c.type = text(document, "type", "statistics");
  const auto brokers = document.find("brokers");
  if (brokers == document.end()) return c;  // a client that has no broker yet
  if (!brokers->is_object()) malformed("brokers", "an object", *brokers);
  for (const auto& [key, value] : brokers->items()) c.brokers.push_back(broker(key, value));
  return c;
}

// The parts of the document that grow with the cluster and are not read here: every
// partition the client knows (topics, toppars), per-request-type counts, the consumer group
// and transactions. Not kept in the parsed tree: the brokers collector's client knows every
// partition of the cluster, and its statistics would otherwise cost a tree of all of them.
bool skip_unused(int /*depth*/, json::parse_event_t event, json& parsed) {
  if (event != json::parse_event_t::key) return true;
  static constexpr std::string_view kUnused[] = {"topics", "toppars", "req", "int_latency",
                                                  "outbuf_latency", "cgrp", "eos"};
  const auto& key = parsed.get_ref<const std::string&>();
  for (const std::string_view unused : kUnused) {
    if (key == unused) return false;
  }
  return true;
}

}  // namespace

StatisticsParse parse_statistics(std::string_view text) {
  json document;
  try {
    document = json::parse(text.begin(), text.end(), skip_unused);
  } catch (const json::exception& e) {  // a syntax error, or bytes that are not UTF-8
    return {std::nullopt, fmt::format("statistics: not JSON: {}", e.what())};
  }
  try {
    return {client(document), {}};
  } catch (const Malformed& e) {
    return {std::nullopt, e.what()};
  }
}

}  // namespace ks::kafka

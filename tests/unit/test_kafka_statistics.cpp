// librdkafka's statistics read into per-broker views: documents librdkafka 2.0.2 wrote against
// a 3-node local cluster (scripts/kafka-cluster.sh, tests/fixtures/librdkafka_stats/: all
// brokers up; node 3 stopped; bootstrapped through "localhost", which the brokers do not
// advertise), malformed documents (an error naming where, never a throw), totals that never
// go backwards when a client is recreated, and the self-metrics made of them.
#include <catch2/catch.hpp>

#include <prometheus/registry.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "agent/client_broker_metrics.hpp"
#include "kafka/client.hpp"
#include "kafka/client_statistics.hpp"
#include "kafka/statistics.hpp"

namespace {

using ks::kafka::BrokerStatistics;
using ks::kafka::ClientStatistics;
using ks::kafka::parse_statistics;
using ks::kafka::StatisticsAccumulator;

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(KS_FIXTURES_DIR) + "/librdkafka_stats/" + name);
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

ClientStatistics parsed(const std::string& name) {
  const auto result = parse_statistics(fixture(name));
  INFO(result.error);
  REQUIRE(result.statistics);
  CHECK(result.error.empty());
  return *result.statistics;
}

std::map<std::int32_t, BrokerStatistics> by_node(const ClientStatistics& stats) {
  std::map<std::int32_t, BrokerStatistics> out;
  for (const auto& b : stats.brokers) out[b.nodeid] = b;
  return out;
}

ks::kafka::ClientBrokerView view_of(const StatisticsAccumulator& acc, const std::string& client,
                                    const std::string& broker) {
  for (const auto& v : acc.views()) {
    if (v.client == client && v.broker == broker) return v;
  }
  FAIL("no view of client " << client << " and broker " << broker);
  return {};
}

}  // namespace

TEST_CASE("statistics: each broker of a real cluster, with its round trip", "[kafka][statistics]") {
  const ClientStatistics stats = parsed("before-broker-3-stopped.json");
  CHECK(stats.type == "consumer");
  CHECK(stats.handle.starts_with("kafka-sentinel#consumer-"));
  const auto nodes = by_node(stats);
  REQUIRE(nodes.size() == 3);
  CHECK(nodes.count(1) == 1);
  CHECK(nodes.count(2) == 1);
  // The client asked node 3 for metadata: one round trip measured, in microseconds.
  const BrokerStatistics& three = nodes.at(3);
  CHECK(three.name.ends_with("/3"));
  CHECK(three.source == "configured");
  CHECK(three.rtt.count == 1);
  CHECK(three.rtt.avg > 0);
  CHECK(three.rtt.p99 >= three.rtt.avg);
  CHECK(three.connects == 1);
  CHECK(three.disconnects == 0);
}

TEST_CASE("statistics: a stopped broker's lost connection is counted", "[kafka][statistics]") {
  const auto before = by_node(parsed("before-broker-3-stopped.json"));
  const auto after = by_node(parsed("after-broker-3-stopped.json"));
  CHECK(after.at(3).disconnects == before.at(3).disconnects + 1);
  CHECK(after.at(3).receive_errors == before.at(3).receive_errors + 1);
  // The client then asks node 2, which answers.
  CHECK(after.at(2).rtt.count > 0);
  CHECK(after.at(2).disconnects == 0);

  StatisticsAccumulator acc;
  acc.record("brokers", 1, parsed("before-broker-3-stopped.json"));
  CHECK(view_of(acc, "brokers", "3").totals.disconnects == 0);
  CHECK(view_of(acc, "brokers", "3").rtt_avg == Approx(before.at(3).rtt.avg * 1e-6));
  acc.record("brokers", 1, parsed("after-broker-3-stopped.json"));
  const auto three = view_of(acc, "brokers", "3");
  CHECK(three.totals.disconnects == 1);
  CHECK(three.totals.receive_errors == 1);
  CHECK(three.totals.connects == 1);  // cumulative: the same connection, counted once
  // No round trip to node 3 in the last interval: its last measured one is kept.
  CHECK(three.rtt_avg == Approx(before.at(3).rtt.avg * 1e-6));
  CHECK(view_of(acc, "brokers", "2").rtt_p99 == Approx(after.at(2).rtt.p99 * 1e-6));
}

TEST_CASE("statistics: bootstrap addresses no broker advertises are one 'bootstrap' broker",
          "[kafka][statistics]") {
  const ClientStatistics stats = parsed("bootstrap-unresolved.json");
  StatisticsAccumulator acc;
  acc.record("groups", 7, stats);
  const auto nodes = by_node(stats);
  REQUIRE(nodes.count(-1) == 1);
  CHECK(nodes.at(-1).name.ends_with("/bootstrap"));
  const auto bootstrap = view_of(acc, "groups", "bootstrap");
  CHECK(bootstrap.totals.connects == nodes.at(-1).connects);
  REQUIRE(bootstrap.rtt_avg);  // every request went through it
  CHECK(*bootstrap.rtt_avg == Approx(nodes.at(-1).rtt.avg * 1e-6));
  // The learned entries never connected: totals at 0, no latency.
  CHECK(view_of(acc, "groups", "1").totals == ks::kafka::BrokerTotals{});
  CHECK_FALSE(view_of(acc, "groups", "1").rtt_avg);
}

TEST_CASE("statistics: internal and unresolved logical entries are no broker",
          "[kafka][statistics]") {
  const auto entry = [](const char* name, std::int32_t nodeid, const char* source) {
    BrokerStatistics b;
    b.name = name;
    b.nodeid = nodeid;
    b.source = source;
    return b;
  };
  const BrokerStatistics internal = entry(":0/internal", -1, "internal");
  const BrokerStatistics coordinator = entry("GroupCoordinator", -1, "logical");
  const BrokerStatistics resolved = entry("GroupCoordinator", 2, "logical");
  CHECK_FALSE(ks::kafka::broker_label(internal));
  CHECK_FALSE(ks::kafka::broker_label(coordinator));
  CHECK(ks::kafka::broker_label(resolved) == "2");
}

TEST_CASE("statistics: a recreated client's totals continue, never go backwards",
          "[kafka][statistics]") {
  const ClientStatistics before = parsed("before-broker-3-stopped.json");
  const ClientStatistics after = parsed("after-broker-3-stopped.json");
  StatisticsAccumulator acc;
  acc.record("fleet", 11, before);
  acc.record("fleet", 11, after);
  const auto first = view_of(acc, "fleet", "3").totals;
  // The handle is destroyed and a new one starts from 0: its counts add to the old ones.
  acc.forget(11);
  acc.record("fleet", 12, before);
  const auto second = view_of(acc, "fleet", "3").totals;
  CHECK(second.disconnects == first.disconnects);
  CHECK(second.connects == first.connects + by_node(before).at(3).connects);
  acc.record("fleet", 12, after);
  CHECK(view_of(acc, "fleet", "3").totals.disconnects == first.disconnects + 1);
  // Two live instances of one client name count together.
  acc.record("fleet", 13, after);
  CHECK(view_of(acc, "fleet", "3").totals.disconnects == first.disconnects + 2);
}

TEST_CASE("statistics: malformed documents name what is wrong and where, never throw",
          "[kafka][statistics]") {
  const std::string real = fixture("after-broker-3-stopped.json");
  struct Case {
    std::string json;
    std::string error;
  };
  const Case cases[] = {
      {"", "statistics: not JSON"},
      {"[1,2]", "statistics: expected an object, got array"},
      {R"({"brokers": 5})", "brokers: expected an object, got number"},
      {R"({"brokers": {"b:1/1": []}})", "brokers.\"b:1/1\": expected an object, got array"},
      {R"({"brokers": {"b:1/1": {"nodeid": "one"}}})",
       "brokers.\"b:1/1\".nodeid: expected an integer, got string"},
      {R"({"brokers": {"b:1/1": {"nodeid": -7}}})",
       "brokers.\"b:1/1\".nodeid: expected a broker id or -1, got -7"},
      {R"({"brokers": {"b:1/1": {"nodeid": 1, "rtt": 3}}})",
       "brokers.\"b:1/1\".rtt: expected an object, got number"},
      {R"({"brokers": {"b:1/1": {"nodeid": 1, "rtt": {"avg": 1.5}}}})",
       "brokers.\"b:1/1\".rtt.avg: expected an integer, got number"},
      {R"({"brokers": {"b:1/1": {"nodeid": 1, "disconnects": -1}}})",
       "brokers.\"b:1/1\".disconnects: expected a count, got -1"},
      {R"({"brokers": {"b:1/1": {"nodeid": 1, "connects": 18446744073709551615}}})",
       "brokers.\"b:1/1\".connects: expected an integer, got number"},
      {R"({"name": 3})", "statistics.name: expected a string, got number"},
  };
  for (const Case& c : cases) {
    INFO(c.json);
    const auto result = parse_statistics(c.json);
    CHECK_FALSE(result.statistics);
    CHECK(result.error.starts_with(c.error));
  }
  // Every truncation of a real document is an error, not a crash or a partial result.
  for (std::size_t n = 0; n < real.size() - 1; n += 7) {
    const auto result = parse_statistics(std::string_view(real).substr(0, n));
    CHECK_FALSE(result.statistics);
    CHECK(result.error.starts_with("statistics: not JSON"));
  }
}

TEST_CASE("statistics: a client's callback records good documents and counts bad ones",
          "[kafka][statistics]") {
  auto& process = ks::kafka::process_statistics();
  const std::uint64_t malformed = process.malformed();
  {
    ks::kafka::ClientContext context("statistics-callback-test");
    context.on_stats(fixture("after-broker-3-stopped.json"));
    context.on_stats("{\"brokers\": ");
    CHECK(context.stats_count() == 2);
  }
  CHECK(process.malformed() == malformed + 1);
  bool found = false;
  for (const auto& v : process.views()) {
    if (v.client == "statistics-callback-test" && v.broker == "3") {
      found = true;
      CHECK(v.totals.disconnects == 1);
    }
  }
  CHECK(found);
}

TEST_CASE("statistics: the self-metrics of each client and broker", "[kafka][statistics]") {
  prometheus::Registry registry;
  ks::ClientBrokerMetrics metrics(registry);
  StatisticsAccumulator acc;
  acc.record("brokers", 1, parsed("before-broker-3-stopped.json"));
  metrics.refresh(acc);
  acc.forget(1);
  acc.record("brokers", 2, parsed("after-broker-3-stopped.json"));
  acc.count_malformed();
  metrics.refresh(acc);

  std::map<std::string, double> values;  // "family{broker_id,stat}" -> value
  for (const auto& family : registry.Collect()) {
    for (const auto& m : family.metric) {
      std::string key = family.name + "{";
      for (const auto& label : m.label) {
        // promtool check metrics: "non-summary metrics should not have "quantile" label"
        CHECK(label.name != "quantile");
        if (label.name != "client") key += label.value + ",";
        else CHECK(label.value == "brokers");
      }
      key += "}";
      values[key] = m.counter.value + m.gauge.value;
    }
  }
  const auto after = by_node(parsed("after-broker-3-stopped.json"));
  // Two instances, each connected once to node 3; the second one's lost connection counted.
  CHECK(values.at("kafka_sentinel_client_broker_connects_total{3,}") == 2);
  CHECK(values.at("kafka_sentinel_client_broker_disconnects_total{3,}") == 1);
  CHECK(values.at("kafka_sentinel_client_broker_receive_errors_total{3,}") == 1);
  CHECK(values.at("kafka_sentinel_client_broker_request_timeouts_total{1,}") == 0);
  CHECK(values.at("kafka_sentinel_client_broker_rtt_seconds{2,p99,}") ==
        Approx(after.at(2).rtt.p99 * 1e-6));
  CHECK(values.at("kafka_sentinel_client_broker_rtt_seconds{2,avg,}") ==
        Approx(after.at(2).rtt.avg * 1e-6));
  CHECK(values.count("kafka_sentinel_client_broker_rtt_seconds{1,avg,}") == 0);  // never asked
  CHECK(values.at("kafka_sentinel_client_statistics_malformed_total{}") == 1);
}

TEST_CASE("statistics: a p99 beyond librdkafka's histogram is the window's maximum",
          "[kafka][statistics]") {
  // A busy machine: 3 of 40 round trips over the histogram's 0.5 s, which librdkafka leaves
  // out of its p99 (here 0.11 s, below the 0.39 s mean).
  const std::string doc = R"({"brokers": {"h:1/1": {"nodeid": 1, "source": "learned",
      "rtt": {"avg": 396566, "max": 2100000, "p99": 113151, "cnt": 40, "outofrange": 3}},
      "h:2/2": {"nodeid": 2, "source": "learned",
      "rtt": {"avg": 2000, "max": 700000, "p99": 9000, "cnt": 200, "outofrange": 1}}}})";
  const auto parsed = parse_statistics(doc);
  REQUIRE(parsed.statistics);
  StatisticsAccumulator acc;
  acc.record("brokers", 1, *parsed.statistics);
  CHECK(view_of(acc, "brokers", "1").rtt_p99 == Approx(2.1));
  CHECK(view_of(acc, "brokers", "1").rtt_avg == Approx(0.396566));
  // 1 of 200 (0.5%) beyond: the histogram's p99 stands.
  CHECK(view_of(acc, "brokers", "2").rtt_p99 == Approx(0.009));
}

TEST_CASE("statistics: the per-partition parts are skipped, not parsed into the result",
          "[kafka][statistics]") {
  // Malformed only inside parts the parser skips: still read (they are never looked at).
  const auto parsed = parse_statistics(
      R"({"topics": {"t": {"partitions": 5}}, "brokers": {"h:1/1": {"nodeid": 1,
          "toppars": "x", "req": [1], "connects": 2}}})");
  INFO(parsed.error);
  REQUIRE(parsed.statistics);
  REQUIRE(parsed.statistics->brokers.size() == 1);
  CHECK(parsed.statistics->brokers[0].connects == 2);
}

// One watermark round for two collectors (docs/performance.md, "one ListOffsets round"):
// the groups collector shares a round only when it is complete, and the brokers collector
// takes it instead of asking the brokers only when it is recent, new and covers every
// partition; otherwise it asks as before.
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "collectors/brokers/broker_collector.hpp"
#include "collectors/groups/shared_watermarks.hpp"
#include "kafka/mock_cluster.hpp"

using namespace std::chrono_literals;
using ks::kafka::BrokerWatermarkOutcome;
using ks::kafka::PartitionWatermarks;
using ks::kafka::WatermarkRequest;
using ks::kafka::WatermarkResults;

namespace {

// Two partitions of "orders" led by broker 1 and one of "audit" led by broker 2, answered
// with distinct offsets.
struct Round {
  std::vector<WatermarkRequest> requests{{"orders", 0, 1}, {"orders", 1, 1}, {"audit", 0, 2}};
  WatermarkResults results;
  Round() {
    results.offsets = {{3, 40}, {5, 50}, {0, 7}};
    results.brokers = {BrokerWatermarkOutcome{.broker = 1, .partitions = 2},
                       BrokerWatermarkOutcome{.broker = 2, .partitions = 1}};
  }
};

}  // namespace

TEST_CASE("shared watermarks: a complete round carries every partition's offsets", "[watermarks]") {
  const Round r;
  const auto at = std::chrono::steady_clock::now();
  const auto round = ks::groups::shareable_round(r.requests, r.results, at);
  REQUIRE(round);
  CHECK(round->at == at);
  REQUIRE(round->find("orders", 0));
  CHECK(round->find("orders", 0)->low == 3);
  CHECK(round->find("orders", 0)->high == 40);
  CHECK(round->find("orders", 1)->high == 50);
  CHECK(round->find("audit", 0)->high == 7);
  CHECK_FALSE(round->find("orders", 2));  // not asked
  CHECK_FALSE(round->find("audit", 1));
  CHECK_FALSE(round->find("other", 0));
  CHECK_FALSE(round->find("orders", -1));
}

TEST_CASE("shared watermarks: an incomplete round is not shared", "[watermarks]") {
  const auto at = std::chrono::steady_clock::now();
  SECTION("a leader's call failed") {
    Round r;
    r.results.brokers[1].failed_calls = 1;
    CHECK_FALSE(ks::groups::shareable_round(r.requests, r.results, at));
  }
  SECTION("a leader did not answer") {
    Round r;
    r.results.brokers[0].unreachable = true;
    CHECK_FALSE(ks::groups::shareable_round(r.requests, r.results, at));
  }
  SECTION("a partition answered with an error") {
    Round r;
    r.results.brokers[0].partition_errors = 1;
    r.results.offsets[1] = {};
    CHECK_FALSE(ks::groups::shareable_round(r.requests, r.results, at));
  }
  SECTION("a partition without a leader") {
    Round r;
    r.requests[2].leader = -1;
    r.results.offsets[2] = {};
    CHECK_FALSE(ks::groups::shareable_round(r.requests, r.results, at));
  }
  SECTION("no partition at all") {
    CHECK_FALSE(ks::groups::shareable_round({}, WatermarkResults{}, at));
  }
}

namespace {

// The mock cluster's "orders" (4 partitions, 5 messages each) and "audit" (1 partition).
class Cluster {
 public:
  Cluster() : cluster_(3) {
    cluster_.create_topic("orders", 4, 1);
    cluster_.create_topic("audit", 1, 1);
    for (int p = 0; p < 4; ++p) cluster_.produce("orders", p, 5);
  }
  ks::KafkaConfig kafka_config() const {
    ks::KafkaConfig k;
    k.bootstrap_servers = cluster_.bootstrap_servers();
    k.request_timeout = 5s;
    return k;
  }

 private:
  ks::kafka::MockCluster cluster_;
};

// A round with every partition of both topics, high watermark 1000 + partition: offsets
// no mock broker has, so a snapshot showing them took them from the round.
std::shared_ptr<ks::WatermarkRound> invented_round(std::chrono::steady_clock::time_point at) {
  auto round = std::make_shared<ks::WatermarkRound>();
  round->at = at;
  for (int p = 0; p < 4; ++p) round->set("orders", p, {1, 1000 + p});
  round->set("audit", 0, {0, 1000});
  return round;
}

ks::BrokerCollector::Options sharing(const ks::Latest<ks::WatermarkRound>& shared) {
  ks::BrokerCollector::Options options;
  options.shared_watermarks = &shared;
  return options;
}

std::int64_t high_of(const ks::Latest<ks::ClusterSnapshot>& latest, int partition) {
  const auto s = latest.get();
  REQUIRE(s);
  REQUIRE(s->topic("orders"));
  return s->topic("orders")->partitions.at(static_cast<std::size_t>(partition)).high_watermark;
}

}  // namespace

TEST_CASE("broker collector: a recent complete round stands for its ListOffsets, once",
          "[watermarks][brokers][mock]") {
  const Cluster cluster;
  ks::BrokersCollectorConfig config;
  config.interval = 10s;
  ks::Latest<ks::ClusterSnapshot> latest;
  ks::Latest<ks::WatermarkRound> shared;
  ks::BrokerCollector collector(cluster.kafka_config(), config, latest, sharing(shared));

  shared.publish(invented_round(std::chrono::steady_clock::now()));
  collector.collect_once({});
  CHECK(collector.last_cycle().watermarks_shared);
  CHECK(collector.last_cycle().watermark_calls == 0);
  for (int p = 0; p < 4; ++p) CHECK(high_of(latest, p) == 1000 + p);
  CHECK(latest.get()->topic("orders")->partitions[0].low_watermark == 1);

  // The same round again: not newer than the last watermarks, so asked for real.
  collector.collect_once({});
  CHECK_FALSE(collector.last_cycle().watermarks_shared);
  CHECK(collector.last_cycle().watermark_calls > 0);
  for (int p = 0; p < 4; ++p) CHECK(high_of(latest, p) == 5);
}

TEST_CASE("broker collector: an old or partial round is not used", "[watermarks][brokers][mock]") {
  const Cluster cluster;
  ks::BrokersCollectorConfig config;
  config.interval = 10s;
  ks::Latest<ks::ClusterSnapshot> latest;
  ks::Latest<ks::WatermarkRound> shared;
  ks::BrokerCollector collector(cluster.kafka_config(), config, latest, sharing(shared));
  SECTION("older than one interval") {
    shared.publish(invented_round(std::chrono::steady_clock::now() - config.interval - 1s));
  }
  SECTION("a partition missing") {
    auto round = invented_round(std::chrono::steady_clock::now());
    round->topics.erase("audit");
    shared.publish(std::move(round));
  }
  collector.collect_once({});
  CHECK_FALSE(collector.last_cycle().watermarks_shared);
  CHECK(collector.last_cycle().watermark_calls > 0);
  for (int p = 0; p < 4; ++p) CHECK(high_of(latest, p) == 5);
}

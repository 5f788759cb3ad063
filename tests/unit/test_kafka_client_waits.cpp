// fetch_metadata's wait for a usable broker: run to the request timeout while nothing asks
// it to stop, given up within a slice once its stop token is requested (SIGTERM must join
// every thread within 5 s), and never cut short for a broker that answers.
#include <catch2/catch.hpp>

#include <chrono>
#include <stop_token>
#include <string>
#include <thread>

#include "collectors/brokers/broker_collector.hpp"
#include "collectors/groups/group_collector.hpp"
#include "kafka/client.hpp"
#include "kafka/metadata.hpp"
#include "kafka/mock_cluster.hpp"

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

ks::KafkaConfig kafka_at(std::string bootstrap) {
  ks::KafkaConfig k;
  k.bootstrap_servers = std::move(bootstrap);
  k.request_timeout = 30s;
  // std::string, not a literal: g++ 12 at -O3 warns (-Wrestrict) on a literal assigned to a
  // map's string, a false positive (GCC bug 105651).
  k.properties["log_level"] = std::string("0");  // connection refused is the point here
  return k;
}

ks::kafka::Client unreachable_client() {
  return ks::kafka::make_client(kafka_at("127.0.0.1:1"), ks::kafka::ClientKind::producer, {},
                                "test");
}

// What fetch_metadata throws; empty when it returned metadata (from an unreachable cluster).
std::string failure_of(const ks::kafka::Client& client, std::chrono::milliseconds timeout,
                       std::stop_token stop = {}) {
  std::string error;
  try {
    ks::kafka::fetch_metadata(client, timeout, std::move(stop));
  } catch (const ks::kafka::KafkaError& e) {
    error = e.what();
  }
  return error;
}

// Requests a stop after `delay`, from another thread (as the scheduler's stop does).
struct StopAfter {
  std::stop_source source;
  std::jthread thread;
  explicit StopAfter(std::chrono::milliseconds delay)
      : thread([this, delay] {
          std::this_thread::sleep_for(delay);
          source.request_stop();
        }) {}
};

}  // namespace

TEST_CASE("fetch_metadata: Kafka unreachable, the wait runs to its timeout", "[kafka]") {
  const ks::kafka::Client client = unreachable_client();
  // 1.6 s = several slices of waiting for a broker, then librdkafka's own error.
  const std::string error = failure_of(client, 1600ms);
  CHECK_THAT(error, Catch::Matchers::StartsWith("metadata request failed:"));
  CHECK_THAT(error, Catch::Matchers::Contains("_TRANSPORT"));
}

TEST_CASE("fetch_metadata: a stop request ends the wait for an unreachable Kafka", "[kafka]") {
  const ks::kafka::Client client = unreachable_client();
  constexpr auto timeout = 30s;  // without the stop this would wait (and the test take) 30 s
  SECTION("requested during the wait") {
    StopAfter stop(300ms);
    const auto started = Clock::now();
    CHECK_THAT(failure_of(client, timeout, stop.source.get_token()),
               Catch::Matchers::StartsWith("metadata request abandoned, the agent is stopping:"));
    const auto took = Clock::now() - started;
    // 300 ms, then at most a slice or two: a small fraction of the request timeout.
    CHECK(took * 10 < timeout);
    CHECK(took < 300ms + 4 * ks::kafka::kBrokerWaitSlice + 1s);
  }
  SECTION("requested before the call") {
    std::stop_source stop;
    stop.request_stop();
    const auto started = Clock::now();
    CHECK_THROWS_AS(ks::kafka::fetch_metadata(client, timeout, stop.get_token()),
                    ks::kafka::StopRequested);
    CHECK((Clock::now() - started) * 10 < timeout);
  }
}

TEST_CASE("wait_for_cluster_id: a stop request ends the wait", "[kafka]") {
  const ks::kafka::Client client = unreachable_client();
  StopAfter stop(300ms);
  const auto started = Clock::now();
  CHECK_FALSE(ks::kafka::wait_for_cluster_id(client, started + 30s, stop.source.get_token()));
  CHECK((Clock::now() - started) * 10 < 30s);
}

TEST_CASE("fetch_metadata: a broker that answers is waited for, stopping or not", "[kafka]") {
  ks::kafka::MockCluster mock(1);
  mock.create_topic("orders", 3, 1);
  const ks::kafka::Client client = ks::kafka::make_client(
      kafka_at(mock.bootstrap_servers()), ks::kafka::ClientKind::producer, {}, "test");
  const ks::kafka::ClusterMetadata md = ks::kafka::fetch_metadata(client, 10s, {});
  CHECK(md.brokers.size() == 1);

  std::stop_source stopping;
  stopping.request_stop();
  const ks::kafka::ClusterMetadata again = ks::kafka::fetch_metadata(client, 10s, stopping.get_token());
  CHECK(again.brokers.size() == 1);
}

TEST_CASE("collectors pass their stop token into their Kafka waits", "[kafka]") {
  ks::KafkaConfig kafka = kafka_at("127.0.0.1:1");  // 30 s request timeout
  SECTION("brokers: no snapshot (Kafka was not found down: the agent stopped)") {
    ks::Latest<ks::ClusterSnapshot> latest;
    ks::BrokerCollector collector(kafka, ks::BrokersCollectorConfig{}, latest);
    StopAfter stop(300ms);
    const auto started = Clock::now();
    CHECK_THROWS_AS(collector.collect_once(stop.source.get_token()), ks::kafka::StopRequested);
    CHECK((Clock::now() - started) * 10 < kafka.request_timeout);
    CHECK_FALSE(latest.get());
  }
  SECTION("groups") {
    ks::Latest<ks::GroupsSnapshot> latest;
    ks::GroupCollector collector(kafka, ks::GroupsCollectorConfig{}, latest);
    StopAfter stop(300ms);
    const auto started = Clock::now();
    CHECK_THROWS_AS(collector.collect_once(stop.source.get_token()), ks::kafka::StopRequested);
    CHECK((Clock::now() - started) * 10 < kafka.request_timeout);
    CHECK_FALSE(latest.get());
  }
}

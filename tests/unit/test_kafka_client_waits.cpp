// fetch_metadata's wait for a usable broker: run to the request timeout while the agent
// runs, given up at once when it stops (SIGTERM must join every thread within 5 s), and
// never cut short for a broker that answers.
#include <catch2/catch.hpp>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <array>
#include <chrono>
#include <memory>
#include <string>

#include "kafka/client.hpp"

using namespace std::chrono_literals;

namespace {

ks::KafkaConfig kafka_at(std::string bootstrap) {
  ks::KafkaConfig k;
  k.bootstrap_servers = std::move(bootstrap);
  k.request_timeout = 30s;
  k.properties["log_level"] = "0";  // connection refused is the point here
  return k;
}

// What fetch_metadata throws; empty when it returned metadata (from an unreachable cluster).
std::string failure_of(rd_kafka_t* rk, std::chrono::milliseconds timeout) {
  std::string error;
  try {
    ks::kafka::fetch_metadata(rk, timeout);
  } catch (const ks::kafka::KafkaError& e) {
    error = e.what();
  }
  return error;
}

// Resets the process-wide switch whatever happens in the test.
struct AbandonedWaits {
  AbandonedWaits() { ks::kafka::abandon_broker_waits(true); }
  ~AbandonedWaits() { ks::kafka::abandon_broker_waits(false); }
};

}  // namespace

TEST_CASE("fetch_metadata: Kafka unreachable, the wait runs to its timeout", "[kafka]") {
  ks::kafka::Client client = ks::kafka::make_client(kafka_at("127.0.0.1:1"), RD_KAFKA_PRODUCER,
                                                    {}, "test");
  REQUIRE_FALSE(ks::kafka::broker_waits_abandoned());
  // 1.6 s = several slices of waiting for a broker, then librdkafka's own error.
  const std::string error = failure_of(client.get(), 1600ms);
  CHECK_THAT(error, Catch::Matchers::StartsWith("metadata request failed:"));
  CHECK_THAT(error, Catch::Matchers::Contains("_TRANSPORT"));
}

TEST_CASE("fetch_metadata: a stopping agent abandons the wait for an unreachable Kafka",
          "[kafka]") {
  ks::kafka::Client client = ks::kafka::make_client(kafka_at("127.0.0.1:1"), RD_KAFKA_PRODUCER,
                                                    {}, "test");
  const AbandonedWaits stopping;
  // 30 s timeout: without the switch this would wait (and the test take) 30 s.
  CHECK_THAT(failure_of(client.get(), 30s),
             Catch::Matchers::StartsWith("metadata request abandoned, the agent is stopping:"));
}

TEST_CASE("fetch_metadata: a broker that answers is waited for, stopping or not", "[kafka]") {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  std::array<char, 256> err{};
  rd_kafka_conf_set(conf, "log_level", "0", err.data(), err.size());
  std::unique_ptr<rd_kafka_t, decltype(&rd_kafka_destroy)> host(
      rd_kafka_new(RD_KAFKA_PRODUCER, conf, err.data(), err.size()), &rd_kafka_destroy);
  REQUIRE(host);
  rd_kafka_mock_cluster_t* mock = rd_kafka_mock_cluster_new(host.get(), 1);
  REQUIRE(mock);
  REQUIRE(rd_kafka_mock_topic_create(mock, "orders", 3, 1) == 0);
  {
    ks::kafka::Client client = ks::kafka::make_client(
        kafka_at(rd_kafka_mock_cluster_bootstraps(mock)), RD_KAFKA_PRODUCER, {}, "test");
    const ks::kafka::MetadataPtr md = ks::kafka::fetch_metadata(client.get(), 10s);
    REQUIRE(md);
    CHECK(md->broker_cnt == 1);

    const AbandonedWaits stopping;
    const ks::kafka::MetadataPtr again = ks::kafka::fetch_metadata(client.get(), 10s);
    REQUIRE(again);
    CHECK(again->broker_cnt == 1);
  }
  rd_kafka_mock_cluster_destroy(mock);
}

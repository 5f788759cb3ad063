// The Kafka layer's producer and topic reader against librdkafka's mock cluster: delivery
// reports come back as plain results with the caller's tag, and the reader reads a topic to
// its end from the beginning or from a time (the events producer's check of events in doubt).
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "kafka/mock_cluster.hpp"
#include "kafka/producer.hpp"
#include "kafka/topic_reader.hpp"
#include "mock_kafka_config.hpp"

using namespace std::chrono_literals;
using ks::kafka::ErrorCode;

namespace {

ks::KafkaConfig config(const ks::kafka::MockCluster& cluster) {
  return ks::test::mock_kafka_config(cluster);
}

std::vector<ks::kafka::TopicRecord> read_to_end(const ks::KafkaConfig& kafka,
                                                ks::kafka::TopicReaderSettings settings) {
  ks::kafka::TopicReader reader(kafka, std::move(settings));
  std::vector<ks::kafka::TopicRecord> records;
  std::string error;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!reader.caught_up() && std::chrono::steady_clock::now() < deadline) {
    if (auto r = reader.poll(200ms, error)) records.push_back(std::move(*r));
  }
  REQUIRE(reader.caught_up());
  return records;
}

}  // namespace

TEST_CASE("kafka producer: delivery reports carry the tag, key, partition and offset", "[kafka][mock]") {
  ks::kafka::MockCluster cluster(1);
  cluster.create_topic("t", 1, 1);
  std::vector<ks::kafka::Delivery> reports;
  std::vector<std::string> keys;
  ks::kafka::ProducerSettings settings;
  settings.properties = {{"enable.idempotence", "true"}, {"acks", "all"}};
  settings.on_delivery = [&](const ks::kafka::Delivery& d) {
    reports.push_back(d);
    keys.emplace_back(d.key);
  };
  ks::kafka::Producer producer(config(cluster), std::move(settings));
  for (std::uint64_t i = 0; i < 3; ++i) {
    const std::string key = "k" + std::to_string(i);
    REQUIRE(producer.produce({"t", key, "v", {{"h", "x"}}}, 100 + i) == ErrorCode::no_error);
  }
  REQUIRE(producer.flush(10s) == ErrorCode::no_error);
  REQUIRE(reports.size() == 3);
  for (std::size_t i = 0; i < reports.size(); ++i) {
    CHECK(reports[i].delivered());
    CHECK(reports[i].tag == 100 + i);
    CHECK(keys[i] == "k" + std::to_string(i));
    CHECK(reports[i].partition == 0);
    CHECK(reports[i].offset == static_cast<std::int64_t>(i));
    CHECK(reports[i].persistence == ks::kafka::Persistence::persisted);
  }
  CHECK_FALSE(producer.fatal_error());
}

TEST_CASE("kafka topic reader: from the beginning, or from a time", "[kafka][mock]") {
  ks::kafka::MockCluster cluster(1);
  cluster.create_topic("t", 2, 1);
  const auto kafka = config(cluster);
  {
    ks::kafka::Producer producer(kafka, ks::kafka::ProducerSettings{});
    for (int i = 0; i < 4; ++i) {
      const std::string key = "k" + std::to_string(i);
      REQUIRE(producer.produce({"t", key, "v" + std::to_string(i), {}}) == ErrorCode::no_error);
    }
    REQUIRE(producer.produce({"t", std::nullopt, "no key", {}}) == ErrorCode::no_error);
    REQUIRE(producer.flush(10s) == ErrorCode::no_error);
  }
  ks::kafka::TopicReaderSettings settings;
  settings.topic = "t";
  settings.group_id = "reader-test";
  const auto all = read_to_end(kafka, settings);
  REQUIRE(all.size() == 5);
  int without_key = 0;
  for (const auto& r : all) {
    without_key += r.key ? 0 : 1;
    CHECK(r.timestamp_ms > 0);
  }
  CHECK(without_key == 1);

  // Nothing was written an hour from now: every partition is at its end at once.
  settings.since_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          (std::chrono::system_clock::now() + 1h).time_since_epoch())
                          .count();
  CHECK(read_to_end(kafka, settings).empty());
}

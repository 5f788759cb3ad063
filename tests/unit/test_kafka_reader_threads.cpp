// The partition reader's catch-up handle (kafka/partition_reader.hpp) lives only while
// partitions are being caught up: an idle librdkafka client still runs a main thread and a
// thread per broker, each waking about once a second, for as long as it exists. Counted from
// the process's librdkafka main threads (one per client) on the mock cluster.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "kafka/mock_cluster.hpp"
#include "kafka/partition_reader.hpp"
#include "kafka/producer.hpp"
#include "librdkafka_threads.hpp"
#include "mock_kafka_config.hpp"

using namespace std::chrono_literals;
using ks::kafka::PartitionReader;
using ks::test::librdkafka_main_threads;

namespace {

ks::KafkaConfig config(const ks::kafka::MockCluster& cluster) {
  return ks::test::mock_kafka_config(cluster);
}

void produce(const ks::KafkaConfig& kafka, int partition, int count) {
  ks::kafka::Producer producer(kafka, ks::kafka::ProducerSettings{});
  for (int i = 0; i < count; ++i) {
    const std::string key = "k" + std::to_string(i);  // the message only views it
    ks::kafka::OutgoingMessage m{"t", key, "v", {}};
    m.partition = partition;
    REQUIRE(producer.produce(m) == ks::kafka::ErrorCode::no_error);
  }
  REQUIRE(producer.flush(10s) == ks::kafka::ErrorCode::no_error);
}

// Polls the reader until every partition is read to its end and the process runs `clients`
// librdkafka clients, or 20 s pass; true when both happened.
bool poll_until(PartitionReader& reader, int clients) {
  std::string error;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (reader.caught_up() && librdkafka_main_threads() == clients) return true;
    (void)reader.poll(50ms, error);
  }
  return false;
}

}  // namespace

TEST_CASE("partition reader: the catch-up client is closed once caught up, made again for "
          "partitions added", "[kafka][mock][partition-reader][threads]") {
  ks::kafka::MockCluster cluster(3);
  cluster.create_topic("t", 4, 3);
  const auto kafka = config(cluster);
  produce(kafka, 0, 5);
  produce(kafka, 2, 3);
  const int before = librdkafka_main_threads();  // the mock cluster's own
  REQUIRE(before >= 1);

  ks::kafka::PartitionReaderSettings s;
  s.topic = "t";
  s.group_id = "reader-threads-test";
  s.timeout = 5s;
  PartitionReader reader(kafka, s);
  reader.set_partitions({0, 1}, {});
  CHECK(librdkafka_main_threads() == before + 2);  // catching up: both handles

  // Read to the end: only the follower is left (it was two clients before the catch-up
  // handle was closed after its hand-over).
  CHECK(poll_until(reader, before + 1));
  CHECK(reader.progress().partitions.at(0).records == 5);

  // A partition added (a fleet's shards changing) is measured and caught up by a catch-up
  // client made again, closed again once it is read to its end.
  reader.set_partitions({0, 1, 2}, {});
  CHECK(librdkafka_main_threads() == before + 2);
  CHECK(poll_until(reader, before + 1));
  CHECK(reader.progress().partitions.at(2).records == 3);
  CHECK(reader.progress().partitions.at(0).records == 5);  // not read again

  // Records written later come through the follower.
  produce(kafka, 0, 2);
  std::string error;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (reader.progress().partitions.at(0).records < 7 &&
         std::chrono::steady_clock::now() < deadline) {
    (void)reader.poll(50ms, error);
  }
  CHECK(reader.progress().partitions.at(0).records == 7);
  CHECK(librdkafka_main_threads() == before + 1);
}

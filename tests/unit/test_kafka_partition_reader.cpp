// The Kafka layer's partition reader (kafka/partition_reader.hpp) on librdkafka's mock
// cluster: chosen partitions from their beginning, raw keys, null values told from empty
// ones, progress and "caught up", the set of partitions changed at run time, and a topic
// that is not there as its own typed outcome.
#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "kafka/mock_cluster.hpp"
#include "kafka/partition_reader.hpp"
#include "kafka/producer.hpp"
#include "mock_kafka_config.hpp"

using namespace std::chrono_literals;
using ks::kafka::ErrorCode;
using ks::kafka::PartitionReader;
using ks::kafka::PartitionReadError;
using ks::kafka::PartitionRecord;

namespace {

ks::KafkaConfig config(const ks::kafka::MockCluster& cluster) {
  return ks::test::mock_kafka_config(cluster);
}

ks::kafka::PartitionReaderSettings settings() {
  ks::kafka::PartitionReaderSettings s;
  s.topic = "t";
  s.group_id = "partition-reader-test";
  s.timeout = 5s;
  return s;
}

// Partition p gets p + 2 records: key "p<p>-<i>", value "v<i>", the last one null, the one
// before it empty.
void produce(const ks::KafkaConfig& kafka, int partitions) {
  ks::kafka::ProducerSettings ps;
  ks::kafka::Producer producer(kafka, ps);
  for (int p = 0; p < partitions; ++p) {
    for (int i = 0; i < p + 2; ++i) {
      const std::string key = "p" + std::to_string(p) + "-" + std::to_string(i);
      const std::string value = i == p ? "" : "v" + std::to_string(i);
      ks::kafka::OutgoingMessage m{"t", key, value, {}};
      m.partition = p;
      m.null_value = i == p + 1;
      REQUIRE(producer.produce(m) == ErrorCode::no_error);
    }
  }
  REQUIRE(producer.flush(10s) == ErrorCode::no_error);
}

std::vector<PartitionRecord> read_until_caught_up(PartitionReader& reader) {
  std::vector<PartitionRecord> records;
  std::string error;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!reader.caught_up() && std::chrono::steady_clock::now() < deadline) {
    if (auto r = reader.poll(100ms, error)) records.push_back(std::move(*r));
  }
  REQUIRE(reader.caught_up());
  return records;
}

}  // namespace

TEST_CASE("partition reader: chosen partitions, null vs empty values, progress",
          "[kafka][mock][partition-reader]") {
  ks::kafka::MockCluster cluster(1);
  cluster.create_topic("t", 4, 1);
  const auto kafka = config(cluster);
  produce(kafka, 4);

  PartitionReader reader(kafka, settings());
  CHECK(reader.topic_partitions() == 4);
  reader.set_partitions({1, 3}, {});
  auto progress = reader.progress();
  CHECK_FALSE(progress.caught_up);
  CHECK(progress.percent == Approx(0));
  CHECK(progress.partitions.at(3).end == 5);

  const auto records = read_until_caught_up(reader);
  std::map<std::int32_t, int> per_partition;
  int nulls = 0;
  int empties = 0;
  for (const PartitionRecord& r : records) {
    ++per_partition[r.partition];
    CHECK(r.key.rfind("p" + std::to_string(r.partition) + "-", 0) == 0);
    nulls += r.value ? 0 : 1;
    empties += r.value && r.value->empty() ? 1 : 0;
  }
  CHECK(per_partition == std::map<std::int32_t, int>{{1, 3}, {3, 5}});
  CHECK(nulls == 2);
  CHECK(empties == 2);
  progress = reader.progress();
  CHECK(progress.caught_up);
  CHECK(progress.records == 8);
  CHECK(progress.percent == Approx(100));
  CHECK(progress.partitions.at(1).position == 3);

  // Partition 0 added (read from its beginning), 1 dropped, 3 kept where it was.
  reader.set_partitions({0, 3}, {});
  CHECK(reader.partitions() == std::set<std::int32_t>{0, 3});
  CHECK_FALSE(reader.caught_up());
  const auto more = read_until_caught_up(reader);
  REQUIRE(more.size() == 2);
  for (const PartitionRecord& r : more) CHECK(r.partition == 0);
  CHECK(reader.progress().partitions.at(3).records == 5);  // not read again

  // Records written after partition 3 was handed from the catch-up handle to the follower:
  // each comes once, in order, after the five read before.
  {
    ks::kafka::Producer producer(config(cluster), ks::kafka::ProducerSettings{});
    for (const std::string key : {"p3-5", "p3-6"}) {
      ks::kafka::OutgoingMessage m{"t", key, "later", {}};
      m.partition = 3;
      REQUIRE(producer.produce(m) == ErrorCode::no_error);
    }
    REQUIRE(producer.flush(10s) == ErrorCode::no_error);
  }
  std::vector<PartitionRecord> later;
  std::string error;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (later.size() < 2 && std::chrono::steady_clock::now() < deadline) {
    if (auto r = reader.poll(100ms, error)) later.push_back(std::move(*r));
  }
  REQUIRE(later.size() == 2);
  CHECK(later[0].key == "p3-5");
  CHECK(later[0].offset == 5);
  CHECK(later[1].offset == 6);
  CHECK(reader.progress().partitions.at(3).records == 7);
}

// A broker answers one request of a connection at a time, and holds a fetch that finds
// nothing new for fetch.wait.max.ms (librdkafka's mock cluster does both). Here the
// follower's wait is a minute and the reader's request timeout a twelfth of it: a partition
// added while the follower's fetch is held is measured (metadata, ListOffsets) and read to its
// end anyway, because those requests and that reading go through the catch-up handle. With
// them on the follower's connection, the ListOffsets would time out behind the held fetch.
TEST_CASE("partition reader: a partition added is measured and read while a fetch is held",
          "[kafka][mock][partition-reader]") {
  ks::kafka::MockCluster cluster(1);
  cluster.create_topic("t", 2, 1);
  const auto kafka = config(cluster);
  produce(kafka, 2);  // partition 0: 2 records, partition 1: 3

  auto s = settings();
  s.timeout = 5s;
  s.fetch_wait = 60s;
  PartitionReader reader(kafka, s);
  reader.set_partitions({0}, {});
  REQUIRE(read_until_caught_up(reader).size() == 2);
  // Partition 0 is now the follower's, at its end: its fetch is held for the whole minute.
  // A few polls give it time to be sent.
  std::string error;
  for (int i = 0; i < 5; ++i) CHECK_FALSE(reader.poll(50ms, error));

  reader.set_partitions({0, 1}, {});  // throws PartitionReadError when the ListOffsets time out
  CHECK(reader.progress().partitions.at(1).end == 3);
  const auto records = read_until_caught_up(reader);  // within 20 s, a third of the wait
  REQUIRE(records.size() == 3);
  for (const PartitionRecord& r : records) CHECK(r.partition == 1);
}

TEST_CASE("partition reader: a topic it may not read, or does not see, is a typed outcome",
          "[kafka][mock][partition-reader]") {
  ks::kafka::MockCluster cluster(1);
  const auto kind_for = [&](const std::string& topic, ErrorCode error) {
    cluster.set_topic_error(topic, error);
    auto s = settings();
    s.topic = topic;
    try {
      PartitionReader reader(config(cluster), s);
    } catch (const PartitionReadError& e) {
      return e.kind();
    }
    FAIL("the reader was made for " << topic);
    return PartitionReadError::Kind::read;
  };
  CHECK(kind_for("denied", ErrorCode::topic_authorization_failed) ==
        PartitionReadError::Kind::not_permitted);
  CHECK(kind_for("unseen", ErrorCode::unknown_topic_or_part) == PartitionReadError::Kind::no_topic);
}

// The groups collector's stream (collectors/groups/offsets_stream.hpp) on librdkafka's mock
// cluster, with a `__consumer_offsets` of 4 partitions holding hand-encoded commits: it
// reads only the partitions chosen (a fleet agent's shards), and a partition added later
// (taken over) is read from its beginning, its groups reported only once it is read to its
// end, which the loading progress says meanwhile.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "collectors/groups/offsets_stream.hpp"
#include "kafka/mock_cluster.hpp"
#include "kafka/offsets_partition.hpp"
#include "kafka/producer.hpp"

using namespace std::chrono_literals;
using ks::groups::GroupObservation;
using ks::groups::OffsetsStream;

namespace {

constexpr int kPartitions = 4;

void be(std::string& out, std::uint64_t v, int bytes) {
  for (int shift = (bytes - 1) * 8; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((v >> shift) & 0xFF));
  }
}
void str(std::string& out, const std::string& s) {
  be(out, s.size(), 2);
  out += s;
}

// An OffsetCommit record: key version 1, value version 3 (what Kafka 3.x writes).
std::pair<std::string, std::string> commit(const std::string& group, std::int64_t offset,
                                           std::int64_t timestamp_ms) {
  std::string key;
  be(key, 1, 2);
  str(key, group);
  str(key, "orders");
  be(key, 0, 4);
  std::string value;
  be(value, 3, 2);
  be(value, static_cast<std::uint64_t>(offset), 8);
  be(value, static_cast<std::uint64_t>(-1), 4);  // no leader epoch
  str(value, "");
  be(value, static_cast<std::uint64_t>(timestamp_ms), 8);
  return {key, value};
}

// A group id whose records Kafka puts in `partition`.
std::string group_in(int partition) {
  for (int i = 0;; ++i) {
    const std::string g = "group-" + std::to_string(i);
    if (ks::kafka::offsets_partition_of(g, kPartitions) == partition) return g;
  }
}

std::optional<std::int64_t> committed(OffsetsStream& stream, const std::string& group) {
  GroupObservation g;
  g.name = group;
  if (!stream.ready(group)) return std::nullopt;
  stream.observe(g);
  REQUIRE(g.committed.size() == 1);
  return g.committed[0].offset;
}

}  // namespace

TEST_CASE("offsets stream: a partition taken over is reported only once read to its end",
          "[groups][mock][offsets-sharding]") {
  ks::kafka::MockCluster cluster(1);
  cluster.create_topic("__consumer_offsets", kPartitions, 1);
  ks::KafkaConfig kafka;
  kafka.bootstrap_servers = cluster.bootstrap_servers();
  kafka.request_timeout = 5s;
  kafka.properties.emplace("log_level", "0");
  {
    ks::kafka::Producer producer(kafka, ks::kafka::ProducerSettings{});
    for (int p = 0; p < kPartitions; ++p) {
      for (int i = 1; i <= 3; ++i) {  // three commits each: the last one wins
        const auto [key, value] = commit(group_in(p), 100 * p + i, 1'767'225'600'000 + i);
        ks::kafka::OutgoingMessage m{"__consumer_offsets", key, value, {}};
        m.partition = p;
        REQUIRE(producer.produce(m) == ks::kafka::ErrorCode::no_error);
      }
    }
    REQUIRE(producer.flush(10s) == ks::kafka::ErrorCode::no_error);
  }

  std::set<std::int32_t> shards{0, 1};
  OffsetsStream stream(kafka, [&shards](int count) {
    REQUIRE(count == kPartitions);
    return shards;
  }, 10);
  stream.load({});
  CHECK_FALSE(stream.loading());
  CHECK(committed(stream, group_in(0)) == 3);
  CHECK(committed(stream, group_in(1)) == 103);
  CHECK_FALSE(committed(stream, group_in(2)));  // not one of its shards: not read, not reported
  CHECK(stream.figures().partitions == 2);

  shards = {0, 1, 2};  // partition 2 taken over
  stream.drain({}, 0ms);  // added, nothing read yet
  CHECK_FALSE(committed(stream, group_in(2)));
  const auto loading = stream.loading();
  REQUIRE(loading);
  CHECK(loading->what.find("taken over") != std::string::npos);
  CHECK(loading->percent < 100);
  CHECK(committed(stream, group_in(0)) == 3);  // the others go on

  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (stream.loading() && std::chrono::steady_clock::now() < deadline) stream.drain({}, 500ms);
  CHECK_FALSE(stream.loading());
  CHECK(committed(stream, group_in(2)) == 203);  // read from its beginning, to its end
  CHECK(stream.figures().records == 9);          // partitions 0 and 1 were not read again

  shards = {2};  // 0 and 1 given up: their groups are dropped
  stream.drain({}, 0ms);
  CHECK_FALSE(committed(stream, group_in(0)));
  CHECK(committed(stream, group_in(2)) == 203);
  // Destroyed right after an assignment change, unpolled (a role lost at shutdown): no
  // abort in librdkafka.
}

TEST_CASE("offsets stream: the reader reads at most 1 MB ahead of the decoding, unless "
          "kafka.properties says otherwise",
          "[groups][offsets-sharding][memory]") {
  ks::KafkaConfig kafka;
  kafka.client_id = "agent-1";
  const auto bounded = ks::groups::offsets_reader_settings(kafka, nullptr);
  // librdkafka's defaults (64 MB, 100,000 messages) were up to ~25 MiB of heap at 20,000
  // groups while the stream was first read (docs/performance.md).
  CHECK(bounded.properties.at("queued.max.messages.kbytes") == "1024");
  CHECK(bounded.properties.at("queued.min.messages") == "1000");
  CHECK(bounded.group_id == "agent-1.offsets-reader-never-joins");

  // The reader's properties win over kafka.properties (PartitionReaderSettings): an
  // operator's own bound must then not be replaced by ours.
  kafka.properties["queued.max.messages.kbytes"] = "8192";
  const auto operators = ks::groups::offsets_reader_settings(kafka, nullptr);
  CHECK_FALSE(operators.properties.contains("queued.max.messages.kbytes"));
  CHECK(operators.properties.at("queued.min.messages") == "1000");
}

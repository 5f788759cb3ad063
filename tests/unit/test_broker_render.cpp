#include <catch2/catch.hpp>

#include <time.h>

#include <chrono>
#include <string>

#include "core/cluster_snapshot.hpp"
#include "exporters/prometheus/cluster_metrics.hpp"

using ks::BrokerState;
using ks::ClusterSnapshot;
using ks::PartitionState;
using ks::TopicState;

namespace {

BrokerState broker(int id, bool in_metadata, bool up, std::uint32_t partitions,
                   std::uint32_t leaders) {
  BrokerState b;
  b.id = id;
  b.host = "10.0.0." + std::to_string(id);
  b.port = 9092;
  b.in_metadata = in_metadata;
  b.up = up;
  b.partitions = partitions;
  b.leader_partitions = leaders;
  return b;
}

// Partition with replicas {leader-first order given}, an ISR of `isr` ids.
void add_partition(TopicState& t, int id, int leader, std::vector<int> replicas,
                   std::vector<int> isr, std::int64_t low, std::int64_t high) {
  PartitionState& p = t.partitions.emplace_back();
  p.id = id;
  p.leader = leader;
  p.replicas_begin = static_cast<std::uint32_t>(t.replica_ids.size());
  p.replica_count = static_cast<std::uint16_t>(replicas.size());
  p.isr_count = static_cast<std::uint16_t>(isr.size());
  t.replica_ids.insert(t.replica_ids.end(), replicas.begin(), replicas.end());
  t.replica_ids.insert(t.replica_ids.end(), isr.begin(), isr.end());
  p.low_watermark = low;
  p.high_watermark = high;
  p.offline = leader == ks::kNoBroker;
  p.under_replicated = isr.size() < replicas.size();
  p.under_min_isr = p.offline || isr.size() < 2;
  p.leader_is_preferred = !p.offline && replicas.front() == leader;
}

ClusterSnapshot small_snapshot() {
  ClusterSnapshot s;
  s.up = true;
  s.cluster_id = "Qm9vdHN0cmFw";
  s.controller_id = 2;
  s.expected_brokers = 3;
  s.brokers = {broker(1, true, true, 3, 1), broker(2, true, true, 3, 1),
               broker(3, false, false, 2, 0)};
  s.brokers[2].offset_request_failures = 4;
  s.client_errors = 7;

  TopicState& orders = s.topics.emplace_back();
  orders.name = "orders";
  orders.min_insync_replicas = 2;
  orders.messages_in_per_second = 12.5;
  add_partition(orders, 0, 1, {1, 2, 3}, {1, 2}, 0, 100);
  add_partition(orders, 1, 2, {3, 2, 1}, {2}, 5, 7);
  add_partition(orders, 10, ks::kNoBroker, {3, 1}, {3}, ks::kNoOffset, ks::kNoOffset);
  TopicState& audit = s.topics.emplace_back();
  audit.name = "pay\"ments";  // not a legal topic name: checks escaping
  add_partition(audit, 0, 2, {2}, {2}, 3, 3);
  s.partition_count = 4;
  s.offline_partitions = 1;
  s.under_replicated_partitions = 3;
  s.under_min_isr_partitions = 3;
  return s;
}

}  // namespace

TEST_CASE("cluster metrics: exact kafka_exporter-compatible lines for a small snapshot",
          "[brokers]") {
  ks::prom::ExpositionWriter w;
  ks::prom::render_cluster(small_snapshot(), w);
  const std::string text = w.finish();
  // Samples only (HELP/TYPE lines are checked separately), in the writer's order.
  std::string samples;
  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t end = text.find('\n', pos);
    const std::string line = text.substr(pos, end - pos);
    if (!line.starts_with("#")) samples += line + "\n";
    pos = end + 1;
  }
  CHECK(samples ==
        "kafka_broker_info{id=\"1\",address=\"10.0.0.1:9092\"} 1\n"
        "kafka_broker_info{id=\"2\",address=\"10.0.0.2:9092\"} 1\n"
        "kafka_broker_leader_partitions{id=\"1\"} 1\n"
        "kafka_broker_leader_partitions{id=\"2\"} 1\n"
        "kafka_broker_leader_partitions{id=\"3\"} 0\n"
        "kafka_broker_partitions{id=\"1\"} 3\n"
        "kafka_broker_partitions{id=\"2\"} 3\n"
        "kafka_broker_partitions{id=\"3\"} 2\n"
        "kafka_broker_up{id=\"1\",address=\"10.0.0.1:9092\"} 1\n"
        "kafka_broker_up{id=\"2\",address=\"10.0.0.2:9092\"} 1\n"
        "kafka_broker_up{id=\"3\",address=\"10.0.0.3:9092\"} 0\n"
        "kafka_brokers 2\n"
        "kafka_brokers_expected 3\n"
        "kafka_cluster_controller_id 2\n"
        "kafka_cluster_info{cluster_id=\"Qm9vdHN0cmFw\"} 1\n"
        "kafka_cluster_offline_partitions 1\n"
        "kafka_cluster_under_min_isr_partitions 3\n"
        "kafka_cluster_under_replicated_partitions 3\n"
        "kafka_sentinel_broker_offset_request_failures_total{id=\"1\"} 0\n"
        "kafka_sentinel_broker_offset_request_failures_total{id=\"2\"} 0\n"
        "kafka_sentinel_broker_offset_request_failures_total{id=\"3\"} 4\n"
        "kafka_sentinel_kafka_client_errors_total 7\n"
        "kafka_topic_messages_in_per_second{topic=\"orders\"} 12.5\n"
        "kafka_topic_min_insync_replicas{topic=\"orders\"} 2\n"
        "kafka_topic_partition_current_offset{topic=\"orders\",partition=\"0\"} 100\n"
        "kafka_topic_partition_current_offset{topic=\"orders\",partition=\"1\"} 7\n"
        "kafka_topic_partition_current_offset{topic=\"pay\\\"ments\",partition=\"0\"} 3\n"
        "kafka_topic_partition_in_sync_replica{topic=\"orders\",partition=\"0\"} 2\n"
        "kafka_topic_partition_in_sync_replica{topic=\"orders\",partition=\"1\"} 1\n"
        "kafka_topic_partition_in_sync_replica{topic=\"orders\",partition=\"10\"} 1\n"
        "kafka_topic_partition_in_sync_replica{topic=\"pay\\\"ments\",partition=\"0\"} 1\n"
        "kafka_topic_partition_leader{topic=\"orders\",partition=\"0\"} 1\n"
        "kafka_topic_partition_leader{topic=\"orders\",partition=\"1\"} 2\n"
        "kafka_topic_partition_leader{topic=\"orders\",partition=\"10\"} -1\n"
        "kafka_topic_partition_leader{topic=\"pay\\\"ments\",partition=\"0\"} 2\n"
        "kafka_topic_partition_leader_is_preferred{topic=\"orders\",partition=\"0\"} 1\n"
        "kafka_topic_partition_leader_is_preferred{topic=\"orders\",partition=\"1\"} 0\n"
        "kafka_topic_partition_leader_is_preferred{topic=\"orders\",partition=\"10\"} 0\n"
        "kafka_topic_partition_leader_is_preferred{topic=\"pay\\\"ments\",partition=\"0\"} 1\n"
        "kafka_topic_partition_offline{topic=\"orders\",partition=\"0\"} 0\n"
        "kafka_topic_partition_offline{topic=\"orders\",partition=\"1\"} 0\n"
        "kafka_topic_partition_offline{topic=\"orders\",partition=\"10\"} 1\n"
        "kafka_topic_partition_offline{topic=\"pay\\\"ments\",partition=\"0\"} 0\n"
        "kafka_topic_partition_oldest_offset{topic=\"orders\",partition=\"0\"} 0\n"
        "kafka_topic_partition_oldest_offset{topic=\"orders\",partition=\"1\"} 5\n"
        "kafka_topic_partition_oldest_offset{topic=\"pay\\\"ments\",partition=\"0\"} 3\n"
        "kafka_topic_partition_replicas{topic=\"orders\",partition=\"0\"} 3\n"
        "kafka_topic_partition_replicas{topic=\"orders\",partition=\"1\"} 3\n"
        "kafka_topic_partition_replicas{topic=\"orders\",partition=\"10\"} 2\n"
        "kafka_topic_partition_replicas{topic=\"pay\\\"ments\",partition=\"0\"} 1\n"
        "kafka_topic_partition_under_min_isr{topic=\"orders\",partition=\"0\"} 0\n"
        "kafka_topic_partition_under_min_isr{topic=\"orders\",partition=\"1\"} 1\n"
        "kafka_topic_partition_under_min_isr{topic=\"orders\",partition=\"10\"} 1\n"
        "kafka_topic_partition_under_min_isr{topic=\"pay\\\"ments\",partition=\"0\"} 1\n"
        "kafka_topic_partition_under_replicated_partition{topic=\"orders\",partition=\"0\"} 1\n"
        "kafka_topic_partition_under_replicated_partition{topic=\"orders\",partition=\"1\"} 1\n"
        "kafka_topic_partition_under_replicated_partition{topic=\"orders\",partition=\"10\"} 1\n"
        "kafka_topic_partition_under_replicated_partition{topic=\"pay\\\"ments\",partition=\"0\"} 0\n"
        "kafka_topic_partitions{topic=\"orders\"} 3\n"
        "kafka_topic_partitions{topic=\"pay\\\"ments\"} 1\n"
        "kafka_up 1\n");

  // Every family has HELP and TYPE once, before its samples.
  CHECK(text.find("# HELP kafka_brokers Number of Brokers in the Kafka Cluster.\n"
                  "# TYPE kafka_brokers gauge\nkafka_brokers 2\n") != std::string::npos);
  CHECK(text.find("# TYPE kafka_sentinel_kafka_client_errors_total counter\n") !=
        std::string::npos);
}

TEST_CASE("cluster metrics: unreachable cluster shows kafka_up 0 and brokers down, no offsets",
          "[brokers]") {
  ClusterSnapshot s;
  s.up = false;
  s.brokers = {broker(1, false, false, 0, 0), broker(2, false, false, 0, 0)};
  ks::prom::ExpositionWriter w;
  ks::prom::render_cluster(s, w);
  const std::string text = w.finish();
  CHECK(text.find("kafka_up 0\n") != std::string::npos);
  CHECK(text.find("kafka_brokers 0\n") != std::string::npos);
  CHECK(text.find("kafka_broker_up{id=\"1\",address=\"10.0.0.1:9092\"} 0\n") != std::string::npos);
  CHECK(text.find("kafka_broker_up{id=\"2\",address=\"10.0.0.2:9092\"} 0\n") != std::string::npos);
  CHECK(text.find("kafka_broker_info") == std::string::npos);
  CHECK(text.find("kafka_topic_") == std::string::npos);
  CHECK(text.find("kafka_cluster_") == std::string::npos);
}

TEST_CASE("cluster metrics: render time of ~100k series (a figure, not a limit)",
          "[brokers][figure]") {
  ClusterSnapshot s;
  s.up = true;
  for (int b = 1; b <= 3; ++b) s.brokers.push_back(broker(b, true, true, 0, 0));
  // 1,100 topics x 10 partitions: 9 series per partition, 3 per topic.
  for (int t = 0; t < 1100; ++t) {
    TopicState& topic = s.topics.emplace_back();
    topic.name = "topic-" + std::to_string(100000 + t);
    topic.messages_in_per_second = 1.5;
    topic.min_insync_replicas = 1;
    for (int p = 0; p < 10; ++p) {
      const int leader = 1 + p % 3;
      add_partition(topic, p, leader, {leader, 1 + (p + 1) % 3}, {leader, 1 + (p + 1) % 3},
                    1000, 123456789);
    }
  }
  // Thread CPU time: the figure stays meaningful on a busy machine.
  const auto cpu_ms = [] {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
  };
  // The agent renders again on every new snapshot: the second round shows the steady state
  // (memory reused), the first includes faulting in fresh pages.
  std::size_t series = 0;
  for (const char* round : {"first", "second"}) {
    ks::prom::ExpositionWriter w;
    const auto start = std::chrono::steady_clock::now();
    const double cpu_start = cpu_ms();
    ks::prom::render_cluster(s, w);
    series = w.sample_count();
    const std::string text = w.finish();
    const double cpu = cpu_ms() - cpu_start;
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    WARN(round << " render: " << series << " series (" << text.size() / 1024 << " KiB) in " << ms
               << " ms wall, " << cpu << " ms CPU");
  }
  CHECK(series == 1100 * 10 * 9 + 1100 * 3 + 3 * 5 + 6);
}

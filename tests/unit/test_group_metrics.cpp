#include <catch2/catch.hpp>

#include <string>

#include "exporters/prometheus/group_metrics.hpp"

using ks::GroupLag;
using ks::GroupPartitionLag;
using ks::GroupsSnapshot;
using ks::GroupTopicLag;
using ks::LagStatus;

namespace {

bool contains(const std::string& text, const std::string& line) {
  return text.find(line) != std::string::npos;
}

GroupsSnapshot sample_snapshot() {
  GroupsSnapshot s;
  GroupLag g;
  g.name = "orders-app";
  g.described = true;
  g.state = "Stable";
  g.protocol = "range";
  g.members = 2;
  g.offsets_fetched = true;
  g.status = LagStatus::warn;
  g.max_lag_seconds = 12.5;
  g.uncommitted_partitions = 1;
  GroupTopicLag t;
  t.topic = "orders";
  t.committed_sum = 150;
  t.lag_sum = 30;
  t.partitions_with_lag = 2;
  t.consumed_per_second = 4;
  t.catch_up_seconds = 7.5;
  GroupPartitionLag p0;
  p0.partition = 0;
  p0.committed = 100;
  p0.lag = 10;
  p0.lag_seconds = 12.5;
  p0.status = LagStatus::warn;
  GroupPartitionLag p1;
  p1.partition = 1;
  p1.committed = 50;
  p1.lag = 20;
  p1.expired = 7;
  p1.status = LagStatus::ok;
  GroupPartitionLag p2;  // watermark unknown this cycle
  p2.partition = 2;
  p2.committed = 3;
  t.partitions = {p0, p1, p2};
  g.topics = {t};
  s.groups.push_back(g);
  GroupLag kip;
  kip.name = "new-protocol";
  kip.described = false;
  kip.offsets_fetched = true;
  s.groups.push_back(kip);
  return s;
}

}  // namespace

TEST_CASE("group families keep kafka_exporter's names and labels", "[groups]") {
  ks::prom::ExpositionWriter w;
  ks::prom::render_groups(sample_snapshot(), w);
  const std::string text = w.finish();
  CHECK(contains(text, "kafka_consumergroup_current_offset{consumergroup=\"orders-app\",partition=\"0\",topic=\"orders\"} 100\n"));
  CHECK(contains(text, "kafka_consumergroup_current_offset{consumergroup=\"orders-app\",partition=\"2\",topic=\"orders\"} 3\n"));
  CHECK(contains(text, "kafka_consumergroup_current_offset_sum{consumergroup=\"orders-app\",topic=\"orders\"} 150\n"));
  CHECK(contains(text, "kafka_consumergroup_lag{consumergroup=\"orders-app\",partition=\"1\",topic=\"orders\"} 20\n"));
  CHECK_FALSE(contains(text, "kafka_consumergroup_lag{consumergroup=\"orders-app\",partition=\"2\""));
  CHECK(contains(text, "kafka_consumergroup_lag_sum{consumergroup=\"orders-app\",topic=\"orders\"} 30\n"));
  CHECK(contains(text, "kafka_consumergroup_members{consumergroup=\"orders-app\"} 2\n"));
  CHECK(contains(text, "# TYPE kafka_consumergroup_lag gauge\n"));
  // kafka_exporter's _sum names are declared untyped: _sum is reserved for summaries.
  CHECK(contains(text, "# TYPE kafka_consumergroup_lag_sum untyped\n"));
  CHECK(contains(text, "# TYPE kafka_consumergroup_current_offset_sum untyped\n"));
}

TEST_CASE("group families: state, seconds, expired, status, rates", "[groups]") {
  ks::prom::ExpositionWriter w;
  ks::prom::render_groups(sample_snapshot(), w);
  const std::string text = w.finish();
  CHECK(contains(text, "kafka_consumergroup_info{consumergroup=\"orders-app\",protocol=\"range\",state=\"Stable\"} 1\n"));
  CHECK(contains(text, "kafka_consumergroup_info{consumergroup=\"new-protocol\",protocol=\"\",state=\"Unknown\"} 1\n"));
  CHECK_FALSE(contains(text, "kafka_consumergroup_members{consumergroup=\"new-protocol\"}"));
  CHECK(contains(text, "kafka_consumergroup_lag_seconds{consumergroup=\"orders-app\",partition=\"0\",topic=\"orders\"} 12.5\n"));
  CHECK_FALSE(contains(text, "kafka_consumergroup_lag_seconds{consumergroup=\"orders-app\",partition=\"1\""));
  CHECK(contains(text, "kafka_consumergroup_max_lag_seconds{consumergroup=\"orders-app\"} 12.5\n"));
  CHECK(contains(text, "kafka_consumergroup_lag_expired_messages{consumergroup=\"orders-app\",partition=\"1\",topic=\"orders\"} 7\n"));
  CHECK_FALSE(contains(text, "kafka_consumergroup_lag_expired_messages{consumergroup=\"orders-app\",partition=\"0\""));
  CHECK(contains(text, "kafka_consumergroup_status{consumergroup=\"orders-app\"} 2\n"));
  CHECK(contains(text, "kafka_consumergroup_status{consumergroup=\"new-protocol\"} 0\n"));
  CHECK(contains(text, "kafka_consumergroup_partition_status{consumergroup=\"orders-app\",partition=\"0\",topic=\"orders\"} 2\n"));
  CHECK(contains(text, "kafka_consumergroup_uncommitted_partitions{consumergroup=\"orders-app\"} 1\n"));
  CHECK(contains(text, "kafka_consumergroup_consumed_messages_per_second{consumergroup=\"orders-app\",topic=\"orders\"} 4\n"));
  CHECK(contains(text, "kafka_consumergroup_catch_up_seconds{consumergroup=\"orders-app\",topic=\"orders\"} 7.5\n"));
  CHECK(contains(text, "kafka_sentinel_groups_offsets_watermarks_gap_seconds 0\n"));
  CHECK(contains(text, "kafka_sentinel_groups_errors_total{kind=\"offsets\"} 0\n"));
}

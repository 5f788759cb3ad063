#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "exporters/prometheus/group_metrics.hpp"
#include "group_fixtures.hpp"

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
  GroupLag g = ks::testing::orders_app_group();
  g.uncommitted_partitions = 1;
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
  CHECK(contains(text, "kafka_consumergroup_current_offset_sum{consumergroup=\"orders-app\",topic=\"orders\"} 153\n"));
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

namespace {

using ks::GroupsGranularity;
using ks::prom::GroupFamilyScope;
using ks::prom::GroupFamilySelection;

std::string render(const GroupsSnapshot& s, const GroupFamilySelection& families = {}) {
  ks::prom::ExpositionWriter w;
  ks::prom::render_groups(s, w, families);
  return w.finish();
}

// The family of an exposition line ("# HELP name ..." / "# TYPE name ..." / "name{...} v").
std::string family_of(const std::string& line) {
  if (line.rfind("# ", 0) == 0) {
    const std::size_t begin = line.find(' ', 2) + 1;
    return line.substr(begin, line.find(' ', begin) - begin);
  }
  return line.substr(0, line.find_first_of("{ "));
}

// `text` without the lines of the families `drop` says to drop.
template <class Drop>
std::string without(const std::string& text, Drop drop) {
  std::istringstream in(text);
  std::string out;
  for (std::string line; std::getline(in, line);) {
    if (!drop(family_of(line))) out += line + "\n";
  }
  return out;
}

bool per_partition(const std::string& family) {
  const ks::prom::GroupFamily* f = ks::prom::find_group_family(family);
  return f != nullptr && f->scope == GroupFamilyScope::partition;
}

// Two topics, partitions in every status, so that each aggregate has something to do.
GroupsSnapshot two_topic_snapshot() {
  GroupsSnapshot s = sample_snapshot();
  GroupTopicLag t;
  t.topic = "payments";
  for (int i = 0; i < 12; ++i) {  // partitions 0..11: "10" and "11" sort before "2"
    GroupPartitionLag p;
    p.partition = i;
    p.committed = 1000 + i;
    p.low_watermark = 0;
    p.high_watermark = p.committed + i * 3;  // lag i * 3
    p.lag_since_steady_ms = ks::lag_since::for_age(0.5 * i);
    p.status = i < 6 ? LagStatus::ok : i < 8 ? LagStatus::stop : i < 11 ? LagStatus::stall
                                                                        : LagStatus::rewind;
    t.partitions.push_back(p);
    t.committed_sum += p.committed;
    t.lag_sum += p.lag();
    ++t.partitions_with_lag;
  }
  s.groups[0].topics.push_back(t);
  return s;
}

}  // namespace

TEST_CASE("group families: per-topic sums and maxima of the per-partition families", "[groups]") {
  const std::string text = render(two_topic_snapshot());
  // orders: lag 10 and 20 (partition 2 unknown), lag seconds 12.5 on partition 0 only,
  // 7 expired on partition 1, statuses WARN and OK.
  CHECK(contains(text, "kafka_consumergroup_lag_max{consumergroup=\"orders-app\",topic=\"orders\"} 20\n"));
  CHECK(contains(text, "kafka_consumergroup_lag_seconds_max{consumergroup=\"orders-app\",topic=\"orders\"} 12.5\n"));
  CHECK(contains(text, "kafka_consumergroup_lag_expired_messages_sum{consumergroup=\"orders-app\",topic=\"orders\"} 7\n"));
  CHECK(contains(text, "kafka_consumergroup_partition_status_max{consumergroup=\"orders-app\",topic=\"orders\"} 2\n"));
  CHECK(contains(text, "kafka_consumergroup_status_partitions{consumergroup=\"orders-app\",status=\"OK\",topic=\"orders\"} 1\n"));
  CHECK(contains(text, "kafka_consumergroup_status_partitions{consumergroup=\"orders-app\",status=\"WARN\",topic=\"orders\"} 1\n"));
  // payments: 12 partitions, lag 3i, seconds 0.5i; 6 OK, 2 STOP, 3 STALL, 1 REWIND.
  CHECK(contains(text, "kafka_consumergroup_lag_max{consumergroup=\"orders-app\",topic=\"payments\"} 33\n"));
  CHECK(contains(text, "kafka_consumergroup_lag_seconds_max{consumergroup=\"orders-app\",topic=\"payments\"} 5.5\n"));
  CHECK(contains(text, "kafka_consumergroup_partition_status_max{consumergroup=\"orders-app\",topic=\"payments\"} 6\n"));
  CHECK(contains(text,
                 "kafka_consumergroup_status_partitions{consumergroup=\"orders-app\",status=\"OK\",topic=\"orders\"} 1\n"
                 "kafka_consumergroup_status_partitions{consumergroup=\"orders-app\",status=\"OK\",topic=\"payments\"} 6\n"
                 "kafka_consumergroup_status_partitions{consumergroup=\"orders-app\",status=\"REWIND\",topic=\"payments\"} 1\n"
                 "kafka_consumergroup_status_partitions{consumergroup=\"orders-app\",status=\"STALL\",topic=\"payments\"} 3\n"
                 "kafka_consumergroup_status_partitions{consumergroup=\"orders-app\",status=\"STOP\",topic=\"payments\"} 2\n"
                 "kafka_consumergroup_status_partitions{consumergroup=\"orders-app\",status=\"WARN\",topic=\"orders\"} 1\n"));
  // No expired messages on payments: no sum either (only where above 0), as per partition.
  CHECK_FALSE(contains(text, "kafka_consumergroup_lag_expired_messages_sum{consumergroup=\"orders-app\",topic=\"payments\"}"));
  CHECK(contains(text, "# TYPE kafka_consumergroup_lag_expired_messages_sum untyped\n"));
  CHECK(contains(text, "# TYPE kafka_consumergroup_lag_max gauge\n"));
  // The group without offsets has no per-topic series at all.
  CHECK_FALSE(contains(text, "consumergroup=\"new-protocol\",topic="));
  CHECK_FALSE(contains(text, "consumergroup=\"new-protocol\",status="));
}

TEST_CASE("granularity topic: exactly the per-partition families are left out", "[groups]") {
  const GroupsSnapshot s = two_topic_snapshot();
  const std::string partition = render(s);
  const std::string topic = render(s, GroupFamilySelection(GroupsGranularity::topic, {}));
  // Every per-partition family was there, is gone, and nothing else changed.
  for (const char* family : {"kafka_consumergroup_current_offset", "kafka_consumergroup_lag",
                             "kafka_consumergroup_lag_seconds", "kafka_consumergroup_partition_status",
                             "kafka_consumergroup_lag_expired_messages"}) {
    INFO(family);
    CHECK(per_partition(family));
    CHECK(contains(partition, "\n" + std::string(family) + "{"));
    CHECK_FALSE(contains(topic, "\n" + std::string(family) + "{"));
  }
  CHECK_FALSE(contains(topic, "partition=\""));
  CHECK(topic == without(partition, per_partition));
  // The default selection is the partition granularity with nothing excluded.
  CHECK(partition == render(s, GroupFamilySelection(GroupsGranularity::partition, {})));
}

TEST_CASE("exclude_families: an excluded family is gone, HELP and TYPE included", "[groups]") {
  const GroupsSnapshot s = two_topic_snapshot();
  const std::vector<std::string> excluded{"kafka_consumergroup_lag_seconds",
                                          "kafka_consumergroup_status_partitions",
                                          "kafka_consumergroup_info"};
  const auto is_excluded = [&](const std::string& family) {
    return std::find(excluded.begin(), excluded.end(), family) != excluded.end();
  };
  const std::string all = render(s);
  const std::string fewer = render(s, GroupFamilySelection(GroupsGranularity::partition, excluded));
  CHECK(fewer == without(all, is_excluded));
  CHECK_FALSE(contains(fewer, "# TYPE kafka_consumergroup_lag_seconds gauge\n"));
  CHECK_FALSE(contains(fewer, "\nkafka_consumergroup_lag_seconds{"));
  CHECK(contains(fewer, "kafka_consumergroup_lag_seconds_max{"));
  // Both choices together: the topic granularity less the excluded families.
  const std::string topic_fewer = render(s, GroupFamilySelection(GroupsGranularity::topic, excluded));
  CHECK(topic_fewer == without(all, [&](const std::string& f) { return per_partition(f) || is_excluded(f); }));
}

TEST_CASE("every kafka_consumergroup_* family written is a selectable family", "[groups]") {
  const std::string text = render(two_topic_snapshot());
  std::set<std::string> written;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    const std::string family = family_of(line);
    if (family.rfind("kafka_consumergroup_", 0) == 0) written.insert(family);
  }
  std::set<std::string> known;
  for (const ks::prom::GroupFamily* f : ks::prom::group_families()) known.insert(std::string(f->name));
  CHECK(written == known);
}

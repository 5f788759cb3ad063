#include "group_fixtures.hpp"

#include <string>

namespace ks::testing {

GroupLag orders_app_group() {
  GroupLag g;
  g.name = "orders-app";
  g.described = true;
  g.state = "Stable";
  g.protocol = "range";
  g.members = 2;
  g.offsets_fetched = true;
  g.status = LagStatus::warn;
  g.max_lag_since_steady_ms = ks::lag_since::for_age(12.5);
  GroupTopicLag t;
  t.topic = "orders";
  t.committed_sum = 153;
  t.lag_sum = 30;
  t.expired_sum = 7;
  t.partitions_with_lag = 2;
  t.consumed_per_second = 4;
  t.catch_up_seconds = 7.5;
  GroupPartitionLag p0{.partition = 0, .committed = 100, .low_watermark = 0,
                       .high_watermark = 110, .lag_since_steady_ms = ks::lag_since::for_age(12.5),
                       .status = LagStatus::warn};
  GroupPartitionLag p1{.partition = 1, .committed = 50, .low_watermark = 57,
                       .high_watermark = 77, .status = LagStatus::ok};  // lag 20, expired 7
  GroupPartitionLag p2{.partition = 2, .committed = 3, .low_watermark = -1,
                       .high_watermark = -1, .status = LagStatus::notfound};  // lag unknown
  t.partitions = {p0, p1, p2};
  g.topics = {t};
  return g;
}

GroupsSnapshot big_snapshot(int groups, int partitions) {
  GroupsSnapshot s;
  for (int g = 0; g < groups; ++g) {
    GroupLag& group = s.groups.emplace_back();
    group.name = "bench-group-" + std::to_string(100000 + g);
    group.described = true;
    group.state = "Stable";
    group.protocol = "range";
    group.members = 3;
    group.offsets_fetched = true;
    group.status = LagStatus::ok;
    group.max_lag_since_steady_ms = ks::lag_since::for_age(1.5);
    GroupTopicLag& topic = group.topics.emplace_back();
    topic.topic = "bench-topic-" + std::to_string(g % 100);
    topic.consumed_per_second = 10;
    topic.catch_up_seconds = 3;
    for (int p = 0; p < partitions; ++p) {
      GroupPartitionLag& part = topic.partitions.emplace_back();
      part.partition = p;
      part.committed = 1000000 + p;
      part.low_watermark = part.committed + p % 2;  // expired: p % 2
      part.high_watermark = part.low_watermark + 7;  // lag: 7
      part.lag_since_steady_ms = ks::lag_since::for_age(0.25 * p);
      part.status = LagStatus::ok;
      topic.committed_sum += part.committed;
      topic.lag_sum += part.lag();
      ++topic.partitions_with_lag;
    }
  }
  return s;
}

}  // namespace ks::testing

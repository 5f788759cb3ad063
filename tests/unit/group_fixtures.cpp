#include "group_fixtures.hpp"

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
  g.max_lag_seconds = 12.5;
  GroupTopicLag t;
  t.topic = "orders";
  t.committed_sum = 153;
  t.lag_sum = 30;
  t.expired_sum = 7;
  t.partitions_with_lag = 2;
  t.consumed_per_second = 4;
  t.catch_up_seconds = 7.5;
  GroupPartitionLag p0{0, 100, 0, 110, 10, 0, 12.5, false, LagStatus::warn};
  GroupPartitionLag p1{1, 50, 57, 77, 20, 7, std::nullopt, false, LagStatus::ok};
  GroupPartitionLag p2{2, 3, -1, -1, -1, 0, std::nullopt, false, LagStatus::notfound};
  t.partitions = {p0, p1, p2};
  g.topics = {t};
  return g;
}

}  // namespace ks::testing

#include "api_fixtures.hpp"

#include <fmt/format.h>

#include "group_fixtures.hpp"

namespace ks::testing {

ClusterSnapshot api_cluster_fixture() {
  ClusterSnapshot s;
  s.taken_at = api_fixture_time();
  s.up = true;
  s.cluster_id = "abc-cluster";
  s.controller_id = 1;
  s.expected_brokers = 2;
  BrokerState b1{1, "127.0.0.1", 9092, "a", true, true, api_fixture_time(), 3, 2, 0};
  BrokerState b2{2, "127.0.0.1", 9093, "", false, false, api_fixture_time() - std::chrono::seconds(30), 2, 0, 4};
  s.brokers = {b1, b2};
  TopicState orders;
  orders.name = "orders";
  orders.replica_ids = {1, 2, 1, 2, 1};  // p0: replicas 1,2 isr 1 ; p1: replicas 2 isr none
  PartitionState p0{0, 1, 0, 2, 1, 120, 20, 0, false, true, false, true};
  PartitionState p1{1, kNoBroker, 3, 1, 0, kNoOffset, kNoOffset, 5, true, true, true, false};
  orders.partitions = {p0, p1};
  orders.min_insync_replicas = 1;
  orders.messages_in_per_second = 12.34567;
  TopicState payments;
  payments.name = "payments";
  payments.replica_ids = {1, 2, 1};
  payments.partitions = {PartitionState{0, 1, 0, 2, 1, 50, 0, 0, false, true, false, true}};
  s.topics = {orders, payments};
  s.partition_count = 3;
  s.offline_partitions = 1;
  s.under_replicated_partitions = 3;
  s.under_min_isr_partitions = 1;
  return s;
}

GroupsSnapshot api_groups_fixture() {
  GroupsSnapshot s;
  s.taken_at = api_fixture_time();
  GroupLag quiet;
  quiet.name = "quiet";
  quiet.described = true;
  quiet.state = "Empty";
  quiet.offsets_fetched = true;
  quiet.status = LagStatus::ok;
  s.groups = {orders_app_group(), quiet};
  return s;
}

GroupsSnapshot api_many_groups(int groups, int partitions) {
  GroupsSnapshot s;
  s.taken_at = api_fixture_time();
  s.groups.reserve(static_cast<std::size_t>(groups));
  for (int i = 0; i < groups; ++i) {
    GroupLag g;
    g.name = fmt::format("group-{:05d}", i);
    g.described = true;
    g.state = "Stable";
    g.members = 1;
    g.offsets_fetched = true;
    g.status = LagStatus::ok;
    GroupTopicLag t;
    t.topic = fmt::format("topic-{}", i % 50);
    for (int p = 0; p < partitions; ++p) {
      t.partitions.push_back(GroupPartitionLag{.partition = p,
                                                .committed = 1000,
                                                .low_watermark = 0,
                                                .high_watermark = 1000 + p,
                                                .lag_since_steady_ms = ks::lag_since::for_age(0.5 * p),
                                                .status = LagStatus::ok});
      t.lag_sum += p;
    }
    g.topics.push_back(std::move(t));
    s.groups.push_back(std::move(g));
  }
  return s;
}

}  // namespace ks::testing

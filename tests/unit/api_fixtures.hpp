// Hand-built snapshots for the JSON API's tests (tests/unit/test_api_*.cpp): a small
// cluster with one broker down and an unhealthy topic, and consumer groups with known lag.
#pragma once

#include <chrono>
#include <string>

#include "core/cluster_snapshot.hpp"
#include "core/groups_snapshot.hpp"

namespace ks::testing {

// 2026-12-07T02:00:00.250Z
inline std::chrono::system_clock::time_point api_fixture_time() {
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(1796608800250LL));
}

// Brokers 1 (up, rack "a") and 2 (down); topic "orders" with partition 0 healthy and
// partition 1 offline; topic "payments" with one under-replicated partition.
ClusterSnapshot api_cluster_fixture();

// "orders-app": Stable, 2 members, WARN, topic "orders" with partitions 0 (lag 10, 12.5 s),
// 1 (lag 20, 7 expired) and 2 (watermarks unknown). "quiet": Empty, no topics.
GroupsSnapshot api_groups_fixture();

// `groups` groups of `partitions` partitions each on one topic, lag = partition number.
GroupsSnapshot api_many_groups(int groups, int partitions);

}  // namespace ks::testing

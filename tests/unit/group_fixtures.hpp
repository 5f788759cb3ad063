// A hand-built consumer group with known lag, shared by the tests of what renders groups
// (the JSON API's views, the Prometheus group families), so each checks the same figures.
#pragma once

#include "core/groups_snapshot.hpp"

namespace ks::testing {

// "orders-app": Stable, range, 2 members, WARN, max lag 12.5 s; topic "orders" (committed
// 153 in all, lag 30, 7 expired, 4 msgs/s consumed, 7.5 s to catch up) with partitions
// 0 (committed 100, watermarks 0..110: lag 10, 12.5 s, WARN), 1 (committed 50, watermarks
// 57..77: lag 20, 7 expired, OK) and 2 (committed 3, watermarks unknown: NOTFOUND).
GroupLag orders_app_group();

// `groups` groups, each on its own topic of `partitions` partitions, every series present
// (the size tests of rendering: thousands of groups).
GroupsSnapshot big_snapshot(int groups, int partitions);

}  // namespace ks::testing

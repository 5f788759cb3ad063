// Bytes per group partition of what the agent keeps for every one of them: 200,000 at
// 20,000 groups x 10 partitions, where the target is 150 MB of RSS
// (docs/performance.md, "Memory at 20,000 groups"). Computed from the types and from the
// containers' capacities after a run of the real code, so a field or a container added
// carelessly fails here, not in a bench nobody runs.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "collectors/groups/group_evaluator.hpp"
#include "collectors/groups/lag_math.hpp"
#include "collectors/groups/lag_status.hpp"
#include "core/groups_snapshot.hpp"

using namespace ks::groups;
using namespace std::chrono_literals;

// Two snapshots exist while a cycle builds the next one: 38 MB of rows at 200,000
// partitions. 128 B before the fields were ordered to leave no padding, 120 B before lag and
// expired were derived and lag_seconds lost its std::optional. Checked at compile time too.
static_assert(sizeof(ks::GroupPartitionLag) <= 96, "a snapshot row grew: docs/performance.md");

// One per group in each snapshot: 272 B before its fields were ordered by size.
static_assert(sizeof(ks::GroupLag) <= 240, "a snapshot's group row grew: docs/performance.md");

TEST_CASE("memory: a snapshot's row per group partition is 96 B", "[groups][memory]") {
  CHECK(sizeof(ks::GroupPartitionLag) <= 96);
  CHECK(sizeof(ks::GroupLag) <= 240);
}

TEST_CASE("memory: what a snapshot row derives is what the collector computed", "[groups][memory]") {
  // lag() and expired() follow compute_lag on the edges it documents.
  struct Case {
    std::int64_t committed, low, high;
  };
  for (const Case c : {Case{40, 0, 100}, Case{100, 0, 100}, Case{150, 0, 100}, Case{10, 50, 80},
                       Case{10, 90, 80}, Case{0, 0, 0}, Case{5, 200, 100}}) {
    const ks::GroupPartitionLag row{.committed = c.committed, .low_watermark = c.low,
                                    .high_watermark = c.high};
    const PartitionLag computed = compute_lag(c.committed, Watermarks{c.low, c.high});
    CHECK(row.has_lag());
    CHECK(row.lag() == computed.lag);
    CHECK(row.expired() == computed.expired);
  }
  // Unknown watermarks: unknown lag, nothing expired, no lag in seconds.
  const ks::GroupPartitionLag unknown{.committed = 7};
  CHECK_FALSE(unknown.has_lag());
  CHECK(unknown.lag() == -1);
  CHECK(unknown.expired() == 0);
  ks::GroupsSnapshot snapshot;
  snapshot.taken_at_steady_ms = 5'000'000;
  CHECK_FALSE(snapshot.lag_seconds(unknown));
  // The lag in seconds is the snapshot's "now" minus the moment the row holds, to the
  // millisecond; the two sentinels are "nothing known" and "caught up" (0).
  ks::GroupPartitionLag row;
  row.lag_since_steady_ms = ks::lag_since::kCaughtUp;
  REQUIRE(snapshot.lag_seconds(row));
  CHECK(*snapshot.lag_seconds(row) == 0.0);
  row.lag_since_steady_ms = 5'000'000 - 1;
  CHECK(*snapshot.lag_seconds(row) == 0.001);
  row.lag_since_steady_ms = -7'000;  // a steady clock's moment may be before its epoch
  CHECK(*snapshot.lag_seconds(row) == 5'007.0);
  row.lag_since_steady_ms = 5'000'001;  // later than "now": never a negative age
  CHECK(*snapshot.lag_seconds(row) == 0.0);
  row.lag_since_steady_ms = ks::lag_since::kUnknown;
  CHECK_FALSE(snapshot.lag_seconds(row));
  CHECK(ks::lag_since::for_age(2.5, 10'000) == 7'500);
  CHECK(ks::lag_since::for_age(std::nullopt, 10'000) == ks::lag_since::kUnknown);
}

TEST_CASE("memory: the status of a group partition is 56 B plus its window", "[groups][memory]") {
  // 80 B before: the status parameters' copy (16 B) and two std::optional time points.
  CHECK(sizeof(PartitionStatus) <= 56);
  // What it holds still works at the limits it packs: the window and the interval.
  PartitionStatus status(StatusParams{65535, std::chrono::milliseconds(std::int64_t{1} << 40)});
  const auto t0 = PartitionStatus::TimePoint{} + 1h;
  status.add_commit(5, 10, t0);
  CHECK(status.judge_commits(10, Liveness::assigned, t0 + 1s) == ks::LagStatus::ok);
  CHECK(status.commit_gap_limit_seconds() > 1e6);  // clamped to int32 ms, not wrapped
}

TEST_CASE("memory: the evaluator's state per group partition after cycles", "[groups][memory]") {
  // 20 groups x 10 partitions judged on commits for a few cycles, as the stream feeds them.
  GroupEvaluator evaluator(EvaluatorParams{});
  const auto t0 = std::chrono::steady_clock::now();
  for (int cycle = 0; cycle < 3; ++cycle) {
    CycleObservations o;
    o.judged_on_commits = true;
    o.watermarks_at = t0 + cycle * 15s;
    o.taken_at = std::chrono::system_clock::now() + cycle * 15s;
    o.topic_partitions["t"] = 10;
    for (int p = 0; p < 10; ++p) o.watermarks[{"t", p}] = Watermarks{0, 100};
    for (int g = 0; g < 20; ++g) {
      GroupObservation& group = o.groups.emplace_back();
      group.name = "g" + std::to_string(g);
      group.offsets_fetched = true;
      group.description = GroupDescription{"Empty", "", 0, {}, {}, {}};
      for (int p = 0; p < 10; ++p) group.committed.push_back({{"t", p}, 50});
    }
    evaluator.evaluate(std::move(o), ks::GroupsCycleStats{});
  }
  CHECK(evaluator.tracked_group_partitions() == 200);
  CHECK(evaluator.state_bytes_per_partition() <= 80);  // 104 B before
}

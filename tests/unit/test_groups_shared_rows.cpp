// Consecutive snapshots share the rows of groups whose evaluation did not change
// (core/shared_rows.hpp): at the end of a cycle the new snapshot exists beside the
// published one, and at 20,000 groups two complete sets of rows were the agent's peak of
// memory (docs/performance.md). The lag in seconds still grows: a row holds the moment it is
// measured from, the snapshot its "now".
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "collectors/groups/group_evaluator.hpp"

using namespace std::chrono_literals;
using ks::GroupLag;
using ks::GroupsSnapshot;
using ks::groups::CommittedOffset;
using ks::groups::CycleObservations;
using ks::groups::EvaluatorParams;
using ks::groups::GroupEvaluator;
using ks::groups::GroupObservation;
using ks::groups::OffsetHistory;
using ks::groups::TopicPartition;

namespace {

const OffsetHistory::TimePoint t0{std::chrono::hours(1000)};
const auto sys0 = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));

GroupObservation observed(std::string name, std::vector<CommittedOffset> committed) {
  GroupObservation g;
  g.name = std::move(name);
  g.description = ks::groups::GroupDescription{"Stable", "range", 1, {}};
  g.offsets_fetched = true;
  g.committed = std::move(committed);
  return g;
}

// Cycle `n` (10 s apart): "idle" committed offset 50 of 100 once and never moves; "moving"
// commits 10 more every cycle of a partition whose end offset grows as fast; the clocks'
// two readings of the cycle's moment are a few microseconds apart, as in the collector.
CycleObservations cycle(int n) {
  const TopicPartition idle{"orders", 0}, moving{"orders", 1};
  CycleObservations c;
  c.groups.push_back(observed("idle", {{idle, 50}}));
  c.groups.push_back(observed("moving", {{moving, 10 * n}}));
  c.watermarks.emplace(idle, ks::groups::Watermarks{0, 100});
  c.watermarks.emplace(moving, ks::groups::Watermarks{0, 10 * n + 20});
  c.topic_partitions = {{"orders", 2}};
  c.watermarks_at = t0 + n * 10s;
  c.taken_at = sys0 + n * 10s + std::chrono::microseconds(3 * n % 7);
  return c;
}

EvaluatorParams params() {
  EvaluatorParams p;
  p.status_window = 3;
  p.collect_interval = 10s;
  return p;
}

std::size_t index_of(const GroupsSnapshot& s, const std::string& name) {
  for (std::size_t i = 0; i < s.groups.size(); ++i) {
    if (s.groups[i].name == name) return i;
  }
  FAIL("no group " << name);
  return 0;
}

}  // namespace

TEST_CASE("groups: a group whose evaluation did not change is the previous snapshot's row",
          "[groups][memory]") {
  GroupEvaluator e(params());
  std::vector<GroupsSnapshot> snapshots;
  for (int n = 0; n < 8; ++n) snapshots.push_back(e.evaluate(cycle(n), {}));

  const GroupsSnapshot& before = snapshots[6];
  const GroupsSnapshot& last = snapshots[7];
  const std::size_t idle = index_of(last, "idle"), moving = index_of(last, "moving");
  // The idle group's offsets, lag, status and commit window did not change: one row, held
  // by both snapshots (its lag in seconds is measured from the same moment).
  CHECK(last.groups.same_row(idle, before.groups.shared(index_of(before, "idle"))));
  // The moving group committed: a row of its own.
  CHECK_FALSE(last.groups.same_row(moving, before.groups.shared(index_of(before, "moving"))));
  CHECK(e.shared_rows() >= 1);

  // Shared, yet each snapshot reads the idle partition's lag in seconds at its own "now":
  // produced before the partition's first sample, so at least as old as that (a bound).
  const ks::GroupPartitionLag& p = last.groups[idle].topics.at(0).partitions.at(0);
  REQUIRE(last.lag_seconds(p));
  REQUIRE(before.lag_seconds(p));
  CHECK(*last.lag_seconds(p) == Approx(70.0));
  CHECK(*before.lag_seconds(p) == Approx(60.0));
  CHECK(p.lag_seconds_lower_bound);
  CHECK(*last.max_lag_seconds(last.groups[idle]) == Approx(70.0));
  CHECK(*before.max_lag_seconds(last.groups[idle]) == Approx(60.0));
  CHECK(last.groups[idle].status == before.groups[index_of(before, "idle")].status);
}

TEST_CASE("groups: a shared row is read at each snapshot's own moment for its commit times",
          "[groups][memory]") {
  GroupEvaluator e(params());
  GroupsSnapshot a, b;
  for (int n = 0; n < 8; ++n) {
    a = std::move(b);
    b = e.evaluate(cycle(n), {});
  }
  // "moving" committed in the last cycle (n = 7): the cycle that saw it, on the wall clock,
  // whichever snapshot is asked (the two clocks' offset is each snapshot's own reading).
  const ks::GroupPartitionLag& p = b.groups[index_of(b, "moving")].topics.at(0).partitions.at(0);
  REQUIRE(p.window_commits >= 1);
  const auto expected = std::chrono::duration_cast<std::chrono::milliseconds>(
                            (sys0 + 70s).time_since_epoch()).count();
  CHECK(b.unix_ms(p.last_commit) == expected);
}

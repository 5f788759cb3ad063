// With the stream as the source, a group's committed offsets and description are filled
// right before the evaluator evaluates it (CycleObservations::fill), not for every group
// before the first is evaluated: at 20,000 groups x 10 partitions the cycle's observations
// were ~20 MB held at once (docs/performance.md). What is evaluated must not change.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "collectors/groups/group_evaluator.hpp"

using namespace std::chrono_literals;
using ks::GroupsSnapshot;
using ks::groups::CommitRecord;
using ks::groups::CommittedOffset;
using ks::groups::CycleObservations;
using ks::groups::EvaluatorParams;
using ks::groups::GroupDescription;
using ks::groups::GroupEvaluator;
using ks::groups::GroupObservation;
using ks::groups::OffsetHistory;
using ks::groups::TopicPartition;
using ks::groups::Watermarks;

namespace {

const OffsetHistory::TimePoint t0{std::chrono::hours(1000)};
const auto sys0 = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));

EvaluatorParams params() {
  EvaluatorParams p;
  p.status_window = 3;
  p.collect_interval = 10s;
  return p;
}

// Group `name`'s observation at cycle `n`: "a" consumes orders/0 and orders/1 and keeps up
// with half of what is produced, committing twice a cycle; "b" sits at offset 5 of audit/0;
// "c" has gone from audit at cycle 2, and at cycle 3 its offsets could not be read.
void observe(GroupObservation& g, int n) {
  const std::int64_t at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 (sys0 + n * 10s).time_since_epoch()).count();
  g.description = GroupDescription{"Stable", "range", 1, {{"orders", 0}, {"orders", 1}}, {0, 0},
                                   {{"client-1", "/10.0.0.1"}}};
  g.offsets_fetched = true;
  if (g.name == "a") {
    for (std::int32_t p = 0; p < 2; ++p) {
      const std::int64_t offset = 50 * n;
      g.committed.push_back({{"orders", p}, offset,
                             {CommitRecord{offset - 20, at_ms - 4000}, CommitRecord{offset, at_ms - 1000}}});
    }
  } else if (g.name == "b") {
    g.committed.push_back({{"audit", 0}, 5, {}});
  } else if (n < 2) {
    g.committed.push_back({{"audit", 0}, 7, {}});
  } else if (n == 3) {
    g.offsets_fetched = false;
    g.offsets_error = "Local: Timed out (_TIMED_OUT)";
  }
}

// Cycle `n` with only names: `fill` gives each group its observation.
CycleObservations cycle(int n) {
  CycleObservations c;
  for (const char* name : {"c", "a", "b"}) c.groups.emplace_back().name = name;  // unsorted
  for (std::int32_t p = 0; p < 2; ++p) c.watermarks.emplace(TopicPartition{"orders", p}, Watermarks{0, 100 * n});
  c.watermarks.emplace(TopicPartition{"audit", 0}, Watermarks{0, 10});
  c.topic_partitions = {{"orders", 2}, {"audit", 1}};
  c.watermarks_at = t0 + n * 10s;
  c.taken_at = sys0 + n * 10s;
  c.judged_on_commits = true;
  return c;
}

CycleObservations filled_before(int n) {
  CycleObservations c = cycle(n);
  for (GroupObservation& g : c.groups) observe(g, n);
  return c;
}

}  // namespace

TEST_CASE("evaluator: each group is filled right before it is evaluated, the ones before it "
          "already freed",
          "[groups][memory]") {
  GroupEvaluator evaluator(params());
  CycleObservations c = cycle(1);
  std::vector<std::string> order;
  std::vector<const GroupObservation*> filled;
  std::size_t held_when_filled = 0;  // groups still holding offsets when another is filled
  c.fill = [&](GroupObservation& g) {
    for (const GroupObservation* before : filled) {
      if (!before->committed.empty() || before->description) ++held_when_filled;
    }
    order.push_back(g.name);
    CHECK(g.committed.empty());
    observe(g, 1);
    filled.push_back(&g);
  };
  const GroupsSnapshot s = evaluator.evaluate(std::move(c), {});
  CHECK(order == std::vector<std::string>{"a", "b", "c"});  // each once, in the snapshot's order
  CHECK(held_when_filled == 0);
  REQUIRE(s.groups.size() == 3);
  CHECK(s.groups[0].topics.size() == 1);
  CHECK(s.groups[0].topics[0].lag_sum == 2 * (100 - 50));
}

TEST_CASE("evaluator: filling groups at evaluation gives the snapshots filling them before "
          "gives",
          "[groups]") {
  GroupEvaluator before(params());
  GroupEvaluator at_evaluation(params());
  for (int n = 1; n <= 4; ++n) {
    CycleObservations lazy = cycle(n);
    lazy.fill = [n](GroupObservation& g) { observe(g, n); };
    const GroupsSnapshot expected = before.evaluate(filled_before(n), {});
    const GroupsSnapshot got = at_evaluation.evaluate(std::move(lazy), {});
    INFO("cycle " << n);
    REQUIRE(got.groups.size() == expected.groups.size());
    for (std::size_t i = 0; i < got.groups.size(); ++i) {
      INFO("group " << expected.groups[i].name);
      CHECK(got.groups[i] == expected.groups[i]);
      CHECK(got.max_lag_seconds(got.groups[i]) == expected.max_lag_seconds(expected.groups[i]));
    }
    // The end-offset histories kept (c's audit/0 with b still on it; orders while a is).
    CHECK(at_evaluation.histories() == before.histories());
    CHECK(at_evaluation.tracked_group_partitions() == before.tracked_group_partitions());
  }
  CHECK(at_evaluation.histories() == 3);
}

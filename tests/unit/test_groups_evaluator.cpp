#include <catch2/catch.hpp>

#include <chrono>

#include "collectors/groups/group_evaluator.hpp"

using namespace ks::groups;
using ks::GroupLag;
using ks::GroupTopicLag;
using ks::LagStatus;
using namespace std::chrono_literals;

namespace {

const OffsetHistory::TimePoint t0{std::chrono::hours(1000)};
OffsetHistory::TimePoint at(int seconds) { return t0 + std::chrono::seconds(seconds); }

EvaluatorParams params() {
  EvaluatorParams p;
  p.history_points = 60;
  p.status_window = 3;
  p.collect_interval = 10s;
  return p;
}

GroupObservation group(std::string name, std::vector<CommittedOffset> committed,
                       std::optional<GroupDescription> description = GroupDescription{"Empty", "", 0, {}}) {
  GroupObservation g;
  g.name = std::move(name);
  g.description = std::move(description);
  g.offsets_fetched = true;
  g.committed = std::move(committed);
  return g;
}

CycleObservations cycle(int seconds, std::vector<GroupObservation> groups,
                        std::vector<std::pair<TopicPartition, Watermarks>> watermarks,
                        std::unordered_map<std::string, int> topics = {{"orders", 3}}) {
  CycleObservations c;
  c.groups = std::move(groups);
  for (auto& [tp, wm] : watermarks) c.watermarks.emplace(tp, wm);
  c.topic_partitions = std::move(topics);
  c.watermarks_at = at(seconds);
  return c;
}

const GroupLag* find(const ks::GroupsSnapshot& s, std::string_view name) {
  for (const auto& g : s.groups) {
    if (g.name == name) return &g;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("evaluator joins offsets and watermarks into lag and sums", "[groups]") {
  GroupEvaluator e(params());
  auto s = e.evaluate(cycle(0,
                            {group("b", {{{"orders", 0}, 10}, {{"orders", 1}, 50}}),
                             group("a", {{{"orders", 2}, 5}})},
                            {{{"orders", 0}, {0, 100}}, {{"orders", 1}, {60, 80}}, {{"orders", 2}, {0, 5}}}),
                      {});
  REQUIRE(s.groups.size() == 2);
  CHECK(s.groups[0].name == "a");  // sorted
  const GroupLag& b = *find(s, "b");
  REQUIRE(b.topics.size() == 1);
  const GroupTopicLag& t = b.topics[0];
  CHECK(t.committed_sum == 60);
  CHECK(t.lag_sum == 90 + 20);
  CHECK(t.expired_sum == 10);
  REQUIRE(t.partitions.size() == 2);
  CHECK(t.partitions[0].lag() == 90);
  CHECK(t.partitions[1].lag() == 20);
  CHECK(t.partitions[1].expired() == 10);
  // First cycle: lag > 0 has no age yet, caught up is 0.
  CHECK_FALSE(s.lag_seconds(t.partitions[0]));
  CHECK(b.lag_seconds_unknown_partitions == 2);
  const GroupLag& a = *find(s, "a");
  CHECK(a.topics[0].partitions[0].lag() == 0);
  CHECK(*s.lag_seconds(a.topics[0].partitions[0]) == 0);
  CHECK(*s.max_lag_seconds(a) == 0);
  // Partition 2 of orders has no commit in b; partitions 0 and 1 none in a.
  CHECK(b.uncommitted_partitions == 1);
  CHECK(a.uncommitted_partitions == 2);
  CHECK(s.cycle.partitions_tracked == 3);
}

TEST_CASE("evaluator estimates lag seconds from the second cycle on", "[groups]") {
  GroupEvaluator e(params());
  const TopicPartition p0{"orders", 0};
  e.evaluate(cycle(0, {group("g", {{p0, 0}})}, {{p0, {0, 100}}}), {});
  auto s = e.evaluate(cycle(10, {group("g", {{p0, 100}})}, {{p0, {0, 200}}}), {});
  const auto& p = s.groups[0].topics[0].partitions[0];
  REQUIRE(s.lag_seconds(p));
  // Message 100 appeared in (0 s, 10 s]: 1/100 of the way (to the millisecond).
  CHECK(*s.lag_seconds(p) == Approx(10 - 0.1).margin(0.001));
  CHECK_FALSE(p.lag_seconds_lower_bound);
  // A consumer behind everything we have seen: lower bound, flagged.
  auto s2 = e.evaluate(cycle(20, {group("g", {{p0, 50}})}, {{p0, {0, 300}}}), {});
  const auto& g2 = s2.groups[0];
  CHECK(g2.topics[0].partitions[0].lag_seconds_lower_bound);
  CHECK(*s2.lag_seconds(g2.topics[0].partitions[0]) == Approx(20).margin(0.001));
  CHECK(g2.lag_seconds_lower_bound_partitions == 1);
  CHECK(g2.max_lag_seconds_lower_bound);
}

TEST_CASE("evaluator: rates, catch-up and status over cycles", "[groups]") {
  GroupEvaluator e(params());
  const TopicPartition p0{"orders", 0};
  GroupDescription live{"Stable", "range", 1, {p0}};
  // Consumes 20/s, 10/s produced, lag shrinking.
  e.evaluate(cycle(0, {group("g", {{p0, 0}}, live)}, {{p0, {0, 1000}}}), {});
  auto s = e.evaluate(cycle(10, {group("g", {{p0, 200}}, live)}, {{p0, {0, 1100}}}), {});
  const auto& t = s.groups[0].topics[0];
  CHECK(*t.consumed_per_second == Approx(20));
  CHECK(*t.produced_per_second == Approx(10));
  CHECK(*t.catch_up_seconds == Approx(900.0 / 10));
  CHECK(s.groups[0].status == LagStatus::ok);
  // Stuck while assigned to a live member: STALL once past the limit (2 intervals = 20 s).
  ks::GroupsSnapshot last;
  for (int i = 2; i <= 5; ++i) {
    last = e.evaluate(cycle(10 * i, {group("g", {{p0, 200}}, live)}, {{p0, {0, 1000 + 100 * i}}}), {});
  }
  CHECK(last.groups[0].topics[0].partitions[0].status == LagStatus::stall);
  CHECK(last.groups[0].status == LagStatus::err);
  CHECK_FALSE(last.groups[0].topics[0].catch_up_seconds);  // not catching up
}

TEST_CASE("evaluator: a group that cannot be described is still reported", "[groups]") {
  GroupEvaluator e(params());
  const TopicPartition p0{"orders", 0};
  auto g = group("kip848", {{p0, 5}}, std::nullopt);
  g.describe_error = "Broker: Group id not found (GROUP_ID_NOT_FOUND)";
  auto s = e.evaluate(cycle(0, {g}, {{p0, {0, 10}}}), {});
  REQUIRE(s.groups.size() == 1);
  CHECK_FALSE(s.groups[0].described);
  CHECK(s.groups[0].state == "Unknown");
  CHECK(s.groups[0].topics[0].partitions[0].lag() == 5);
}

TEST_CASE("evaluator: missing watermarks leave lag unknown, never invented", "[groups]") {
  GroupEvaluator e(params());
  const TopicPartition p0{"orders", 0}, p1{"orders", 1};
  auto s = e.evaluate(cycle(0, {group("g", {{p0, 5}, {p1, 7}})}, {{p0, {0, 10}}}), {});
  const auto& t = s.groups[0].topics[0];
  CHECK(t.partitions[1].lag() == -1);
  CHECK_FALSE(t.partitions[1].has_lag());
  CHECK(t.lag_sum == 5);
  CHECK(t.committed_sum == 12);
  CHECK(s.cycle.watermark_errors == 1);
}

TEST_CASE("evaluator: groups, topics and partitions that disappear are forgotten", "[groups]") {
  GroupEvaluator e(params());
  const TopicPartition p0{"orders", 0}, p1{"orders", 1}, q0{"audit", 0};
  const std::unordered_map<std::string, int> topics{{"orders", 2}, {"audit", 1}};
  e.evaluate(cycle(0, {group("g", {{p0, 1}, {p1, 1}, {q0, 1}}), group("h", {{p0, 1}})},
                   {{p0, {0, 5}}, {p1, {0, 5}}, {q0, {0, 5}}}, topics),
             {});
  CHECK(e.tracked_group_partitions() == 4);
  CHECK(e.histories() == 3);
  // h deleted, g no longer on audit nor orders/1.
  auto s = e.evaluate(cycle(10, {group("g", {{p0, 2}})}, {{p0, {0, 6}}}, topics), {});
  REQUIRE(s.groups.size() == 1);
  REQUIRE(s.groups[0].topics.size() == 1);
  CHECK(s.groups[0].topics[0].partitions.size() == 1);
  CHECK(e.tracked_group_partitions() == 1);
  // audit/0 is forgotten; orders/1 is kept: a topic still consumed keeps all its histories.
  CHECK(e.histories() == 2);
  // Once nobody consumes orders, its histories go too.
  e.evaluate(cycle(20, {group("g", {})}, {}, topics), {});
  CHECK(e.histories() == 0);
}

TEST_CASE("evaluator: a failed offset fetch keeps the group and its state", "[groups]") {
  GroupEvaluator e(params());
  const TopicPartition p0{"orders", 0};
  e.evaluate(cycle(0, {group("g", {{p0, 1}})}, {{p0, {0, 5}}}), {});
  GroupObservation failed;
  failed.name = "g";
  failed.offsets_error = "Local: Timed out (_TIMED_OUT)";
  auto s = e.evaluate(cycle(10, {failed}, {}), {});
  REQUIRE(s.groups.size() == 1);
  CHECK_FALSE(s.groups[0].offsets_fetched);
  CHECK(s.groups[0].topics.empty());
  CHECK(e.tracked_group_partitions() == 1);
  CHECK(e.histories() == 1);  // kept: orders/0 still exists and g still has offsets on it
}

TEST_CASE("evaluator: liveness comes from the assignment", "[groups]") {
  GroupEvaluator e(params());
  const TopicPartition p0{"orders", 0};
  // Members whose assignment cannot be read: liveness unknown, so a stuck partition is STOP.
  GroupDescription unreadable{"Stable", "custom", 2, {}};
  ks::GroupsSnapshot s;
  for (int i = 0; i <= 4; ++i) {
    s = e.evaluate(cycle(10 * i, {group("g", {{p0, 0}}, unreadable)}, {{p0, {0, 10 + i}}}), {});
  }
  CHECK(s.groups[0].topics[0].partitions[0].status == LagStatus::stop);
}

TEST_CASE("evaluator: a KIP-848 group described as Dead but listed alive", "[groups]") {
  const GroupDescription dead{"Dead", "", 0, {}};
  CHECK(description_contradicts_listing(dead, "Stable"));
  CHECK(description_contradicts_listing(dead, "Empty"));
  CHECK_FALSE(description_contradicts_listing(dead, "Dead"));
  CHECK_FALSE(description_contradicts_listing(dead, ""));
  CHECK_FALSE(description_contradicts_listing(GroupDescription{"Stable", "range", 1, {}}, "Stable"));
  // Not described: the listed state is reported, liveness is unknown.
  GroupEvaluator e(params());
  const TopicPartition p0{"orders", 0};
  auto g = group("kip848", {{p0, 5}}, std::nullopt);
  g.listed_state = "Stable";
  auto s = e.evaluate(cycle(0, {g}, {{p0, {0, 10}}}), {});
  CHECK(s.groups[0].state == "Stable");
  CHECK_FALSE(s.groups[0].described);
}

TEST_CASE("a group deleted between listing and describing vanishes, not an error", "[groups]") {
  const TopicPartition p0{"orders", 0};
  // Deleted after ListGroups: DescribeGroups says Dead, OffsetFetch has no commits.
  auto deleted = group("deleted", {}, std::nullopt);
  deleted.described_as_gone = true;
  // Newer coordinators answer OffsetFetch for a missing group with GROUP_ID_NOT_FOUND.
  auto not_found = group("not-found", {}, std::nullopt);
  not_found.described_as_gone = true;
  not_found.offsets_fetched = false;
  not_found.offsets_group_not_found = true;
  // A KIP-848 group: described Dead too, but it has commits, so it is alive.
  auto kip848 = group("kip848", {{p0, 5}}, std::nullopt);
  kip848.described_as_gone = true;
  // Describe failed for another reason (timeout): an error, kept.
  auto timed_out = group("timed-out", {}, std::nullopt);
  timed_out.describe_error = "timed out";
  // Described Dead but offsets failed too: cannot tell, kept (and counted as errors).
  auto unknown = group("unknown", {}, std::nullopt);
  unknown.described_as_gone = true;
  unknown.offsets_fetched = false;

  CHECK(vanished_since_listing(deleted));
  CHECK(vanished_since_listing(not_found));
  CHECK_FALSE(vanished_since_listing(kip848));
  CHECK_FALSE(vanished_since_listing(timed_out));
  CHECK_FALSE(vanished_since_listing(unknown));
  CHECK_FALSE(vanished_since_listing(group("alive", {})));

  std::vector<GroupObservation> groups{deleted, kip848, not_found, timed_out, unknown};
  CHECK(drop_vanished_groups(groups) == 2);
  REQUIRE(groups.size() == 3);
  CHECK(groups[0].name == "kip848");
  CHECK(groups[1].name == "timed-out");
  CHECK(groups[2].name == "unknown");
}

TEST_CASE("evaluator: each partition carries its status window's first and last commits",
          "[groups][burrow]") {
  GroupEvaluator e(params());  // a window of 3 commits
  const auto system_at = [](int seconds) {
    return std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000 + seconds));
  };
  const auto run = [&](int seconds, std::int64_t committed, std::int64_t high) {
    CycleObservations c = cycle(seconds, {group("g", {{{"orders", 0}, committed}})},
                                {{{"orders", 0}, {0, high}}});
    c.taken_at = system_at(seconds);
    return e.evaluate(std::move(c), {});
  };
  auto s = run(0, 10, 50);
  CHECK(s.status_window == 3);
  const auto& p0 = s.groups[0].topics[0].partitions[0];
  CHECK(p0.window_commits == 1);
  CHECK(p0.first_commit.offset == 10);
  CHECK(p0.last_commit.offset == 10);
  CHECK(p0.last_commit.lag == 40);
  CHECK(s.unix_ms(p0.last_commit) == 1'700'000'000'000);

  run(10, 20, 70);
  run(20, 20, 80);  // no commit: the offset did not move
  s = run(30, 35, 90);
  const auto& p = s.groups[0].topics[0].partitions[0];
  CHECK(p.window_commits == 3);
  CHECK(p.first_commit.offset == 10);
  CHECK(p.last_commit.offset == 35);
  CHECK(p.last_commit.lag == 55);
  CHECK(s.unix_ms(p.last_commit) == 1'700'000'030'000);  // the cycle that saw it, on the wall clock

  s = run(40, 40, 90);  // the window is full: its oldest commit leaves it
  const auto& full = s.groups[0].topics[0].partitions[0];
  CHECK(full.window_commits == 3);
  CHECK(full.first_commit.offset == 20);
  CHECK(s.unix_ms(full.first_commit) == 1'700'000'010'000);
}

TEST_CASE("evaluator: each partition names the member it is assigned to (Burrow's owner, client_id)",
          "[groups]") {
  GroupEvaluator e(params());
  const TopicPartition p0{"orders", 0}, p1{"orders", 1}, p2{"orders", 2};
  GroupDescription d{"Stable", "range", 2, {p1, p0}};
  d.assigned_to = {1, 0};  // p1 to the second member, p0 to the first; p2 to no one
  d.assignees = {{"consumer-a", "/10.0.0.5"}, {"consumer-b", "/10.0.0.6"}};
  const ks::GroupsSnapshot s =
      e.evaluate(cycle(0, {group("g", {{p0, 5}, {p1, 6}, {p2, 7}}, d)},
                       {{p0, {0, 10}}, {p1, {0, 10}}, {p2, {0, 10}}}),
                 {});
  const GroupLag& g = s.groups.at(0);
  REQUIRE(g.assignees.size() == 2);
  const auto& parts = g.topics.at(0).partitions;
  REQUIRE(parts.size() == 3);
  REQUIRE(parts[0].assignee >= 0);
  CHECK(g.assignees[static_cast<std::size_t>(parts[0].assignee)].client_id == "consumer-a");
  REQUIRE(parts[1].assignee >= 0);
  CHECK(g.assignees[static_cast<std::size_t>(parts[1].assignee)].host == "/10.0.0.6");
  CHECK(parts[2].assignee == -1);
}

// The lag status judged on real commits (the __consumer_offsets stream) against one sample
// per cycle (the admin API), on hand-built commit sequences: a topic produced at 10 messages
// per second, a collection cycle every 10 s, a status window of 10 commits.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "collectors/groups/group_evaluator.hpp"
#include "collectors/groups/offset_history.hpp"
#include "collectors/groups/offsets_state.hpp"

using namespace ks::groups;
using ks::LagStatus;
using namespace std::chrono_literals;

namespace {

const OffsetHistory::TimePoint t0{std::chrono::hours(1000)};
OffsetHistory::TimePoint at(int seconds) { return t0 + std::chrono::seconds(seconds); }
// The broker's clock: 2026-01-01 plus the same seconds.
const std::chrono::system_clock::time_point sys0{std::chrono::seconds(1767225600)};
std::int64_t commit_ms(int second) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             (sys0 + std::chrono::seconds(second)).time_since_epoch())
      .count();
}

constexpr int kCycle = 10;  // seconds
std::int64_t high_at(int second) { return 1000 + 10 * second; }

// The offset a consumer commits at `second`, or nothing.
using Consumer = std::function<std::optional<std::int64_t>(int second)>;

enum class Mode { per_cycle, on_commits };

// The partition's status at each cycle (cycle k at k * 10 s), in `mode`.
std::vector<LagStatus> statuses(Mode mode, int cycles, const Consumer& consumer,
                                bool assigned = true) {
  GroupEvaluator e({.history_points = 60, .status_window = 10, .collect_interval = 10s});
  std::vector<LagStatus> out;
  std::int64_t last = -1;
  for (int k = 1; k <= cycles; ++k) {
    const int now = k * kCycle;
    std::vector<CommitRecord> made;
    for (int s = now - kCycle + 1; s <= now; ++s) {
      if (const auto offset = consumer(s)) {
        last = *offset;
        made.push_back({*offset, commit_ms(s)});
      }
    }
    GroupObservation g;
    g.name = "g";
    g.offsets_fetched = true;
    g.description = GroupDescription{"Stable", "range", assigned ? 1 : 0, {}};
    if (assigned) g.description->assigned = {{"orders", 0}};
    if (last >= 0) {
      CommittedOffset& c = g.committed.emplace_back();
      c.tp = {"orders", 0};
      c.offset = last;
      if (mode == Mode::on_commits) c.commits = made;
    }
    CycleObservations o;
    o.groups.push_back(std::move(g));
    o.watermarks.emplace(TopicPartition{"orders", 0}, Watermarks{0, high_at(now)});
    o.topic_partitions = {{"orders", 1}};
    o.watermarks_at = at(now);
    o.taken_at = sys0 + std::chrono::seconds(now);
    o.judged_on_commits = mode == Mode::on_commits;
    const ks::GroupsSnapshot s = e.evaluate(std::move(o), {});
    const auto& topics = s.groups.at(0).topics;
    out.push_back(topics.empty() ? LagStatus::notfound : topics[0].partitions.at(0).status);
  }
  return out;
}

// The first cycle (1-based) from `from` on with status `want`, or 0.
int first_cycle_with(const std::vector<LagStatus>& s, LagStatus want, int from = 1) {
  for (int k = from; k <= static_cast<int>(s.size()); ++k) {
    if (s[static_cast<std::size_t>(k - 1)] == want) return k;
  }
  return 0;
}

bool all_ok(const std::vector<LagStatus>& s, int from = 1) {
  return std::all_of(s.begin() + (from - 1), s.end(), [](LagStatus x) { return x == LagStatus::ok; });
}

// Commits every second, 5 messages behind.
std::optional<std::int64_t> every_second(int s) { return high_at(s) - 5; }
// Commits once a minute, 5 messages behind when it does (up to 605 behind in between).
std::optional<std::int64_t> once_a_minute(int s) {
  if (s % 60 != 0) return std::nullopt;
  return high_at(s) - 5;
}

}  // namespace

TEST_CASE("on commits: a consumer committing once a minute is never STALL or STOP between "
          "commits",
          "[groups][status-commits]") {
  // 15 minutes of cycles every 10 s: up to 50 s (5 cycles) pass between two commits while
  // the lag grows to 605; its window of commits spans its own cadence (minutes).
  const auto s = statuses(Mode::on_commits, 90, once_a_minute);
  CHECK(s[0] == LagStatus::notfound);  // no commit before 60 s
  CHECK(all_ok(s, 6));
  CHECK(first_cycle_with(s, LagStatus::stall) == 0);
  CHECK(first_cycle_with(s, LagStatus::stop) == 0);
}

TEST_CASE("on commits: a consumer committing every second is judged on its commits",
          "[groups][status-commits]") {
  CHECK(all_ok(statuses(Mode::on_commits, 60, every_second)));
  CHECK(all_ok(statuses(Mode::per_cycle, 60, every_second)));

  SECTION("it keeps committing one offset with lag: STALL at once, not after 9 cycles") {
    const Consumer frozen = [](int s) -> std::optional<std::int64_t> {
      return high_at(std::min(s, 300)) - 5;
    };
    const auto commits = statuses(Mode::on_commits, 50, frozen);
    const auto cycles = statuses(Mode::per_cycle, 50, frozen);
    CHECK(all_ok(commits) == false);
    CHECK(std::all_of(commits.begin(), commits.begin() + 30, [](LagStatus x) { return x == LagStatus::ok; }));
    // Ten commits of the same offset, each with lag: Burrow's STALL, at the next cycle.
    CHECK(first_cycle_with(commits, LagStatus::stall) == 31);
    // One sample per cycle cannot tell: it waits (window - 1) intervals without progress.
    CHECK(first_cycle_with(cycles, LagStatus::stall) == 40);
  }
  SECTION("it stops committing and nobody holds the partition: STOP after its cadence") {
    const Consumer silent = [](int s) -> std::optional<std::int64_t> {
      if (s > 300) return std::nullopt;
      return high_at(s) - 5;
    };
    const auto commits = statuses(Mode::on_commits, 50, silent, false);
    const auto cycles = statuses(Mode::per_cycle, 50, silent, false);
    // The window spans 9 s; the limit is at least two cycles (20 s) after the cycle that
    // read the last commit (300): 320 is not past it.
    CHECK(first_cycle_with(commits, LagStatus::stop) == 33);
    CHECK(first_cycle_with(cycles, LagStatus::stop) == 40);
  }
  SECTION("its offset is reset 2,000 back: REWIND in both modes") {
    const Consumer reset = [](int s) -> std::optional<std::int64_t> {
      return high_at(s) - (s <= 300 ? 5 : 2005);
    };
    const auto commits = statuses(Mode::on_commits, 50, reset);
    const auto cycles = statuses(Mode::per_cycle, 50, reset);
    CHECK(first_cycle_with(commits, LagStatus::rewind) == 31);
    CHECK(first_cycle_with(cycles, LagStatus::rewind) == 31);
    // Like Burrow's: once the window holds only commits after the reset (10 s later),
    // the rewind has left it.
    CHECK(commits[31] == LagStatus::ok);
  }
}

TEST_CASE("on commits: a consumer that stopped once a minute is STOP after its own cadence",
          "[groups][status-commits]") {
  const Consumer stops = [](int s) -> std::optional<std::int64_t> {
    if (s > 900) return std::nullopt;
    return once_a_minute(s);
  };
  const auto s = statuses(Mode::on_commits, 200, stops, false);
  // Its last ten commits span 540 s: it is STOP once 540 s pass with no commit.
  CHECK(all_ok(s, 6) == false);
  CHECK(std::all_of(s.begin() + 5, s.begin() + 144, [](LagStatus x) { return x == LagStatus::ok; }));
  CHECK(first_cycle_with(s, LagStatus::stop) == 145);
}

TEST_CASE("on commits: a caught-up consumer of a quiet topic is not STOP when a message comes",
          "[groups][status-commits]") {
  PartitionStatus p({.window = 10, .collect_interval = 10s});
  for (int i = 0; i < 10; ++i) p.add_commit(100 + i, 0, at(i));
  CHECK(p.judge_commits(0, Liveness::unassigned, at(3600)) == LagStatus::ok);
  // An hour without a commit, then one message: the gap clock starts now, not an hour ago.
  CHECK(p.judge_commits(1, Liveness::unassigned, at(3610)) == LagStatus::ok);
  CHECK(p.judge_commits(1, Liveness::unassigned, at(3621)) == LagStatus::ok);
  CHECK(p.judge_commits(1, Liveness::unassigned, at(3631)) == LagStatus::stop);  // 2 cycles
}

TEST_CASE("on commits: lag growing at every commit of a full window is WARN",
          "[groups][status-commits]") {
  // 1 s commits, each one message further behind.
  const Consumer slow = [](int s) -> std::optional<std::int64_t> { return high_at(s) - 5 - s; };
  const auto s = statuses(Mode::on_commits, 6, slow);
  // The first cycle has one end-offset sample, after all ten commits: each commit's lag is
  // taken against it (the nearest sample at or after), which makes it look shrinking.
  CHECK(s[0] == LagStatus::ok);
  // From the second cycle on, the lag at each commit is interpolated: growing, WARN.
  CHECK(s[1] == LagStatus::warn);
  CHECK(statuses(Mode::per_cycle, 6, slow)[1] == LagStatus::ok);  // 2 samples: no full window
}

TEST_CASE("on commits: the end offset at a commit's time is interpolated between samples",
          "[groups][status-commits]") {
  OffsetHistory h(10);
  CHECK_FALSE(h.high_watermark_at(at(5)));
  h.add(100, at(10));
  h.add(100, at(20));  // flat from 10 to 20
  h.add(200, at(30));
  CHECK(*h.high_watermark_at(at(0)) == 100);   // before the oldest: the nearest after
  CHECK(*h.high_watermark_at(at(15)) == 100);  // inside the flat stretch
  CHECK(*h.high_watermark_at(at(25)) == 150);  // half way from 20 to 30
  CHECK(*h.high_watermark_at(at(27)) == 170);
  CHECK(*h.high_watermark_at(at(40)) == 200);  // after the newest
}

TEST_CASE("on commits: a commit read again is not counted twice", "[groups][status-commits]") {
  PartitionStatus p({.window = 5, .collect_interval = 10s});
  for (int i = 0; i < 3; ++i) p.add_commit(100 + i, 5, at(i));
  for (int i = 0; i < 3; ++i) p.add_commit(100 + i, 5, at(i));  // partition re-read
  CHECK(p.window().size() == 3);
  p.add_commit(103, 5, at(3));
  CHECK(p.window().size() == 4);
}

TEST_CASE("offsets state keeps the commits not taken yet, at most the window",
          "[groups][status-commits]") {
  OffsetsState state(3);
  for (int i = 0; i < 5; ++i) {
    OffsetCommit c;
    c.group = "g";
    c.topic = "t";
    c.offset = 10 + i;
    c.commit_timestamp_ms = 1000 + i;
    state.apply(7, c);
  }
  OffsetsGroup* g = state.find("g");
  REQUIRE(g != nullptr);
  REQUIRE(g->offsets.find("t", 0) != nullptr);
  StoredCommit& stored = *g->offsets.find("t", 0);
  CHECK(stored.offset == 14);
  const std::vector<CommitPoint> taken = OffsetsState::take_commits(stored);
  REQUIRE(taken.size() == 3);
  CHECK(taken.front().offset == 12);
  CHECK(taken.back().commit_timestamp_ms == 1004);
  CHECK(OffsetsState::take_commits(stored).empty());  // taken once
  CHECK(stored.untaken == nullptr);  // nothing allocated once taken
}

// Burrow's min-distance: a consumer committing after every poll (every 100 ms), the same
// offset while it waits, with a message arriving between two commits, is not STALL: the
// window keeps commits at least a second apart, so ten same-offset commits mean ten seconds.
TEST_CASE("on commits: commits less than a second apart share one place in the window",
          "[groups][status-commits]") {
  using std::chrono::milliseconds;
  PartitionStatus p({.window = 10, .collect_interval = 10s});
  const auto tick = [](int ms) { return t0 + milliseconds(ms); };
  // A message arrives and is being processed for 1 s, while the consumer commits offset 100
  // (lag 1) ten times: not STALL.
  PartitionStatus busy({.window = 10, .collect_interval = 10s});
  for (int i = 0; i < 10; ++i) busy.add_commit(100, 1, tick(100 * i));
  CHECK(busy.window().size() == 2);
  CHECK(busy.judge_commits(1, Liveness::assigned, tick(1000)) == LagStatus::ok);

  // 2 s of commits every 100 ms: offset 100 with lag 1 (a message just arrived), caught up
  // every fifth commit.
  for (int i = 0; i < 20; ++i) p.add_commit(100 + i / 5, i % 5 == 4 ? 0 : 1, tick(100 * i));
  CHECK(p.window().size() <= 4);  // one place per second, plus the newest
  for (std::size_t i = 2; i < p.window().size(); ++i) {
    CHECK(p.window()[i].at - p.window()[i - 2].at >= PartitionStatus::kMinCommitDistance);
  }
  CHECK(p.window().back().at == tick(1900));  // the newest commit is always kept
  CHECK(p.judge_commits(1, Liveness::assigned, tick(2000)) == LagStatus::ok);

  // Really stuck: one offset with lag, committed every 100 ms for 12 s: STALL.
  PartitionStatus stuck({.window = 10, .collect_interval = 10s});
  for (int i = 0; i < 120; ++i) stuck.add_commit(500, 3, tick(100 * i));
  CHECK(stuck.window().size() == 10);
  CHECK(stuck.judge_commits(3, Liveness::assigned, tick(12000)) == LagStatus::stall);
}

// The commits read from the stream at start were made before the agent's first end-offset
// sample: the lag each had is unknown (taken against the end offset now, a consumer that
// committed offset 1000 while nothing was produced yet would be STALL at once). They count
// as no lag; the next cycle's commits, with known lag, judge it.
TEST_CASE("on commits: commits made before the first end-offset sample carry no lag",
          "[groups][status-commits]") {
  const Consumer frozen = [](int) -> std::optional<std::int64_t> { return 1000; };
  const auto s = statuses(Mode::on_commits, 3, frozen);
  CHECK(s[0] == LagStatus::ok);     // ten commits read at start: their lag unknown
  CHECK(s[1] == LagStatus::stall);  // ten more, each with lag: really stalled
}

// The status page's keeping-up group (issue 17): a consumer committing every 500 ms, a
// window of 3 commits (spanning 1 s), a cycle every second (up to 200 ms late), and the
// stream delivering each commit 900 ms after it was made (__consumer_offsets replicates it
// first on a 3-node cluster): the newest commit a cycle has read is 1 to 1.2 s old.
// Counted from when it was made, against a limit of one cycle, that was STALL.
TEST_CASE("on commits: a consumer keeping up is never STALL when its commits arrive late",
          "[groups][status-commits]") {
  using std::chrono::milliseconds;
  const auto tick = [](int ms) { return t0 + milliseconds(ms); };
  const auto judge_every_second = [&](PartitionStatus& p, int seconds, int commits_until_ms) {
    std::vector<LagStatus> out;
    int next_commit = 0;
    for (int k = 1; k <= seconds; ++k) {
      const int now = 1000 * k + 100 * (k % 3);  // a cycle a little late after a slow request
      for (; next_commit + 900 <= now && next_commit <= commits_until_ms; next_commit += 500) {
        p.add_commit(next_commit / 100, 1, tick(next_commit));  // 10 msgs/s, 1 in flight
      }
      out.push_back(p.judge_commits(5, Liveness::assigned, tick(now)));
    }
    return out;
  };
  PartitionStatus keeping_up({.window = 3, .collect_interval = 1s});
  const auto s = judge_every_second(keeping_up, 60, 60000);
  CHECK(first_cycle_with(s, LagStatus::stall) == 0);
  CHECK(all_ok(s));

  // The same consumer hangs after 30 s, still a member: STALL once two cycles after the
  // one that read its last commit have found nothing new.
  PartitionStatus hung({.window = 3, .collect_interval = 1s});
  const auto h = judge_every_second(hung, 40, 30000);
  CHECK(all_ok(std::vector<LagStatus>(h.begin(), h.begin() + 30)));
  const int stalled = first_cycle_with(h, LagStatus::stall);
  CHECK(stalled >= 32);
  CHECK(stalled <= 34);
}

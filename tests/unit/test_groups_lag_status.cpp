#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>

#include "collectors/groups/lag_status.hpp"

using ks::groups::group_status;
using ks::groups::LagStatus;
using ks::groups::Liveness;
using ks::groups::PartitionStatus;
using ks::groups::StatusParams;
using namespace std::chrono_literals;

namespace {

const PartitionStatus::TimePoint t0{std::chrono::hours(1000)};
PartitionStatus::TimePoint at(int seconds) { return t0 + std::chrono::seconds(seconds); }

StatusParams params() {
  StatusParams p;
  p.window = 5;
  p.collect_interval = 1s;
  return p;
}

}  // namespace

TEST_CASE("status names and codes are Burrow's", "[groups]") {
  CHECK(static_cast<int>(LagStatus::notfound) == 0);
  CHECK(static_cast<int>(LagStatus::ok) == 1);
  CHECK(static_cast<int>(LagStatus::warn) == 2);
  CHECK(static_cast<int>(LagStatus::err) == 3);
  CHECK(static_cast<int>(LagStatus::stop) == 4);
  CHECK(static_cast<int>(LagStatus::stall) == 5);
  CHECK(static_cast<int>(LagStatus::rewind) == 6);
  CHECK(ks::groups::status_name(LagStatus::stall) == "STALL");
}

TEST_CASE("a consumer keeping up is OK", "[groups]") {
  PartitionStatus s(params());
  CHECK(s.status() == LagStatus::notfound);
  for (int i = 0; i < 20; ++i) {
    CHECK(s.observe(100 * i, i % 3 == 0 ? 0 : 5, Liveness::assigned, at(i)) == LagStatus::ok);
  }
}

TEST_CASE("lag growing over a full window of commits is WARN", "[groups]") {
  PartitionStatus s(params());
  LagStatus last{};
  for (int i = 0; i < 5; ++i) {
    last = s.observe(10 * i, 50 + 20 * i, Liveness::assigned, at(i));
    if (i < 4) CHECK(last == LagStatus::ok);  // window not full yet
  }
  CHECK(last == LagStatus::warn);
  // One decrease in the window and it is OK again.
  CHECK(s.observe(60, 100, Liveness::assigned, at(5)) == LagStatus::ok);
}

TEST_CASE("a steady non-zero lag with progress is OK (Burrow would say WARN)", "[groups]") {
  PartitionStatus s(params());
  for (int i = 0; i < 10; ++i) {
    CHECK(s.observe(100 * i, 40, Liveness::assigned, at(i)) == LagStatus::ok);
  }
}

TEST_CASE("no progress with lag: STALL when consumed, STOP when nobody consumes", "[groups]") {
  for (Liveness liveness : {Liveness::assigned, Liveness::unassigned, Liveness::unknown}) {
    PartitionStatus s(params());
    for (int i = 0; i < 5; ++i) s.observe(100 * i, 10, Liveness::assigned, at(i));
    // Offset stuck at 400 from t=4 while lag grows. Limit: window span 4 s.
    CHECK(s.no_progress_limit_seconds() == Approx(4));
    LagStatus last{};
    for (int t = 5; t <= 8; ++t) {
      last = s.observe(400, 10 + t, liveness, at(t));
      CHECK(last != LagStatus::stall);
      CHECK(last != LagStatus::stop);
    }
    last = s.observe(400, 20, liveness, at(9));
    CHECK(last == (liveness == Liveness::assigned ? LagStatus::stall : LagStatus::stop));
    // Progress again, lag going down: OK.
    CHECK(s.observe(410, 5, liveness, at(10)) == LagStatus::ok);
  }
}

TEST_CASE("the no-progress limit is the span of the commit window", "[groups]") {
  PartitionStatus s(params());
  // Commits every 60 s (a slow consumer with a long commit interval).
  for (int i = 0; i < 5; ++i) s.observe(100 * i, 10, Liveness::assigned, at(60 * i));
  CHECK(s.no_progress_limit_seconds() == Approx(240));
  CHECK(s.observe(400, 20, Liveness::unassigned, at(240 + 200)) == LagStatus::ok);
  CHECK(s.observe(400, 20, Liveness::unassigned, at(240 + 241)) == LagStatus::stop);
}

TEST_CASE("a slow topic does not read as STOP: the clock starts when lag appears", "[groups]") {
  PartitionStatus s(params());
  s.observe(100, 0, Liveness::unassigned, at(0));
  // Caught up and idle for an hour: OK.
  CHECK(s.observe(100, 0, Liveness::unassigned, at(3600)) == LagStatus::ok);
  // A message arrives: lag 1, the consumer has not committed yet. Not STOP.
  CHECK(s.observe(100, 1, Liveness::unassigned, at(3601)) == LagStatus::ok);
  CHECK(s.seconds_without_progress(at(3601)) == 0);
  // Nobody reads it for longer than the limit: now it is STOP.
  CHECK(s.observe(100, 1, Liveness::unassigned, at(3606)) == LagStatus::stop);
}

TEST_CASE("an offset going backwards is REWIND until the window forgets it", "[groups]") {
  PartitionStatus s(params());
  for (int i = 0; i < 5; ++i) s.observe(1000 + 10 * i, 5, Liveness::unassigned, at(i));
  CHECK(s.observe(0, 1045, Liveness::unassigned, at(5)) == LagStatus::rewind);
  // Reprocessing forward (the lower offsets keep moving) is still a rewind ...
  CHECK(s.observe(100, 950, Liveness::assigned, at(6)) == LagStatus::rewind);
  CHECK(s.observe(200, 850, Liveness::assigned, at(7)) == LagStatus::rewind);
  CHECK(s.observe(300, 750, Liveness::assigned, at(8)) == LagStatus::rewind);
  // ... until the backwards step (1040 -> 0) leaves the window of 5 commits.
  CHECK(s.observe(400, 650, Liveness::assigned, at(9)) == LagStatus::ok);
}

TEST_CASE("a rewind that gets back to where it was is no longer REWIND", "[groups]") {
  PartitionStatus s(params());
  s.observe(500, 5, Liveness::assigned, at(0));
  CHECK(s.observe(400, 105, Liveness::assigned, at(1)) == LagStatus::rewind);
  CHECK(s.observe(505, 3, Liveness::assigned, at(2)) == LagStatus::ok);
}

TEST_CASE("a rewind with a dead consumer turns into STOP after the limit", "[groups]") {
  PartitionStatus s(params());
  for (int i = 0; i < 5; ++i) s.observe(1000 + 10 * i, 5, Liveness::unassigned, at(i));
  CHECK(s.observe(0, 1050, Liveness::unassigned, at(5)) == LagStatus::rewind);
  CHECK(s.observe(0, 1050, Liveness::unassigned, at(9)) == LagStatus::rewind);
  CHECK(s.observe(0, 1050, Liveness::unassigned, at(11)) == LagStatus::stop);
}

TEST_CASE("caught up always means OK", "[groups]") {
  PartitionStatus s(params());
  s.observe(500, 5, Liveness::assigned, at(0));
  CHECK(s.observe(400, 0, Liveness::assigned, at(1)) == LagStatus::ok);
  CHECK(s.observe(400, 0, Liveness::unassigned, at(100)) == LagStatus::ok);
}

TEST_CASE("group status follows Burrow: worst of OK < WARN < ERR", "[groups]") {
  CHECK(group_status({}) == LagStatus::notfound);
  CHECK(group_status({LagStatus::ok, LagStatus::ok}) == LagStatus::ok);
  CHECK(group_status({LagStatus::ok, LagStatus::warn}) == LagStatus::warn);
  CHECK(group_status({LagStatus::warn, LagStatus::stall, LagStatus::ok}) == LagStatus::err);
  CHECK(group_status({LagStatus::stop}) == LagStatus::err);
  CHECK(group_status({LagStatus::rewind, LagStatus::warn}) == LagStatus::err);
  CHECK(group_status({LagStatus::notfound, LagStatus::ok}) == LagStatus::ok);
}

TEST_CASE("an idle partition's window holds what it has, never more than the window",
          "[groups][memory]") {
  // One state per group partition: 24,000 at 1,000 groups. Most are idle with one commit;
  // reserving the whole window for each was 5.8 MB of the agent's memory.
  StatusParams p;
  p.window = 10;
  PartitionStatus status(p);
  for (int i = 0; i < 5; ++i) status.observe(100, 0, Liveness::assigned, at(i));
  CHECK(status.window().size() == 1);
  CHECK(status.window().capacity() <= 2);
  for (int i = 0; i < 30; ++i) status.observe(101 + i, 0, Liveness::assigned, at(10 + i));
  CHECK(status.window().size() == 10);
  CHECK(status.window().capacity() == 10);
  CHECK(status.window().back().offset == 130);
  CHECK(status.window().front().offset == 121);
}

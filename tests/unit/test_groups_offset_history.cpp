#include <catch2/catch.hpp>

#include <chrono>

#include "collectors/groups/offset_history.hpp"

using ks::groups::AgeKind;
using ks::groups::OffsetHistory;
using namespace std::chrono_literals;

namespace {

const OffsetHistory::TimePoint t0{std::chrono::hours(1000)};

OffsetHistory::TimePoint at(double seconds) {
  return t0 + std::chrono::duration_cast<OffsetHistory::Clock::duration>(
                  std::chrono::duration<double>(seconds));
}

}  // namespace

TEST_CASE("no history: unknown, except caught up which is exactly 0", "[groups]") {
  OffsetHistory h(60);
  CHECK(h.age_of(0, at(0)).kind == AgeKind::unknown);
  h.add(100, at(0));
  CHECK(h.age_of(50, at(0)).kind == AgeKind::unknown);  // agent just started: don't invent
  const auto caught_up = h.age_of(100, at(0));
  CHECK(caught_up.kind == AgeKind::zero);
  CHECK(caught_up.seconds == 0);
  CHECK(h.age_of(150, at(0)).kind == AgeKind::zero);
}

TEST_CASE("steady traffic: the age of a message is how long ago it was produced", "[groups]") {
  OffsetHistory h(60);
  // 10 messages/s, sampled every 15 s: high watermark 150 at 15 s, 300 at 30 s, ...
  for (int i = 0; i <= 8; ++i) h.add(150 * i, at(15.0 * i));
  const auto now = at(120);  // high watermark 1200
  // A consumer 45 s behind has committed offset 750; message 750 was produced in (75 s, 75.1 s].
  const auto e = h.age_of(750, now);
  REQUIRE(e.kind == AgeKind::interpolated);
  CHECK(e.seconds == Approx(45 - 0.1).margin(1e-9));
  // One message behind, in the newest interval: produced just now.
  CHECK(h.age_of(1199, now).seconds == Approx(0).margin(1e-9));
  // Exactly on a sample boundary: message 300 was produced in (30 s, 30.1 s].
  CHECK(h.age_of(300, now).seconds == Approx(90 - 0.1));
}

TEST_CASE("idle topic: a caught-up consumer reads 0 however long the topic is idle",
          "[groups]") {
  OffsetHistory h(60);
  h.add(0, at(0));
  h.add(100, at(10));
  for (int i = 2; i < 1000; ++i) h.add(100, at(10.0 * i));  // idle for hours
  REQUIRE(h.entries().size() == 2);                          // a flat stretch is one entry
  CHECK(h.entries().back().first_seen == at(10));
  CHECK(h.entries().back().last_seen == at(9990));
  CHECK(h.age_of(100, at(9990)).kind == AgeKind::zero);
}

TEST_CASE("idle topic: an unconsumed message is as old as when it was produced", "[groups]") {
  OffsetHistory h(60);
  h.add(0, at(0));
  h.add(100, at(10));                                  // 100 messages in (0, 10]
  for (int i = 2; i < 100; ++i) h.add(100, at(10.0 * i));  // then idle
  // Message 99 was produced by 10 s (the stretch's FIRST time), so at 990 s it is 980 s old:
  // really that old, and not growing faster than the clock.
  const auto e = h.age_of(99, at(990));
  REQUIRE(e.kind == AgeKind::interpolated);
  CHECK(e.seconds == Approx(980));
  // New traffic after the idle stretch: message 100 appeared after 990 s (the stretch's LAST
  // time), not somewhere in the idle hours.
  h.add(110, at(1000));
  const auto fresh = h.age_of(100, at(1000));
  REQUIRE(fresh.kind == AgeKind::interpolated);
  CHECK(fresh.seconds <= 10.0);
  CHECK(fresh.seconds == Approx(10 - 1));
}

TEST_CASE("a traffic spike never stretches an estimate beyond its interval", "[groups]") {
  OffsetHistory h(60);
  h.add(0, at(0));
  h.add(10, at(30));
  h.add(1'000'010, at(60));  // a million messages in one interval
  h.add(1'000'020, at(90));
  for (std::int64_t m : {0LL, 5LL, 9LL}) {
    const auto e = h.age_of(m, at(90));
    CHECK(e.seconds >= 60.0 - 1e-9);
    CHECK(e.seconds <= 90.0 + 1e-9);
  }
  for (std::int64_t m : {10LL, 500'000LL, 1'000'009LL}) {
    const auto e = h.age_of(m, at(90));
    CHECK(e.seconds >= 30.0 - 1e-9);
    CHECK(e.seconds <= 60.0 + 1e-9);
  }
}

TEST_CASE("older than the history: a flagged lower bound, never extrapolated", "[groups]") {
  OffsetHistory h(60);
  h.add(1'000'000, at(0));  // years of data already in the log when we first looked
  h.add(1'000'100, at(30));
  h.add(1'000'200, at(60));
  // A group rewinds to the start: we know only that message 0 is older than 60 s.
  const auto e = h.age_of(0, at(60));
  CHECK(e.kind == AgeKind::lower_bound);
  CHECK(e.seconds == Approx(60));
  CHECK(h.age_of(999'999, at(60)).kind == AgeKind::lower_bound);
  CHECK(h.age_of(1'000'000, at(60)).kind == AgeKind::interpolated);
}

TEST_CASE("a new partition is dated from its first message", "[groups]") {
  OffsetHistory h(60);
  h.add(0, at(0));  // created empty
  CHECK(h.age_of(0, at(0)).kind == AgeKind::zero);
  h.add(30, at(15));
  const auto e = h.age_of(0, at(15));
  REQUIRE(e.kind == AgeKind::interpolated);
  CHECK(e.seconds == Approx(15 - 0.5));
}

TEST_CASE("samples going back in time or offset are rejected", "[groups]") {
  OffsetHistory h(60);
  CHECK(h.add(100, at(10)) == OffsetHistory::AddResult::appended);
  CHECK(h.add(200, at(10)) == OffsetHistory::AddResult::rejected_time);
  CHECK(h.add(200, at(5)) == OffsetHistory::AddResult::rejected_time);
  CHECK(h.add(90, at(20)) == OffsetHistory::AddResult::rejected_offset);
  CHECK(h.add(100, at(30)) == OffsetHistory::AddResult::extended);
  CHECK(h.add(120, at(40)) == OffsetHistory::AddResult::appended);
  CHECK(h.entries().size() == 2);
}

TEST_CASE("a partition that stays lower (recreated, truncated) resets the history", "[groups]") {
  OffsetHistory h(60);
  h.add(0, at(0));
  h.add(5000, at(10));
  CHECK(h.add(10, at(20)) == OffsetHistory::AddResult::rejected_offset);
  CHECK(h.add(12, at(30)) == OffsetHistory::AddResult::rejected_offset);
  CHECK(h.add(15, at(40)) == OffsetHistory::AddResult::reset);
  REQUIRE(h.entries().size() == 1);
  CHECK(h.entries().front().offset == 15);
  CHECK(h.samples() == 1);
  CHECK(h.age_of(3, at(40)).kind == AgeKind::unknown);
}

TEST_CASE("a full history thins the middle, keeps both ends, stays bounded", "[groups]") {
  OffsetHistory h(8);
  for (int i = 0; i <= 200; ++i) h.add(100 * i, at(10.0 * i));
  const auto& entries = h.entries();
  REQUIRE(entries.size() == 8);
  CHECK(entries.front().offset == 0);
  CHECK(entries.back().offset == 20000);
  for (std::size_t i = 1; i < entries.size(); ++i) {
    CHECK(entries[i].offset > entries[i - 1].offset);
    CHECK(entries[i].first_seen > entries[i - 1].last_seen);
  }
  // Recent intervals are finer than old ones.
  const auto recent = entries[7].first_seen - entries[6].last_seen;
  const auto old = entries[1].first_seen - entries[0].last_seen;
  CHECK(recent < old);
  // Under steady traffic, interpolation stays exact wherever it lands.
  for (std::int64_t m : {50LL, 7000LL, 15000LL, 19950LL}) {
    const auto e = h.age_of(m, at(2000));
    REQUIRE(e.kind == AgeKind::interpolated);
    CHECK(e.seconds == Approx(2000 - (m + 1) / 10.0).margin(1e-6));
  }
}

TEST_CASE("thinning keeps long idle stretches in preference to busy moments", "[groups]") {
  OffsetHistory h(4);
  h.add(0, at(0));
  h.add(100, at(10));
  h.add(100, at(5000));  // a long idle stretch: costly to merge away
  h.add(110, at(5010));
  h.add(120, at(5020));
  h.add(130, at(5030));  // one entry too many: the busy 110 goes, not the idle 100
  REQUIRE(h.entries().size() == 4);
  CHECK(h.entries()[1].offset == 100);
  CHECK(h.entries()[1].last_seen == at(5000));
}

TEST_CASE("entries that only date deleted messages are forgotten", "[groups]") {
  OffsetHistory h(60);
  for (int i = 0; i < 6; ++i) h.add(100 * i, at(10.0 * i));
  h.forget_below(250);
  REQUIRE(h.entries().front().offset == 200);  // still dates messages 200..299
  h.forget_below(100000);
  REQUIRE(h.entries().size() == 1);
  CHECK(h.entries().front().offset == 500);
}

#include <catch2/catch.hpp>

#include <chrono>

#include "collectors/groups/consumption_rate.hpp"
#include "collectors/groups/group_filter.hpp"

using ks::groups::catch_up_seconds;
using ks::groups::ConsumptionRate;
using ks::groups::forward_progress;

namespace {
const ConsumptionRate::TimePoint t0{std::chrono::hours(1000)};
ConsumptionRate::TimePoint at(int seconds) { return t0 + std::chrono::seconds(seconds); }
}  // namespace

TEST_CASE("forward progress ignores rewinds", "[groups]") {
  CHECK(forward_progress(10, 25) == 15);
  CHECK(forward_progress(25, 10) == 0);
  CHECK(forward_progress(5, 5) == 0);
}

TEST_CASE("rates need two samples and span the window", "[groups]") {
  ConsumptionRate r(3);
  r.add(at(0), 0, 0);
  CHECK_FALSE(r.consumed_per_second());
  r.add(at(10), 100, 300);
  CHECK(*r.consumed_per_second() == Approx(10));
  CHECK(*r.produced_per_second() == Approx(30));
  r.add(at(20), 200, 300);
  CHECK(*r.consumed_per_second() == Approx(15));  // (300 - 0) / 20
  r.add(at(30), 0, 0);                           // oldest sample (t=0) drops out
  CHECK(*r.consumed_per_second() == Approx(10));  // (300 - 100) / 20
  CHECK(*r.produced_per_second() == Approx(15));  // (600 - 300) / 20
}

TEST_CASE("catch-up time only when catching up", "[groups]") {
  CHECK(*catch_up_seconds(0, std::nullopt, std::nullopt) == 0);
  CHECK(*catch_up_seconds(1000, 30.0, 10.0) == Approx(50));
  CHECK_FALSE(catch_up_seconds(1000, 10.0, 10.0));
  CHECK_FALSE(catch_up_seconds(1000, 5.0, 10.0));
  CHECK_FALSE(catch_up_seconds(1000, std::nullopt, 10.0));
}

TEST_CASE("group filter: include, exclude, full match", "[groups]") {
  ks::NameFilter f;
  ks::groups::GroupFilter all(f);
  CHECK(all.matches("anything"));
  f.include = {"orders-.*", "billing"};
  f.exclude = {"orders-test"};
  ks::groups::GroupFilter some(f);
  CHECK(some.matches("orders-eu"));
  CHECK(some.matches("billing"));
  CHECK_FALSE(some.matches("billing-2"));  // full match, not search
  CHECK_FALSE(some.matches("orders-test"));
  CHECK_FALSE(some.matches("audit"));
}

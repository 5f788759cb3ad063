#include <catch2/catch.hpp>

#include "collectors/groups/lag_math.hpp"

using ks::groups::compute_lag;
using ks::groups::Watermarks;

TEST_CASE("lag is high watermark minus committed offset", "[groups]") {
  const auto r = compute_lag(40, Watermarks{0, 100});
  CHECK(r.lag == 60);
  CHECK(r.expired == 0);
  CHECK(r.oldest_unconsumed == 40);
}

TEST_CASE("caught up and committed beyond the high watermark mean lag 0, never negative",
          "[groups]") {
  CHECK(compute_lag(100, Watermarks{0, 100}).lag == 0);
  // A commit that raced the watermark fetch, or a truncated log.
  const auto ahead = compute_lag(130, Watermarks{10, 100});
  CHECK(ahead.lag == 0);
  CHECK(ahead.expired == 0);
  CHECK(ahead.oldest_unconsumed == 130);
}

TEST_CASE("committed below log start: lag counts existing messages, the rest expired",
          "[groups]") {
  const auto r = compute_lag(10, Watermarks{50, 80});
  CHECK(r.lag == 30);
  CHECK(r.expired == 40);
  CHECK(r.oldest_unconsumed == 50);
  // Everything the group had not read was deleted, nothing new arrived.
  const auto all_gone = compute_lag(0, Watermarks{80, 80});
  CHECK(all_gone.lag == 0);
  CHECK(all_gone.expired == 80);
  // Exactly at log start: nothing lost.
  CHECK(compute_lag(50, Watermarks{50, 80}).expired == 0);
}

TEST_CASE("inconsistent watermarks are clamped, not trusted", "[groups]") {
  // Low fetched after a deletion, high before: the partition cannot hold fewer than 0.
  const auto r = compute_lag(5, Watermarks{120, 100});
  CHECK(r.lag == 0);
  CHECK(r.expired == 95);
  CHECK(compute_lag(0, Watermarks{-1, -1}).lag == 0);
}

#include <catch2/catch.hpp>

#include "agent/accept_encoding.hpp"

using ks::accepts_gzip;

TEST_CASE("Accept-Encoding: gzip only when listed with q above 0", "[http]") {
  CHECK(accepts_gzip("gzip"));
  CHECK(accepts_gzip("gzip, deflate, br"));      // curl --compressed, browsers
  CHECK(accepts_gzip("identity, GZip;q=0.5"));
  CHECK(accepts_gzip("x-gzip"));
  CHECK(accepts_gzip("br;q=1.0, gzip;q=0.8, *;q=0.1"));  // what Prometheus sends
  CHECK(accepts_gzip("*"));
  CHECK(accepts_gzip(" gzip ; q=1 "));

  CHECK_FALSE(accepts_gzip(""));
  CHECK_FALSE(accepts_gzip("identity"));
  CHECK_FALSE(accepts_gzip("gzip;q=0"));
  CHECK_FALSE(accepts_gzip("gzip;q=0.000"));
  CHECK_FALSE(accepts_gzip("*;q=0"));
  CHECK_FALSE(accepts_gzip("gzip;q=0, *"));     // an explicit refusal beats the wildcard
  CHECK_FALSE(accepts_gzip("deflate, br"));
  CHECK_FALSE(accepts_gzip("gzipped"));
  CHECK_FALSE(accepts_gzip("gzip;q=fast"));     // malformed q: the plain body is always safe
  CHECK_FALSE(accepts_gzip("gzip;q=2"));
}

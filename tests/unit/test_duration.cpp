#include <catch2/catch.hpp>

#include "core/duration.hpp"

using namespace std::chrono_literals;
using ks::format_duration;
using ks::parse_duration;

TEST_CASE("parse_duration accepts Prometheus-style durations", "[config][duration]") {
  CHECK(parse_duration("500ms") == 500ms);
  CHECK(parse_duration("15s") == 15s);
  CHECK(parse_duration("1m") == 1min);
  CHECK(parse_duration("2m30s") == 150s);
  CHECK(parse_duration("1h") == 1h);
  CHECK(parse_duration("1d") == 24h);
  CHECK(parse_duration("1w") == 7 * 24h);
  CHECK(parse_duration("1y") == 365 * 24h);
  CHECK(parse_duration("1h2m3s4ms") == 1h + 2min + 3s + 4ms);
  CHECK(parse_duration("0s") == 0ms);
  CHECK(parse_duration("90s") == 90s);  // a part need not be below the next unit
  CHECK(parse_duration("015s") == 15s);
}

TEST_CASE("parse_duration rejects everything else", "[config][duration]") {
  for (const char* text : {"", "15", "0", "-5s", "+5s", "s", "ms", "1.5s", "15 s", " 15s",
                           "15s ", "15S", "1x", "30s1m", "1m1m", "5ms3s", "1h-1m", "15sec",
                           "99999999999999999999s", "9223372036854775807d"}) {
    INFO(text);
    CHECK_FALSE(parse_duration(text).has_value());
  }
}

TEST_CASE("format_duration gives the canonical form", "[config][duration]") {
  CHECK(format_duration(0ms) == "0s");
  CHECK(format_duration(15s) == "15s");
  CHECK(format_duration(150s) == "2m30s");
  CHECK(format_duration(1h) == "1h");
  CHECK(format_duration(24h) == "1d");
  CHECK(format_duration(10min) == "10m");
  CHECK(format_duration(1500ms) == "1s500ms");
  CHECK(format_duration(100ms) == "100ms");
  CHECK(format_duration(7 * 24h) == "1w");
  CHECK(format_duration(-15s) == "-15s");
}

TEST_CASE("format_duration round-trips through parse_duration", "[config][duration]") {
  for (const std::chrono::milliseconds d :
       {1ms, 999ms, 1000ms, 61000ms, 3599000ms, 3600000ms, 86399999ms, 86400000ms}) {
    INFO(d.count());
    CHECK(parse_duration(format_duration(d)) == d);
  }
}

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <set>

#include "events/cloudevent.hpp"

using namespace std::chrono_literals;
using ks::EventState;
using ks::HealthEvent;
using ks::Severity;

namespace {

HealthEvent::TimePoint at(std::int64_t ms) {
  return HealthEvent::TimePoint(std::chrono::milliseconds(ms));
}

HealthEvent sample() {
  HealthEvent e;
  e.source = "/kafka-sentinel/abc/node-1";
  e.type = "io.kafka-sentinel.broker.down";
  e.subject = "broker/2";
  e.time = at(1740830405123);
  e.since = at(1740830400000);
  e.state = EventState::firing;
  e.severity = Severity::critical;
  e.summary = "broker 2 (127.0.0.1:9093) is down";
  e.observed = {{"broker", 2}, {"address", "127.0.0.1:9093"}};
  e.thresholds = {{"cycles", 2}};
  ks::events::assign_id(e);
  return e;
}

}  // namespace

TEST_CASE("event ids are deterministic and differ by every input", "[events]") {
  const HealthEvent e = sample();
  CHECK(e.id.size() == 32);
  CHECK(e.id.find_first_not_of("0123456789abcdef") == std::string::npos);
  HealthEvent again = sample();
  CHECK(again.id == e.id);

  std::set<std::string> ids{e.id};
  auto vary = [&](auto change) {
    HealthEvent v = sample();
    change(v);
    ks::events::assign_id(v);
    ids.insert(v.id);
  };
  vary([](HealthEvent& v) { v.source = "/kafka-sentinel/abc/node-2"; });
  vary([](HealthEvent& v) { v.type = "io.kafka-sentinel.broker.up"; });
  vary([](HealthEvent& v) { v.subject = "broker/3"; });
  vary([](HealthEvent& v) { v.condition = "x"; });
  vary([](HealthEvent& v) { v.state = EventState::resolved; });
  vary([](HealthEvent& v) { v.time += 1ms; });
  // Field boundaries matter: "ab"+"c" is not "a"+"bc".
  vary([](HealthEvent& v) {
    v.source = "/kafka-sentinel/abc/node-1i";
    v.type = "o.kafka-sentinel.broker.down";
  });
  CHECK(ids.size() == 8);
  // Summary, observed values and severity are not part of the identity.
  HealthEvent cosmetic = sample();
  cosmetic.summary = "other";
  cosmetic.observed = {{"x", 1}};
  ks::events::assign_id(cosmetic);
  CHECK(cosmetic.id == e.id);
}

TEST_CASE("time is RFC 3339 UTC with milliseconds and parses back", "[events]") {
  CHECK(ks::events::format_time(at(0)) == "1970-01-01T00:00:00.000Z");
  CHECK(ks::events::format_time(at(1740830405123)) == "2025-03-01T12:00:05.123Z");
  CHECK(ks::events::parse_time("2025-03-01T12:00:05.123Z") == at(1740830405123));
  CHECK(ks::events::parse_time("2025-03-01T12:00:05Z") == at(1740830405000));
  CHECK(ks::events::parse_time("2025-03-01T13:00:05.123+01:00") == at(1740830405123));
  CHECK(ks::events::parse_time("2025-03-01T11:30:05.123456-00:30") ==
        HealthEvent::TimePoint(std::chrono::microseconds(1740830405123456)));
  CHECK_FALSE(ks::events::parse_time("2025-03-01 12:00:05"));
  CHECK_FALSE(ks::events::parse_time("2025-13-01T12:00:05Z"));
  // Beyond system_clock's range (1677-2262): no time, not a signed overflow (found by
  // tests/fuzz/fuzz_cloudevent.cpp, input in tests/fuzz/crashes/cloudevent/).
  CHECK_FALSE(ks::events::parse_time("8240-03-01T12:00:00Z"));
  CHECK_FALSE(ks::events::parse_time("1000-03-01T12:00:00Z"));
  CHECK(ks::events::parse_time("2200-01-01T00:00:00Z"));
  CHECK_FALSE(ks::events::parse_time("2025-03-01T12:00:05.Z"));
  CHECK_FALSE(ks::events::parse_time("2025-03-01T12:00:05Zjunk"));
  CHECK_FALSE(ks::events::parse_time(""));
}

TEST_CASE("a firing event is a CloudEvents 1.0 structured-mode JSON", "[events]") {
  const HealthEvent e = sample();
  const auto json = nlohmann::json::parse(ks::events::to_cloudevent(e));
  CHECK(json["specversion"] == "1.0");
  CHECK(json["id"] == e.id);
  CHECK(json["source"] == "/kafka-sentinel/abc/node-1");
  CHECK(json["type"] == "io.kafka-sentinel.broker.down");
  CHECK(json["subject"] == "broker/2");
  CHECK(json["time"] == "2025-03-01T12:00:05.123Z");
  CHECK(json["datacontenttype"] == "application/json");
  const auto& data = json["data"];
  CHECK(data["state"] == "firing");
  CHECK(data["severity"] == "critical");
  CHECK(data["summary"] == "broker 2 (127.0.0.1:9093) is down");
  CHECK(data["since"] == "2025-03-01T12:00:00.000Z");
  CHECK(data["observed"]["broker"] == 2);
  CHECK(data["thresholds"]["cycles"] == 2);
  CHECK_FALSE(data.contains("firing_id"));
  CHECK_FALSE(data.contains("condition"));
  CHECK_FALSE(data.contains("duration_seconds"));
  // One line: a console consumer prints one event per line.
  CHECK(ks::events::to_cloudevent(e).find('\n') == std::string::npos);
}

TEST_CASE("events round-trip through JSON", "[events]") {
  HealthEvent e = sample();
  e.state = EventState::resolved;
  e.condition = "STALL";
  e.firing_id = "0123456789abcdef0123456789abcdef";
  e.subject = "group/orders \"x\"\n/topic/t";
  ks::events::assign_id(e);
  const std::string json = ks::events::to_cloudevent(e);
  CHECK(nlohmann::json::parse(json)["data"]["duration_seconds"] == Approx(5.123));
  const auto parsed = ks::events::parse_cloudevent(json);
  REQUIRE(parsed.event);
  const HealthEvent& p = *parsed.event;
  CHECK(p.id == e.id);
  CHECK(p.source == e.source);
  CHECK(p.type == e.type);
  CHECK(p.subject == e.subject);
  CHECK(p.condition == "STALL");
  CHECK(p.time == e.time);
  CHECK(p.since == e.since);
  CHECK(p.state == EventState::resolved);
  CHECK(p.severity == Severity::critical);
  CHECK(p.summary == e.summary);
  CHECK(p.firing_id == e.firing_id);
  CHECK(p.observed == e.observed);
  CHECK(p.thresholds == e.thresholds);
  CHECK(ks::events::to_cloudevent(p) == json);
}

TEST_CASE("invalid UTF-8 in names does not throw", "[events]") {
  HealthEvent e = sample();
  e.subject = std::string("group/\xff\xfe");
  const std::string json = ks::events::to_cloudevent(e);
  CHECK(ks::events::parse_cloudevent(json).event);
}

TEST_CASE("parse_cloudevent says what is wrong", "[events]") {
  using ks::events::parse_cloudevent;
  CHECK(parse_cloudevent("{").error == "not JSON");
  CHECK(parse_cloudevent("[1]").error == "not a JSON object");
  auto without = [](const char* key) {
    auto json = nlohmann::json::parse(ks::events::to_cloudevent(sample()));
    json.erase(key);
    return parse_cloudevent(json.dump()).error;
  };
  CHECK(without("id") == "missing or empty \"id\"");
  CHECK(without("subject") == "missing or empty \"subject\"");
  CHECK(without("data") == "missing \"data\" object");
  auto json = nlohmann::json::parse(ks::events::to_cloudevent(sample()));
  json["specversion"] = "0.3";
  CHECK(parse_cloudevent(json.dump()).error == "unsupported specversion \"0.3\"");
  json["specversion"] = "1.0";
  json["time"] = "yesterday";
  CHECK(parse_cloudevent(json.dump()).error == "\"time\" is not RFC 3339: \"yesterday\"");
  json["time"] = "2025-03-01T12:00:05Z";
  json["data"]["state"] = "maybe";
  CHECK(parse_cloudevent(json.dump()).error ==
        "data.state is neither \"firing\" nor \"resolved\"");
}

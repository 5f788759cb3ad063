#include <catch2/catch.hpp>

#include "agent/cli.hpp"
#include "events/events_command.hpp"
#include "events/cloudevent.hpp"

TEST_CASE("events subcommand: arguments", "[events]") {
  auto parse = ks::parse_cli({"events", "--follow", "--type", "broker.*", "--json", "--config",
                              "a.yaml", "--bootstrap-servers", "k:9092"});
  REQUIRE(parse.error.empty());
  CHECK(parse.options.command == ks::CliOptions::Command::events);
  CHECK(parse.options.config_path == "a.yaml");
  CHECK(parse.options.bootstrap_servers == "k:9092");
  ks::events::EventsCommandOptions o;
  CHECK(ks::events::parse_events_arguments(parse.options.rest, o).empty());
  CHECK(o.follow);
  CHECK(o.json);
  CHECK(o.type_glob == "broker.*");

  parse = ks::parse_cli({"events", "--type=*.down"});
  REQUIRE(parse.error.empty());
  o = {};
  CHECK(ks::events::parse_events_arguments(parse.options.rest, o).empty());
  CHECK(o.type_glob == "*.down");
  CHECK_FALSE(o.follow);

  CHECK(ks::parse_cli({"events", "--type"}).error == "--type needs a value");
  CHECK(ks::parse_cli({"events", "--nope"}).error == "unknown argument \"--nope\"");
  // The run command does not take the events flags.
  CHECK(ks::parse_cli({"--follow"}).error == "unknown argument \"--follow\"");
}

TEST_CASE("events subcommand: type globs match short and full types", "[events]") {
  using ks::events::type_matches;
  CHECK(type_matches("", "io.kafka-sentinel.broker.down"));
  CHECK(type_matches("broker.*", "io.kafka-sentinel.broker.down"));
  CHECK(type_matches("*.down", "io.kafka-sentinel.broker.down"));
  CHECK(type_matches("io.kafka-sentinel.group.*", "io.kafka-sentinel.group.lag_status"));
  CHECK(type_matches("group.lag_[ms]*", "io.kafka-sentinel.group.lag_messages"));
  CHECK_FALSE(type_matches("group.*", "io.kafka-sentinel.broker.down"));
  CHECK_FALSE(type_matches("broker", "io.kafka-sentinel.broker.down"));
}

TEST_CASE("events subcommand: one readable line per event", "[events]") {
  ks::HealthEvent e;
  e.type = "io.kafka-sentinel.group.lag_status";
  e.subject = "group/orders";
  e.condition = "STALL";
  e.time = ks::HealthEvent::TimePoint(std::chrono::milliseconds(1740830405123));
  e.state = ks::EventState::resolved;
  e.severity = ks::Severity::critical;
  e.summary = "group orders: lag status no longer STALL (now OK)";
  CHECK(ks::events::format_event(e) ==
        "2025-03-01T12:00:05.123Z  critical  RESOLVED  group.lag_status          "
        "group/orders (STALL)              group orders: lag status no longer STALL (now OK)");
}

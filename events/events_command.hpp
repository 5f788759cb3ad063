// `kafka-sentinel events [--follow] [--type GLOB] [--json]`: reads the health-event topic
// and prints the events, readably (time, severity, state, type, subject, summary) or as
// their raw CloudEvents JSON, one per line.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/health_event.hpp"

namespace ks::events {

struct EventsCommandOptions {
  bool follow = false;     // keep printing new events until interrupted
  std::string type_glob;   // "" = every type; matched against "broker.down" and the full type
  bool json = false;       // raw CloudEvents JSON lines
};

// Parses the command's own arguments; returns "" or the usage problem.
std::string parse_events_arguments(const std::vector<std::string>& args,
                                   EventsCommandOptions& out);

// A shell glob (*, ?, [...]) against the short type ("group.lag_status") or the full one.
bool type_matches(const std::string& glob, const std::string& type);

// "2025-03-01T12:00:05.123Z  critical  FIRING    broker.down  broker/3  broker 3 (...) is down"
std::string format_event(const HealthEvent& event);

// Exit code: 0, or 1 when Kafka or the topic cannot be read.
int run_events_command(const Config& config, const EventsCommandOptions& options,
                       std::ostream& out, std::ostream& err);

}  // namespace ks::events

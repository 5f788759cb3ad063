// Health events as CloudEvents 1.0 in structured JSON mode: the bytes published to Kafka
// (and kept in the spool), and their parsing back (`kafka-sentinel events`, tests).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/health_event.hpp"

namespace ks::events {

inline constexpr std::string_view kSpecVersion = "1.0";
inline constexpr std::string_view kDataContentType = "application/json";
// The Kafka content-type header of structured mode (CloudEvents Kafka protocol binding).
inline constexpr std::string_view kStructuredContentType =
    "application/cloudevents+json; charset=UTF-8";

// 32 hex digits, a 128-bit hash of (source, type, subject, condition, state, time in ms).
// Deterministic: the same transition always has the same id, so a consumer can drop a
// duplicate by id; two transitions of one condition never share a time, hence an id.
std::string event_id(std::string_view source, std::string_view type, std::string_view subject,
                     std::string_view condition, EventState state, HealthEvent::TimePoint time);

// Sets event.id from its other attributes (event_id above).
void assign_id(HealthEvent& event);

// RFC 3339 in UTC with milliseconds: "2025-03-01T12:00:05.123Z".
std::string format_time(HealthEvent::TimePoint time);
// RFC 3339 with any fraction (cut to microseconds) and a "Z" or "+HH:MM" offset.
std::optional<HealthEvent::TimePoint> parse_time(std::string_view text);

// The structured-mode JSON of the event (one line, no trailing newline).
std::string to_cloudevent(const HealthEvent& event);

struct ParsedEvent {
  std::optional<HealthEvent> event;
  std::string error;  // why not, when event is empty
};

// Parses what to_cloudevent wrote. Requires the CloudEvents attributes (specversion 1.0, id,
// source, type, subject, time) and data with state; the other data fields are optional.
ParsedEvent parse_cloudevent(std::string_view json);

}  // namespace ks::events

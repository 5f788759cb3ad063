// A health event: one transition (firing or resolved) of one condition of one entity, as
// the evaluator emits it and the Kafka event producer publishes it (as a CloudEvent,
// events/cloudevent.hpp). Schema and every type: docs/events.md.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace ks {

// Every event type is this prefix plus a dotted name: "io.kafka-sentinel.broker.down".
inline constexpr std::string_view kEventTypePrefix = "io.kafka-sentinel.";

enum class EventState { firing, resolved };
enum class Severity { info, warning, critical };

constexpr std::string_view state_name(EventState state) {
  return state == EventState::firing ? "firing" : "resolved";
}

constexpr std::string_view severity_name(Severity severity) {
  switch (severity) {
    case Severity::info: return "info";
    case Severity::warning: return "warning";
    case Severity::critical: return "critical";
  }
  return "info";
}

struct HealthEvent {
  using TimePoint = std::chrono::system_clock::time_point;

  std::string id;       // unique; the same bytes on every retry (derived, see event_id)
  std::string source;   // "/kafka-sentinel/<cluster>/<agent node>"
  std::string type;     // "io.kafka-sentinel.broker.down"
  std::string subject;  // the entity: "broker/2", "topic/payments", "group/orders/topic/t"
  // Narrows the condition within (type, subject) when an entity can be in one of several
  // conditions of a type: the lag status ("STALL") or the group state ("Empty"). "" else.
  std::string condition;
  TimePoint time;       // when the transition was detected
  EventState state = EventState::firing;
  Severity severity = Severity::warning;
  std::string summary;  // one line for humans: "broker 2 (127.0.0.1:9093) is down"
  TimePoint since;      // when the condition was first seen holding (the streak's start)
  // Values seen when the transition was detected, and the thresholds crossed (if any).
  nlohmann::ordered_json observed = nlohmann::ordered_json::object();
  nlohmann::ordered_json thresholds = nlohmann::ordered_json::object();
  // Resolved events: the id of the firing event they end ("" if unknown).
  std::string firing_id;

  // Identifies the condition across its firing and resolved events.
  std::string condition_key() const {
    std::string key = type;
    key += '|';
    key += subject;
    key += '|';
    key += condition;
    return key;
  }
};

}  // namespace ks

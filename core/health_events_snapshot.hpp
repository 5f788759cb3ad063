// What the health-events evaluator holds after its latest evaluation: the conditions
// firing now and the last transitions it spooled (newest last). Published by the events
// pipeline (events/pipeline.cpp) for readers that must not touch the evaluator's thread:
// the JSON API's /api/v1/events.
#pragma once

#include <chrono>
#include <vector>

#include "core/health_event.hpp"

namespace ks {

struct HealthEventsSnapshot {
  std::chrono::system_clock::time_point taken_at;  // of the evaluation
  std::vector<HealthEvent> firing;                 // one firing event per condition
  std::vector<HealthEvent> recent;                 // transitions, oldest first
};

// Transitions a HealthEventsSnapshot keeps.
inline constexpr std::size_t kRecentHealthEvents = 50;

}  // namespace ks

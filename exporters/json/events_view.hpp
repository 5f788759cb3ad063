// /api/v1/events: the health conditions firing now and the last transitions, from the
// events pipeline's latest evaluation (core/health_events_snapshot.hpp). Each event has the
// fields of its CloudEvent (docs/events.md) in plain JSON.
#pragma once

#include <nlohmann/json.hpp>

#include "core/health_events_snapshot.hpp"

namespace ks::api {

nlohmann::ordered_json health_event_json(const HealthEvent& event);
nlohmann::ordered_json events_json(const HealthEventsSnapshot& snapshot);

}  // namespace ks::api

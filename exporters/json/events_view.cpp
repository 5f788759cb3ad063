#include "exporters/json/events_view.hpp"

#include "exporters/json/json_time.hpp"

namespace ks::api {

nlohmann::ordered_json health_event_json(const HealthEvent& e) {
  nlohmann::ordered_json out{{"id", e.id},
                             {"type", e.type},
                             {"subject", e.subject},
                             {"condition", e.condition.empty() ? nlohmann::ordered_json(nullptr)
                                                               : nlohmann::ordered_json(e.condition)},
                             {"state", std::string(state_name(e.state))},
                             {"severity", std::string(severity_name(e.severity))},
                             {"summary", e.summary},
                             {"time", rfc3339(e.time)},
                             {"since", rfc3339(e.since)},
                             {"observed", e.observed},
                             {"thresholds", e.thresholds}};
  if (!e.firing_id.empty()) out["firing_id"] = e.firing_id;
  return out;
}

nlohmann::ordered_json events_json(const HealthEventsSnapshot& s) {
  nlohmann::ordered_json firing = nlohmann::ordered_json::array();
  for (const HealthEvent& e : s.firing) firing.push_back(health_event_json(e));
  nlohmann::ordered_json recent = nlohmann::ordered_json::array();
  for (auto it = s.recent.rbegin(); it != s.recent.rend(); ++it) recent.push_back(health_event_json(*it));
  return {{"taken_at", rfc3339(s.taken_at)},
          {"firing_count", s.firing.size()},
          {"firing", std::move(firing)},
          {"recent", std::move(recent)}};
}

}  // namespace ks::api

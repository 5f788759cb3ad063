#include "events/role_handoff.hpp"

#include "events/transition_detector.hpp"

namespace ks::events {

std::string event_group(const HealthEvent& event) {
  if (domain_of(event.type) != Domain::groups) return "";
  const auto it = event.observed.find("group");
  return it != event.observed.end() && it->is_string() ? it->get<std::string>() : "";
}

bool owns_condition(const fleet::OwnedShards& shards, const HealthEvent& event) {
  switch (domain_of(event.type)) {
    case Domain::cluster: return shards.leader();
    case Domain::groups: return shards.owns_group(event_group(event));
    case Domain::host:
    case Domain::agent:
    case Domain::probe: return true;  // each agent's own broker (or all, alone)
  }
  return true;
}

RoleHandoff::Change RoleHandoff::update(const fleet::OwnedShards& now) {
  Change change;
  const fleet::OwnedShards before = applied_;
  change.lost = [before, now](const HealthEvent& e) {
    return owns_condition(before, e) && !owns_condition(now, e);
  };
  change.gained = [before, now](const HealthEvent& e) {
    return owns_condition(now, e) && !owns_condition(before, e);
  };
  // A partition count change re-maps every group: treat every owned shard as gained.
  const bool remapped = before.partitions != now.partitions;
  change.any_gained = (now.leader() && !before.leader()) ||
                      (now.everything && !before.everything);
  for (int p = 0; p < now.partitions && !change.any_gained; ++p) {
    if (now.owns_partition(p) && (remapped || !before.owns_partition(p))) change.any_gained = true;
  }
  applied_ = now;
  return change;
}

std::vector<HealthEvent> firing_to_seed(const std::vector<HealthEvent>& topic_events,
                                        const std::vector<HealthEvent>& spooled,
                                        const RoleHandoff::Predicate& gained) {
  std::map<std::string, const HealthEvent*> last;
  for (const auto* events : {&topic_events, &spooled}) {
    for (const HealthEvent& e : *events) {
      if (gained(e)) last[e.condition_key()] = &e;
    }
  }
  std::vector<HealthEvent> firing;
  for (const auto& [key, e] : last) {
    if (e->state == EventState::firing) firing.push_back(*e);
  }
  return firing;
}

}  // namespace ks::events

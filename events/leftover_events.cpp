#include "events/leftover_events.hpp"

#include <map>
#include <string>

namespace ks::events {

std::vector<std::uint64_t> superseded_leftovers(const std::vector<HealthEvent>& topic_events,
                                                const std::vector<LeftoverEvent>& leftovers) {
  std::map<std::string, const HealthEvent*> latest;  // condition -> its latest known event
  for (const HealthEvent& e : topic_events) latest[e.condition_key()] = &e;
  std::vector<std::uint64_t> superseded;
  for (const LeftoverEvent& leftover : leftovers) {
    const HealthEvent& e = leftover.event;
    const HealthEvent*& known = latest[e.condition_key()];
    if (known && (known->state == e.state || known->time > e.time)) {
      superseded.push_back(leftover.seq);
      continue;
    }
    known = &e;
  }
  return superseded;
}

}  // namespace ks::events

// Events a fleet agent's previous run spooled and never delivered, judged against the topic.
//
// An agent killed before Kafka acknowledged its last events finds them in its spool at the
// next start and delivers them: that is how events survive a crash. In a fleet, the
// conditions of those events may have been taken over meanwhile by another agent, which
// read the topic, did not find them (they were still in the dead agent's spool) and
// published its own. Delivering the leftovers then repeats a "firing" already in the topic,
// or puts an old state after a newer one. Found by test-fleet-netns on a loaded machine:
// group.lag_messages of one group fired twice, by the agent that took the group over and,
// 10 s later, by the restarted agent's spool.
#pragma once

#include <cstdint>
#include <vector>

#include "core/health_event.hpp"

namespace ks::events {

struct LeftoverEvent {
  std::uint64_t seq = 0;  // in the spool
  HealthEvent event;
};

// The spool sequence numbers of `leftovers` (in spool order) that the topic has made
// obsolete: an event whose condition's latest state (the topic's last event of it, or an
// earlier leftover kept) is the same state, or was observed later than it. The others are
// news and are delivered.
std::vector<std::uint64_t> superseded_leftovers(const std::vector<HealthEvent>& topic_events,
                                                const std::vector<LeftoverEvent>& leftovers);

}  // namespace ks::events

// Health events across fleet takeovers (docs/fleet.md): cluster conditions are judged by the
// leader, a consumer group's by the owner of its shard. When a role moves, the conditions
// it covers move with it, through the events topic itself:
//
// - the agent that LOSES a role forgets the role's conditions without resolving them (the
//   group did not recover; someone else watches it now);
// - the agent that GAINS a role first reads the events topic to its end and takes the last
//   event of each condition of the role as the truth (its own undelivered spool on top),
//   so a condition already firing is not fired again, and one that cleared while nobody
//   watched is resolved, once, by the new owner;
// - an event is spooled only while the role that produced it is still effective (the same
//   rule as /metrics), so an agent that lost its lease publishes nothing for the role.
//
// Pure: which conditions belong to which role and what a takeover seeds; the pipeline does
// the Kafka reading.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "fleet/ownership.hpp"
#include "core/health_event.hpp"

namespace ks::events {

// The roles an agent holds right now.
struct Roles {
  fleet::OwnedShards shards;
  // When the leader role last became effective: cluster snapshots older than this belong to
  // an earlier term and are not judged.
  std::chrono::system_clock::time_point leader_since{};
};

// Whether the condition of `event` is this agent's to judge and publish under `shards`:
// cluster conditions on the leader, group conditions on the owner of the group's shard,
// host and agent conditions always (they are about this agent and its node).
bool owns_condition(const fleet::OwnedShards& shards, const HealthEvent& event);

// The group a group event is about ("" for other events).
std::string event_group(const HealthEvent& event);

class RoleHandoff {
 public:
  using Predicate = std::function<bool(const HealthEvent&)>;

  struct Change {
    Predicate lost;    // conditions to forget (owned before, not now)
    Predicate gained;  // conditions to seed from the topic (owned now, not before)
    bool any_gained = false;
  };

  // Compares `now` with the roles applied last (none at first) and remembers `now`.
  Change update(const fleet::OwnedShards& now);

 private:
  fleet::OwnedShards applied_;  // nothing owned
};

// What a new owner must take as firing: of `topic_events` (the events topic in order) then
// `spooled` (this agent's undelivered events, newer than anything it published), the last
// event of every condition that `gained` covers, when that event is a firing one.
std::vector<HealthEvent> firing_to_seed(const std::vector<HealthEvent>& topic_events,
                                        const std::vector<HealthEvent>& spooled,
                                        const RoleHandoff::Predicate& gained);

}  // namespace ks::events

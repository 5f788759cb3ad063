// An agent of the fleet as the group coordinator describes it (DescribeConsumerGroups), and
// the fleet consumer's client id that carries who it is:
//
//   "<kafka.client_id>-fleet-<node>[~<fleet.broker_id>][@<fleet.advertised_url>]"
//
// The client id is the only text of a member that every other member can read, so the
// node's name, the broker it is the sidecar of and its URL ride in it. An agent from before
// the broker id wrote no "~<id>": it reads as a member without a broker (claims none).
#pragma once

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace ks::fleet {

struct FleetMember {
  std::string node;              // its node name (from its client id), else the client id
  std::string host;              // as the group coordinator saw it: "/10.0.0.5"
  std::vector<int> partitions;   // of the coordination topic; partition 0 = the leader
  std::string url{};             // its fleet.advertised_url ("" from an agent without one)
  std::int32_t broker_id = -1;   // its fleet.broker_id (-1: none, or an older agent)
};

// The member whose assignment holds `partition` (a group's shard, or 0 for the leader).
inline const FleetMember* owner_of(const std::vector<FleetMember>& members, int partition) {
  for (const FleetMember& m : members) {
    if (std::find(m.partitions.begin(), m.partitions.end(), partition) != m.partitions.end()) return &m;
  }
  return nullptr;
}

// What a member's client id tells.
struct MemberIdentity {
  std::string node;
  std::int32_t broker_id = -1;
  std::string url;
};

// The fleet consumer's client id (`broker_id` -1 and `url` "" are left out).
std::string fleet_client_id(const std::string& client_id, const std::string& node,
                            std::int32_t broker_id, const std::string& url);

// Reads a member's client id. `own_client_id` is this agent's kafka.client_id: a member
// with another one is read from after its first "-fleet-"; without any, the whole id is
// the node's name. A "~" followed by anything but a broker id (digits) is part of the name.
MemberIdentity parse_fleet_client_id(const std::string& member_client_id,
                                     const std::string& own_client_id);

// The brokers the members are the sidecars of (those with a broker id).
std::set<std::int32_t> claimed_brokers(const std::vector<FleetMember>& members);

}  // namespace ks::fleet

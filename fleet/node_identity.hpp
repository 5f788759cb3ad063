// Who this agent is in a fleet: its node's name (fleet.node_name, else the host name) and
// the labels its host metrics carry, so that per-node series of different agents stay
// apart and join with the broker's own (broker_id) without relying on `instance`.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/config.hpp"

namespace ks::fleet {

std::string node_name(const FleetConfig& fleet);

// {node, <name>} and, when fleet.broker_id is set, {broker_id, <id>}: when the fleet is
// enabled or either key is set. None otherwise, so a lone agent's output stays as it was.
std::vector<std::pair<std::string, std::string>> host_labels(const FleetConfig& fleet);

}  // namespace ks::fleet

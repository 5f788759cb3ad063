#include "fleet/node_identity.hpp"

#include <unistd.h>

#include <array>

namespace ks::fleet {

std::string node_name(const FleetConfig& fleet) {
  if (!fleet.node_name.empty()) return fleet.node_name;
  std::array<char, 256> host{};
  if (gethostname(host.data(), host.size() - 1) != 0 || host[0] == '\0') return "unknown";
  return host.data();
}

std::vector<std::pair<std::string, std::string>> host_labels(const FleetConfig& fleet) {
  std::vector<std::pair<std::string, std::string>> labels;
  if (!fleet.enabled && fleet.node_name.empty() && fleet.broker_id < 0) return labels;
  // Sorted by name, like every other label set in the output.
  if (fleet.broker_id >= 0) labels.emplace_back("broker_id", std::to_string(fleet.broker_id));
  labels.emplace_back("node", node_name(fleet));
  return labels;
}

}  // namespace ks::fleet

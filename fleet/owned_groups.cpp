#include "fleet/owned_groups.hpp"

#include <algorithm>

namespace ks::fleet {

std::shared_ptr<const GroupsSnapshot> owned_groups(std::shared_ptr<const GroupsSnapshot> snapshot,
                                                   const OwnedShards& owned) {
  if (!snapshot || owned.everything) return snapshot;
  const auto is_owned = [&owned](const GroupLag& g) { return owned.owns_group(g.name); };
  if (std::all_of(snapshot->groups.begin(), snapshot->groups.end(), is_owned)) return snapshot;
  auto part = std::make_shared<GroupsSnapshot>();
  part->taken_at = snapshot->taken_at;
  part->cycle = snapshot->cycle;
  for (const GroupLag& g : snapshot->groups) {
    if (is_owned(g)) part->groups.push_back(g);
  }
  return part;
}

}  // namespace ks::fleet

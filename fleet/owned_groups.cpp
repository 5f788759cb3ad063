#include "fleet/owned_groups.hpp"

#include <algorithm>

namespace ks::fleet {

std::shared_ptr<const GroupsSnapshot> owned_groups(std::shared_ptr<const GroupsSnapshot> snapshot,
                                                   const OwnedShards& owned) {
  if (!snapshot || owned.everything) return snapshot;
  const auto is_owned = [&owned](const GroupLag& g) { return owned.owns_group(g.name); };
  if (std::all_of(snapshot->groups.begin(), snapshot->groups.end(), is_owned)) return snapshot;
  // Everything but the rows of other agents' groups; the rows kept are the snapshot's own,
  // shared, not copied (core/shared_rows.hpp).
  auto part = std::make_shared<GroupsSnapshot>(*snapshot);
  part->groups.erase_if([&](const GroupLag& g) { return !is_owned(g); });
  return part;
}

}  // namespace ks::fleet

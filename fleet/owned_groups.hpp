// The part of a groups snapshot this agent may export now: the groups of the shards it
// owns. The groups collector already monitors only those, but a cycle that was running
// when a shard was revoked still publishes them; this filter, applied at render time, is
// what makes them vanish from /metrics the moment the shard is revoked.
#pragma once

#include <memory>

#include "fleet/ownership.hpp"
#include "core/groups_snapshot.hpp"

namespace ks::fleet {

// `snapshot` itself when every group in it is owned (the usual case: no copy), else a copy
// without the others.
std::shared_ptr<const GroupsSnapshot> owned_groups(std::shared_ptr<const GroupsSnapshot> snapshot,
                                                   const OwnedShards& owned);

}  // namespace ks::fleet

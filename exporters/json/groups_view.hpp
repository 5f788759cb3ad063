// /api/v1/groups and /api/v1/groups/{group}: consumer groups as the groups collector last
// saw them: state, members, and per topic and partition the committed offset, log end
// offset, lag, lag in seconds, Burrow's status, expired messages and catch-up time.
#pragma once

#include <nlohmann/json.hpp>

#include "core/groups_snapshot.hpp"

namespace ks::api {

// One group: its summary (state, members, status, total lag, worst lag in seconds), and
// with `partitions` its topics and their partitions.
nlohmann::ordered_json group_json(const GroupsSnapshot& snapshot, const GroupLag& group,
                                  bool partitions);
// Every monitored group this agent answers for, sorted by name.
nlohmann::ordered_json groups_json(const GroupsSnapshot& snapshot, bool partitions);

}  // namespace ks::api

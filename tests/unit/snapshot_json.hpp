// ClusterSnapshot and GroupsSnapshot to and from JSON, for the recorded snapshot fixture
// (tests/fixtures/snapshots/) that the golden test of the kafka_* families renders, and for
// the recorder that wrote it (tests/tools/record_snapshots.cpp). Test code only.
//
// Times are Unix milliseconds; a partition's replicas and ISR are plain id arrays (the
// snapshot's shared replica pool is rebuilt on load); optionals are absent keys; statuses
// are Burrow's names ("OK", "STALL", ...).
#pragma once

#include <nlohmann/json.hpp>

#include "core/cluster_snapshot.hpp"
#include "core/groups_snapshot.hpp"

namespace ks::testing {

nlohmann::ordered_json cluster_to_json(const ClusterSnapshot& s);
ClusterSnapshot cluster_from_json(const nlohmann::json& j);

nlohmann::ordered_json groups_to_json(const GroupsSnapshot& s);
GroupsSnapshot groups_from_json(const nlohmann::json& j);

}  // namespace ks::testing

// /api/v1/cluster: the cluster and its brokers as the brokers collector last saw them.
#pragma once

#include <nlohmann/json.hpp>

#include "core/cluster_snapshot.hpp"

namespace ks::api {

nlohmann::ordered_json broker_json(const BrokerState& broker);
// Cluster id, controller, brokers (up/down, rack, partition counts) and the partition
// health totals over the monitored topics.
nlohmann::ordered_json cluster_json(const ClusterSnapshot& snapshot);

}  // namespace ks::api

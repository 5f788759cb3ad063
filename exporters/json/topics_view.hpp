// /api/v1/topics and /api/v1/topics/{topic}: the monitored topics with their partitions'
// leaders, replicas, ISR, watermarks and health, from the brokers collector's snapshot.
#pragma once

#include <nlohmann/json.hpp>

#include "core/cluster_snapshot.hpp"

namespace ks::api {

// One topic: its totals, and with `partitions` every partition.
nlohmann::ordered_json topic_json(const TopicState& topic, bool partitions);
// Every monitored topic, sorted by name.
nlohmann::ordered_json topics_json(const ClusterSnapshot& snapshot, bool partitions);

}  // namespace ks::api

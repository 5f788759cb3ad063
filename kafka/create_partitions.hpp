// CreatePartitions: grows a topic to a new partition count, with the replicas of each new
// partition given (the first one its preferred leader, hence its leader when created). The
// end-to-end probe grows its topic so that a broker that joined leads a partition: librdkafka
// 2.0.2 offers neither AlterPartitionReassignments nor ElectLeaders, so moving an existing
// partition's leadership is not possible from here.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "kafka/create_topic.hpp"
#include "kafka/errors.hpp"

namespace ks::kafka {

class Client;

struct PartitionGrowth {
  std::string topic;
  int total_partitions = 0;  // the count after growing
  // Replicas of each new partition, in order (size: total_partitions - current count).
  std::vector<std::vector<std::int32_t>> new_replicas;
};

struct GrowthResult {
  ErrorCode error = ErrorCode::no_error;  // local_timed_out: no answer in time
  std::string message;
  bool ok() const { return !failed(error); }
};

// Throws InvalidNewTopic when librdkafka refuses the request before sending it.
GrowthResult create_partitions(const Client& client, const PartitionGrowth& growth,
                               const CreateTopicsOptions& options);

}  // namespace ks::kafka

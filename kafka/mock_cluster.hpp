// librdkafka's in-process mock cluster, for fault-injection tests and benchmarks: brokers
// on loopback that serve Metadata, ListOffsets, OffsetFetch/Commit, FindCoordinator, group
// membership, Produce and Fetch (not ListGroups, DescribeGroups, DescribeConfigs or
// CreateTopics: anything about listing or describing groups is proven on a real broker).
// Lives in the Kafka layer so that tests never include librdkafka themselves.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kafka/errors.hpp"

namespace ks::kafka {

class MockCluster {
 public:
  explicit MockCluster(int brokers);
  ~MockCluster();
  MockCluster(const MockCluster&) = delete;
  MockCluster& operator=(const MockCluster&) = delete;

  const std::string& bootstrap_servers() const { return bootstrap_; }

  // Each throws std::runtime_error when the mock refuses.
  void create_topic(const std::string& topic, int partitions, int replication_factor);
  void set_partition_leader(const std::string& topic, int partition, int broker);
  // Metadata answers `error` for `topic` from now on (e.g. topic_authorization_failed).
  void set_topic_error(const std::string& topic, ErrorCode error);
  void set_broker_down(int broker);
  void set_broker_up(int broker);
  // `key_type` "group" (or "transaction"), the group id, the broker that coordinates it.
  void set_coordinator(const std::string& key_type, const std::string& key, int broker);
  // The next requests of Kafka API `api_key` (e.g. 9 = OffsetFetch, 8 = OffsetCommit) fail
  // with `errors`, in order, one per request.
  void push_request_errors(int api_key, const std::vector<ErrorCode>& errors);
  // Writes `count` one-byte messages to partition `partition` of `topic` (a producer of
  // its own, flushed before it returns; 10 s at most).
  void produce(const std::string& topic, int partition, std::int64_t count);

 private:
  struct State;
  std::unique_ptr<State> state_;
  std::string bootstrap_;
};

}  // namespace ks::kafka

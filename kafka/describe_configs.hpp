// DescribeConfigs calls issued together on one queue and awaited together with a deadline,
// so they can run while the caller does other work (the broker collector fetches
// watermarks meanwhile, and collects late answers in its next cycles).
#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "kafka/handles.hpp"

namespace ks::kafka {

struct ConfigResourceResult {
  rd_kafka_ResourceType_t type = RD_KAFKA_RESOURCE_UNKNOWN;
  std::string name;
  rd_kafka_resp_err_t error = RD_KAFKA_RESP_ERR_NO_ERROR;
  std::vector<std::pair<std::string, std::string>> entries;  // name, value (value may be "")
};

struct DescribeConfigsResults {
  std::vector<ConfigResourceResult> resources;  // of the calls that were answered
  std::size_t failed_calls = 0;                 // calls that failed or were not answered
  rd_kafka_resp_err_t first_error = RD_KAFKA_RESP_ERR_NO_ERROR;
};

class DescribeConfigsBatch {
 public:
  DescribeConfigsBatch(rd_kafka_t* rk, std::chrono::milliseconds timeout);

  // Starts one DescribeConfigs call for `names` (all of `type`). `config_names` limits the
  // answer to those entries (the request's ConfigNames); empty = every entry. librdkafka
  // sends a BROKER resource to that broker: give each broker its own call.
  void start(rd_kafka_ResourceType_t type, std::span<const std::string> names,
             std::span<const std::string> config_names);

  std::size_t pending() const { return pending_; }
  bool done() const { return pending_ == 0; }

  // The answers that have arrived, waiting up to `wait` for the rest (0: only what is there).
  // Once the deadline (timeout after construction) has passed, the calls still unanswered
  // count as failed and the batch is done. Call it until done(): each answer is returned once.
  DescribeConfigsResults poll(std::chrono::milliseconds wait);
  // Waits for every started call until the deadline.
  DescribeConfigsResults wait() { return poll(std::chrono::milliseconds::max()); }

 private:
  rd_kafka_t* rk_;
  std::chrono::steady_clock::time_point deadline_;
  QueuePtr queue_;
  std::size_t pending_ = 0;
  std::size_t start_failures_ = 0;
};

}  // namespace ks::kafka

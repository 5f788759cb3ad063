// DescribeConfigs calls issued together on one queue and awaited together with a deadline,
// so they can run while the caller does other work (the broker collector fetches
// watermarks meanwhile, and collects late answers in its next cycles).
#pragma once

#include <chrono>
#include <memory>
#include <span>
#include <stop_token>
#include <string>
#include <utility>
#include <vector>

#include "kafka/client.hpp"
#include "kafka/errors.hpp"

namespace ks::kafka {

enum class ConfigResourceType { unknown, topic, broker };

struct ConfigResourceResult {
  ConfigResourceType type = ConfigResourceType::unknown;
  std::string name;
  ErrorCode error = ErrorCode::no_error;
  std::vector<std::pair<std::string, std::string>> entries;  // name, value (value may be "")
};

struct DescribeConfigsResults {
  std::vector<ConfigResourceResult> resources;  // of the calls that were answered
  std::size_t failed_calls = 0;                 // calls that failed or were not answered
  ErrorCode first_error = ErrorCode::no_error;
};

class DescribeConfigsBatch {
 public:
  // `client` must outlive the batch.
  DescribeConfigsBatch(const Client& client, std::chrono::milliseconds timeout);
  ~DescribeConfigsBatch();
  DescribeConfigsBatch(const DescribeConfigsBatch&) = delete;
  DescribeConfigsBatch& operator=(const DescribeConfigsBatch&) = delete;

  // Starts one DescribeConfigs call for `names` (all of `type`). `config_names` limits the
  // answer to those entries (the request's ConfigNames); empty = every entry. librdkafka
  // sends a BROKER resource to that broker: give each broker its own call.
  void start(ConfigResourceType type, std::span<const std::string> names,
             std::span<const std::string> config_names);

  std::size_t pending() const { return pending_; }
  bool done() const { return pending_ == 0; }

  // The answers that have arrived, waiting up to `wait` for the rest (0: only what is there).
  // Once the deadline (timeout after construction) has passed, the calls still unanswered
  // count as failed and the batch is done. Call it until done(): each answer is returned once.
  // The wait runs in slices: StopRequested soon after `stop` is requested (the answers
  // not returned yet stay pending).
  DescribeConfigsResults poll(std::chrono::milliseconds wait, std::stop_token stop = {});
  // Waits for every started call until the deadline.
  DescribeConfigsResults wait(std::stop_token stop = {}) {
    return poll(std::chrono::milliseconds::max(), std::move(stop));
  }

 private:
  struct Queue;  // librdkafka's queue, in kafka/describe_configs.cpp
  const Client& client_;
  std::chrono::steady_clock::time_point deadline_;
  std::unique_ptr<Queue> queue_;
  std::size_t pending_ = 0;
  std::size_t start_failures_ = 0;
};

}  // namespace ks::kafka

#include "kafka/describe_configs.hpp"

#include <algorithm>
#include <array>

#include "kafka/detail/native.hpp"

namespace ks::kafka {
namespace {

using Clock = std::chrono::steady_clock;

// A stop request is noticed within this while waiting for answers.
constexpr std::chrono::milliseconds kPollSlice{200};

rd_kafka_ResourceType_t native(ConfigResourceType type) {
  switch (type) {
    case ConfigResourceType::topic: return RD_KAFKA_RESOURCE_TOPIC;
    case ConfigResourceType::broker: return RD_KAFKA_RESOURCE_BROKER;
    case ConfigResourceType::unknown: break;
  }
  return RD_KAFKA_RESOURCE_UNKNOWN;
}

ConfigResourceType plain(rd_kafka_ResourceType_t type) {
  switch (type) {
    case RD_KAFKA_RESOURCE_TOPIC: return ConfigResourceType::topic;
    case RD_KAFKA_RESOURCE_BROKER: return ConfigResourceType::broker;
    default: return ConfigResourceType::unknown;
  }
}

ConfigResourceResult read_resource(const rd_kafka_ConfigResource_t* r) {
  ConfigResourceResult out;
  out.type = plain(rd_kafka_ConfigResource_type(r));
  out.name = rd_kafka_ConfigResource_name(r);
  out.error = error_code(rd_kafka_ConfigResource_error(r));
  size_t entry_count = 0;
  const rd_kafka_ConfigEntry_t** entries = rd_kafka_ConfigResource_configs(r, &entry_count);
  out.entries.reserve(entry_count);
  for (size_t e = 0; e < entry_count; ++e) {
    const char* value = rd_kafka_ConfigEntry_value(entries[e]);
    out.entries.emplace_back(rd_kafka_ConfigEntry_name(entries[e]), value ? value : "");
  }
  return out;
}

// One call's answer into `results`: its resources, or its failure.
void read_answer(rd_kafka_event_t* event, DescribeConfigsResults& results) {
  if (const rd_kafka_resp_err_t err = rd_kafka_event_error(event); err) {
    ++results.failed_calls;
    if (!failed(results.first_error)) results.first_error = error_code(err);
    return;
  }
  const rd_kafka_DescribeConfigs_result_t* result = rd_kafka_event_DescribeConfigs_result(event);
  size_t count = 0;
  const rd_kafka_ConfigResource_t** resources =
      rd_kafka_DescribeConfigs_result_resources(result, &count);
  for (size_t i = 0; i < count; ++i) results.resources.push_back(read_resource(resources[i]));
}

}  // namespace

struct DescribeConfigsBatch::Queue {
  QueuePtr queue;
};

DescribeConfigsBatch::DescribeConfigsBatch(const Client& client, std::chrono::milliseconds timeout)
    : client_(client),
      deadline_(Clock::now() + timeout),
      queue_(std::make_unique<Queue>(Queue{QueuePtr(rd_kafka_queue_new(native(client)))})) {}

DescribeConfigsBatch::~DescribeConfigsBatch() = default;

void DescribeConfigsBatch::start(ConfigResourceType type, std::span<const std::string> names,
                                 std::span<const std::string> config_names) {
  if (names.empty()) return;
  rd_kafka_t* rk = native(client_);
  std::vector<ConfigResourcePtr> owned;
  std::vector<rd_kafka_ConfigResource_t*> resources;
  owned.reserve(names.size());
  resources.reserve(names.size());
  for (const std::string& name : names) {
    owned.emplace_back(rd_kafka_ConfigResource_new(native(type), name.c_str()));
    for (const std::string& config : config_names) {
      // For DescribeConfigs only the names are sent: they become the request's ConfigNames.
      rd_kafka_ConfigResource_set_config(owned.back().get(), config.c_str(), nullptr);
    }
    resources.push_back(owned.back().get());
  }
  AdminOptionsPtr options(rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS));
  std::array<char, 256> error{};
  if (rd_kafka_AdminOptions_set_request_timeout(options.get(), remaining_ms(deadline_, 1),
                                                error.data(), error.size()) !=
      RD_KAFKA_RESP_ERR_NO_ERROR) {
    ++start_failures_;
    return;
  }
  // The call copies the resources and options.
  rd_kafka_DescribeConfigs(rk, resources.data(), resources.size(), options.get(),
                           queue_->queue.get());
  ++pending_;
}

DescribeConfigsResults DescribeConfigsBatch::poll(std::chrono::milliseconds wait,
                                                  std::stop_token stop) {
  DescribeConfigsResults results;
  results.failed_calls = start_failures_;
  start_failures_ = 0;
  const auto now = Clock::now();
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - now);
  const auto until = wait >= left ? deadline_ : now + wait;
  while (pending_ > 0) {
    if (stop.stop_requested()) throw StopRequested("DescribeConfigs wait abandoned: stop requested");
    const int slice = std::min(remaining_ms(until), static_cast<int>(kPollSlice.count()));
    EventPtr event(rd_kafka_queue_poll(queue_->queue.get(), slice));
    if (!event) {
      if (Clock::now() >= until) break;  // nothing more within the wait
      continue;
    }
    if (rd_kafka_event_type(event.get()) != RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT) continue;
    --pending_;
    read_answer(event.get(), results);
  }
  if (pending_ > 0 && Clock::now() >= deadline_) {
    // Not answered in time: the queue is destroyed with them; their results are dropped.
    results.failed_calls += pending_;
    if (!failed(results.first_error)) results.first_error = ErrorCode::local_timed_out;
    pending_ = 0;
  }
  return results;
}

}  // namespace ks::kafka

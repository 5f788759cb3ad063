#include "kafka/describe_configs.hpp"

#include <array>

namespace ks::kafka {

DescribeConfigsBatch::DescribeConfigsBatch(rd_kafka_t* rk, std::chrono::milliseconds timeout)
    : rk_(rk),
      deadline_(std::chrono::steady_clock::now() + timeout),
      queue_(rd_kafka_queue_new(rk)) {}

void DescribeConfigsBatch::start(rd_kafka_ResourceType_t type, std::span<const std::string> names,
                                 std::span<const std::string> config_names) {
  if (names.empty()) return;
  std::vector<ConfigResourcePtr> owned;
  std::vector<rd_kafka_ConfigResource_t*> resources;
  owned.reserve(names.size());
  resources.reserve(names.size());
  for (const std::string& name : names) {
    owned.emplace_back(rd_kafka_ConfigResource_new(type, name.c_str()));
    for (const std::string& config : config_names) {
      // For DescribeConfigs only the names are sent: they become the request's ConfigNames.
      rd_kafka_ConfigResource_set_config(owned.back().get(), config.c_str(), nullptr);
    }
    resources.push_back(owned.back().get());
  }
  AdminOptionsPtr options(rd_kafka_AdminOptions_new(rk_, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS));
  std::array<char, 256> error{};
  const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline_ - std::chrono::steady_clock::now());
  const int timeout_ms = static_cast<int>(std::max<long long>(1, remaining.count()));
  if (rd_kafka_AdminOptions_set_request_timeout(options.get(), timeout_ms, error.data(),
                                                error.size()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    ++start_failures_;
    return;
  }
  // The call copies the resources and options.
  rd_kafka_DescribeConfigs(rk_, resources.data(), resources.size(), options.get(), queue_.get());
  ++pending_;
}

DescribeConfigsResults DescribeConfigsBatch::poll(std::chrono::milliseconds wait) {
  DescribeConfigsResults results;
  results.failed_calls = start_failures_;
  start_failures_ = 0;
  const auto now = std::chrono::steady_clock::now();
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - now);
  const auto until = wait >= left ? deadline_ : now + wait;
  while (pending_ > 0) {
    const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    EventPtr event(rd_kafka_queue_poll(
        queue_.get(), static_cast<int>(std::max<long long>(0, remaining.count()))));
    if (!event) break;  // nothing more within the wait
    if (rd_kafka_event_type(event.get()) != RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT) continue;
    --pending_;
    if (const rd_kafka_resp_err_t err = rd_kafka_event_error(event.get()); err) {
      ++results.failed_calls;
      if (!results.first_error) results.first_error = err;
      continue;
    }
    const rd_kafka_DescribeConfigs_result_t* result =
        rd_kafka_event_DescribeConfigs_result(event.get());
    size_t count = 0;
    const rd_kafka_ConfigResource_t** resources =
        rd_kafka_DescribeConfigs_result_resources(result, &count);
    for (size_t i = 0; i < count; ++i) {
      const rd_kafka_ConfigResource_t* r = resources[i];
      ConfigResourceResult out;
      out.type = rd_kafka_ConfigResource_type(r);
      out.name = rd_kafka_ConfigResource_name(r);
      out.error = rd_kafka_ConfigResource_error(r);
      size_t entry_count = 0;
      const rd_kafka_ConfigEntry_t** entries = rd_kafka_ConfigResource_configs(r, &entry_count);
      out.entries.reserve(entry_count);
      for (size_t e = 0; e < entry_count; ++e) {
        const char* value = rd_kafka_ConfigEntry_value(entries[e]);
        out.entries.emplace_back(rd_kafka_ConfigEntry_name(entries[e]), value ? value : "");
      }
      results.resources.push_back(std::move(out));
    }
  }
  if (pending_ > 0 && std::chrono::steady_clock::now() >= deadline_) {
    // Not answered in time: the queue is destroyed with them; their results are dropped.
    results.failed_calls += pending_;
    if (!results.first_error) results.first_error = RD_KAFKA_RESP_ERR__TIMED_OUT;
    pending_ = 0;
  }
  return results;
}

}  // namespace ks::kafka

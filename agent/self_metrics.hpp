// The agent's own health, held in a prometheus-cpp registry: build info, per-collector
// duration / success / last success, and process CPU and memory.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "agent/client_broker_metrics.hpp"
#include "kafka/failure_cause.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

namespace ks {

class SelfMetrics {
 public:
  SelfMetrics();

  void record_collection(const std::string& collector, std::chrono::duration<double> took,
                         bool success, std::chrono::system_clock::time_point finished_at);
  // Reads /proc/self: called before each render, so the values are as of the render.
  void refresh_process_metrics();

  prometheus::Registry& registry() { return *registry_; }

 private:
  void refresh_kafka_failures();  // under mutex_

  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Gauge>& build_info_;
  prometheus::Family<prometheus::Gauge>& duration_;
  prometheus::Family<prometheus::Gauge>& success_;
  prometheus::Family<prometheus::Gauge>& last_success_;
  prometheus::Family<prometheus::Counter>& runs_;
  prometheus::Family<prometheus::Counter>& errors_;
  prometheus::Counter& process_cpu_;
  double process_cpu_seen_ = 0;  // what process_cpu_ already counts
  prometheus::Gauge& process_rss_;
  prometheus::Gauge& process_vsize_;
  prometheus::Gauge& process_start_;
  prometheus::Gauge& process_fds_;
  prometheus::Family<prometheus::Counter>& kafka_failures_;
  std::array<std::uint64_t, kafka::kFailureCauseCount> kafka_failures_seen_{};  // what kafka_failures_ counts, by cause
  ClientBrokerMetrics client_brokers_;  // kafka_sentinel_client_broker_*
  std::mutex mutex_;  // prometheus-cpp families are thread-safe; this guards refresh order
};

}  // namespace ks

#include "agent/self_metrics.hpp"

#include "agent/process_stats.hpp"
#include "kafka/failure_cause.hpp"
#include "kafka/version.hpp"
#include "ks_revision.hpp"  // generated at build time: KS_REVISION

namespace ks {
namespace {

// Every cause from the start, at 0: an alert on increase() sees the first failure.
prometheus::Family<prometheus::Counter>& register_kafka_failures(prometheus::Registry& registry) {
  auto& family = prometheus::BuildCounter()
                     .Name("kafka_sentinel_kafka_failures_total")
                     .Help("Failures the agent's Kafka clients reported, by cause "
                           "(authentication_failed, certificate_verify_failed, ...).")
                     .Register(registry);
  for (std::size_t i = 1; i < kafka::kFailureCauseCount; ++i) {
    const auto cause = static_cast<kafka::FailureCause>(i);
    family.Add({{"cause", std::string(kafka::cause_label(cause))}});
  }
  return family;
}

}  // namespace

SelfMetrics::SelfMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      build_info_(prometheus::BuildGauge()
                      .Name("kafka_sentinel_build_info")
                      .Help("Build of the running agent; the value is always 1.")
                      .Register(*registry_)),
      duration_(prometheus::BuildGauge()
                    .Name("kafka_sentinel_collector_duration_seconds")
                    .Help("How long the collector's last cycle took.")
                    .Register(*registry_)),
      success_(prometheus::BuildGauge()
                   .Name("kafka_sentinel_collector_success")
                   .Help("1 if the collector's last cycle succeeded, 0 if it failed.")
                   .Register(*registry_)),
      last_success_(prometheus::BuildGauge()
                        .Name("kafka_sentinel_collector_last_success_timestamp_seconds")
                        .Help("When the collector last succeeded (Unix time).")
                        .Register(*registry_)),
      runs_(prometheus::BuildCounter()
                .Name("kafka_sentinel_collector_runs_total")
                .Help("Collection cycles run, successful or not.")
                .Register(*registry_)),
      errors_(prometheus::BuildCounter()
                  .Name("kafka_sentinel_collector_errors_total")
                  .Help("Collection cycles that failed.")
                  .Register(*registry_)),
      process_cpu_(prometheus::BuildCounter()
                       .Name("process_cpu_seconds_total")
                       .Help("Total user and system CPU time spent in seconds.")
                       .Register(*registry_)
                       .Add({})),
      process_rss_(prometheus::BuildGauge()
                       .Name("process_resident_memory_bytes")
                       .Help("Resident memory size in bytes.")
                       .Register(*registry_)
                       .Add({})),
      process_vsize_(prometheus::BuildGauge()
                         .Name("process_virtual_memory_bytes")
                         .Help("Virtual memory size in bytes.")
                         .Register(*registry_)
                         .Add({})),
      process_start_(prometheus::BuildGauge()
                         .Name("process_start_time_seconds")
                         .Help("Start time of the process since unix epoch in seconds.")
                         .Register(*registry_)
                         .Add({})),
      process_fds_(prometheus::BuildGauge()
                       .Name("process_open_fds")
                       .Help("Number of open file descriptors.")
                       .Register(*registry_)
                       .Add({})),
      kafka_failures_(register_kafka_failures(*registry_)),
      client_brokers_(*registry_) {
  build_info_.Add({{"version", KS_VERSION},
                   {"revision", KS_REVISION},
                   {"librdkafka_version", ks::kafka::library_version()}})
      .Set(1);
}

void SelfMetrics::record_collection(const std::string& collector,
                                    std::chrono::duration<double> took, bool success,
                                    std::chrono::system_clock::time_point finished_at) {
  const prometheus::Labels labels{{"collector", collector}};
  duration_.Add(labels).Set(took.count());
  success_.Add(labels).Set(success ? 1 : 0);
  runs_.Add(labels).Increment();
  auto& errors = errors_.Add(labels);  // present from the first cycle, also when 0
  if (success) {
    last_success_.Add(labels).Set(
        std::chrono::duration<double>(finished_at.time_since_epoch()).count());
  } else {
    errors.Increment();
  }
}

void SelfMetrics::refresh_kafka_failures() {
  const auto counts = kafka::failure_counts();
  for (std::size_t i = 1; i < counts.size(); ++i) {
    if (counts[i] <= kafka_failures_seen_[i]) continue;
    const auto cause = static_cast<kafka::FailureCause>(i);
    kafka_failures_.Add({{"cause", std::string(kafka::cause_label(cause))}})
        .Increment(static_cast<double>(counts[i] - kafka_failures_seen_[i]));
    kafka_failures_seen_[i] = counts[i];
  }
}

void SelfMetrics::refresh_process_metrics() {
  std::lock_guard lock(mutex_);
  refresh_kafka_failures();
  client_brokers_.refresh(kafka::process_statistics());
  const auto stats = read_process_stats();
  if (!stats) return;
  if (stats->cpu_seconds > process_cpu_seen_) {
    process_cpu_.Increment(stats->cpu_seconds - process_cpu_seen_);
    process_cpu_seen_ = stats->cpu_seconds;
  }
  process_rss_.Set(stats->resident_bytes);
  process_vsize_.Set(stats->virtual_bytes);
  process_start_.Set(stats->start_time_seconds);
  process_fds_.Set(stats->open_fds);
}

}  // namespace ks

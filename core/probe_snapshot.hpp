// What the end-to-end probe (collectors/probe/) saw: per probe partition and the broker that
// led it when each message was sent, the messages' fate and latencies; per broker the probe
// is responsible for, whether it is covered and healthy. Rendered as kafka_sentinel_probe_*
// (exporters/prometheus/probe_metrics), judged as probe.failing / probe.slow (events/).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ks {

// A Prometheus-style histogram of latencies in seconds, with fixed buckets from 1 ms to
// 30 s: a healthy local probe lands in the first buckets, a broker stuck on a disk in the
// last ones.
struct LatencyHistogram {
  static constexpr std::array<double, 14> kBounds{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                  0.25,  0.5,    1,     2.5,  5,     10,  30};
  std::array<std::uint64_t, kBounds.size()> buckets{};  // per bucket, not cumulative
  std::uint64_t count = 0;  // every observation (also those above the last bound)
  double sum = 0;

  void observe(double seconds) {
    for (std::size_t i = 0; i < kBounds.size(); ++i) {
      if (seconds <= kBounds[i]) {
        ++buckets[i];
        break;
      }
    }
    ++count;
    sum += seconds;
  }
};

// One probe partition while led by one broker (the leader when each message was sent).
struct ProbePartitionStats {
  std::int32_t partition = -1;
  std::int32_t broker = -1;
  std::uint64_t sent = 0;
  std::uint64_t acked = 0;
  std::uint64_t received = 0;
  std::uint64_t lost = 0;          // not received within probe.timeout
  std::uint64_t duplicated = 0;    // received again
  std::uint64_t out_of_order = 0;  // received after a later message of the same partition
  std::uint64_t commits = 0;
  LatencyHistogram produce;     // send -> acknowledged
  LatencyHistogram end_to_end;  // send -> consumed
  LatencyHistogram commit;      // commit sent -> commit answered
  std::map<std::string, std::uint64_t> produce_errors;  // by librdkafka's error name
  std::map<std::string, std::uint64_t> fetch_errors;
};

// A broker the probe answers for (all brokers; in a fleet, this agent's own and adopted ones).
struct ProbeBrokerHealth {
  std::int32_t broker = -1;
  bool live = false;     // in the cluster's metadata
  int partitions = 0;    // probe partitions it leads that are probed
  bool failing = false;  // this cycle: uncovered, or messages lost or refused since the last
  std::string reason;    // why failing, in words ("" when not)
  std::optional<double> end_to_end_p99;  // seconds, over its recent messages
  std::uint64_t recent_samples = 0;      // messages the p99 is computed from
};

struct ProbeSnapshot {
  std::chrono::system_clock::time_point taken_at{};
  std::string topic;
  std::string agent_id;
  bool managed = true;         // the agent creates and grows the topic
  int topic_partitions = 0;    // 0: the topic is not there (yet)
  std::vector<ProbePartitionStats> partitions;  // by (partition, broker)
  std::vector<ProbeBrokerHealth> brokers;       // by broker id
  std::vector<std::int32_t> uncovered;          // brokers answered for that lead no probe partition
  // Brokers answered for besides the own one, as the fleet's leader: no sidecar claims them.
  std::vector<std::int32_t> adopted;
  std::uint64_t bytes_sent = 0;                 // message bytes produced (values and keys)
  // Thresholds of the events (carried so that the evaluator judges with the probe's config).
  int failing_intervals = 3;
  std::chrono::milliseconds slow_threshold{0};  // 0: probe.slow off
};

}  // namespace ks

// What each of the agent's Kafka clients saw of each broker, from librdkafka's statistics
// (kafka/statistics.hpp), kept for the whole process: the self-metrics
// kafka_sentinel_client_broker_* (docs/metrics.md).
//
// librdkafka's totals count from 0 for each client instance; a client the agent recreates
// (a collector reconnecting, a fleet role changing hands) starts again at 0. The totals here
// add up what every instance of a client counted, so they never go backwards.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "kafka/statistics.hpp"

namespace ks::kafka {

// Totals of one client about one broker.
struct BrokerTotals {
  std::uint64_t request_timeouts = 0;
  std::uint64_t transmit_errors = 0;
  std::uint64_t receive_errors = 0;
  std::uint64_t connects = 0;
  std::uint64_t disconnects = 0;

  bool operator==(const BrokerTotals&) const = default;
};

// One client's view of one broker. `broker` is the broker id, or "bootstrap" for the
// addresses of kafka.bootstrap_servers that librdkafka could not match to a broker id (its
// entries with node id -1: an address unlike the one the broker advertises, such as
// localhost for 127.0.0.1, or a broker not answering yet), all of them together.
struct ClientBrokerView {
  std::string client;  // the client's name: brokers, groups, events producer, fleet, ...
  std::string broker;
  // As of the last statistics interval in which the client measured any; seconds.
  std::optional<double> rtt_avg, rtt_p99, throttle_avg, throttle_p99;
  BrokerTotals totals;
};

// The broker label of an entry, or nullopt for entries that are no broker (librdkafka's
// internal one).
std::optional<std::string> broker_label(const BrokerStatistics& broker);

class StatisticsAccumulator {
 public:
  // The statistics of client instance `instance` (one per handle) named `client`.
  void record(std::string_view client, std::uint64_t instance, const ClientStatistics& stats);
  // The instance's handle is gone: its totals stay counted, its state is dropped.
  void forget(std::uint64_t instance);
  // A statistics document that could not be read.
  void count_malformed();

  std::vector<ClientBrokerView> views() const;  // sorted by client, then broker
  std::uint64_t malformed() const;

 private:
  struct Latencies {
    std::optional<double> rtt_avg, rtt_p99, throttle_avg, throttle_p99;
  };
  using ViewKey = std::pair<std::string, std::string>;             // client, broker label
  using EntryKey = std::pair<std::uint64_t, std::string>;          // instance, entry name

  void add(const ViewKey& key, const EntryKey& entry, const BrokerStatistics& b);

  mutable std::mutex mutex_;
  std::map<ViewKey, BrokerTotals> totals_;
  std::map<ViewKey, Latencies> latencies_;
  std::map<EntryKey, BrokerTotals> last_;  // what each instance's entry reported last
  std::uint64_t malformed_ = 0;
};

// The accumulator of every client of the process (kafka/client.cpp records into it).
StatisticsAccumulator& process_statistics();

}  // namespace ks::kafka

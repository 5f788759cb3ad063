// librdkafka's statistics (statistics.interval.ms) read into plain structs: what one client
// saw of each broker during the last interval and since it was created. Pure: no librdkafka
// and no I/O, so the unit tests and the fuzz target call it directly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ks::kafka {

// One of librdkafka's rolling windows, over the last statistics interval.
struct StatisticsWindow {
  std::int64_t avg = 0;  // of every sample
  std::int64_t max = 0;
  std::int64_t p99 = 0;  // of the samples within the histogram's range only
  std::int64_t count = 0;  // samples in the window; 0 = nothing measured in it
  std::int64_t out_of_range = 0;  // samples beyond the histogram's range (librdkafka's
                                  // outofrange; a round trip's tops out at 0.5 s)
};

// One entry of "brokers": a connection of the client. Totals are cumulative for the client
// instance (they restart at 0 when the client is recreated).
struct BrokerStatistics {
  std::string name;         // "host:port/1", "host:port/bootstrap", ":0/internal"
  std::int32_t nodeid = -1;  // -1: a bootstrap (configured) or internal entry
  std::string source;       // learned, configured, internal, logical
  StatisticsWindow rtt;       // request round trip, microseconds
  StatisticsWindow throttle;  // broker throttling, milliseconds
  std::uint64_t request_timeouts = 0;
  std::uint64_t transmit_errors = 0;
  std::uint64_t receive_errors = 0;
  std::uint64_t connects = 0;
  std::uint64_t disconnects = 0;
};

struct ClientStatistics {
  std::string handle;  // librdkafka's instance name, "rdkafka#consumer-1"
  std::string type;    // producer, consumer
  std::vector<BrokerStatistics> brokers;
};

// Exactly one of the two is set: the statistics, or what is wrong and where
// ("brokers.\"h:9092/1\".rtt.avg: expected a number, got string").
struct StatisticsParse {
  std::optional<ClientStatistics> statistics;
  std::string error;
};

StatisticsParse parse_statistics(std::string_view json);

}  // namespace ks::kafka

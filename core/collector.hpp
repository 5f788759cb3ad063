// A collector polls one source (procfs, Kafka metadata, consumer groups) and publishes
// immutable snapshots. The agent's scheduler runs each on its own thread.
#pragma once

#include <chrono>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>

namespace ks {

class Collector {
 public:
  virtual ~Collector() = default;
  virtual std::string_view name() const = 0;  // "host", "brokers", "groups"
  virtual std::chrono::milliseconds interval() const = 0;
  // Publishes a new snapshot, or throws CollectError (or any std::exception) saying why
  // not; the last good snapshot then stays published. Every wait inside (for Kafka, ...)
  // ends soon after `stop` is requested: the agent is shutting down.
  virtual void collect_once(std::stop_token stop) = 0;
  // What the cycle in progress is waiting on, when the collector knows (e.g. the last
  // connection failure of its Kafka client); "" otherwise. Called from other threads.
  virtual std::string cycle_problem() const { return {}; }
};

struct CollectError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace ks

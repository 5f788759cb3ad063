// A collector polls one source (procfs, Kafka metadata, consumer groups) and publishes
// immutable snapshots. The agent's scheduler runs each on its own thread.
#pragma once

#include <chrono>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>

#include "core/collector_status.hpp"

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
  // Set while the collector reads a backlog before its first snapshot (its first cycle
  // runs until done): /readyz then says how far it is, and it is not failing. Called from
  // other threads.
  virtual std::optional<LoadingProgress> loading() const { return std::nullopt; }
  // Anything an operator should know of how it collects (e.g. a fallback taken); "" when
  // nothing. Called from other threads.
  virtual std::string status_note() const { return {}; }
};

struct CollectError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace ks

// The lifecycle every long-lived part of the agent shares (the collectors' scheduler, the
// HTTP server, the fleet coordinator, the health-events pipeline): its configuration is
// checked without I/O, it starts, and it stops by a deadline. The agent holds its parts in
// one ordered list (agent/part_list.hpp): started in dependency order, stopped in reverse.
//
// A part's threads are std::jthreads and every blocking call inside one takes the thread's
// stop token (Collector::collect_once included), so request_stop() ends the waits of that
// part alone: there is no process-wide cancellation flag.
#pragma once

#include <chrono>
#include <stdexcept>
#include <string>
#include <string_view>

namespace ks {

using Deadline = std::chrono::steady_clock::time_point;

// A configuration value a part cannot run with; what() is "KEY.PATH: PROBLEM".
struct PartConfigError : std::runtime_error {
  PartConfigError(std::string_view key_path, std::string_view problem)
      : std::runtime_error(std::string(key_path) + ": " + std::string(problem)) {}
};

class Part {
 public:
  virtual ~Part() = default;

  // For logs: "http", "events", "collectors", "fleet".
  virtual std::string_view name() const = 0;
  // Checks the configuration the part was made with, without I/O (no file, socket or
  // Kafka); throws PartConfigError naming the key.
  virtual void validate() const {}
  // Opens what the part needs and starts its threads. Throws, saying why, when it cannot;
  // it has then left nothing running.
  virtual void start() = 0;
  // Asks every thread of the part to stop; returns at once. Idempotent; also when the part
  // never started.
  virtual void request_stop() = 0;
  // Stops (request_stop() first if not done) and waits for the part's threads, until
  // `deadline` wherever the part can bound its wait. False when it had not stopped by the
  // deadline (a thread hung in a call and left running, or a join that took longer).
  virtual bool stop(Deadline deadline) = 0;
};

}  // namespace ks

// Runs every collector on its own thread at its own (jittered) interval, times each
// cycle, records success and errors, and never lets one collector's failure or hang touch
// the others. A Part (core/lifecycle.hpp): each collector's thread hands its stop token to
// collect_once, so stopping ends the collectors' waits for Kafka or for their next interval.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "agent/self_metrics.hpp"
#include "core/collector.hpp"
#include "core/collector_status.hpp"
#include "core/lifecycle.hpp"

namespace ks {

class Scheduler final : public Part {
 public:
  static constexpr std::chrono::milliseconds kUnbounded = std::chrono::milliseconds::max();

  // `on_cycle` runs after every cycle of any collector (e.g. to invalidate caches).
  // `collector_stop_budget`: how long after request_stop() a collector still in a call is
  // waited for at most, whatever later deadline stop() is given.
  Scheduler(SelfMetrics& self_metrics, std::function<void()> on_cycle,
            std::chrono::milliseconds collector_stop_budget = kUnbounded);
  ~Scheduler() override;

  // Before start() only.
  void add(std::unique_ptr<Collector> collector);

  std::string_view name() const override { return "collectors"; }
  // Every collector has a positive interval.
  void validate() const override;
  void start() override;
  void request_stop() override;
  // Joins the collectors' threads that finish by the deadline (or the stop budget, if
  // sooner); those still running then (hung in a call) are detached and left running, and
  // their names are added to abandoned(). False when any was.
  bool stop(Deadline deadline) override;
  // request_stop(), then stop() within `within`; returns abandoned().
  std::vector<std::string> stop(std::chrono::milliseconds within);
  // Collectors given up on by stop(): the process must not run their destructors.
  std::vector<std::string> abandoned() const { return abandoned_; }

  std::vector<CollectorStatus> statuses() const;

  // Starts the named collector's next cycle now instead of at its next interval (the fleet
  // coordinator, when this agent takes over a role).
  void wake(std::string_view name);

 private:
  struct Slot {
    std::unique_ptr<Collector> collector;
    CollectorStatus status;
    std::jthread thread;
    std::atomic<bool> finished{false};
    std::mutex wait_mutex;
    std::condition_variable_any wakeup;
    bool wake_requested = false;  // guarded by wait_mutex
    // The collector's thread only: the failure last logged, failed cycles in a row.
    std::string logged_failure;
    std::uint64_t failed_streak = 0;
    bool abandoned = false;       // by stop(): its thread was detached, hung in a call
  };
  void run(std::stop_token stop, Slot& slot);
  // Status and log of one finished cycle: `error` is what /readyz and the events show (the
  // collector's error and its Kafka client's last failure), `bare_error` the collector's own.
  void record_outcome(Slot& slot, bool ok, const std::string& error, const std::string& bare_error);

  SelfMetrics& self_metrics_;
  std::function<void()> on_cycle_;
  const std::chrono::milliseconds collector_stop_budget_;
  std::vector<std::unique_ptr<Slot>> slots_;
  mutable std::mutex status_mutex_;
  // Stopping: called from the one thread that owns the scheduler.
  std::optional<Deadline> stop_requested_at_;
  std::vector<std::string> abandoned_;
};

}  // namespace ks

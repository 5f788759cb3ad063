// Runs every collector on its own thread at its own (jittered) interval, times each
// cycle, records success and errors, and never lets one collector's failure or hang touch
// the others.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "agent/self_metrics.hpp"
#include "core/collector.hpp"
#include "core/collector_status.hpp"

namespace ks {

class Scheduler {
 public:
  // `on_cycle` runs after every cycle of any collector (e.g. to invalidate caches).
  Scheduler(SelfMetrics& self_metrics, std::function<void()> on_cycle);
  ~Scheduler();

  void add(std::unique_ptr<Collector> collector);
  void start();
  // Asks every thread to stop and joins those that finish by `deadline`. Returns the
  // names of collectors still running then (hung in a call); their threads are detached.
  std::vector<std::string> stop(std::chrono::milliseconds deadline);

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
  };
  void run(std::stop_token stop, Slot& slot);

  SelfMetrics& self_metrics_;
  std::function<void()> on_cycle_;
  std::vector<std::unique_ptr<Slot>> slots_;
  mutable std::mutex status_mutex_;
};

}  // namespace ks

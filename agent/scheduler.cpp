#include "agent/scheduler.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <random>
#include <utility>

#include "kafka/failure_cause.hpp"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

namespace ks {
namespace {

// ±10% jitter, so collectors of many agents (and of one agent) don't poll in lockstep.
std::chrono::milliseconds jittered(std::chrono::milliseconds interval, std::mt19937& rng) {
  std::uniform_real_distribution<double> factor(0.9, 1.1);
  return std::chrono::milliseconds(
      static_cast<std::int64_t>(static_cast<double>(interval.count()) * factor(rng)));
}

// A failed cycle's error with what the collector's Kafka client last failed on, when it
// knows: "cluster unreachable at HOST:PORT: metadata request failed: ...; authentication
// failed (check sasl.mechanism, ...): sasl_ssl://...: SASL authentication error: ... (2 s ago)".
std::string with_problem(std::string error, const std::string& problem) {
  if (!problem.empty()) error += "; " + problem;
  return error;
}

}  // namespace

Scheduler::Scheduler(SelfMetrics& self_metrics, std::function<void()> on_cycle,
                     std::chrono::milliseconds collector_stop_budget)
    : self_metrics_(self_metrics),
      on_cycle_(std::move(on_cycle)),
      collector_stop_budget_(collector_stop_budget) {}

Scheduler::~Scheduler() { stop(std::chrono::milliseconds(0)); }

void Scheduler::validate() const {
  for (const auto& slot : slots_) {
    const auto interval = slot->collector->interval();
    if (interval <= std::chrono::milliseconds::zero()) {
      throw PartConfigError("collectors." + slot->status.name + ".interval",
                            "must be positive, got " + std::to_string(interval.count()) + "ms");
    }
  }
}

void Scheduler::add(std::unique_ptr<Collector> collector) {
  auto slot = std::make_unique<Slot>();
  slot->status.name = std::string(collector->name());
  slot->collector = std::move(collector);
  slots_.push_back(std::move(slot));
}

void Scheduler::start() {
  for (auto& slot : slots_) {
    Slot& s = *slot;
    s.thread = std::jthread([this, &s](std::stop_token stop) { run(stop, s); });
  }
}

void Scheduler::run(std::stop_token stop, Slot& slot) {
  std::mt19937 rng(std::random_device{}());
  const std::string name = slot.status.name;
  while (!stop.stop_requested()) {
    const auto started = std::chrono::steady_clock::now();
    std::string error;
    try {
      slot.collector->collect_once(stop);
    } catch (const std::exception& e) {
      error = e.what();
      if (error.empty()) error = "unknown error";
    } catch (...) {
      error = "unknown non-standard exception";
    }
    // A collector that returns after stop() gave up on it must not touch the scheduler,
    // which may be gone by then.
    if (stop.stop_requested()) break;
    const auto took = std::chrono::steady_clock::now() - started;
    const bool ok = error.empty();
    record_outcome(slot, ok, ok ? error : with_problem(error, slot.collector->cycle_problem()),
                   error);
    self_metrics_.record_collection(name, took, ok, std::chrono::system_clock::now());
    if (on_cycle_) on_cycle_();

    const auto next = started + jittered(slot.collector->interval(), rng);
    std::unique_lock lock(slot.wait_mutex);
    slot.wakeup.wait_until(lock, stop, next, [&slot] { return slot.wake_requested; });
    slot.wake_requested = false;
  }
  slot.finished = true;
}

void Scheduler::record_outcome(Slot& slot, bool ok, const std::string& error,
                               const std::string& bare_error) {
  std::uint64_t failed_streak = 0;
  {
    std::lock_guard lock(status_mutex_);
    CollectorStatus& st = slot.status;
    ++st.runs;
    st.last_ok = ok;
    if (ok) {
      st.ever_succeeded = true;
      st.last_error.clear();
    } else {
      ++st.errors;
      st.last_error = error;
    }
  }
  // One line per change of failure (the collector's error and the cause under it), not one
  // per failed cycle: a wrong password fails every cycle the same way until it is fixed.
  if (ok) {
    failed_streak = std::exchange(slot.failed_streak, 0);
    if (failed_streak > 0) {
      spdlog::info("collector {} recovered after {} failed cycle(s)", slot.status.name, failed_streak);
    }
    slot.logged_failure.clear();
    return;
  }
  ++slot.failed_streak;
  const auto cause = kafka::classify_failure(error.substr(bare_error.size()));
  std::string key = bare_error + "|" + std::string(kafka::cause_label(cause));
  if (key == slot.logged_failure) {
    spdlog::debug("collector {} failed again ({} in a row): {}", slot.status.name,
                  slot.failed_streak, error);
    return;
  }
  spdlog::warn("collector {} failed: {}", slot.status.name, error);
  slot.logged_failure = std::move(key);
}

void Scheduler::request_stop() {
  for (auto& slot : slots_) {
    if (slot->thread.joinable()) slot->thread.request_stop();
  }
  // Wakes a collector waiting for its next interval at once: its wait takes the stop token.
  if (!stop_requested_at_) stop_requested_at_ = std::chrono::steady_clock::now();
}

bool Scheduler::stop(Deadline deadline) {
  request_stop();
  const Deadline until =
      collector_stop_budget_ == kUnbounded
          ? deadline
          : std::min(deadline, *stop_requested_at_ + collector_stop_budget_);
  bool all_joined = true;
  for (auto& slot : slots_) {
    if (!slot->thread.joinable()) continue;
    while (!slot->finished && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (slot->finished) {
      slot->thread.join();
    } else {
      all_joined = false;
      abandoned_.push_back(slot->status.name);
      slot->abandoned = true;
      // Never block shutdown on a hung call; the process is about to exit.
      slot->thread.detach();
    }
  }
  {
    // The slots given up on (and their collectors) are leaked on purpose, so their detached
    // threads never see them freed. Released under the lock: statuses() and wake() (from
    // the events pipeline's, the fleet's and HTTP threads) read slots_ meanwhile.
    std::lock_guard lock(status_mutex_);
    for (auto& slot : slots_) {
      if (!slot->abandoned) continue;
#if defined(__SANITIZE_ADDRESS__)
      // Leaked on purpose: not a finding. Without this, LeakSanitizer reports the slot and
      // its collector whenever the hung call returns (its thread ends) before the process
      // exits: the unit tests' hung collectors did on a loaded machine.
      __lsan_ignore_object(slot.get());
#endif
      (void)slot.release();
    }
    std::erase(slots_, nullptr);
  }
  return all_joined;
}

std::vector<std::string> Scheduler::stop(std::chrono::milliseconds within) {
  request_stop();
  stop(std::chrono::steady_clock::now() + within);
  return abandoned_;
}

void Scheduler::wake(std::string_view name) {
  std::lock_guard slots_lock(status_mutex_);  // against stop() removing slots
  for (auto& slot : slots_) {
    if (!slot || slot->status.name != name) continue;
    {
      std::lock_guard lock(slot->wait_mutex);
      slot->wake_requested = true;
    }
    slot->wakeup.notify_all();
  }
}

std::vector<CollectorStatus> Scheduler::statuses() const {
  std::lock_guard lock(status_mutex_);
  std::vector<CollectorStatus> out;
  for (const auto& slot : slots_) {
    out.push_back(slot->status);
    out.back().cycle_problem = slot->collector->cycle_problem();
    out.back().loading = slot->collector->loading();
    out.back().note = slot->collector->status_note();
  }
  return out;
}

}  // namespace ks

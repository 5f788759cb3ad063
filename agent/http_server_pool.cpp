#include "agent/http_server_pool.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>

namespace ks {
namespace {

thread_local bool t_refusing = false;

}  // namespace

WorkerPool::WorkerPool(WorkerPoolLimits limits) : limits_(limits) {
  workers_.max_threads = std::max<std::size_t>(1, limits.max_workers);
  refuser_.max_threads = 1;
  refuser_.refusing = true;
}

WorkerPool::~WorkerPool() { shutdown(); }

// Puts `task` on `lane` when a thread of it is idle, one more may start, or fewer than
// `max_waiting` tasks wait for a thread already; else leaves `task` alone. Under mutex_.
bool WorkerPool::offer(Lane& lane, Task& task, std::size_t max_waiting) {
  const std::size_t ahead = lane.tasks.size();
  const bool idle_thread = ahead < lane.idle;
  const bool can_start = lane.threads.size() < lane.max_threads;
  const std::size_t waiting = ahead > lane.idle ? ahead - lane.idle : 0;
  if (!idle_thread && !can_start && waiting >= max_waiting) return false;
  lane.tasks.push_back(std::move(task));
  if (idle_thread) {
    lane.wake.notify_one();
  } else if (can_start) {
    ++lane.idle;  // idle from birth: run() takes the task with the others' bookkeeping
    lane.threads.emplace_back([this, &lane] { run(lane); });
  }
  return true;
}

void WorkerPool::submit(Task task) {
  std::unique_lock lock(mutex_);
  if (!stopping_) {
    if (offer(workers_, task, limits_.max_queued)) return;
    ++refused_;
    if (offer(refuser_, task, limits_.max_queued)) return;
  }
  lock.unlock();
  run_refusing(task);
}

// Runs on a thread counted idle by offer() when it started.
void WorkerPool::run(Lane& lane) {
  t_refusing = lane.refusing;
  std::unique_lock lock(mutex_);
  while (true) {
    lane.wake.wait(lock, [&] { return stopping_ || !lane.tasks.empty(); });
    --lane.idle;
    if (lane.tasks.empty()) return;  // stopping, and nothing left to serve
    {
      Task task = std::move(lane.tasks.front());
      lane.tasks.pop_front();
      lock.unlock();
      try {
        task();
      } catch (const std::exception& e) {
        spdlog::error("http: serving a connection failed: {}", e.what());
      }
    }
    lock.lock();
    ++lane.idle;
  }
}

void WorkerPool::run_refusing(Task& task) {
  const bool was_refusing = t_refusing;
  t_refusing = true;
  try {
    task();
  } catch (const std::exception& e) {
    spdlog::error("http: refusing a connection failed: {}", e.what());
  }
  t_refusing = was_refusing;
}

void WorkerPool::shutdown() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    for (Lane* lane : {&workers_, &refuser_}) {
      lane->wake.notify_all();
      std::move(lane->threads.begin(), lane->threads.end(), std::back_inserter(threads));
      lane->threads.clear();
    }
  }
  // Each runs what its queue still holds (connections close at once once the server has
  // stopped), then returns.
  for (std::thread& thread : threads) thread.join();
}

bool WorkerPool::has_waiting() const {
  std::lock_guard lock(mutex_);
  return workers_.tasks.size() > workers_.idle;
}

bool WorkerPool::current_thread_refuses() { return t_refusing; }

WorkerPool::Stats WorkerPool::stats() const {
  std::lock_guard lock(mutex_);
  Stats out;
  out.workers = workers_.threads.size();
  out.busy = workers_.threads.size() - std::min(workers_.idle, workers_.threads.size());
  out.queued = workers_.tasks.size() > workers_.idle ? workers_.tasks.size() - workers_.idle : 0;
  out.refused = refused_;
  return out;
}

}  // namespace ks

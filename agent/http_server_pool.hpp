// The HTTP server's workers. cpp-httplib serves a connection on one thread from accept to
// close (keep-alive requests included), so how connections meet threads decides how scrapes
// wait. Its own pool has a fixed handful of threads and an unbounded queue: a few kept-alive
// scrapers hold every thread and the others wait in the queue until their client gives up.
//
// This pool:
//   - starts a worker when a connection finds none idle, up to max_workers (threads are
//     started on demand and kept: a quiet agent has one or two);
//   - beyond that, queues connections in arrival order, up to max_queued; while any waits,
//     has_waiting() is true and the server ends each response with "Connection: close", so a
//     kept-alive scraper hands its worker to the next connection in line after one response;
//   - beyond that, refuses at once: the connection goes to one refusing thread, on which
//     current_thread_refuses() is true and the server answers 503 with Retry-After.
//     (Should even that thread's queue be full, the accepting thread answers: accepting
//     pauses rather than a connection waiting unserved.)
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace ks {

struct WorkerPoolLimits {
  std::size_t max_workers = 64;
  std::size_t max_queued = 256;
};

class WorkerPool {
 public:
  using Task = std::function<void()>;

  explicit WorkerPool(WorkerPoolLimits limits);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Runs `task` (serving one connection) on a worker, queues it, or runs it refusing.
  void submit(Task task);
  // Runs what is queued, then joins every thread. Further submits run at once, refusing.
  void shutdown();

  // Whether a connection waits for a worker.
  bool has_waiting() const;
  // True on the thread that serves refused connections (and on the caller of submit while
  // it serves one itself).
  static bool current_thread_refuses();

  struct Stats {
    std::size_t workers = 0;  // started
    std::size_t busy = 0;     // serving a connection
    std::size_t queued = 0;   // waiting for a worker
    std::size_t refused = 0;  // handed to the refusing thread, in all
  };
  Stats stats() const;

 private:
  // Threads taking tasks from one queue.
  struct Lane {
    std::deque<Task> tasks;
    std::condition_variable wake;
    std::vector<std::thread> threads;
    // Threads not running a task, counting one that has started but not yet taken its first
    // (else it would look busy, and the next connection be refused, while it starts).
    std::size_t idle = 0;
    std::size_t max_threads = 0;
    bool refusing = false;
  };

  bool offer(Lane& lane, Task& task, std::size_t max_waiting);
  void run(Lane& lane);
  static void run_refusing(Task& task);

  WorkerPoolLimits limits_;
  mutable std::mutex mutex_;
  Lane workers_;
  Lane refuser_;
  std::size_t refused_ = 0;
  bool stopping_ = false;
};

}  // namespace ks

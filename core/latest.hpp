// The latest value of something: written by one collector thread, read by many
// (HTTP handlers, the event evaluator). Readers never wait on a collector.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>

namespace ks {

template <class T>
class Latest {
 public:
  void publish(std::shared_ptr<const T> value) {
    std::lock_guard lock(mutex_);
    value_ = std::move(value);
    version_.fetch_add(1, std::memory_order_release);
  }

  std::shared_ptr<const T> get() const {
    std::lock_guard lock(mutex_);
    return value_;
  }

  // Changes on every publish: lets readers cache what they derive from the value.
  std::uint64_t version() const { return version_.load(std::memory_order_acquire); }

 private:
  mutable std::mutex mutex_;  // held only for a shared_ptr copy
  std::shared_ptr<const T> value_;
  std::atomic<std::uint64_t> version_{0};
};

}  // namespace ks

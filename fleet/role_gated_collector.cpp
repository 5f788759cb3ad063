#include "fleet/role_gated_collector.hpp"

#include <spdlog/spdlog.h>

namespace ks::fleet {

RoleGatedCollector::RoleGatedCollector(std::string name, std::chrono::milliseconds interval,
                                       std::function<bool()> holds_role, Factory factory,
                                       std::chrono::milliseconds retain)
    : name_(std::move(name)),
      interval_(interval),
      holds_role_(std::move(holds_role)),
      factory_(std::move(factory)),
      retain_(retain) {}

void RoleGatedCollector::collect_once(std::stop_token stop) {
  const auto now = std::chrono::steady_clock::now();
  if (!holds_role_()) {
    if (inner_ && now - role_seen_ >= retain_) {
      spdlog::info("fleet: {} collector stopped (role gone for {} s); its state is dropped",
                   name_, std::chrono::duration_cast<std::chrono::seconds>(now - role_seen_).count());
      std::unique_ptr<Collector> dropped;
      {
        std::lock_guard lock(inner_mutex_);
        dropped = std::move(inner_);
      }
      // Destroyed outside the lock: closing its Kafka clients can take a while, and /readyz
      // must not wait for that.
    }
    return;
  }
  role_seen_ = now;
  if (!inner_) {
    spdlog::info("fleet: {} collector started (role taken)", name_);
    std::unique_ptr<Collector> made = factory_();
    std::lock_guard lock(inner_mutex_);
    inner_ = std::move(made);
  }
  inner_->collect_once(stop);
}

std::string RoleGatedCollector::cycle_problem() const {
  std::lock_guard lock(inner_mutex_);
  return inner_ ? inner_->cycle_problem() : std::string();
}

std::optional<LoadingProgress> RoleGatedCollector::loading() const {
  std::lock_guard lock(inner_mutex_);
  return inner_ ? inner_->loading() : std::nullopt;
}

std::string RoleGatedCollector::status_note() const {
  std::lock_guard lock(inner_mutex_);
  return inner_ ? inner_->status_note() : std::string();
}

}  // namespace ks::fleet

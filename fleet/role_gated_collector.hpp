// A collector that runs only while this agent holds a fleet role (the leader's brokers
// collector, the groups collector of an agent owning group shards).
//
// State is rebuilt, not handed over: the inner collector is created when the role is
// taken, and destroyed once the role has been gone for `retain` (rates, broker-down
// retention, lag histories and status windows then restart; docs/fleet.md says what that
// costs). Keeping it that long lets an agent ride through an eager rebalance, during which
// every member briefly holds nothing, and get its roles back without forgetting. Exports
// are gated separately, at render time, so a retained collector never exports. A cycle
// without the role is a successful no-op: the agent is healthy, the work is someone
// else's (kafka_sentinel_fleet_role says whose).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/collector.hpp"

namespace ks::fleet {

class RoleGatedCollector final : public Collector {
 public:
  using Factory = std::function<std::unique_ptr<Collector>()>;

  RoleGatedCollector(std::string name, std::chrono::milliseconds interval,
                     std::function<bool()> holds_role, Factory factory,
                     std::chrono::milliseconds retain);

  std::string_view name() const override { return name_; }
  std::chrono::milliseconds interval() const override { return interval_; }
  void collect_once(std::stop_token stop) override;
  // The inner collector's, while there is one (read from other threads: /readyz, events),
  // so that a shard owner's groups collector says it is still loading its offsets.
  std::string cycle_problem() const override;
  std::optional<LoadingProgress> loading() const override;
  std::string status_note() const override;

  // The collector's thread only.
  bool active() const { return static_cast<bool>(inner_); }

 private:
  std::string name_;
  std::chrono::milliseconds interval_;
  std::function<bool()> holds_role_;
  Factory factory_;
  std::chrono::milliseconds retain_;
  mutable std::mutex inner_mutex_;  // inner_'s replacement vs. reads from other threads
  std::unique_ptr<Collector> inner_;
  std::chrono::steady_clock::time_point role_seen_{};  // the last cycle that held the role
};

}  // namespace ks::fleet

// The fleet coordinator: a Kafka consumer in the fleet's group, subscribed to the
// coordination topic (created when missing), polled on its own thread. Kafka's group
// protocol decides who owns which partition; this class turns that into Ownership:
//
// - eager rebalancing (roundrobin): every member gives up all its partitions before any is
//   handed out again, so a partition never has two owners across a rebalance;
// - on revocation or loss, Ownership is cleared and `on_change` runs (it drops the
//   published work and re-renders /metrics) BEFORE the rebalance callback returns, so the
//   group does not move on until this agent has stopped exporting what it loses;
// - the lease (see ownership.hpp) is renewed by committing offsets every session_timeout/6;
//   an agent that cannot reach the group coordinator for session_timeout/2 drops its roles
//   on its own, before the coordinator (after the whole session_timeout) gives them away.
//
// The thread never throws; failures are logged and retried.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "fleet/fleet_member.hpp"
#include "fleet/ownership.hpp"
#include "core/config.hpp"

namespace ks::fleet {

struct CoordinatorStatus {
  std::string group;   // "" until the cluster id is known
  std::string state = "starting";  // starting, joining, member, stopped
  int partitions = 0;  // of the coordination topic
  std::vector<int> assigned;
  bool lease_valid = false;
  int members = -1;  // from the last DescribeConsumerGroups of the fleet's group; -1 unknown
  // Who they are, from the same answer (refreshed every few seconds: it may lag a rebalance).
  std::vector<FleetMember> member_list;
  std::chrono::system_clock::time_point members_at{};  // when that answer came
  std::uint64_t assignments = 0, revocations = 0, losses = 0, lease_expirations = 0;
  // Refused joins that will not pass by themselves (fleet/join_errors.hpp), by kind; the
  // last one's advice until the next assignment ("" then).
  std::map<std::string, std::uint64_t> join_errors;
  std::string join_error;
};

class Coordinator {
 public:
  // Called on the coordinator's thread whenever what is effectively owned changed; it must
  // not call back into the coordinator.
  using OnChange = std::function<void()>;

  Coordinator(const KafkaConfig& kafka, const FleetConfig& fleet, std::string node_name,
              Ownership& ownership, OnChange on_change);
  ~Coordinator();
  Coordinator(const Coordinator&) = delete;
  Coordinator& operator=(const Coordinator&) = delete;

  // This agent's URL for the others (fleet.advertised_url), when it is known only once the
  // HTTP server has bound its port. Before start() only.
  void advertise(std::string url) { fleet_.advertised_url = std::move(url); }
  void start();
  // Drops every role at once, then leaves the group (so others take over at once) within
  // about `deadline`; request_stop() only starts that, stop() waits for it.
  void request_stop();
  void stop();

  CoordinatorStatus status() const;

  // The default group of a cluster: "kafka-sentinel-fleet.<cluster id>".
  static std::string default_group(const std::string& cluster_id);

 private:
  class Session;  // the Kafka side, alive on the thread only
  void run(std::stop_token stop);
  void update(const std::function<void(CoordinatorStatus&)>& change);
  void changed();

  KafkaConfig kafka_;
  FleetConfig fleet_;
  std::string node_name_;
  Ownership& ownership_;
  OnChange on_change_;
  mutable std::mutex status_mutex_;
  CoordinatorStatus status_;
  std::jthread thread_;

  friend class Session;
};

}  // namespace ks::fleet

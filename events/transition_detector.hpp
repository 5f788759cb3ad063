// The transition detector (the events evaluator): compares each new snapshot with what it saw before and emits one
// event when a condition starts (firing) and one when it ends (resolved), with hysteresis:
// a condition fires after holding for `fire_cycles` consecutive cycles of its collector and
// resolves after being clear for `resolve_cycles`, so a flapping value never floods.
//
// Conditions (docs/events.md lists them with examples):
//   cluster: cluster.unreachable, broker.down, topic.partitions_offline,
//            topic.under_replicated, topic.under_min_isr (aggregated per topic)
//   groups:  group.lag_status, group.state, group.lag_messages, group.lag_seconds,
//            group.messages_expired
//   host:    host.cpu_high, host.memory_pressure
//   agent:   agent.collector_failing
//   probe:   probe.failing, probe.slow (per broker; events/probe_conditions.cpp)
//
// An entity the collector cannot judge this cycle (every broker when the cluster is
// unreachable, a group whose offsets could not be fetched) keeps its conditions as they
// were; an entity that is gone (a deleted topic or group) has its conditions resolved.
// Nothing is judged from a collector before its first snapshot, and a group's lag status
// not before the collector has watched the group for `lag_status_warmup` (see on_groups).
//
// Not thread-safe: one thread feeds it. The firing conditions can be saved and restored
// (and rebuilt from events already emitted) so that a restart neither fires a condition
// twice nor forgets to resolve it.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/cluster_snapshot.hpp"
#include "core/config.hpp"
#include "core/groups_snapshot.hpp"
#include "core/health_event.hpp"
#include "core/host_snapshot.hpp"
#include "core/probe_snapshot.hpp"

namespace ks::events {

// The collector whose cycles a condition is judged on (and counted in for hysteresis).
enum class Domain { cluster, groups, host, agent, probe };

// "io.kafka-sentinel.broker.down" -> cluster, "...group.*" -> groups, ...
Domain domain_of(std::string_view type);

class TransitionDetector {
 public:
  using TimePoint = std::chrono::system_clock::time_point;

  // `node_name`: the agent's node (host name unless configured), for the source and the
  // host subject. `lag_status_warmup`: how long the groups collector must watch a group
  // before an OK lag status with lag proves that no STOP, STALL or WARN holds (its status
  // window: status_window_commits collection intervals); 0 = at once.
  TransitionDetector(const EventsConfig& config, std::string node_name,
            std::chrono::milliseconds lag_status_warmup = std::chrono::milliseconds(0));

  // One cycle of each collector. Return the transitions detected, in a stable order.
  std::vector<HealthEvent> on_cluster(const ClusterSnapshot& snapshot);
  // `owns` (fleet): the groups this agent judges; the others' conditions are left alone.
  using GroupOwnership = std::function<bool(std::string_view group)>;
  std::vector<HealthEvent> on_groups(const GroupsSnapshot& snapshot, const GroupOwnership& owns = {});
  std::vector<HealthEvent> on_host(const HostSnapshot& snapshot);
  // The end-to-end probe's cycle: probe.failing and probe.slow per broker it answers for,
  // with the probe's own hysteresis (probe.failing_intervals).
  std::vector<HealthEvent> on_probe(const ProbeSnapshot& snapshot);
  std::vector<HealthEvent> on_collector_cycle(const std::string& collector, bool ok,
                                              const std::string& error, TimePoint now);

  // The cluster part of the source and of cluster/<name>: events.cluster_name, else the
  // Kafka cluster id once seen (also restored), else "unknown".
  const std::string& cluster_label() const { return cluster_label_; }
  std::string source() const;

  // The firing conditions (and the cluster label), to persist.
  nlohmann::json save_state() const;
  // Restores what save_state wrote; ignores what it cannot read. Returns the number of
  // firing conditions restored.
  std::size_t restore_state(const nlohmann::json& state);
  // Applies an event emitted earlier (e.g. read back from the spool after a crash) to the
  // firing set, as if this evaluator had emitted it.
  void replay(const HealthEvent& event);

  // Drops the conditions (firing or on their way) `which` selects, without any event: their
  // role moved to another agent (events/role_handoff.hpp).
  std::size_t forget(const std::function<bool(const HealthEvent&)>& which);

  std::size_t firing_count() const;
  // The conditions firing now, each as its firing event (id, since, observed values).
  std::vector<HealthEvent> firing() const;

 private:
  // What one cycle says about one condition.
  struct Observation {
    HealthEvent event;  // type, subject, condition, severity, observed, thresholds
    std::string firing_summary;
    std::string resolved_summary;
    bool holds = false;
  };
  struct Condition {
    Domain domain = Domain::cluster;
    bool firing = false;
    int streak = 0;         // consecutive cycles against the current state
    TimePoint streak_start{};
    HealthEvent base;       // the last observation (or the firing event, once restored)
    std::string fired_id;   // of the firing event, while firing
    TimePoint fired_since{};
  };
  struct Hysteresis {
    int fire = 2;
    int resolve = 2;
  };
  // Conditions not to judge this cycle (their entity is unknown right now), given their
  // last observation.
  using Frozen = std::function<bool(const HealthEvent& base)>;

  // What a groups cycle could not judge, by group (and topic): their conditions are frozen.
  struct GroupsUnjudged {
    std::set<std::string> listed;  // the groups of this cycle that this agent judges
    std::set<std::string> status, state, topics;
    std::set<std::pair<std::string, std::string>> lag_seconds;  // (group, topic)
  };

  std::vector<HealthEvent> process(Domain domain, Hysteresis hysteresis,
                                   std::vector<Observation> observations, const Frozen& frozen,
                                   TimePoint now);
  // A condition observed clear (or no longer reported): a streak towards firing is broken; a
  // firing one resolves after `hysteresis.resolve` such cycles.
  void clear_condition(std::map<std::string, Condition>::iterator it, const HealthEvent& base,
                       std::string summary, Hysteresis hysteresis, TimePoint now,
                       std::vector<HealthEvent>& out);
  void observe_condition(Domain domain, Hysteresis hysteresis, Observation& obs, TimePoint now,
                         std::vector<HealthEvent>& out);

  // on_cluster's conditions.
  Observation observe_reachability(const ClusterSnapshot& snapshot) const;
  void observe_brokers(const ClusterSnapshot& snapshot, std::vector<Observation>& obs,
                       std::set<std::int32_t>& listed);
  void observe_topic(const TopicState& topic, std::vector<Observation>& obs) const;

  // on_groups' conditions.
  void observe_lag_status(const GroupLag& g, TimePoint now, TimePoint first_seen,
                          std::vector<Observation>& obs, GroupsUnjudged& unjudged) const;
  void observe_group_state(const GroupLag& g, std::vector<Observation>& obs,
                           GroupsUnjudged& unjudged) const;
  void observe_lag_messages(const GroupLag& g, const GroupTopicLag& t, std::int64_t limit,
                            std::vector<Observation>& obs) const;
  void observe_lag_seconds(const GroupsSnapshot& snapshot, const GroupLag& g,
                           const GroupTopicLag& t, double limit, std::vector<Observation>& obs,
                           GroupsUnjudged& unjudged) const;
  void observe_messages_expired(const GroupLag& g, const GroupTopicLag& t,
                                std::vector<Observation>& obs) const;
  // on_probe's conditions.
  Observation observe_probe_failing(const ProbeSnapshot& s, const ProbeBrokerHealth& b) const;
  Observation observe_probe_slow(const ProbeSnapshot& s, const ProbeBrokerHealth& b) const;
  HealthEvent make_event(const HealthEvent& base, EventState state, std::string summary,
                         TimePoint since, TimePoint now, std::string firing_id = "") const;
  bool tracked(const HealthEvent& probe) const;
  GroupEventThresholds thresholds_for(const std::string& group) const;

  EventsConfig config_;
  std::string node_name_;
  std::string cluster_label_ = "unknown";
  std::chrono::milliseconds lag_status_warmup_;
  std::vector<std::regex> override_patterns_;  // config_.group_overrides[i].group
  std::map<std::string, TimePoint> group_first_seen_;  // by this evaluator, by group
  // Cluster cycles seen, and the brokers seen answering, by this evaluator: a broker that
  // has not answered yet is not "down" for not answering during the first cycles.
  static constexpr std::uint64_t kBrokerStartupGraceCycles = 10;
  std::uint64_t cluster_cycles_ = 0;
  std::set<std::int32_t> brokers_answered_;
  std::map<std::string, Condition> conditions_;  // by HealthEvent::condition_key
  std::map<std::string, int> collector_failures_;  // consecutive, by collector
};

}  // namespace ks::events

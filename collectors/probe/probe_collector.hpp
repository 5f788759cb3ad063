// The end-to-end probe as a collector: each cycle (probe.interval) it reads the probe
// topic's metadata, keeps a managed topic covering every broker (probe_coverage.hpp), tells
// the engine (probe_engine.hpp: the thread that sends and reads back) which partitions to
// probe, and publishes a ProbeSnapshot: the engine's counters and latencies and, per broker
// it answers for, whether it is covered and healthy this cycle.
//
// Partitions the agent creates or adds are in grace until they serve (probe_grace.hpp): a
// new topic's brokers are not judged failing while its partitions get their leaders.
//
// Fleet: with an own broker (fleet.broker_id), only the partitions that broker leads are
// probed, so no two sidecars probe one partition and, as leadership moves, the sidecars of
// the new leaders take the partitions over. A broker whose sidecar is gone (its member left
// the fleet's group) while the broker serves is adopted by the fleet's leader, which probes
// its partitions too until a sidecar claims it again (after a hold: probe_adoption.hpp).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "collectors/probe/probe_adoption.hpp"
#include "collectors/probe/probe_coverage.hpp"
#include "collectors/probe/probe_grace.hpp"
#include "core/collector.hpp"
#include "core/config.hpp"
#include "core/latest.hpp"
#include "core/probe_snapshot.hpp"

namespace ks::kafka {
class AdminClient;
struct ClusterMetadata;
}  // namespace ks::kafka

namespace ks::probe {

class ProbeEngine;

struct ProbeIdentity {
  std::string agent_id;           // in every message: the agent's own are told apart
  std::string group;              // the consumer's group
  std::int32_t own_broker = -1;   // fleet.broker_id; -1: every broker
  // With an own broker: the brokers the fleet's live members claim (their fleet.broker_id)
  // while this agent is the fleet's leader and knows them; nullopt otherwise (adopts none).
  std::function<std::optional<std::set<std::int32_t>>()> fleet_claims;
  // How long a broker stays unclaimed before it is adopted (probe_adoption.hpp).
  std::chrono::milliseconds adoption_hold{0};
};

class ProbeCollector final : public Collector {
 public:
  ProbeCollector(const KafkaConfig& kafka, const ProbeConfig& config, ProbeIdentity identity,
                 Latest<ProbeSnapshot>& out);
  ~ProbeCollector() override;

  std::string_view name() const override { return "probe"; }
  std::chrono::milliseconds interval() const override { return config_.interval; }
  void collect_once(std::stop_token stop) override;
  std::string status_note() const override;

 private:
  // Creates or grows a managed topic; returns true when it asked for a change.
  bool manage_topic(const kafka::ClusterMetadata& metadata, std::stop_token stop);
  // The brokers of partitions just asked for are not judged failing for a while.
  void start_grace(const std::vector<std::int32_t>& brokers);
  // The same for partitions without a leader this agent has never seen led (another agent
  // created or added them just before) and for partitions that appear while it runs.
  void watch_unled(const kafka::ClusterMetadata& metadata,
                   const std::vector<kafka::PartitionMetadata>& partitions);
  // The brokers answered for: nullopt = every broker; else the own one and those adopted.
  std::optional<std::set<std::int32_t>> answer_for(const kafka::ClusterMetadata& metadata);
  void publish(const Coverage& coverage, const kafka::ClusterMetadata& metadata, int partitions);

  const KafkaConfig& kafka_;
  ProbeConfig config_;
  ProbeIdentity identity_;
  Latest<ProbeSnapshot>& out_;
  std::unique_ptr<kafka::AdminClient> admin_;
  std::unique_ptr<ProbeEngine> engine_;
  ProbeGrace grace_;
  std::chrono::steady_clock::time_point last_change_{};  // the last create or grow request
  AdoptionHold adoption_;
  std::vector<std::int32_t> adopted_;  // brokers adopted in the last cycle
  std::string note_;
};

}  // namespace ks::probe

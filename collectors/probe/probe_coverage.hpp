// Which probe partitions this agent probes, which brokers they cover, and how a managed probe
// topic is laid out and grown. Pure functions of the metadata, no I/O.
//
// Coverage: a broker is covered when a probed partition is led by it. The brokers answered
// for are given: in a fleet, this agent's own broker (fleet.broker_id) and those it adopts
// (adopted_brokers: the fleet's leader takes the live brokers no sidecar claims, after a
// hold: probe_adoption.hpp); else every
// live broker and every replica of the probe topic (a broker that went away stays a
// replica: it is then reported uncovered, not forgotten).
//
// Layout (librdkafka 2.0.2 has no AlterPartitionReassignments and no ElectLeaders): a new
// topic gets one partition per live broker, partition i's replicas starting with broker i, so
// each broker is the preferred leader of one. A broker that is the preferred leader of no
// partition (one that joined later) gets a new partition whose replicas start with it
// (CreatePartitions with an explicit assignment). A broker that is a preferred leader but
// leads nothing right now (it restarted) gets its leadership back from Kafka's automatic
// preferred leader election (auto.leader.rebalance.enable); until then it is uncovered.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <vector>

#include "kafka/metadata.hpp"

namespace ks::probe {

struct ProbeTarget {
  std::int32_t partition = -1;
  std::int32_t leader = -1;
};

struct Coverage {
  std::vector<ProbeTarget> targets;          // the partitions to probe, with their leaders
  std::vector<std::int32_t> answered_for;    // the brokers answered for, ascending
  std::vector<std::int32_t> uncovered;       // of those, the ones leading no probed partition
};

// `brokers`: those answered for, only the partitions they lead are probed; nullopt = every
// broker (one agent probes all).
Coverage cover(const std::vector<kafka::BrokerMetadata>& live,
               const std::vector<kafka::PartitionMetadata>& partitions,
               const std::optional<std::set<std::int32_t>>& brokers);

// The live brokers that the fleet's leader answers for besides its own: those no live
// member of the fleet claims (its sidecar is gone), `own` left out.
std::vector<std::int32_t> adopted_brokers(const std::vector<kafka::BrokerMetadata>& live,
                                          const std::set<std::int32_t>& claimed, std::int32_t own);

// Replica lists of a new topic: one partition per broker (ascending ids), partition i's
// replicas broker i and the next replication_factor - 1 brokers (capped at the broker count).
std::vector<std::vector<std::int32_t>> initial_assignment(std::vector<std::int32_t> brokers,
                                                          int replication_factor);

// Replica lists of the partitions to add so that every live broker is the preferred leader
// (first replica) of a partition: one per broker that is not, each with that broker first.
std::vector<std::vector<std::int32_t>> growth_assignment(
    std::vector<std::int32_t> live, const std::vector<kafka::PartitionMetadata>& partitions,
    int replication_factor);

}  // namespace ks::probe

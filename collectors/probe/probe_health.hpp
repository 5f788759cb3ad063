// The per-broker verdict of one probe cycle, without any I/O: for each broker the probe
// answers for, whether it is covered, how many probed partitions it leads, and whether it is
// failing (uncovered, or messages lost or refused since the last cycle) and why. A broker in
// the grace of a partition just created or added for it (probe_grace.hpp) is never failing:
// it stays reported as uncovered while it leads nothing, and its losses are not judged.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "collectors/probe/probe_coverage.hpp"
#include "collectors/probe/probe_grace.hpp"
#include "core/probe_snapshot.hpp"

namespace ks::probe {

struct BrokerFindings {
  std::set<std::int32_t> live;                    // in the cluster's metadata
  std::map<std::int32_t, std::string> failures;   // since the last cycle, by broker, with why
  std::map<std::int32_t, std::pair<std::optional<double>, std::uint64_t>> p99;  // by broker
};

std::vector<ProbeBrokerHealth> judge_brokers(const Coverage& coverage,
                                             const BrokerFindings& findings,
                                             const ProbeGrace& grace);

// Per broker, the messages consumed back so far (over its partitions): what ends a grace.
std::map<std::int32_t, std::uint64_t> received_by_broker(
    const std::vector<ProbePartitionStats>& partitions);

}  // namespace ks::probe

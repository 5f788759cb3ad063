#include "collectors/probe/probe_health.hpp"

namespace ks::probe {
namespace {

std::string uncovered_reason(bool live) {
  return live ? "leads no probed partition of the probe topic"
              : "not in the cluster's metadata (down or gone)";
}

}  // namespace

std::vector<ProbeBrokerHealth> judge_brokers(const Coverage& coverage,
                                             const BrokerFindings& findings,
                                             const ProbeGrace& grace) {
  const std::set<std::int32_t> uncovered(coverage.uncovered.begin(), coverage.uncovered.end());
  std::vector<ProbeBrokerHealth> out;
  for (const std::int32_t id : coverage.answered_for) {
    ProbeBrokerHealth h;
    h.broker = id;
    h.live = findings.live.contains(id);
    for (const ProbeTarget& t : coverage.targets) h.partitions += t.leader == id ? 1 : 0;
    if (grace.in_grace(id)) {
      // Its new partition has no leader or no message back yet: not covered, not failing.
    } else if (uncovered.contains(id)) {
      h.failing = true;
      h.reason = uncovered_reason(h.live);
    } else if (const auto f = findings.failures.find(id); f != findings.failures.end()) {
      h.failing = true;
      h.reason = f->second;
    }
    if (const auto p = findings.p99.find(id); p != findings.p99.end()) {
      std::tie(h.end_to_end_p99, h.recent_samples) = p->second;
    }
    out.push_back(std::move(h));
  }
  return out;
}

std::map<std::int32_t, std::uint64_t> received_by_broker(
    const std::vector<ProbePartitionStats>& partitions) {
  std::map<std::int32_t, std::uint64_t> out;
  for (const ProbePartitionStats& p : partitions) out[p.broker] += p.received;
  return out;
}

}  // namespace ks::probe

#include "collectors/probe/probe_coverage.hpp"

#include <algorithm>
#include <set>

namespace ks::probe {
namespace {

// `first`, then the brokers after it in ascending order (wrapping): `count` in all.
std::vector<std::int32_t> replicas_from(const std::vector<std::int32_t>& sorted, std::size_t first,
                                        int count) {
  const std::size_t n = std::min<std::size_t>(sorted.size(),
                                               static_cast<std::size_t>(std::max(count, 1)));
  std::vector<std::int32_t> out;
  for (std::size_t k = 0; k < n; ++k) out.push_back(sorted[(first + k) % sorted.size()]);
  return out;
}

}  // namespace

Coverage cover(const std::vector<kafka::BrokerMetadata>& live,
               const std::vector<kafka::PartitionMetadata>& partitions,
               const std::optional<std::set<std::int32_t>>& brokers) {
  std::set<std::int32_t> answered;
  if (brokers) {
    answered = *brokers;
  } else {
    for (const kafka::BrokerMetadata& b : live) answered.insert(b.id);
    for (const kafka::PartitionMetadata& p : partitions) answered.insert(p.replicas.begin(), p.replicas.end());
  }
  std::set<std::int32_t> live_ids;
  for (const kafka::BrokerMetadata& b : live) live_ids.insert(b.id);
  Coverage out;
  std::set<std::int32_t> covered;
  for (const kafka::PartitionMetadata& p : partitions) {
    if (p.leader < 0 || !answered.contains(p.leader) || !live_ids.contains(p.leader)) continue;
    out.targets.push_back({p.id, p.leader});
    covered.insert(p.leader);
  }
  std::sort(out.targets.begin(), out.targets.end(),
            [](const ProbeTarget& a, const ProbeTarget& b) { return a.partition < b.partition; });
  out.answered_for.assign(answered.begin(), answered.end());
  for (const std::int32_t b : answered) {
    if (!covered.contains(b)) out.uncovered.push_back(b);
  }
  return out;
}

std::vector<std::int32_t> adopted_brokers(const std::vector<kafka::BrokerMetadata>& live,
                                          const std::set<std::int32_t>& claimed, std::int32_t own) {
  std::set<std::int32_t> out;
  for (const kafka::BrokerMetadata& b : live) {
    if (b.id != own && !claimed.contains(b.id)) out.insert(b.id);
  }
  return {out.begin(), out.end()};
}

std::vector<std::vector<std::int32_t>> initial_assignment(std::vector<std::int32_t> brokers,
                                                          int replication_factor) {
  std::sort(brokers.begin(), brokers.end());
  brokers.erase(std::unique(brokers.begin(), brokers.end()), brokers.end());
  std::vector<std::vector<std::int32_t>> out;
  for (std::size_t i = 0; i < brokers.size(); ++i) {
    out.push_back(replicas_from(brokers, i, replication_factor));
  }
  return out;
}

std::vector<std::vector<std::int32_t>> growth_assignment(
    std::vector<std::int32_t> live, const std::vector<kafka::PartitionMetadata>& partitions,
    int replication_factor) {
  std::sort(live.begin(), live.end());
  live.erase(std::unique(live.begin(), live.end()), live.end());
  std::set<std::int32_t> preferred;
  for (const kafka::PartitionMetadata& p : partitions) {
    if (!p.replicas.empty()) preferred.insert(p.replicas.front());
  }
  std::vector<std::vector<std::int32_t>> out;
  for (std::size_t i = 0; i < live.size(); ++i) {
    if (!preferred.contains(live[i])) out.push_back(replicas_from(live, i, replication_factor));
  }
  return out;
}

}  // namespace ks::probe

#include "collectors/probe/probe_ledger.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace ks::probe {
namespace {

constexpr std::size_t kMinP99Samples = 100;

double seconds(std::chrono::nanoseconds d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

ProbeLedger::ProbeLedger(std::chrono::milliseconds timeout, int slow_window)
    : timeout_(timeout), slow_window_(static_cast<std::size_t>(std::max(slow_window, 1))) {}

std::uint64_t ProbeLedger::next_sequence(std::int32_t partition) {
  return ++partitions_[partition].last_sequence;
}

ProbePartitionStats& ProbeLedger::stats_of(std::int32_t partition, std::int32_t broker) {
  ProbePartitionStats& s = stats_[{partition, broker}];
  s.partition = partition;
  s.broker = broker;
  return s;
}

void ProbeLedger::note_failure(std::int32_t broker, std::string reason) {
  failures_.try_emplace(broker, std::move(reason));  // the first reason of the cycle
}

void ProbeLedger::on_sent(std::int32_t partition, std::uint64_t sequence, std::int32_t broker,
                          TimePoint at) {
  partitions_[partition].messages[sequence] = {broker, at, false};
  ++stats_of(partition, broker).sent;
}

void ProbeLedger::on_acked(std::int32_t partition, std::uint64_t sequence, TimePoint at,
                           const std::optional<std::string>& error) {
  const auto log = partitions_.find(partition);
  if (log == partitions_.end()) return;
  const auto it = log->second.messages.find(sequence);
  if (it == log->second.messages.end()) return;  // already expired
  ProbePartitionStats& s = stats_of(partition, it->second.broker);
  if (error) {
    ++s.produce_errors[*error];
    note_failure(it->second.broker, "produce failed: " + *error);
    return;
  }
  ++s.acked;
  s.produce.observe(seconds(at - it->second.sent));
}

std::optional<std::int32_t> ProbeLedger::on_received(std::int32_t partition,
                                                     std::uint64_t sequence, TimePoint at) {
  const auto log = partitions_.find(partition);
  if (log == partitions_.end()) return std::nullopt;
  PartitionLog& p = log->second;
  const auto it = p.messages.find(sequence);
  if (it == p.messages.end()) return std::nullopt;  // late: already counted lost (or unknown)
  ProbePartitionStats& s = stats_of(partition, it->second.broker);
  if (it->second.received) {
    ++s.duplicated;
    return std::nullopt;
  }
  it->second.received = true;
  ++s.received;
  if (sequence < p.highest_received) ++s.out_of_order;
  p.highest_received = std::max(p.highest_received, sequence);
  const double e2e = seconds(at - it->second.sent);
  s.end_to_end.observe(e2e);
  // A partition's first message of a run also pays for connecting and finding offsets: in
  // the histogram, but not in the p99 that judges the broker slow.
  if (sequence > 1) {
    std::deque<double>& recent = recent_[it->second.broker];
    recent.push_back(e2e);
    while (recent.size() > slow_window_) recent.pop_front();
  }
  return it->second.broker;
}

void ProbeLedger::on_fetch_error(std::int32_t partition, std::int32_t broker,
                                 const std::string& error) {
  ++stats_of(partition, broker).fetch_errors[error];
}

void ProbeLedger::on_commit(std::int32_t partition, std::int32_t broker,
                            std::chrono::nanoseconds latency,
                            const std::optional<std::string>& error) {
  ProbePartitionStats& s = stats_of(partition, broker);
  if (error) return;  // a refused commit is no latency; the next one commits past it
  ++s.commits;
  s.commit.observe(seconds(latency));
}

void ProbeLedger::expire(TimePoint now) {
  for (auto& [partition, log] : partitions_) {
    auto& messages = log.messages;
    // Sequences grow with send time: the expired ones are at the front.
    while (!messages.empty() && now - messages.begin()->second.sent > timeout_) {
      const InFlight& m = messages.begin()->second;
      if (!m.received) {
        ++stats_of(partition, m.broker).lost;
        note_failure(m.broker, fmt::format("message to partition {} not received within {} ms",
                                           partition, timeout_.count()));
      }
      messages.erase(messages.begin());
    }
  }
}

std::vector<ProbePartitionStats> ProbeLedger::stats() const {
  std::vector<ProbePartitionStats> out;
  out.reserve(stats_.size());
  for (const auto& [key, s] : stats_) out.push_back(s);
  return out;
}

std::map<std::int32_t, std::string> ProbeLedger::take_failures() {
  return std::exchange(failures_, {});
}

std::pair<std::optional<double>, std::uint64_t> ProbeLedger::recent_p99(std::int32_t broker) const {
  const auto it = recent_.find(broker);
  if (it == recent_.end()) return {std::nullopt, 0};
  // Too few latencies make the p99 the maximum of a handful: not judged until then.
  if (it->second.size() < std::min(slow_window_, kMinP99Samples)) {
    return {std::nullopt, it->second.size()};
  }
  std::vector<double> sorted(it->second.begin(), it->second.end());
  std::sort(sorted.begin(), sorted.end());
  // Nearest rank: the smallest value with at least 99% of the values at or below it.
  const auto rank = static_cast<std::size_t>(std::ceil(0.99 * static_cast<double>(sorted.size())));
  return {sorted[std::max<std::size_t>(rank, 1) - 1], sorted.size()};
}

std::size_t ProbeLedger::in_flight() const {
  std::size_t n = 0;
  for (const auto& [partition, log] : partitions_) n += log.messages.size();
  return n;
}

}  // namespace ks::probe

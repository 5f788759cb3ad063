#include "kafka/client_statistics.hpp"

namespace ks::kafka {
namespace {

BrokerTotals totals_of(const BrokerStatistics& b) {
  return {b.request_timeouts, b.transmit_errors, b.receive_errors, b.connects, b.disconnects};
}

// What `now` adds to `before`: the difference, or all of `now` if the counter restarted.
std::uint64_t increase(std::uint64_t before, std::uint64_t now) {
  return now >= before ? now - before : now;
}

void add_increase(BrokerTotals& sum, const BrokerTotals& before, const BrokerTotals& now) {
  sum.request_timeouts += increase(before.request_timeouts, now.request_timeouts);
  sum.transmit_errors += increase(before.transmit_errors, now.transmit_errors);
  sum.receive_errors += increase(before.receive_errors, now.receive_errors);
  sum.connects += increase(before.connects, now.connects);
  sum.disconnects += increase(before.disconnects, now.disconnects);
}

std::optional<double> seconds(const StatisticsWindow& w, double unit) {
  if (w.count <= 0) return std::nullopt;
  return static_cast<double>(w.avg) * unit;
}

// librdkafka's p99 comes from a histogram with a fixed range (0.5 s for round trips): when
// at least 1% of the samples were beyond it, the true p99 is too, and the window's maximum
// (exact) is the best bound there is.
std::optional<double> p99_seconds(const StatisticsWindow& w, double unit) {
  if (w.count <= 0) return std::nullopt;
  const bool beyond = w.out_of_range > 0 && w.out_of_range * 100 >= w.count;
  return static_cast<double>(beyond ? w.max : w.p99) * unit;
}

}  // namespace

std::optional<std::string> broker_label(const BrokerStatistics& broker) {
  if (broker.source == "internal") return std::nullopt;
  if (broker.nodeid >= 0) return std::to_string(broker.nodeid);
  // A logical broker (the group coordinator) not yet resolved to a node: no broker yet.
  if (broker.source == "logical") return std::nullopt;
  return std::string("bootstrap");
}

void StatisticsAccumulator::record(std::string_view client, std::uint64_t instance,
                                   const ClientStatistics& stats) {
  std::lock_guard lock(mutex_);
  for (const BrokerStatistics& b : stats.brokers) {
    const auto label = broker_label(b);
    if (!label) continue;
    add({std::string(client), *label}, {instance, b.name}, b);
  }
}

void StatisticsAccumulator::add(const ViewKey& key, const EntryKey& entry,
                                const BrokerStatistics& b) {
  const BrokerTotals now = totals_of(b);
  BrokerTotals& before = last_[entry];
  add_increase(totals_[key], before, now);
  before = now;
  // Latencies of the broker's own connection: a logical entry (the group coordinator)
  // shares its node id but measures only coordinator requests. A bootstrap entry's are its
  // connection's (where the advertised address differs from the configured one, it carries
  // every request: the node's learned entry never connects).
  if (b.source == "logical") return;
  Latencies& l = latencies_[key];
  constexpr double kMicro = 1e-6, kMilli = 1e-3;
  if (b.rtt.count > 0) {
    l.rtt_avg = seconds(b.rtt, kMicro);
    l.rtt_p99 = p99_seconds(b.rtt, kMicro);
  }
  if (b.throttle.count > 0) {
    l.throttle_avg = seconds(b.throttle, kMilli);
    l.throttle_p99 = p99_seconds(b.throttle, kMilli);
  }
}

void StatisticsAccumulator::forget(std::uint64_t instance) {
  std::lock_guard lock(mutex_);
  auto it = last_.lower_bound({instance, std::string()});
  while (it != last_.end() && it->first.first == instance) it = last_.erase(it);
}

void StatisticsAccumulator::count_malformed() {
  std::lock_guard lock(mutex_);
  ++malformed_;
}

std::vector<ClientBrokerView> StatisticsAccumulator::views() const {
  std::lock_guard lock(mutex_);
  std::vector<ClientBrokerView> out;
  out.reserve(totals_.size());
  for (const auto& [key, totals] : totals_) {
    ClientBrokerView v{key.first, key.second, {}, {}, {}, {}, totals};
    if (const auto it = latencies_.find(key); it != latencies_.end()) {
      v.rtt_avg = it->second.rtt_avg;
      v.rtt_p99 = it->second.rtt_p99;
      v.throttle_avg = it->second.throttle_avg;
      v.throttle_p99 = it->second.throttle_p99;
    }
    out.push_back(std::move(v));
  }
  return out;
}

std::uint64_t StatisticsAccumulator::malformed() const {
  std::lock_guard lock(mutex_);
  return malformed_;
}

StatisticsAccumulator& process_statistics() {
  // Never destroyed: a client destroyed during the process's exit still finds it.
  static auto* accumulator = new StatisticsAccumulator;
  return *accumulator;
}

}  // namespace ks::kafka

// The grace of probe partitions the agent has just created or added (probe_grace.hpp): a new
// topic whose partitions take longer than probe.failing_intervals to get leaders must not
// fire probe.failing for its brokers, and a broker that never serves its new partition must
// still be reported once the grace has run out. Driven through the same steps as the
// collector's cycle: coverage of the metadata, the grace, the per-broker verdict, the events.
#include <catch2/catch.hpp>

#include <chrono>

#include "collectors/probe/probe_coverage.hpp"
#include "collectors/probe/probe_grace.hpp"
#include "collectors/probe/probe_health.hpp"
#include "events/transition_detector.hpp"

using namespace std::chrono_literals;
using ks::probe::ProbeGrace;

namespace {

constexpr auto kTimeout = 5000ms;
constexpr auto kInterval = 1000ms;
constexpr int kFailingIntervals = 3;
const ProbeGrace::Clock::time_point t0 = ProbeGrace::Clock::now();

std::vector<ks::kafka::BrokerMetadata> three_brokers() {
  std::vector<ks::kafka::BrokerMetadata> out;
  for (const std::int32_t id : {1, 2, 3}) out.push_back({id, "127.0.0.1", 9092 + id});
  return out;
}

// The new topic's partition i, preferred leader broker i + 1; `leader` -1: none yet.
ks::kafka::PartitionMetadata partition(std::int32_t id, std::int32_t leader) {
  ks::kafka::PartitionMetadata p;
  p.id = id;
  p.leader = leader;
  p.replicas = {id + 1};
  return p;
}

// One collector cycle at t0 + k intervals: what the metadata shows, what was consumed back
// so far and what was lost since the last cycle; returns the snapshot and the events.
struct Cycle {
  ks::events::TransitionDetector& detector;
  ProbeGrace& grace;
  ks::ProbeSnapshot snapshot;
  std::vector<ks::HealthEvent> events;
  bool watch = true;  // as the collector: partitions never seen led get a grace


  void run(int k, const std::vector<ks::kafka::PartitionMetadata>& partitions,
           const std::map<std::int32_t, std::uint64_t>& received,
           std::map<std::int32_t, std::string> failures = {}) {
    if (watch) grace.watch(partitions, {1, 2, 3}, t0 + k * kInterval);
    grace.update(received, t0 + k * kInterval);
    const ks::probe::Coverage coverage = ks::probe::cover(three_brokers(), partitions, std::nullopt);
    ks::probe::BrokerFindings findings;
    findings.live = {1, 2, 3};
    findings.failures = std::move(failures);
    snapshot = ks::ProbeSnapshot{};
    snapshot.topic = "kafka-sentinel-probe";
    snapshot.failing_intervals = kFailingIntervals;
    snapshot.taken_at = std::chrono::system_clock::time_point(std::chrono::seconds(1000 + k));
    snapshot.uncovered = coverage.uncovered;
    snapshot.brokers = ks::probe::judge_brokers(coverage, findings, grace);
    events = detector.on_probe(snapshot);
  }
};

const std::vector<ks::kafka::PartitionMetadata> kLeaderless{partition(0, -1), partition(1, -1),
                                                            partition(2, -1)};
const std::vector<ks::kafka::PartitionMetadata> kLed{partition(0, 1), partition(1, 2),
                                                     partition(2, 3)};

}  // namespace

TEST_CASE("probe grace: a new topic slow to get leaders pages nobody, then is judged", "[probe]") {
  ks::EventsConfig config;
  ks::events::TransitionDetector detector(config, "node-a");
  ProbeGrace grace(ProbeGrace::length_for(kTimeout, kInterval));
  Cycle cycle{detector, grace, {}, {}};
  grace.start({1, 2, 3}, t0);  // the agent has just created the topic
  // Twice probe.failing_intervals without leaders (a loaded machine): reported uncovered,
  // not failing, no event; messages lost meanwhile are not judged either.
  for (int k = 0; k < 2 * kFailingIntervals; ++k) {
    cycle.run(k, k == 0 ? std::vector<ks::kafka::PartitionMetadata>{} : kLeaderless, {},
              {{2, "lost"}});
    CHECK(cycle.events.empty());
    CHECK(cycle.snapshot.uncovered == std::vector<std::int32_t>{1, 2, 3});
    for (const ks::ProbeBrokerHealth& h : cycle.snapshot.brokers) CHECK_FALSE(h.failing);
  }
  // Leaders elected, then a message of each broker consumed back: the graces end.
  int k = 2 * kFailingIntervals;
  cycle.run(k++, kLed, {});
  cycle.run(k++, kLed, {{1, 1}, {2, 1}, {3, 1}});
  CHECK(cycle.events.empty());
  CHECK(grace.brokers_in_grace().empty());
  // From now on judged as always: broker 3 loses its leadership, probe.failing fires for it
  // alone after probe.failing_intervals cycles.
  const std::vector<ks::kafka::PartitionMetadata> three_down{partition(0, 1), partition(1, 2),
                                                             partition(2, 1)};
  for (int n = 1; n <= kFailingIntervals; ++n) {
    cycle.run(k++, three_down, {{1, 2}, {2, 2}, {3, 1}});
    CHECK(cycle.events.size() == (n == kFailingIntervals ? 1u : 0u));
  }
  REQUIRE(cycle.events.size() == 1);
  CHECK(cycle.events[0].type == "io.kafka-sentinel.probe.failing");
  CHECK(cycle.events[0].subject == "broker/3");
}

TEST_CASE("probe grace: without it, the same slow start fires for every broker", "[probe]") {
  // The defect the grace fixes, shown on the same steps: no grace started.
  ks::EventsConfig config;
  ks::events::TransitionDetector detector(config, "node-a");
  ProbeGrace grace(ProbeGrace::length_for(kTimeout, kInterval));
  Cycle cycle{detector, grace, {}, {}, false};
  std::size_t fired = 0;
  for (int k = 0; k < 2 * kFailingIntervals; ++k) {
    cycle.run(k, kLeaderless, {});
    fired += cycle.events.size();
  }
  CHECK(fired == 3);
}

TEST_CASE("probe grace: a broker that never serves its new partition is still reported",
          "[probe]") {
  ks::EventsConfig config;
  ks::events::TransitionDetector detector(config, "node-a");
  const auto length = ProbeGrace::length_for(kTimeout, kInterval);
  ProbeGrace grace(length);
  Cycle cycle{detector, grace, {}, {}};
  grace.start({1, 2, 3}, t0);
  // Brokers 1 and 2 serve; broker 3's partition never gets a leader.
  const std::vector<ks::kafka::PartitionMetadata> partitions{partition(0, 1), partition(1, 2),
                                                             partition(2, -1)};
  const int grace_cycles = static_cast<int>(length / kInterval);
  int first_fired = -1;
  for (int k = 0; k < grace_cycles + 2 * kFailingIntervals && first_fired < 0; ++k) {
    const auto n = static_cast<std::uint64_t>(k);
    cycle.run(k, partitions, {{1, n}, {2, n}});
    for (const ks::HealthEvent& e : cycle.events) {
      CHECK(e.subject == "broker/3");
      first_fired = k;
    }
  }
  // Judged from the end of its grace on, as any uncovered broker: fires after
  // probe.failing_intervals more cycles.
  CHECK(first_fired == grace_cycles + kFailingIntervals - 1);
  // Its grace ran out unserved: a new request (the agent asks again) gives no second one.
  grace.start({3}, t0 + length + 10 * kInterval);
  CHECK_FALSE(grace.in_grace(3));
}

TEST_CASE("probe grace: an agent started after another created the topic pages nobody",
          "[probe]") {
  // The other agent's request gave this one no grace: it first sees the topic with broker 3's
  // partition still without a leader, for twice probe.failing_intervals.
  ks::EventsConfig config;
  ks::events::TransitionDetector detector(config, "node-b");
  ProbeGrace grace(ProbeGrace::length_for(kTimeout, kInterval));
  Cycle cycle{detector, grace, {}, {}};
  const std::vector<ks::kafka::PartitionMetadata> three_unled{partition(0, 1), partition(1, 2),
                                                              partition(2, -1)};
  int k = 0;
  for (; k < 2 * kFailingIntervals; ++k) {
    const auto n = static_cast<std::uint64_t>(k);
    cycle.run(k, three_unled, {{1, n}, {2, n}}, {{3, "lost"}});
    CHECK(cycle.events.empty());
    CHECK(cycle.snapshot.uncovered == std::vector<std::int32_t>{3});
    for (const ks::ProbeBrokerHealth& h : cycle.snapshot.brokers) CHECK_FALSE(h.failing);
  }
  CHECK(grace.brokers_in_grace() == std::vector<std::int32_t>{3});
  // Led, then served: judged from now on. Losing the leader it was seen with is a broker
  // down, not a new partition: no second grace, probe.failing after the failing intervals.
  cycle.run(k++, kLed, {{1, 7}, {2, 7}});
  cycle.run(k++, kLed, {{1, 8}, {2, 8}, {3, 1}});
  CHECK(grace.brokers_in_grace().empty());
  std::size_t fired = 0;
  for (int n = 1; n <= kFailingIntervals; ++n) {
    cycle.run(k++, three_unled, {{1, 9}, {2, 9}, {3, 1}});
    CHECK_FALSE(grace.in_grace(3));
    for (const ks::HealthEvent& e : cycle.events) {
      CHECK(e.subject == "broker/3");
      ++fired;
    }
  }
  CHECK(fired == 1);
}

TEST_CASE("probe grace: an unled partition of a broker not in the metadata gets none",
          "[probe]") {
  // Broker 3 is down when the agent starts: its partition's lack of a leader is no news.
  ProbeGrace grace(ProbeGrace::length_for(kTimeout, kInterval));
  CHECK(grace.watch({partition(0, 1), partition(1, 2), partition(2, -1)}, {1, 2}, t0).empty());
  CHECK_FALSE(grace.in_grace(3));
  // Back in the metadata, its partition never seen led: the grace starts then, once.
  CHECK(grace.watch({partition(0, 1), partition(1, 2), partition(2, -1)}, {1, 2, 3}, t0 + kInterval) ==
        std::vector<std::int32_t>{3});
  CHECK(grace.watch({partition(0, 1), partition(1, 2), partition(2, -1)}, {1, 2, 3},
                    t0 + 2 * kInterval).empty());
  CHECK(grace.in_grace(3));
}

TEST_CASE("probe grace: a partition added later extends the grace its broker got at creation",
          "[probe]") {
  // The agent asked for the topic, which existed already with partitions on brokers 1 and 2
  // only: broker 3's grace began then. Its partition is added a while later (the agent grows
  // the topic): the grace runs from that partition's first sighting, not from the creation.
  ks::EventsConfig config;
  ks::events::TransitionDetector detector(config, "node-a");
  const auto length = ProbeGrace::length_for(kTimeout, kInterval);
  ProbeGrace grace(length);
  Cycle cycle{detector, grace, {}, {}};
  grace.start({1, 2, 3}, t0);
  const std::vector<ks::kafka::PartitionMetadata> two{partition(0, 1), partition(1, 2)};
  const int grace_cycles = static_cast<int>(length / kInterval);
  const int added_at = grace_cycles - 3;  // shortly before the creation's grace runs out
  std::size_t fired = 0;
  int k = 0;
  for (; k < added_at; ++k) {
    const auto n = static_cast<std::uint64_t>(k);
    cycle.run(k, two, {{1, n}, {2, n}});
    fired += cycle.events.size();
  }
  // Added and led, yet not serving for as long as the creation's grace had left and more.
  for (; k < added_at + grace_cycles - 2; ++k) {
    const auto n = static_cast<std::uint64_t>(k);
    cycle.run(k, kLed, {{1, n}, {2, n}}, {{3, "produce failed: Local: Unknown partition"}});
    fired += cycle.events.size();
    CHECK(grace.in_grace(3));
  }
  CHECK(fired == 0);
  // Still not serving: judged once its own grace has run out, fires after the failing
  // intervals (the bound holds per partition).
  int first_fired = -1;
  for (; k < added_at + grace_cycles + 2 * kFailingIntervals && first_fired < 0; ++k) {
    const auto n = static_cast<std::uint64_t>(k);
    cycle.run(k, kLed, {{1, n}, {2, n}}, {{3, "lost"}});
    for (const ks::HealthEvent& e : cycle.events) {
      CHECK(e.subject == "broker/3");
      first_fired = k;
    }
  }
  CHECK(first_fired == added_at + grace_cycles + kFailingIntervals - 1);
}

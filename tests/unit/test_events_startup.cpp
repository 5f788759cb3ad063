// The evaluator at agent startup: nothing may fire (or resolve) for lack of data, only for
// what a collector actually observed. A false "broker down" for every broker, or a false
// "lag status back to OK" right after a restart, would be noise exactly when an operator
// restarts the agent to see clearly.
#include <catch2/catch.hpp>

#include "events/transition_detector.hpp"

using namespace std::chrono_literals;
using ks::HealthEvent;
using ks::events::TransitionDetector;

namespace {

using TimePoint = std::chrono::system_clock::time_point;
const TimePoint kT0 = TimePoint(std::chrono::seconds(1740830400));

ks::EventsConfig rules(int cycles) {
  ks::EventsConfig c;
  c.fire_cycles = cycles;
  c.resolve_cycles = cycles;
  c.host_cycles = cycles;
  c.collector_failure_cycles = 3;
  c.group_thresholds.lag_messages = 1000;
  c.group_thresholds.lag_seconds = 60s;
  return c;
}

std::vector<std::string> describe(const std::vector<HealthEvent>& events) {
  std::vector<std::string> out;
  for (const HealthEvent& e : events) {
    std::string line = e.type.substr(ks::kEventTypePrefix.size()) + " " +
                       std::string(ks::state_name(e.state)) + " " + e.subject;
    if (!e.condition.empty()) line += " " + e.condition;
    out.push_back(line);
  }
  return out;
}
using Lines = std::vector<std::string>;

// The broker collector's snapshot when its metadata request failed before it ever
// succeeded: it knows no broker and no topic.
ks::ClusterSnapshot never_reached(int cycle) {
  ks::ClusterSnapshot s;
  s.taken_at = kT0 + cycle * 15s;
  s.up = false;
  s.error = "Local: Broker transport failure";
  return s;
}

ks::ClusterSnapshot healthy(int cycle) {
  ks::ClusterSnapshot s;
  s.taken_at = kT0 + cycle * 15s;
  s.up = true;
  s.cluster_id = "cid-1";
  for (int id = 1; id <= 3; ++id) {
    ks::BrokerState b;
    b.id = id;
    b.host = "127.0.0.1";
    b.port = 9091 + id;
    b.in_metadata = b.up = true;
    s.brokers.push_back(b);
  }
  ks::TopicState t;
  t.name = "orders";
  for (int i = 0; i < 3; ++i) {
    ks::PartitionState p;
    p.id = i;
    p.leader = 1;
    t.partitions.push_back(p);
  }
  s.topics.push_back(t);
  return s;
}

// One group, one partition with `lag`, as the groups collector reports it: the status its
// window allows (OK on its first cycles, whatever the lag), lag in seconds when known.
ks::GroupsSnapshot group_at(TimePoint at, std::int64_t lag, ks::LagStatus status,
                            std::optional<double> lag_seconds = std::nullopt) {
  ks::GroupPartitionLag p;
  p.committed = 100;
  p.low_watermark = 0;
  p.high_watermark = 100 + lag;
  p.status = status;
  p.lag_since_steady_ms = ks::lag_since::for_age(lag_seconds);
  ks::GroupTopicLag t;
  t.topic = "payments";
  t.lag_sum = lag;
  t.partitions_with_lag = lag > 0;
  t.partitions.push_back(p);
  ks::GroupLag g;
  g.name = "billing";
  g.described = true;
  g.state = "Stable";
  g.members = 1;
  g.offsets_fetched = true;
  g.status = status;
  g.topics.push_back(t);
  ks::GroupsSnapshot s;
  s.taken_at = at;
  s.groups.push_back(g);
  return s;
}

}  // namespace

TEST_CASE("startup: before a first successful collection only a real outage fires",
          "[events]") {
  TransitionDetector ev(rules(1), "n");  // hysteresis 1: anything judged would fire at once
  // The cluster was never reached: no broker, no topic is known, so none is "down"; the
  // unreachable cluster itself is an observation, and fires.
  CHECK(describe(ev.on_cluster(never_reached(0))) ==
        Lines{"cluster.unreachable firing cluster/unknown"});
  for (int c = 1; c < 5; ++c) CHECK(ev.on_cluster(never_reached(c)).empty());
  // Reached at last, healthy: the outage resolves, nothing else happens.
  CHECK(describe(ev.on_cluster(healthy(5))) == Lines{"cluster.unreachable resolved cluster/unknown"});
  CHECK(ev.on_cluster(healthy(6)).empty());
  CHECK(ev.firing_count() == 0);
}

TEST_CASE("startup: a broker slow to answer its first requests is not down", "[events]") {
  TransitionDetector ev(rules(2), "n");
  // In the metadata, but its first offset requests time out (a new connection to a broker
  // whose JVM is still cold): not judged while it has never answered, in the first cycles.
  auto slow = [](int c) {
    ks::ClusterSnapshot s = healthy(c);
    s.brokers[2].up = false;
    return s;
  };
  for (int c = 0; c < 4; ++c) CHECK(ev.on_cluster(slow(c)).empty());
  CHECK(ev.on_cluster(healthy(4)).empty());
  // Once it has answered, not answering is "down" like anything else.
  CHECK(ev.on_cluster(slow(5)).empty());
  const auto fired = ev.on_cluster(slow(6));
  REQUIRE(describe(fired) == Lines{"broker.down firing broker/3"});
  CHECK(fired[0].summary == "broker 3 (127.0.0.1:9094) is not answering");
}

TEST_CASE("startup: a broker that never answers is down after the startup grace", "[events]") {
  TransitionDetector ev(rules(2), "n");
  auto hung = [](int c) {
    ks::ClusterSnapshot s = healthy(c);
    s.brokers[0].up = false;
    return s;
  };
  std::vector<HealthEvent> events;
  int c = 0;
  for (; c < 20 && events.empty(); ++c) events = ev.on_cluster(hung(c));
  REQUIRE(describe(events) == Lines{"broker.down firing broker/1"});
  CHECK(c == 12);  // 10 cycles of grace, then the usual 2 of hysteresis
}

TEST_CASE("startup: the first cycles' missing figures judge nothing", "[events]") {
  TransitionDetector ev(rules(1), "n");
  // Host: no CPU ratio on the first cycle (it needs two /proc/stat samples).
  ks::HostSnapshot host;
  host.taken_at = kT0;
  host.memory_available_ratio = 0.5;
  CHECK(ev.on_host(host).empty());
  // Groups: lag under the message threshold, no lag in seconds yet (no watermark history),
  // no lag status yet (empty window): nothing fires.
  CHECK(ev.on_groups(group_at(kT0, 500, ks::LagStatus::notfound)).empty());
  CHECK(ev.on_groups(group_at(kT0 + 15s, 500, ks::LagStatus::ok)).empty());
  // A collector's first failures, fewer than collector_failure_cycles (3): nothing either.
  CHECK(ev.on_collector_cycle("brokers", false, "timed out", kT0).empty());
  CHECK(ev.on_collector_cycle("brokers", false, "timed out", kT0 + 15s).empty());
  CHECK(ev.firing_count() == 0);
}

TEST_CASE("after a restart, a restored STOP is neither resolved by an empty window nor fired again",
          "[events]") {
  const auto warmup = 10 * 15s;  // status_window_commits 10, groups every 15 s
  TransitionDetector before(rules(2), "n", warmup);
  TimePoint t = kT0;
  for (int c = 0; c < 3; ++c, t += 15s) before.on_groups(group_at(t, 500, ks::LagStatus::ok));
  before.on_groups(group_at(t, 500, ks::LagStatus::stop));
  t += 15s;
  const auto fired = before.on_groups(group_at(t, 500, ks::LagStatus::stop));
  REQUIRE(describe(fired) == Lines{"group.lag_status firing group/billing STOP"});

  TransitionDetector after(rules(2), "n", warmup);
  REQUIRE(after.restore_state(before.save_state()) == 1);
  // The restarted collector's window is empty: OK with lag for a whole window, then STOP
  // again. Same condition throughout: no event at all.
  t += 60s;
  for (int c = 0; c < 10; ++c, t += 15s) {
    CHECK(after.on_groups(group_at(t, 500, ks::LagStatus::ok)).empty());
  }
  for (int c = 0; c < 3; ++c, t += 15s) {
    CHECK(after.on_groups(group_at(t, 500, ks::LagStatus::stop)).empty());
  }
  CHECK(after.firing_count() == 1);
  // The consumer is back and progresses: OK after the window resolves it, once.
  CHECK(after.on_groups(group_at(t, 400, ks::LagStatus::ok)).empty());
  t += 15s;
  const auto resolved = after.on_groups(group_at(t, 300, ks::LagStatus::ok));
  REQUIRE(describe(resolved) == Lines{"group.lag_status resolved group/billing STOP"});
  CHECK(resolved[0].firing_id == fired[0].id);
}

TEST_CASE("after a restart, no lag at all resolves a restored STOP at once", "[events]") {
  const auto warmup = 10 * 15s;
  TransitionDetector before(rules(1), "n", warmup);
  before.on_groups(group_at(kT0, 500, ks::LagStatus::stop));
  REQUIRE(before.firing_count() == 1);
  TransitionDetector after(rules(1), "n", warmup);
  after.restore_state(before.save_state());
  // OK with zero lag needs no history: nothing can be stopped with nothing to consume.
  CHECK(describe(after.on_groups(group_at(kT0 + 60s, 0, ks::LagStatus::ok))) ==
        Lines{"group.lag_status resolved group/billing STOP"});
}

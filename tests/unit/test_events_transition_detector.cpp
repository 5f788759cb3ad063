#include <catch2/catch.hpp>

#include <set>

#include "events/transition_detector.hpp"
#include "events/cloudevent.hpp"

using namespace std::chrono_literals;
using ks::EventState;
using ks::HealthEvent;
using ks::events::TransitionDetector;

namespace {

using TimePoint = std::chrono::system_clock::time_point;
const TimePoint kT0 = TimePoint(std::chrono::seconds(1740830400));

ks::EventsConfig rules() {
  ks::EventsConfig c;
  c.cluster_name = "";  // learnt from the snapshots
  c.fire_cycles = 2;
  c.resolve_cycles = 2;
  c.host_cycles = 3;
  c.collector_failure_cycles = 3;
  c.group_thresholds.lag_messages = 1000;
  c.group_thresholds.lag_seconds = 60s;
  return c;
}

std::string short_type(const HealthEvent& e) {
  return e.type.substr(ks::kEventTypePrefix.size());
}

// "broker.down firing broker/2" for each event, in order.
std::vector<std::string> describe(const std::vector<HealthEvent>& events) {
  std::vector<std::string> out;
  for (const HealthEvent& e : events) {
    std::string line = short_type(e) + " " + std::string(ks::state_name(e.state)) + " " + e.subject;
    if (!e.condition.empty()) line += " " + e.condition;
    out.push_back(line);
  }
  return out;
}

using Lines = std::vector<std::string>;

ks::BrokerState broker(int id, bool up) {
  ks::BrokerState b;
  b.id = id;
  b.host = "127.0.0.1";
  b.port = 9091 + id;
  b.in_metadata = up;
  b.up = up;
  return b;
}

ks::TopicState topic(const std::string& name, int partitions) {
  ks::TopicState t;
  t.name = name;
  for (int i = 0; i < partitions; ++i) {
    ks::PartitionState p;
    p.id = i;
    p.leader = 1;
    t.partitions.push_back(p);
  }
  t.min_insync_replicas = 2;
  return t;
}

struct ClusterBuilder {
  ks::ClusterSnapshot s;
  ClusterBuilder(int cycle, bool up = true) {
    s.taken_at = kT0 + cycle * 15s;
    s.up = up;
    s.cluster_id = up ? "cid-1" : "";
    if (!up) s.error = "all brokers down";
  }
};

ks::ClusterSnapshot healthy(int cycle) {
  ClusterBuilder b(cycle);
  for (int id = 1; id <= 3; ++id) b.s.brokers.push_back(broker(id, true));
  b.s.topics.push_back(topic("orders", 6));
  b.s.topics.push_back(topic("payments", 3));
  return b.s;
}

ks::ClusterSnapshot broker3_down(int cycle) {
  ks::ClusterSnapshot s = healthy(cycle);
  s.brokers[2] = broker(3, false);
  for (auto& t : s.topics) {
    for (auto& p : t.partitions) p.under_replicated = true;
  }
  return s;
}

ks::ClusterSnapshot unreachable(int cycle, int known_brokers = 3) {
  ClusterBuilder b(cycle, false);
  for (int id = 1; id <= known_brokers; ++id) b.s.brokers.push_back(broker(id, false));
  return b.s;
}

}  // namespace

TEST_CASE("broker down fires after the hysteresis and resolves once", "[events]") {
  TransitionDetector ev(rules(), "node-1");
  CHECK(ev.on_cluster(healthy(0)).empty());
  CHECK(ev.cluster_label() == "cid-1");
  CHECK(ev.source() == "/kafka-sentinel/cid-1/node-1");

  CHECK(ev.on_cluster(broker3_down(1)).empty());  // one cycle: not yet
  const auto fired = ev.on_cluster(broker3_down(2));
  CHECK(describe(fired) == Lines{"broker.down firing broker/3",
                                 "topic.under_replicated firing topic/orders",
                                 "topic.under_replicated firing topic/payments"});
  const HealthEvent& down = fired[0];
  CHECK(down.since == kT0 + 15s);  // the first cycle it was seen
  CHECK(down.time == kT0 + 30s);
  CHECK(down.severity == ks::Severity::critical);
  CHECK(down.summary == "broker 3 (127.0.0.1:9094) is down: not in the cluster metadata");
  CHECK(down.observed["address"] == "127.0.0.1:9094");
  CHECK(down.id == ks::events::event_id(down.source, down.type, down.subject, "",
                                        EventState::firing, down.time));
  CHECK(fired[1].observed["affected_partitions"] == 6);
  CHECK(fired[1].observed["partition_ids"].size() == 6);
  CHECK(fired[1].summary == "topic orders: 6 of 6 partitions under-replicated");

  // Still down: nothing new, however long.
  for (int c = 3; c < 10; ++c) CHECK(ev.on_cluster(broker3_down(c)).empty());
  CHECK(ev.firing_count() == 3);

  CHECK(ev.on_cluster(healthy(10)).empty());  // one clear cycle: not yet
  const auto resolved = ev.on_cluster(healthy(11));
  CHECK(describe(resolved) == Lines{"broker.down resolved broker/3",
                                    "topic.under_replicated resolved topic/orders",
                                    "topic.under_replicated resolved topic/payments"});
  CHECK(resolved[0].firing_id == down.id);
  CHECK(resolved[0].since == down.since);
  CHECK(resolved[0].summary == "broker 3 (127.0.0.1:9094) is back up");
  CHECK(resolved[0].id != down.id);
  CHECK(resolved[1].observed["affected_partitions"] == 0);
  CHECK(ev.firing_count() == 0);
  CHECK(ev.on_cluster(healthy(12)).empty());
}

TEST_CASE("a flapping condition neither fires nor resolves", "[events]") {
  TransitionDetector ev(rules(), "node-1");
  ev.on_cluster(healthy(0));
  for (int c = 1; c < 20; ++c) {
    CHECK(ev.on_cluster(c % 2 ? broker3_down(c) : healthy(c)).empty());
  }
  // Cycle 19 was down: one more down cycle fires. Then flapping back: it stays firing
  // until clear for resolve_cycles.
  CHECK(ev.on_cluster(broker3_down(20)).size() == 3);
  CHECK(ev.on_cluster(broker3_down(21)).empty());
  for (int c = 22; c < 40; ++c) {
    CHECK(ev.on_cluster(c % 2 ? broker3_down(c) : healthy(c)).empty());
  }
  CHECK(ev.firing_count() == 3);
}

TEST_CASE("hysteresis of 1 fires at once", "[events]") {
  auto r = rules();
  r.fire_cycles = 1;
  r.resolve_cycles = 1;
  TransitionDetector ev(r, "n");
  ev.on_cluster(healthy(0));
  CHECK(ev.on_cluster(broker3_down(1)).size() == 3);
  CHECK(ev.on_cluster(healthy(2)).size() == 3);
}

TEST_CASE("one broker loss is one event per topic, not per partition", "[events]") {
  TransitionDetector ev(rules(), "n");
  ks::ClusterSnapshot base = healthy(0);
  base.topics.clear();
  for (int t = 0; t < 20; ++t) base.topics.push_back(topic("t" + std::to_string(t), 500));
  ev.on_cluster(base);
  auto lose = [&](int cycle) {
    ks::ClusterSnapshot s = base;
    s.taken_at = kT0 + cycle * 15s;
    s.brokers[2] = broker(3, false);
    for (auto& t : s.topics) {
      for (auto& p : t.partitions) {
        p.under_replicated = true;
        if (p.id % 10 == 0) p.offline = p.under_min_isr = true;
      }
    }
    return s;
  };
  ev.on_cluster(lose(1));
  const auto events = ev.on_cluster(lose(2));
  CHECK(events.size() == 1 + 3 * 20);  // broker + 3 conditions x 20 topics (10000 partitions)
  for (const auto& e : events) {
    if (short_type(e) == "topic.partitions_offline") {
      CHECK(e.observed["affected_partitions"] == 50);
      CHECK(e.observed["partition_ids"].size() == 50);  // listed up to 50
    }
  }
}

TEST_CASE("an unreachable cluster fires once; its brokers are down, its topics unjudged",
          "[events]") {
  TransitionDetector ev(rules(), "n");
  ev.on_cluster(broker3_down(0));
  const auto first = ev.on_cluster(broker3_down(1));
  CHECK(first.size() == 3);
  CHECK(ev.on_cluster(unreachable(2)).empty());
  const auto outage = ev.on_cluster(unreachable(3));
  CHECK(describe(outage) == Lines{"cluster.unreachable firing cluster/cid-1",
                                  "broker.down firing broker/1", "broker.down firing broker/2"});
  CHECK(outage[0].summary == "cluster cid-1 is unreachable: all brokers down");
  CHECK(outage[1].summary == "broker 1 (127.0.0.1:9092) is down: the cluster is unreachable");
  // Topics are unknown while unreachable: their conditions stay firing.
  for (int c = 4; c < 10; ++c) CHECK(ev.on_cluster(unreachable(c)).empty());
  CHECK(ev.firing_count() == 6);  // the cluster, 3 brokers, 2 topics
  ev.on_cluster(healthy(10));
  const auto back = ev.on_cluster(healthy(11));
  CHECK(describe(back) == Lines{"cluster.unreachable resolved cluster/cid-1",
                                "broker.down resolved broker/1", "broker.down resolved broker/2",
                                "broker.down resolved broker/3",
                                "topic.under_replicated resolved topic/orders",
                                "topic.under_replicated resolved topic/payments"});
}

TEST_CASE("a deleted topic resolves; a broker no longer listed stays down", "[events]") {
  TransitionDetector ev(rules(), "n");
  ev.on_cluster(broker3_down(0));
  ev.on_cluster(broker3_down(1));
  CHECK(ev.firing_count() == 3);
  auto gone = [](int cycle) {
    ks::ClusterSnapshot s = healthy(cycle);
    s.brokers.pop_back();  // broker 3 forgotten (broker_down_retention)
    s.topics.pop_back();   // payments deleted
    s.topics[0].partitions[0].under_replicated = true;
    return s;
  };
  ev.on_cluster(gone(2));
  const auto events = ev.on_cluster(gone(3));
  REQUIRE(describe(events) == Lines{"topic.under_replicated resolved topic/payments"});
  CHECK(events[0].summary == "topic.under_replicated resolved: topic/payments is no longer reported");
  CHECK(events[0].observed["reason"] == "no longer reported");
  CHECK(ev.firing_count() == 2);
}

TEST_CASE("under min ISR and offline partitions per topic", "[events]") {
  TransitionDetector ev(rules(), "n");
  auto sick = [](int cycle) {
    ks::ClusterSnapshot s = healthy(cycle);
    s.topics[0].partitions[1].under_min_isr = true;
    s.topics[0].partitions[4].under_min_isr = true;
    s.topics[0].partitions[4].offline = true;
    return s;
  };
  ev.on_cluster(sick(0));
  const auto events = ev.on_cluster(sick(1));
  REQUIRE(describe(events) == Lines{"topic.partitions_offline firing topic/orders",
                                    "topic.under_min_isr firing topic/orders"});
  CHECK(events[1].observed["partition_ids"] == nlohmann::json::array({1, 4}));
  CHECK(events[1].thresholds["min_insync_replicas"] == 2);
  CHECK(events[0].summary == "topic orders: 1 of 6 partitions offline (no leader)");
}

namespace {

ks::GroupPartitionLag partition(int id, std::int64_t lag, ks::LagStatus status) {
  ks::GroupPartitionLag p;
  p.partition = id;
  p.committed = 100;
  p.high_watermark = 100 + lag;
  p.low_watermark = 0;
  p.status = status;
  return p;
}

struct GroupBuilder {
  ks::GroupLag g;
  explicit GroupBuilder(std::string name, std::string state = "Stable") {
    g.name = std::move(name);
    g.described = true;
    g.state = std::move(state);
    g.members = g.state == "Stable" ? 2 : 0;
    g.offsets_fetched = true;
    g.status = ks::LagStatus::ok;
  }
  GroupBuilder& topic(std::string name, std::vector<ks::GroupPartitionLag> partitions) {
    ks::GroupTopicLag t;
    t.topic = std::move(name);
    for (const auto& p : partitions) {
      t.lag_sum += p.lag();
      t.expired_sum += p.expired();
      t.partitions_with_lag += p.lag() > 0;
    }
    t.partitions = std::move(partitions);
    g.topics.push_back(std::move(t));
    return *this;
  }
};

ks::GroupsSnapshot groups_at(int cycle, std::vector<ks::GroupLag> groups) {
  ks::GroupsSnapshot s;
  s.taken_at = kT0 + cycle * 15s;
  s.groups = std::move(groups);
  return s;
}

}  // namespace

TEST_CASE("group lag status: each non-OK status is a condition of its own", "[events]") {
  TransitionDetector ev(rules(), "n");
  auto with = [](ks::LagStatus a, ks::LagStatus b) {
    return GroupBuilder("orders")
        .topic("t", {partition(0, 10, a), partition(1, 10, b)})
        .g;
  };
  using S = ks::LagStatus;
  int c = 0;
  CHECK(ev.on_groups(groups_at(c++, {with(S::ok, S::ok)})).empty());
  CHECK(ev.on_groups(groups_at(c++, {with(S::ok, S::warn)})).empty());
  auto events = ev.on_groups(groups_at(c++, {with(S::ok, S::warn)}));
  REQUIRE(describe(events) == Lines{"group.lag_status firing group/orders WARN"});
  CHECK(events[0].severity == ks::Severity::warning);
  CHECK(events[0].observed["partitions_by_status"]["WARN"] == 1);
  CHECK(events[0].observed["partitions_by_status"]["OK"] == 1);
  // WARN -> STALL: STALL fires after two cycles, WARN resolves after two.
  CHECK(ev.on_groups(groups_at(c++, {with(S::stall, S::warn)})).empty());
  events = ev.on_groups(groups_at(c++, {with(S::stall, S::warn)}));
  CHECK(describe(events) == Lines{"group.lag_status firing group/orders STALL",
                                  "group.lag_status resolved group/orders WARN"});
  CHECK(events[0].severity == ks::Severity::critical);
  CHECK(events[1].summary == "group orders: lag status no longer WARN (now STALL)");
  // STOP, REWIND the same way.
  ev.on_groups(groups_at(c++, {with(S::stop, S::rewind)}));
  events = ev.on_groups(groups_at(c++, {with(S::stop, S::rewind)}));
  CHECK(describe(events) == Lines{"group.lag_status firing group/orders STOP",
                                  "group.lag_status resolved group/orders STALL"});
  ev.on_groups(groups_at(c++, {with(S::rewind, S::ok)}));
  events = ev.on_groups(groups_at(c++, {with(S::rewind, S::ok)}));
  CHECK(describe(events) == Lines{"group.lag_status resolved group/orders STOP",
                                  "group.lag_status firing group/orders REWIND"});
  // Unknown statuses (a new agent's window is empty) judge nothing.
  for (int i = 0; i < 4; ++i) CHECK(ev.on_groups(groups_at(c++, {with(S::notfound, S::notfound)})).empty());
  ev.on_groups(groups_at(c++, {with(S::ok, S::ok)}));
  events = ev.on_groups(groups_at(c++, {with(S::ok, S::ok)}));
  CHECK(describe(events) == Lines{"group.lag_status resolved group/orders REWIND"});
}

TEST_CASE("group lag thresholds in messages and seconds, with per-group overrides", "[events]") {
  auto r = rules();
  r.group_overrides.push_back({"critical-.*", 10, 5s});
  r.group_overrides.push_back({"critical-2", 999999, std::nullopt});  // never reached
  r.group_overrides.push_back({"batch", std::nullopt, 0s});           // seconds off
  TransitionDetector ev(r, "n");
  auto lagging = [](std::string group, std::int64_t lag, std::optional<double> seconds) {
    auto p = partition(0, lag, ks::LagStatus::ok);
    p.lag_since_steady_ms = ks::lag_since::for_age(seconds);
    return GroupBuilder(std::move(group)).topic("payments", {p}).g;
  };
  auto cycle = [&](int c, std::int64_t lag, std::optional<double> seconds) {
    return ev.on_groups(groups_at(c, {lagging("batch", lag, seconds), lagging("critical-2", lag, seconds),
                                      lagging("orders", lag, seconds)}));
  };
  cycle(0, 50, 10.0);
  auto events = cycle(1, 50, 10.0);
  CHECK(describe(events) ==
        Lines{"group.lag_messages firing group/critical-2/topic/payments",
              "group.lag_seconds firing group/critical-2/topic/payments"});
  CHECK(events[0].thresholds["lag_messages"] == 10);
  CHECK(events[0].observed["lag_messages"] == 50);
  CHECK(events[1].thresholds["lag_seconds"] == 5.0);
  CHECK(events[1].summary == "group critical-2 on topic payments: lag 10s, above 5s");
  cycle(2, 5000, 100.0);
  events = cycle(3, 5000, 100.0);
  CHECK(describe(events) == Lines{"group.lag_messages firing group/batch/topic/payments",
                                  "group.lag_messages firing group/orders/topic/payments",
                                  "group.lag_seconds firing group/orders/topic/payments"});
  // Lag with no lag in seconds yet (too little history): the seconds condition waits.
  for (int c = 4; c < 8; ++c) CHECK(cycle(c, 5000, std::nullopt).empty());
  cycle(8, 0, std::nullopt);
  events = cycle(9, 0, std::nullopt);
  CHECK(describe(events) ==
        Lines{"group.lag_messages resolved group/batch/topic/payments",
              "group.lag_messages resolved group/critical-2/topic/payments",
              "group.lag_seconds resolved group/critical-2/topic/payments",
              "group.lag_messages resolved group/orders/topic/payments",
              "group.lag_seconds resolved group/orders/topic/payments"});
  CHECK(events[1].summary == "group critical-2 on topic payments: lag 0 messages, back under 10");
}

TEST_CASE("group state, messages lost to retention, and groups that vanish", "[events]") {
  TransitionDetector ev(rules(), "n");
  auto expired_partition = [] {
    auto p = partition(0, 20, ks::LagStatus::ok);
    p.low_watermark = p.committed + 30;  // 30 expired, 20 still there
    p.high_watermark = p.low_watermark + 20;
    return p;
  };
  auto snapshot = [&](int c, std::string state, bool expired) {
    return groups_at(c, {GroupBuilder("orders", state)
                             .topic("t", {expired ? expired_partition() : partition(0, 0, ks::LagStatus::ok)})
                             .g});
  };
  ev.on_groups(snapshot(0, "Empty", true));
  auto events = ev.on_groups(snapshot(1, "Empty", true));
  REQUIRE(describe(events) == Lines{"group.state firing group/orders Empty",
                                    "group.messages_expired firing group/orders/topic/t"});
  CHECK(events[0].summary == "group orders is Empty (0 members)");
  CHECK(events[1].observed["expired_messages"] == 30);
  CHECK(events[1].severity == ks::Severity::critical);
  ev.on_groups(snapshot(2, "Stable", false));
  events = ev.on_groups(snapshot(3, "Stable", false));
  CHECK(describe(events) == Lines{"group.state resolved group/orders Empty",
                                  "group.messages_expired resolved group/orders/topic/t"});
  CHECK(events[0].summary == "group orders is no longer Empty (now Stable, 2 members)");

  // A group that is not described (KIP-848) or whose offsets failed: nothing is judged.
  ev.on_groups(snapshot(4, "Dead", true));
  CHECK(ev.on_groups(snapshot(5, "Dead", true)).size() == 2);
  auto undescribed = snapshot(6, "Unknown", true);
  undescribed.groups[0].described = false;
  undescribed.groups[0].offsets_fetched = false;
  undescribed.groups[0].topics.clear();
  for (int c = 6; c < 10; ++c) {
    undescribed.taken_at = kT0 + c * 15s;
    CHECK(ev.on_groups(undescribed).empty());
  }
  // Gone altogether: resolved.
  ev.on_groups(groups_at(10, {}));
  events = ev.on_groups(groups_at(11, {}));
  CHECK(describe(events) == Lines{"group.messages_expired resolved group/orders/topic/t",
                                  "group.state resolved group/orders Dead"});
  CHECK(events[0].observed["reason"] == "no longer reported");
}

TEST_CASE("host CPU and memory pressure need host_cycles", "[events]") {
  TransitionDetector ev(rules(), "kafka-1");  // host_cycles 3
  auto host = [](int c, std::optional<double> cpu, std::optional<double> memory) {
    ks::HostSnapshot h;
    h.taken_at = kT0 + c * 15s;
    h.cpu_utilization_ratio = cpu;
    h.memory_available_ratio = memory;
    h.memory.push_back({"MemTotal", 8e9, true});
    h.memory.push_back({"MemAvailable", 4e8, true});
    return h;
  };
  CHECK(ev.on_host(host(0, std::nullopt, 0.5)).empty());  // first cycle: no CPU ratio
  CHECK(ev.on_host(host(1, 0.95, 0.05)).empty());
  CHECK(ev.on_host(host(2, 0.97, 0.05)).empty());
  auto events = ev.on_host(host(3, 0.99, 0.05));
  REQUIRE(describe(events) == Lines{"host.cpu_high firing host/kafka-1",
                                    "host.memory_pressure firing host/kafka-1"});
  CHECK(events[0].summary == "host kafka-1: CPU 99% busy, above 90%");
  CHECK(events[0].thresholds["cycles"] == 3);
  CHECK(events[1].observed["memory_available_bytes"] == 4e8);
  CHECK(ev.on_host(host(4, 0.5, 0.5)).empty());
  CHECK(ev.on_host(host(5, 0.5, 0.5)).empty());
  CHECK(describe(ev.on_host(host(6, 0.5, 0.5))) ==
        Lines{"host.cpu_high resolved host/kafka-1", "host.memory_pressure resolved host/kafka-1"});
}

TEST_CASE("a collector failing for N cycles", "[events]") {
  TransitionDetector ev(rules(), "n");  // collector_failure_cycles 3
  const TimePoint t = kT0;
  CHECK(ev.on_collector_cycle("groups", false, "timeout", t).empty());
  CHECK(ev.on_collector_cycle("brokers", false, "timeout", t).empty());
  CHECK(ev.on_collector_cycle("groups", false, "timeout", t + 1s).empty());
  auto events = ev.on_collector_cycle("groups", false, "timed out", t + 2s);
  REQUIRE(describe(events) == Lines{"agent.collector_failing firing collector/groups"});
  CHECK(events[0].summary == "collector groups failed 3 cycles in a row: timed out");
  CHECK(events[0].observed["consecutive_failures"] == 3);
  CHECK(ev.on_collector_cycle("groups", false, "x", t + 3s).empty());
  CHECK(ev.on_collector_cycle("brokers", true, "", t + 3s).empty());  // other collector
  events = ev.on_collector_cycle("groups", true, "", t + 4s);
  CHECK(describe(events) == Lines{"agent.collector_failing resolved collector/groups"});
  CHECK(events[0].since == t + 2s);
}

TEST_CASE("state survives a restart: no second firing, and the resolve comes", "[events]") {
  TransitionDetector before(rules(), "n");
  before.on_cluster(broker3_down(0));
  const auto fired = before.on_cluster(broker3_down(1));
  REQUIRE(fired.size() == 3);
  const auto state = before.save_state();
  CHECK(state["cluster_label"] == "cid-1");
  CHECK(state["firing"].size() == 3);

  TransitionDetector after(rules(), "n");
  CHECK(after.restore_state(nlohmann::json::parse(state.dump())) == 3);
  CHECK(after.cluster_label() == "cid-1");
  // Restarted during an outage: it knows no broker, the cluster is unreachable.
  CHECK(after.on_cluster(unreachable(2, 0)).empty());
  const auto outage = after.on_cluster(unreachable(3, 0));
  CHECK(describe(outage) == Lines{"cluster.unreachable firing cluster/cid-1"});
  for (int c = 4; c < 8; ++c) CHECK(after.on_cluster(unreachable(c, 0)).empty());
  after.on_cluster(healthy(8));
  const auto back = after.on_cluster(healthy(9));
  CHECK(describe(back) == Lines{"cluster.unreachable resolved cluster/cid-1",
                                "broker.down resolved broker/3",
                                "topic.under_replicated resolved topic/orders",
                                "topic.under_replicated resolved topic/payments"});
  CHECK(back[1].firing_id == fired[0].id);
  CHECK(back[1].since == fired[0].since);
}

TEST_CASE("replayed events rebuild the firing set", "[events]") {
  TransitionDetector before(rules(), "n");
  before.on_cluster(broker3_down(0));
  auto events = before.on_cluster(broker3_down(1));
  before.on_cluster(healthy(2));
  for (auto& e : before.on_cluster(healthy(3))) events.push_back(e);
  before.on_cluster(unreachable(4));
  for (auto& e : before.on_cluster(unreachable(5))) events.push_back(e);
  REQUIRE(events.size() == 6 + 4);

  TransitionDetector after(rules(), "n");
  for (const auto& e : events) {
    after.replay(*ks::events::parse_cloudevent(ks::events::to_cloudevent(e)).event);
  }
  CHECK(after.firing_count() == before.firing_count());
  CHECK(after.firing_count() == 4);
  CHECK(after.on_cluster(unreachable(6)).empty());
}

TEST_CASE("a cluster name from the config wins over the cluster id", "[events]") {
  auto r = rules();
  r.cluster_name = "prod-eu";
  TransitionDetector ev(r, "kafka-1");
  ev.on_cluster(unreachable(0));
  const auto events = ev.on_cluster(unreachable(1));
  REQUIRE(!events.empty());
  CHECK(events[0].subject == "cluster/prod-eu");
  CHECK(events[0].source == "/kafka-sentinel/prod-eu/kafka-1");
}

TEST_CASE("an outage seen before the cluster id is known resolves under its first name",
          "[events]") {
  TransitionDetector ev(rules(), "n");
  ev.on_cluster(unreachable(0, 0));
  const auto fired = ev.on_cluster(unreachable(1, 0));
  REQUIRE(describe(fired) == Lines{"cluster.unreachable firing cluster/unknown"});
  ev.on_cluster(healthy(2));
  const auto back = ev.on_cluster(healthy(3));
  REQUIRE(describe(back) == Lines{"cluster.unreachable resolved cluster/unknown"});
  CHECK(back[0].summary == "cluster cid-1 is reachable again");
  CHECK(back[0].source == "/kafka-sentinel/cid-1/n");
}

TEST_CASE("a restored collector condition survives the first failures after a restart",
          "[events]") {
  TransitionDetector before(rules(), "n");  // collector_failure_cycles 3
  for (int i = 0; i < 3; ++i) before.on_collector_cycle("brokers", false, "down", kT0);
  REQUIRE(before.firing_count() == 1);
  TransitionDetector after(rules(), "n");
  after.restore_state(before.save_state());
  CHECK(after.on_collector_cycle("brokers", false, "down", kT0 + 1s).empty());
  CHECK(after.on_collector_cycle("groups", true, "", kT0 + 1s).empty());
  CHECK(after.on_collector_cycle("brokers", false, "down", kT0 + 2s).empty());
  CHECK(after.on_collector_cycle("brokers", false, "down", kT0 + 3s).empty());  // still firing
  CHECK(after.firing_count() == 1);
  CHECK(describe(after.on_collector_cycle("brokers", true, "", kT0 + 4s)) ==
        Lines{"agent.collector_failing resolved collector/brokers"});
}

TEST_CASE("groups missing from an incomplete listing are not resolved", "[events]") {
  TransitionDetector ev(rules(), "n");
  auto empty_group = [](int c) {
    return groups_at(c, {GroupBuilder("orders", "Empty").topic("t", {partition(0, 0, ks::LagStatus::ok)}).g});
  };
  ev.on_groups(empty_group(0));
  REQUIRE(ev.on_groups(empty_group(1)).size() == 1);
  auto incomplete = [](int c) {
    ks::GroupsSnapshot s = groups_at(c, {});
    s.cycle.list_complete = false;  // a broker did not answer ListGroups
    return s;
  };
  for (int c = 2; c < 6; ++c) CHECK(ev.on_groups(incomplete(c)).empty());
  CHECK(ev.firing_count() == 1);
  ev.on_groups(groups_at(6, {}));
  CHECK(ev.on_groups(groups_at(7, {})).size() == 1);  // listed completely: gone
}

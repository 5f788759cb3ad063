// Health events across fleet takeovers: the old owner forgets, the new one continues from
// the events topic, so a takeover neither fires a condition twice nor loses its resolve.
#include <catch2/catch.hpp>

#include "events/transition_detector.hpp"
#include "events/role_handoff.hpp"
#include "fleet/shard_hash.hpp"

using namespace std::chrono_literals;
using ks::EventState;
using ks::HealthEvent;
using ks::events::TransitionDetector;
using ks::events::firing_to_seed;
using ks::events::owns_condition;
using ks::events::RoleHandoff;
using ks::fleet::OwnedShards;

namespace {

using TimePoint = std::chrono::system_clock::time_point;
const TimePoint kT0 = TimePoint(std::chrono::seconds(1740830400));
constexpr int kPartitions = 12;

ks::EventsConfig rules() {
  ks::EventsConfig c;
  c.fire_cycles = 2;
  c.resolve_cycles = 2;
  c.group_thresholds.lag_messages = 1000;
  return c;
}

std::vector<std::string> describe(const std::vector<HealthEvent>& events) {
  std::vector<std::string> out;
  for (const HealthEvent& e : events) {
    out.push_back(e.type.substr(ks::kEventTypePrefix.size()) + " " +
                  std::string(ks::state_name(e.state)) + " " + e.subject);
  }
  return out;
}
using Lines = std::vector<std::string>;

OwnedShards shards(std::vector<int> partitions) {
  OwnedShards s;
  s.partitions = kPartitions;
  s.owned.assign(kPartitions, false);
  for (int p : partitions) s.owned[static_cast<std::size_t>(p)] = true;
  return s;
}

ks::ClusterSnapshot cluster(int cycle, bool broker3_up) {
  ks::ClusterSnapshot s;
  s.taken_at = kT0 + cycle * 15s;
  s.up = true;
  s.cluster_id = "cid-1";
  for (int id = 1; id <= 3; ++id) {
    ks::BrokerState b;
    b.id = id;
    b.host = "127.0.0.1";
    b.port = 9091 + id;
    b.up = b.in_metadata = id != 3 || broker3_up;
    s.brokers.push_back(b);
  }
  return s;
}

ks::GroupsSnapshot groups(int cycle, std::vector<std::pair<std::string, std::int64_t>> lags) {
  ks::GroupsSnapshot s;
  s.taken_at = kT0 + cycle * 15s;
  for (const auto& [name, lag] : lags) {
    ks::GroupLag g;
    g.name = name;
    g.described = true;
    g.state = "Stable";
    g.members = 1;
    g.offsets_fetched = true;
    g.status = ks::LagStatus::ok;
    ks::GroupPartitionLag p;
    p.partition = 0;
    p.committed = 100;
    p.low_watermark = 0;
    p.high_watermark = 100 + lag;
    p.status = ks::LagStatus::ok;
    ks::GroupTopicLag t;
    t.topic = "orders";
    t.lag_sum = lag;
    t.partitions_with_lag = lag > 0;
    t.partitions = {p};
    g.topics = {t};
    s.groups.push_back(g);
  }
  return s;
}

// Two group names in different shards.
std::pair<std::string, std::string> groups_in_two_shards() {
  const std::string a = "orders-consumer";
  for (int i = 0;; ++i) {
    std::string b = "billing-" + std::to_string(i);
    if (ks::fleet::shard_of(b, kPartitions) != ks::fleet::shard_of(a, kPartitions)) return {a, b};
  }
}

void append(std::vector<HealthEvent>& topic, const std::vector<HealthEvent>& events) {
  topic.insert(topic.end(), events.begin(), events.end());
}

}  // namespace

TEST_CASE("which role covers a condition", "[events][fleet]") {
  const auto [a, b] = groups_in_two_shards();
  const OwnedShards leader_with_a = shards({0, ks::fleet::shard_of(a, kPartitions)});
  HealthEvent broker_down;
  broker_down.type = std::string(ks::kEventTypePrefix) + "broker.down";
  HealthEvent group_a;
  group_a.type = std::string(ks::kEventTypePrefix) + "group.lag_messages";
  group_a.observed["group"] = a;
  HealthEvent group_b = group_a;
  group_b.observed["group"] = b;
  HealthEvent host;
  host.type = std::string(ks::kEventTypePrefix) + "host.cpu_high";
  CHECK(owns_condition(leader_with_a, broker_down));
  CHECK(owns_condition(leader_with_a, group_a));
  CHECK_FALSE(owns_condition(leader_with_a, group_b));
  CHECK(owns_condition(leader_with_a, host));
  const OwnedShards nothing = shards({});
  CHECK_FALSE(owns_condition(nothing, broker_down));
  CHECK_FALSE(owns_condition(nothing, group_a));
  CHECK(owns_condition(nothing, host));  // its own node, always
  OwnedShards alone;
  alone.everything = true;
  CHECK(owns_condition(alone, broker_down));
  CHECK(owns_condition(alone, group_b));

  RoleHandoff handoff;
  auto change = handoff.update(leader_with_a);
  CHECK(change.any_gained);
  CHECK(change.gained(broker_down));
  CHECK(change.gained(group_a));
  CHECK_FALSE(change.gained(group_b));
  CHECK_FALSE(change.gained(host));
  CHECK_FALSE(change.lost(broker_down));
  change = handoff.update(leader_with_a);  // nothing changed
  CHECK_FALSE(change.any_gained);
  CHECK_FALSE(change.gained(broker_down));
  change = handoff.update(shards({ks::fleet::shard_of(b, kPartitions)}));
  CHECK(change.any_gained);
  CHECK(change.lost(broker_down));
  CHECK(change.lost(group_a));
  CHECK(change.gained(group_b));
  CHECK_FALSE(change.lost(host));
}

TEST_CASE("a new leader continues the old one's conditions: no second firing, one resolve",
          "[events][fleet]") {
  std::vector<HealthEvent> topic;  // what the old leader published
  TransitionDetector old_leader(rules(), "node-1");
  RoleHandoff old_roles;
  old_roles.update(shards({0}));
  append(topic, old_leader.on_cluster(cluster(0, true)));
  append(topic, old_leader.on_cluster(cluster(1, false)));
  append(topic, old_leader.on_cluster(cluster(2, false)));
  REQUIRE(describe(topic) == Lines{"broker.down firing broker/3"});

  // Leadership moves: the old leader forgets broker 3 without resolving it.
  const auto lost = old_roles.update(shards({5}));
  CHECK(old_leader.forget(lost.lost) == 1);
  CHECK(old_leader.firing_count() == 0);

  // The new leader seeds from the topic, then sees broker 3 still down: nothing new.
  TransitionDetector new_leader(rules(), "node-2");
  RoleHandoff new_roles;
  const auto gained = new_roles.update(shards({0, 1}));
  REQUIRE(gained.any_gained);
  const auto seed = firing_to_seed(topic, {}, gained.gained);
  REQUIRE(describe(seed) == Lines{"broker.down firing broker/3"});
  for (const auto& e : seed) new_leader.replay(e);
  for (int c = 3; c < 8; ++c) CHECK(new_leader.on_cluster(cluster(c, false)).empty());
  // Broker 3 back: exactly one resolve, pointing at the old leader's firing event.
  CHECK(new_leader.on_cluster(cluster(8, true)).empty());
  const auto resolved = new_leader.on_cluster(cluster(9, true));
  REQUIRE(describe(resolved) == Lines{"broker.down resolved broker/3"});
  CHECK(resolved[0].firing_id == topic[0].id);
  CHECK(new_leader.on_cluster(cluster(10, true)).empty());

  // Without the seed the new leader would have fired broker 3 down a second time.
  TransitionDetector unseeded(rules(), "node-2");
  unseeded.on_cluster(cluster(3, false));
  CHECK(describe(unseeded.on_cluster(cluster(4, false))) == Lines{"broker.down firing broker/3"});
}

TEST_CASE("a condition that cleared while nobody owned it is resolved once by the new owner",
          "[events][fleet]") {
  std::vector<HealthEvent> topic;
  TransitionDetector old_leader(rules(), "node-1");
  old_leader.on_cluster(cluster(0, false));
  append(topic, old_leader.on_cluster(cluster(1, false)));
  REQUIRE(topic.size() == 1);
  // The old leader dies; broker 3 comes back before the new leader's first cycle.
  TransitionDetector new_leader(rules(), "node-2");
  RoleHandoff roles;
  for (const auto& e : firing_to_seed(topic, {}, roles.update(shards({0})).gained)) {
    new_leader.replay(e);
  }
  CHECK(new_leader.on_cluster(cluster(5, true)).empty());
  CHECK(describe(new_leader.on_cluster(cluster(6, true))) == Lines{"broker.down resolved broker/3"});
}

TEST_CASE("a group changing shard owner: handed over, not resolved, not fired again",
          "[events][fleet]") {
  const auto [a, b] = groups_in_two_shards();
  const int shard_a = ks::fleet::shard_of(a, kPartitions);
  const int shard_b = ks::fleet::shard_of(b, kPartitions);
  std::vector<HealthEvent> topic;

  TransitionDetector first(rules(), "node-1");
  RoleHandoff first_roles;
  first_roles.update(shards({shard_a, shard_b}));
  const OwnedShards both = shards({shard_a, shard_b});
  const auto owns_both = [&both](std::string_view g) { return both.owns_group(g); };
  first.on_groups(groups(0, {{a, 5000}, {b, 5000}}), owns_both);
  append(topic, first.on_groups(groups(1, {{a, 5000}, {b, 5000}}), owns_both));
  REQUIRE(describe(topic).size() == 2);

  // Shard of `a` moves to another agent; `b` stays.
  const OwnedShards only_b = shards({shard_b});
  const auto change = first_roles.update(only_b);
  CHECK(first.forget(change.lost) == 1);
  const auto owns_b = [&only_b](std::string_view g) { return only_b.owns_group(g); };
  // A cycle that began before the handover still holds `a`: not judged any more.
  CHECK(first.on_groups(groups(2, {{a, 0}, {b, 5000}}), owns_b).empty());
  CHECK(first.on_groups(groups(3, {{b, 5000}}), owns_b).empty());  // `a` absent: not "gone"

  TransitionDetector second(rules(), "node-2");
  RoleHandoff second_roles;
  const OwnedShards only_a = shards({shard_a});
  const auto gained = second_roles.update(only_a);
  const auto seed = firing_to_seed(topic, {}, gained.gained);
  REQUIRE(seed.size() == 1);
  CHECK(seed[0].observed["group"] == a);
  for (const auto& e : seed) second.replay(e);
  const auto owns_a = [&only_a](std::string_view g) { return only_a.owns_group(g); };
  CHECK(second.on_groups(groups(4, {{a, 5000}, {b, 5000}}), owns_a).empty());
  CHECK(second.on_groups(groups(5, {{a, 0}, {b, 0}}), owns_a).empty());
  const auto resolved = second.on_groups(groups(6, {{a, 0}, {b, 0}}), owns_a);
  REQUIRE(describe(resolved) == Lines{"group.lag_messages resolved group/" + a + "/topic/orders"});
}

TEST_CASE("the new owner's own undelivered spool is newer than the topic", "[events][fleet]") {
  TransitionDetector ev(rules(), "node-1");
  ev.on_cluster(cluster(0, false));
  const auto fired = ev.on_cluster(cluster(1, false));
  ev.on_cluster(cluster(2, true));
  const auto resolved = ev.on_cluster(cluster(3, true));
  REQUIRE(fired.size() == 1);
  REQUIRE(resolved.size() == 1);
  RoleHandoff roles;
  const auto gained = roles.update(shards({0}));
  // Published: the firing; still in this agent's spool: the resolve. Nothing is firing.
  CHECK(firing_to_seed(fired, resolved, gained.gained).empty());
  CHECK(firing_to_seed(fired, {}, gained.gained).size() == 1);
  // Conditions of roles not gained are never seeded.
  RoleHandoff other;
  CHECK(firing_to_seed(fired, {}, other.update(shards({3})).gained).empty());
}

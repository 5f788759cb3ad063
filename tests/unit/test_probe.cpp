// The end-to-end probe's pure parts: the bookkeeping of messages (loss, duplicates, order,
// latencies, failures per broker), the message format, coverage and topic layout, the
// rendering of its histograms and the probe.failing / probe.slow events.
#include <catch2/catch.hpp>

#include <chrono>
#include <optional>
#include <set>

#include "collectors/probe/probe_adoption.hpp"
#include "collectors/probe/probe_coverage.hpp"
#include "collectors/probe/probe_ledger.hpp"
#include "collectors/probe/probe_message.hpp"
#include "events/transition_detector.hpp"
#include "exporters/prometheus/probe_metrics.hpp"

using namespace std::chrono_literals;
using ks::probe::ProbeLedger;

namespace {

const ProbeLedger::TimePoint t0 = ProbeLedger::Clock::now();

ks::ProbePartitionStats only(const std::vector<ks::ProbePartitionStats>& stats) {
  REQUIRE(stats.size() == 1);
  return stats.front();
}

ks::kafka::PartitionMetadata partition(std::int32_t id, std::int32_t leader,
                                       std::vector<std::int32_t> replicas) {
  ks::kafka::PartitionMetadata p;
  p.id = id;
  p.leader = leader;
  p.replicas = std::move(replicas);
  return p;
}

std::vector<ks::kafka::BrokerMetadata> brokers(std::initializer_list<std::int32_t> ids) {
  std::vector<ks::kafka::BrokerMetadata> out;
  for (const auto id : ids) out.push_back({id, "127.0.0.1", 9092 + id});
  return out;
}

ks::ProbeBrokerHealth health(std::int32_t id, bool live, int partitions, bool failing,
                            std::optional<double> p99) {
  ks::ProbeBrokerHealth h;
  h.broker = id;
  h.live = live;
  h.partitions = partitions;
  h.failing = failing;
  h.end_to_end_p99 = p99;
  h.recent_samples = p99 ? 10 : 0;
  return h;
}

}  // namespace

TEST_CASE("probe ledger: sent, acked, received and the latencies of each", "[probe]") {
  ProbeLedger ledger(5s, 10);
  for (int i = 0; i < 3; ++i) {
    const auto seq = ledger.next_sequence(0);
    CHECK(seq == static_cast<std::uint64_t>(i + 1));
    ledger.on_sent(0, seq, 2, t0 + i * 1s);
    ledger.on_acked(0, seq, t0 + i * 1s + 4ms, std::nullopt);
    CHECK(ledger.on_received(0, seq, t0 + i * 1s + 30ms) == 2);
  }
  ledger.expire(t0 + 60s);
  const auto s = only(ledger.stats());
  CHECK(s.partition == 0);
  CHECK(s.broker == 2);
  CHECK(s.sent == 3);
  CHECK(s.acked == 3);
  CHECK(s.received == 3);
  CHECK(s.lost == 0);
  CHECK(s.produce.count == 3);
  CHECK(s.produce.buckets[2] == 3);  // 4 ms: in (2.5 ms, 5 ms]
  CHECK(s.end_to_end.buckets[5] == 3);  // 30 ms: in (25 ms, 50 ms]
  CHECK(s.end_to_end.sum == Approx(0.09));
  CHECK(ledger.take_failures().empty());
  CHECK(ledger.in_flight() == 0);
}

TEST_CASE("probe ledger: a message not received within the timeout is lost, once", "[probe]") {
  ProbeLedger ledger(5s, 10);
  ledger.on_sent(1, ledger.next_sequence(1), 3, t0);
  ledger.expire(t0 + 5s);  // not yet: exactly the timeout
  CHECK(only(ledger.stats()).lost == 0);
  ledger.expire(t0 + 5s + 1ms);
  CHECK(only(ledger.stats()).lost == 1);
  const auto failures = ledger.take_failures();
  REQUIRE(failures.size() == 1);
  CHECK(failures.at(3).find("not received within 5000 ms") != std::string::npos);
  CHECK(ledger.take_failures().empty());  // taken
  // Arriving later: late, counted neither as received nor again as lost.
  CHECK_FALSE(ledger.on_received(1, 1, t0 + 6s));
  ledger.expire(t0 + 20s);
  const auto s = only(ledger.stats());
  CHECK(s.lost == 1);
  CHECK(s.received == 0);
  CHECK(s.duplicated == 0);
}

TEST_CASE("probe ledger: duplicates and out-of-order messages", "[probe]") {
  ProbeLedger ledger(5s, 10);
  for (int i = 0; i < 3; ++i) ledger.on_sent(0, ledger.next_sequence(0), 1, t0 + i * 10ms);
  CHECK(ledger.on_received(0, 1, t0 + 50ms));
  CHECK(ledger.on_received(0, 3, t0 + 51ms));
  CHECK(ledger.on_received(0, 2, t0 + 52ms));   // after 3: out of order
  CHECK_FALSE(ledger.on_received(0, 3, t0 + 53ms));  // again: a duplicate
  CHECK_FALSE(ledger.on_received(0, 99, t0 + 54ms)); // never sent (another run's)
  const auto s = only(ledger.stats());
  CHECK(s.received == 3);
  CHECK(s.out_of_order == 1);
  CHECK(s.duplicated == 1);
  CHECK(s.lost == 0);
}

TEST_CASE("probe ledger: counts stay per partition and the leader it had when sent", "[probe]") {
  ProbeLedger ledger(5s, 10);
  ledger.on_sent(0, ledger.next_sequence(0), 1, t0);
  ledger.on_sent(0, ledger.next_sequence(0), 2, t0 + 1s);  // re-led to broker 2
  ledger.on_acked(0, 2, t0 + 1s, std::string("Local: Message timed out"));
  ledger.on_fetch_error(0, 2, "Broker: Not leader for partition");
  ledger.expire(t0 + 10s);
  const auto stats = ledger.stats();
  REQUIRE(stats.size() == 2);
  CHECK(stats[0].broker == 1);
  CHECK(stats[0].lost == 1);
  CHECK(stats[1].broker == 2);
  CHECK(stats[1].lost == 1);
  CHECK(stats[1].produce_errors.at("Local: Message timed out") == 1);
  CHECK(stats[1].fetch_errors.at("Broker: Not leader for partition") == 1);
  const auto failures = ledger.take_failures();
  CHECK(failures.at(2) == "produce failed: Local: Message timed out");  // the first reason
  CHECK(failures.contains(1));
}

TEST_CASE("probe ledger: the p99 of a broker's recent end-to-end latencies", "[probe]") {
  ProbeLedger ledger(5s, 150);
  CHECK_FALSE(ledger.recent_p99(1).first);
  const auto receive = [&ledger](int ms) {
    const auto seq = ledger.next_sequence(0);
    ledger.on_sent(0, seq, 1, t0);
    ledger.on_received(0, seq, t0 + std::chrono::milliseconds(ms));
  };
  receive(5000);  // the first message of the run (connecting): left out of the window
  for (int i = 1; i <= 99; ++i) receive(i);
  CHECK(ledger.recent_p99(1) == std::pair<std::optional<double>, std::uint64_t>{std::nullopt, 99});
  receive(100);  // 100 latencies: judged from now on
  REQUIRE(ledger.recent_p99(1).first);
  CHECK(*ledger.recent_p99(1).first == Approx(0.099));  // nearest rank 99 of 1..100 ms
  for (int i = 101; i <= 300; ++i) receive(i);
  const auto [p99, samples] = ledger.recent_p99(1);
  CHECK(samples == 150);  // the window: the last 150, 151..300 ms
  REQUIRE(p99);
  CHECK(*p99 == Approx(0.299));  // rank ceil(0.99 * 150) = 149: 299 ms
  ledger.on_commit(0, 1, 7ms, std::nullopt);
  ledger.on_commit(0, 1, 9ms, std::string("Broker: Coordinator not available"));
  CHECK(only(ledger.stats()).commits == 1);
  CHECK(only(ledger.stats()).commit.count == 1);
}

TEST_CASE("probe message: encoded, padded and read back, other values refused", "[probe]") {
  const ks::probe::ProbeMessage m{"host a", 42, 3, 7, 1700000000123};
  const std::string text = ks::probe::encode(m, 100);
  CHECK(text.size() == 100);
  CHECK(text.starts_with("ksprobe1 host_a 42 3 7 1700000000123 x"));
  const auto back = ks::probe::decode(text);
  REQUIRE(back);
  CHECK(back->agent == "host_a");
  CHECK(back->run == 42);
  CHECK(back->partition == 3);
  CHECK(back->sequence == 7);
  CHECK(back->sent_unix_ms == 1700000000123);
  CHECK(ks::probe::encode(m, 0) == "ksprobe1 host_a 42 3 7 1700000000123 ");
  CHECK_FALSE(ks::probe::decode("hello world"));
  CHECK_FALSE(ks::probe::decode("ksprobe1 a 1 2 x 4 "));
  CHECK_FALSE(ks::probe::decode("ksprobe1 a 1 2"));
  CHECK_FALSE(ks::probe::decode(""));
}

TEST_CASE("probe coverage: every broker, or only the own one in a fleet", "[probe]") {
  // Broker 3 went away: still a replica, so answered for and uncovered; partition 2 re-led.
  const std::vector<ks::kafka::PartitionMetadata> parts{
      partition(0, 1, {1, 2, 3}), partition(1, 2, {2, 3, 1}), partition(2, 1, {3, 1, 2})};
  const auto all = ks::probe::cover(brokers({1, 2}), parts, std::nullopt);
  CHECK(all.answered_for == std::vector<std::int32_t>{1, 2, 3});
  CHECK(all.uncovered == std::vector<std::int32_t>{3});
  REQUIRE(all.targets.size() == 3);
  CHECK(all.targets[2].partition == 2);
  CHECK(all.targets[2].leader == 1);
  const auto own = ks::probe::cover(brokers({1, 2}), parts, std::set<std::int32_t>{2});
  REQUIRE(own.targets.size() == 1);
  CHECK(own.targets[0].partition == 1);
  CHECK(own.uncovered.empty());
  const auto gone = ks::probe::cover(brokers({1, 2}), parts, std::set<std::int32_t>{3});
  CHECK(gone.targets.empty());
  CHECK(gone.uncovered == std::vector<std::int32_t>{3});
  // An offline partition (no leader) is not probed.
  const auto offline = ks::probe::cover(brokers({1}), {partition(0, -1, {2})}, std::nullopt);
  CHECK(offline.targets.empty());
  CHECK(offline.uncovered == std::vector<std::int32_t>{1, 2});
}

TEST_CASE("probe coverage: the fleet's leader adopts the brokers no sidecar claims", "[probe]") {
  // Three brokers, each leading its partition; the leader is the sidecar of broker 1.
  const std::vector<ks::kafka::PartitionMetadata> parts{
      partition(0, 1, {1, 2, 3}), partition(1, 2, {2, 3, 1}), partition(2, 3, {3, 1, 2})};
  const auto answered = [&](const std::set<std::int32_t>& claimed) {
    const auto adopted = ks::probe::adopted_brokers(brokers({1, 2, 3}), claimed, 1);
    std::set<std::int32_t> for_brokers(adopted.begin(), adopted.end());
    for_brokers.insert(1);
    return std::pair{adopted, ks::probe::cover(brokers({1, 2, 3}), parts, for_brokers)};
  };
  // Every sidecar alive: the leader probes its own partition only.
  const auto [none, alone] = answered({1, 2, 3});
  CHECK(none.empty());
  REQUIRE(alone.targets.size() == 1);
  CHECK(alone.targets[0].partition == 0);
  // Sidecar 2 gone from the group: the leader also probes partition 1, led by broker 2.
  const auto [two, with_two] = answered({1, 3});
  CHECK(two == std::vector<std::int32_t>{2});
  REQUIRE(with_two.targets.size() == 2);
  CHECK(with_two.targets[1].partition == 1);
  CHECK(with_two.targets[1].leader == 2);
  CHECK(with_two.answered_for == std::vector<std::int32_t>{1, 2});
  CHECK(with_two.uncovered.empty());
  // Sidecars 2 and 3 gone (or older agents without a broker id: they claim none).
  CHECK(answered({1}).second.targets.size() == 3);
  // A broker that is down is not adopted: its partition, re-led, is its new leader's.
  CHECK(ks::probe::adopted_brokers(brokers({1, 3}), {1}, 1) == std::vector<std::int32_t>{3});
  // Sidecar 2 back: dropped again.
  CHECK(answered({1, 2, 3}).second.targets.size() == 1);
}

TEST_CASE("probe adoption: a broker is adopted once unclaimed for the hold, again after a claim", "[probe]") {
  using Clock = ks::probe::AdoptionHold::Clock;
  ks::probe::AdoptionHold hold(6s);
  const Clock::time_point t = Clock::now();
  using Ids = std::vector<std::int32_t>;
  // A sidecar starting: unclaimed for a moment, claimed before the hold ends: never adopted.
  CHECK(hold.update(Ids{2, 3}, t).empty());
  CHECK(hold.update(Ids{2}, t + 4s).empty());
  // Broker 3 unclaimed again: its hold starts over.
  CHECK(hold.update(Ids{2, 3}, t + 5s).empty());
  CHECK(hold.update(Ids{2, 3}, t + 6s) == Ids{2});
  CHECK(hold.update(Ids{3, 2}, t + 11s) == Ids{2, 3});
  // Not the leader for a moment (an eager rebalance): none adopted, then both again at once.
  CHECK(hold.update(std::nullopt, t + 12s).empty());
  CHECK(hold.update(Ids{2, 3}, t + 13s) == Ids{2, 3});
  // Broker 3's sidecar is back: dropped; it starts over when unclaimed again.
  CHECK(hold.update(Ids{2}, t + 14s) == Ids{2});
  CHECK(hold.update(Ids{2, 3}, t + 15s) == Ids{2});
  CHECK(hold.update(Ids{}, t + 16s).empty());
}

TEST_CASE("probe metrics: the adopted brokers, one gauge each", "[probe]") {
  ks::ProbeSnapshot s;
  s.topic = "kafka-sentinel-probe";
  s.adopted = {2, 3};
  ks::prom::ExpositionWriter out;
  ks::prom::render_probe(s, out);
  const std::string text = out.finish();
  CHECK(text.find("kafka_sentinel_probe_adopted_broker{broker=\"2\"} 1\n") != std::string::npos);
  CHECK(text.find("kafka_sentinel_probe_adopted_broker{broker=\"3\"} 1\n") != std::string::npos);
  CHECK(text.find("kafka_sentinel_probe_adopted_broker{broker=\"1\"}") == std::string::npos);
}

TEST_CASE("probe topic layout: a preferred leader per broker, grown for a new broker", "[probe]") {
  using Assignment = std::vector<std::vector<std::int32_t>>;
  CHECK(ks::probe::initial_assignment({3, 1, 2}, 2) == Assignment{{1, 2}, {2, 3}, {3, 1}});
  CHECK(ks::probe::initial_assignment({1, 2}, 3) == Assignment{{1, 2}, {2, 1}});  // capped
  const std::vector<ks::kafka::PartitionMetadata> parts{partition(0, 1, {1, 2}),
                                                        partition(1, 1, {2, 1})};
  // Broker 2 leads nothing now but is partition 1's preferred leader: no growth for it.
  CHECK(ks::probe::growth_assignment({1, 2}, parts, 2).empty());
  // Broker 4 joined: a partition with it first.
  CHECK(ks::probe::growth_assignment({1, 2, 4}, parts, 2) == Assignment{{4, 1}});
}

TEST_CASE("probe metrics: cumulative histogram buckets, counters and broker health", "[probe]") {
  ks::ProbeSnapshot s;
  s.topic = "kafka-sentinel-probe";
  s.topic_partitions = 3;
  ks::ProbePartitionStats p;
  p.partition = 0;
  p.broker = 1;
  p.sent = 5;
  p.lost = 1;
  p.end_to_end.observe(0.002);
  p.end_to_end.observe(0.02);
  p.produce_errors["Local: Message timed out"] = 2;
  s.partitions.push_back(p);
  s.brokers.push_back(health(1, true, 1, false, 0.02));
  s.brokers.push_back(health(2, false, 0, true, std::nullopt));
  ks::prom::ExpositionWriter out;
  ks::prom::render_probe(s, out);
  const std::string text = out.finish();
  const auto has = [&text](const std::string& line) {
    INFO(line);
    CHECK(text.find(line + "\n") != std::string::npos);
  };
  has("kafka_sentinel_probe_end_to_end_latency_seconds_bucket{partition=\"0\",broker=\"1\",le=\"0.001\"} 0");
  has("kafka_sentinel_probe_end_to_end_latency_seconds_bucket{partition=\"0\",broker=\"1\",le=\"0.0025\"} 1");
  has("kafka_sentinel_probe_end_to_end_latency_seconds_bucket{partition=\"0\",broker=\"1\",le=\"0.025\"} 2");
  has("kafka_sentinel_probe_end_to_end_latency_seconds_bucket{partition=\"0\",broker=\"1\",le=\"+Inf\"} 2");
  has("kafka_sentinel_probe_end_to_end_latency_seconds_count{partition=\"0\",broker=\"1\"} 2");
  has("kafka_sentinel_probe_messages_sent_total{partition=\"0\",broker=\"1\"} 5");
  has("kafka_sentinel_probe_messages_lost_total{partition=\"0\",broker=\"1\"} 1");
  has("kafka_sentinel_probe_produce_errors_total{partition=\"0\",broker=\"1\",error=\"Local: Message timed out\"} 2");
  has("kafka_sentinel_probe_broker_covered{broker=\"1\"} 1");
  has("kafka_sentinel_probe_broker_covered{broker=\"2\"} 0");
  has("kafka_sentinel_probe_broker_failing{broker=\"2\"} 1");
  has("kafka_sentinel_probe_broker_end_to_end_p99_seconds{broker=\"1\"} 0.02");
  CHECK(text.find("kafka_sentinel_probe_broker_end_to_end_p99_seconds{broker=\"2\"}") == std::string::npos);
  has("kafka_sentinel_probe_topic_partitions{topic=\"kafka-sentinel-probe\"} 3");
}

TEST_CASE("probe events: failing and slow fire per broker after N intervals, then resolve", "[probe]") {
  ks::EventsConfig config;
  ks::events::TransitionDetector detector(config, "node-a");
  const auto cycle = [&detector](bool failing2, double p99_1, int k) {
    ks::ProbeSnapshot s;
    s.topic = "kafka-sentinel-probe";
    s.failing_intervals = 2;
    s.slow_threshold = 500ms;
    s.taken_at = std::chrono::system_clock::time_point(std::chrono::seconds(1000 + k));
    s.brokers.push_back(health(1, true, 1, false, p99_1));
    s.brokers.push_back(health(2, !failing2, failing2 ? 0 : 1, failing2, 0.01));
    if (failing2) s.brokers.back().reason = "down";
    return detector.on_probe(s);
  };
  CHECK(cycle(true, 0.8, 0).empty());  // one interval: not yet
  const auto fired = cycle(true, 0.8, 1);
  REQUIRE(fired.size() == 2);
  // In the order observed: broker 1 (slow), then broker 2 (failing).
  CHECK(fired[0].type == "io.kafka-sentinel.probe.slow");
  CHECK(fired[0].subject == "broker/1");
  CHECK(fired[0].summary == "broker 1: end-to-end probe p99 800.0 ms, above 500.0 ms");
  CHECK(fired[1].type == "io.kafka-sentinel.probe.failing");
  CHECK(fired[1].subject == "broker/2");
  CHECK(fired[1].state == ks::EventState::firing);
  CHECK(fired[1].summary == "broker 2: end-to-end probe failing: down");
  CHECK(cycle(false, 0.01, 2).empty());
  const auto resolved = cycle(false, 0.01, 3);
  REQUIRE(resolved.size() == 2);
  CHECK(resolved[0].state == ks::EventState::resolved);
  CHECK(resolved[1].state == ks::EventState::resolved);
  CHECK(resolved[0].firing_id == fired[0].id);
}

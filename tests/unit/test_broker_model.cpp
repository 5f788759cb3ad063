#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "collectors/brokers/cluster_model.hpp"

using namespace std::chrono_literals;
using ks::PartitionState;
using ks::TopicState;
using ks::brokers::BrokerTracker;
using ks::brokers::TopicFilter;

namespace {

// Metadata as the Kafka layer hands it over: plain structs.
class FakeMetadata {
 public:
  struct Partition {
    int32_t id;
    int32_t leader;
    std::vector<int32_t> replicas;
    std::vector<int32_t> isr;
    ks::kafka::ErrorCode err = ks::kafka::ErrorCode::no_error;
  };

  void topic(std::string name, std::vector<Partition> partitions,
             ks::kafka::ErrorCode err = ks::kafka::ErrorCode::no_error) {
    ks::kafka::TopicMetadata& t = md_.topics.emplace_back();
    t.name = std::move(name);
    t.error = err;
    for (Partition& p : partitions) {
      t.partitions.push_back({p.id, p.leader, std::move(p.replicas), std::move(p.isr), p.err});
    }
  }

  const ks::kafka::ClusterMetadata& build() const { return md_; }

 private:
  ks::kafka::ClusterMetadata md_;
};

ks::NameFilter filter(std::vector<std::string> include, std::vector<std::string> exclude) {
  ks::NameFilter f;
  f.include = std::move(include);
  f.exclude = std::move(exclude);
  return f;
}

PartitionState health(int32_t leader, std::vector<int32_t> replicas, int isr,
                      std::optional<int> min_isr) {
  PartitionState p;
  p.leader = leader;
  p.isr_count = static_cast<std::uint16_t>(isr);
  p.replica_count = static_cast<std::uint16_t>(replicas.size());
  ks::brokers::derive_partition_health(p, replicas, min_isr);
  return p;
}

TopicState topic_with_highs(std::string name, std::vector<std::int64_t> highs) {
  TopicState t;
  t.name = std::move(name);
  for (std::size_t i = 0; i < highs.size(); ++i) {
    PartitionState& p = t.partitions.emplace_back();
    p.id = static_cast<int32_t>(i);
    p.leader = 1;
    p.high_watermark = highs[i];
    p.low_watermark = highs[i] < 0 ? -1 : 0;
  }
  return t;
}

}  // namespace

TEST_CASE("topic filter: internal topics, include and exclude (full match)", "[brokers]") {
  TopicFilter all({}, false);
  CHECK(all.matches("orders"));
  CHECK_FALSE(all.matches("__consumer_offsets"));
  CHECK_FALSE(all.matches("__transaction_state"));
  CHECK(all.matches("_schemas"));  // one underscore: an ordinary topic

  TopicFilter internal({}, true);
  CHECK(internal.matches("__consumer_offsets"));

  TopicFilter f(filter({"orders.*", "payments"}, {".*-dlq"}), false);
  CHECK(f.matches("orders"));
  CHECK(f.matches("orders-eu"));
  CHECK_FALSE(f.matches("orders-dlq"));
  CHECK(f.matches("payments"));
  CHECK_FALSE(f.matches("payments-v2"));  // full match, not search
  CHECK_FALSE(f.matches("audit"));
  CHECK_FALSE(f.matches("orders-dlq"));  // cached answer is the same

  TopicFilter exclude_only(filter({}, {"tmp-.*"}), true);
  CHECK(exclude_only.matches("__consumer_offsets"));
  CHECK_FALSE(exclude_only.matches("tmp-1"));
}

TEST_CASE("partition health: offline, under-replicated, under min ISR, preferred leader",
          "[brokers]") {
  SECTION("healthy, preferred") {
    const auto p = health(1, {1, 2, 3}, 3, 2);
    CHECK_FALSE(p.offline);
    CHECK_FALSE(p.under_replicated);
    CHECK_FALSE(p.under_min_isr);
    CHECK(p.leader_is_preferred);
  }
  SECTION("leader moved to a follower") {
    const auto p = health(2, {1, 2, 3}, 3, 2);
    CHECK_FALSE(p.leader_is_preferred);
    CHECK_FALSE(p.under_replicated);
  }
  SECTION("one replica out of sync: under-replicated, still at min ISR") {
    const auto p = health(1, {1, 2, 3}, 2, 2);
    CHECK(p.under_replicated);
    CHECK_FALSE(p.under_min_isr);
  }
  SECTION("two replicas out of sync: under min ISR") {
    const auto p = health(3, {1, 2, 3}, 1, 2);
    CHECK(p.under_replicated);
    CHECK(p.under_min_isr);
    CHECK_FALSE(p.offline);
  }
  SECTION("min.insync.replicas unknown: only offline counts as under min ISR") {
    CHECK_FALSE(health(3, {1, 2, 3}, 1, std::nullopt).under_min_isr);
  }
  SECTION("no leader: offline, under min ISR, not preferred") {
    const auto p = health(ks::kNoBroker, {1, 2, 3}, 1, 1);
    CHECK(p.offline);
    CHECK(p.under_min_isr);
    CHECK(p.under_replicated);
    CHECK_FALSE(p.leader_is_preferred);
  }
  SECTION("replication factor 1") {
    const auto p = health(1, {1}, 1, 1);
    CHECK_FALSE(p.under_replicated);
    CHECK_FALSE(p.under_min_isr);
    CHECK(p.leader_is_preferred);
  }
}

TEST_CASE("topics from metadata: filtered, sorted, replicas and ISR pooled", "[brokers]") {
  FakeMetadata md;
  md.topic("zeta", {{1, 2, {2, 1}, {2, 1}}, {0, 1, {1, 2}, {1}}});
  md.topic("__consumer_offsets", {{0, 1, {1}, {1}}});
  md.topic("alpha", {{0, -1, {3, 1}, {3}}});
  md.topic("being-deleted", {}, ks::kafka::ErrorCode::unknown_topic_or_part);
  TopicFilter f({}, false);
  const auto topics = ks::brokers::topics_from_metadata(md.build(), f);
  REQUIRE(topics.size() == 2);
  CHECK(topics[0].name == "alpha");
  CHECK(topics[1].name == "zeta");

  const TopicState& zeta = topics[1];
  REQUIRE(zeta.partitions.size() == 2);
  CHECK(zeta.partitions[0].id == 0);
  CHECK(zeta.partitions[1].id == 1);
  const PartitionState& p0 = zeta.partitions[0];
  CHECK(std::vector<int32_t>(zeta.replicas(p0).begin(), zeta.replicas(p0).end()) ==
        std::vector<int32_t>{1, 2});
  CHECK(std::vector<int32_t>(zeta.isr(p0).begin(), zeta.isr(p0).end()) ==
        std::vector<int32_t>{1});
  CHECK(p0.under_replicated);
  CHECK(p0.leader_is_preferred);
  const PartitionState& p1 = zeta.partitions[1];
  CHECK(p1.leader == 2);
  CHECK(p1.leader_is_preferred);
  CHECK_FALSE(p1.under_replicated);
  CHECK_FALSE(p1.has_watermarks());

  const PartitionState& a0 = topics[0].partitions[0];
  CHECK(a0.offline);
  CHECK(a0.leader == ks::kNoBroker);
  CHECK(a0.under_min_isr);
}

TEST_CASE("broker tracker: up, gone, retained for a while, then forgotten", "[brokers]") {
  BrokerTracker tracker(10min);
  const auto t0 = std::chrono::system_clock::now();
  const std::vector<BrokerTracker::Seen> three{{1, "h1", 9092}, {2, "h2", 9092}, {3, "h3", 9092}};

  auto b = tracker.update(three, {}, t0);
  REQUIRE(b.size() == 3);
  CHECK((b[0].up && b[1].up && b[2].up));

  SECTION("a broker that stops answering is down while still in the metadata") {
    b = tracker.update(three, {2}, t0 + 1s);
    REQUIRE(b.size() == 3);
    CHECK(b[1].id == 2);
    CHECK(b[1].in_metadata);
    CHECK_FALSE(b[1].up);
    CHECK(b[0].up);
  }
  SECTION("a broker that leaves the metadata stays listed down for the retention") {
    const std::vector<BrokerTracker::Seen> two{{1, "h1", 9092}, {3, "h3", 9092}};
    b = tracker.update(two, {}, t0 + 1s);
    REQUIRE(b.size() == 3);
    CHECK(b[1].id == 2);
    CHECK_FALSE(b[1].in_metadata);
    CHECK_FALSE(b[1].up);
    CHECK(b[1].address() == "h2:9092");
    b = tracker.update(two, {}, t0 + 10min);
    CHECK(b.size() == 3);
    b = tracker.update(two, {}, t0 + 10min + 1s);
    REQUIRE(b.size() == 2);
    CHECK(b[0].id == 1);
    CHECK(b[1].id == 3);
    CHECK(tracker.known() == 2);
  }
  SECTION("it comes back up when it returns") {
    const std::vector<BrokerTracker::Seen> two{{1, "h1", 9092}, {3, "h3", 9092}};
    tracker.update(two, {}, t0 + 1s);
    b = tracker.update(three, {}, t0 + 2s);
    CHECK(b[1].up);
  }
  SECTION("cluster unreachable: every known broker down, kept for the retention") {
    b = tracker.update(std::nullopt, {}, t0 + 5s);
    REQUIRE(b.size() == 3);
    for (const auto& x : b) {
      CHECK_FALSE(x.up);
      CHECK_FALSE(x.in_metadata);
    }
    CHECK(tracker.update(std::nullopt, {}, t0 + 11min).empty());
  }
  SECTION("rack and failure counts are kept per broker") {
    tracker.set_rack(2, "eu-1b");
    tracker.add_offset_request_failures(3, 2);
    b = tracker.update(three, {}, t0 + 1s);
    CHECK(b[1].rack == "eu-1b");
    CHECK(b[2].offset_request_failures == 2);
  }
}

TEST_CASE("messages-in rate from successive high watermarks", "[brokers]") {
  ks::brokers::RateTracker rates;
  const auto t0 = std::chrono::steady_clock::now();

  std::vector<TopicState> topics{topic_with_highs("a", {100, 200}), topic_with_highs("b", {5})};
  rates.update(topics, t0);
  CHECK_FALSE(topics[0].messages_in_per_second);  // first cycle

  topics = {topic_with_highs("a", {150, 250}), topic_with_highs("b", {5})};
  rates.update(topics, t0 + 2s);
  REQUIRE(topics[0].messages_in_per_second);
  CHECK(*topics[0].messages_in_per_second == Approx(50.0));  // (50 + 50) / 2 s
  REQUIRE(topics[1].messages_in_per_second);
  CHECK(*topics[1].messages_in_per_second == 0.0);

  SECTION("a missing watermark: absent, and the next rate spans the gap") {
    topics = {topic_with_highs("a", {-1, 300})};
    rates.update(topics, t0 + 4s);
    CHECK_FALSE(topics[0].messages_in_per_second);
    topics = {topic_with_highs("a", {350, 350})};
    rates.update(topics, t0 + 6s);
    REQUIRE(topics[0].messages_in_per_second);
    CHECK(*topics[0].messages_in_per_second == Approx((200 + 100) / 4.0));
  }
  SECTION("a watermark going backwards (topic recreated): absent, then fresh") {
    topics = {topic_with_highs("a", {0, 0})};
    rates.update(topics, t0 + 4s);
    CHECK_FALSE(topics[0].messages_in_per_second);
    topics = {topic_with_highs("a", {10, 10})};
    rates.update(topics, t0 + 5s);
    REQUIRE(topics[0].messages_in_per_second);
    CHECK(*topics[0].messages_in_per_second == Approx(20.0));
  }
  SECTION("partitions added: absent for one cycle") {
    topics = {topic_with_highs("a", {150, 250, 0})};
    rates.update(topics, t0 + 4s);
    CHECK_FALSE(topics[0].messages_in_per_second);
    topics = {topic_with_highs("a", {160, 250, 10})};
    rates.update(topics, t0 + 5s);
    REQUIRE(topics[0].messages_in_per_second);
    CHECK(*topics[0].messages_in_per_second == Approx(20.0));
  }
  SECTION("a deleted topic is forgotten: recreated, it starts afresh") {
    topics = {topic_with_highs("b", {6})};
    rates.update(topics, t0 + 4s);
    topics = {topic_with_highs("a", {500, 500})};
    rates.update(topics, t0 + 5s);
    CHECK_FALSE(topics[0].messages_in_per_second);
  }
}

TEST_CASE("per-broker partition and leader counts and cluster totals", "[brokers]") {
  FakeMetadata md;
  md.topic("t", {{0, 1, {1, 2, 3}, {1, 2, 3}},
                 {1, 2, {2, 3, 1}, {2, 3}},
                 {2, -1, {3, 1, 2}, {3}}});
  TopicFilter f({}, false);
  ks::ClusterSnapshot s;
  s.topics = ks::brokers::topics_from_metadata(md.build(), f);
  s.topics[0].min_insync_replicas = 2;
  ks::brokers::derive_health(s.topics[0]);
  for (int id : {1, 2, 3, 4}) {
    ks::BrokerState& b = s.brokers.emplace_back();
    b.id = id;
    b.in_metadata = b.up = true;
  }
  ks::brokers::count_partitions(s);
  CHECK(s.partition_count == 3);
  CHECK(s.offline_partitions == 1);
  CHECK(s.under_replicated_partitions == 2);
  CHECK(s.under_min_isr_partitions == 1);  // the offline one (ISR 2 of min 2 is fine)
  CHECK(s.brokers[0].partitions == 3);
  CHECK(s.brokers[0].leader_partitions == 1);
  CHECK(s.brokers[1].leader_partitions == 1);
  CHECK(s.brokers[2].leader_partitions == 0);
  CHECK(s.brokers[3].partitions == 0);
}

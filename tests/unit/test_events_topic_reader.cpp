// Reading the health-events topic back (the events CLI, and a fleet agent taking over a
// role) against librdkafka's mock cluster: every event, in the topic's order per partition,
// non-events skipped, and a missing topic told apart from an unreachable cluster (a fleet
// takeover treats the first as "nothing firing" and retries on the second).
#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "events/cloudevent.hpp"
#include "events/events_topic_reader.hpp"
#include "kafka/mock_cluster.hpp"
#include "kafka/producer.hpp"

using namespace std::chrono_literals;
using ks::HealthEvent;
using ks::events::EventsTopicError;

namespace {

HealthEvent event(int n, const std::string& subject) {
  HealthEvent e;
  e.source = "/kafka-sentinel/c/node";
  e.type = std::string(ks::kEventTypePrefix) + "broker.down";
  e.subject = subject;
  e.state = n % 2 == 0 ? ks::EventState::firing : ks::EventState::resolved;
  e.time = std::chrono::system_clock::time_point(std::chrono::seconds(1740830400 + n));
  e.since = e.time;
  e.summary = "event " + std::to_string(n);
  ks::events::assign_id(e);
  return e;
}

struct Mock {
  ks::kafka::MockCluster cluster{1};
  ks::KafkaConfig kafka() const {
    ks::KafkaConfig k;
    k.bootstrap_servers = cluster.bootstrap_servers();
    k.request_timeout = 5s;
    k.properties["log_level"] = "0";
    return k;
  }
  void produce(const std::string& topic, const std::string& key, const std::string& value) const {
    ks::kafka::Producer producer(kafka(), ks::kafka::ProducerSettings{});
    REQUIRE(producer.produce({topic, key, value, {}}) == ks::kafka::ErrorCode::no_error);
    REQUIRE(producer.flush(10s) == ks::kafka::ErrorCode::no_error);
  }
};

}  // namespace

TEST_CASE("events topic reader: every event in order, non-events skipped", "[events][mock]") {
  Mock mock;
  mock.cluster.create_topic("health", 3, 1);
  std::vector<HealthEvent> written;
  for (int n = 0; n < 12; ++n) {
    const std::string subject = "broker/" + std::to_string(n % 3);
    written.push_back(event(n, subject));
    mock.produce("health", subject, ks::events::to_cloudevent(written.back()));
  }
  mock.produce("health", "junk", "not a cloud event");
  const auto events = ks::events::read_all_events(mock.kafka(), "health", "test",
                                                  std::chrono::steady_clock::now() + 20s);
  REQUIRE(events.size() == written.size());
  // Per subject (one subject, one partition: its key), in the order written.
  for (const std::string subject : {"broker/0", "broker/1", "broker/2"}) {
    std::vector<std::string> read_ids, written_ids;
    for (const auto& e : events) {
      if (e.subject == subject) read_ids.push_back(e.id);
    }
    for (const auto& e : written) {
      if (e.subject == subject) written_ids.push_back(e.id);
    }
    CHECK(read_ids == written_ids);
  }
}

TEST_CASE("events topic reader: an empty topic reads as nothing", "[events][mock]") {
  // (A missing topic cannot be shown here: the mock cluster creates any topic a metadata
  // request names. test-events-types shows it on a real Kafka.)
  Mock mock;
  mock.cluster.create_topic("empty", 2, 1);
  CHECK(ks::events::read_all_events(mock.kafka(), "empty", "test",
                                    std::chrono::steady_clock::now() + 20s)
            .empty());
}

TEST_CASE("events topic reader: an unreachable cluster is not a missing topic", "[events]") {
  ks::KafkaConfig k;
  k.bootstrap_servers = "127.0.0.1:1";  // nothing listens there
  k.request_timeout = 1s;
  k.properties["log_level"] = "0";
  try {
    ks::events::read_all_events(k, "health", "test", std::chrono::steady_clock::now() + 5s);
    FAIL("no error for an unreachable cluster");
  } catch (const EventsTopicError& e) {
    CHECK(e.kind() == EventsTopicError::Kind::unreachable);
  }
}

// Reading the health-events topic back (the events CLI, and a fleet agent taking over a
// role) against librdkafka's mock cluster: every event, in the topic's order per partition,
// non-events skipped, and a missing topic told apart from an unreachable cluster (a fleet
// takeover treats the first as "nothing firing" and retries on the second).
#include <catch2/catch.hpp>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <array>
#include <chrono>
#include <string>

#include "kafka/client.hpp"
#include "events/cloudevent.hpp"
#include "events/events_topic_reader.hpp"

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
  ks::kafka::HandlePtr host;
  rd_kafka_mock_cluster_t* cluster = nullptr;
  std::string bootstrap;
  Mock() {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    std::array<char, 256> err{};
    rd_kafka_conf_set(conf, "log_level", "0", err.data(), err.size());
    host.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf, err.data(), err.size()));
    REQUIRE(host);
    cluster = rd_kafka_mock_cluster_new(host.get(), 1);
    REQUIRE(cluster);
    bootstrap = rd_kafka_mock_cluster_bootstraps(cluster);
  }
  ~Mock() { rd_kafka_mock_cluster_destroy(cluster); }
  ks::KafkaConfig kafka() const {
    ks::KafkaConfig k;
    k.bootstrap_servers = bootstrap;
    k.request_timeout = 5s;
    k.properties["log_level"] = "0";
    return k;
  }
  void produce(const std::string& topic, const std::string& key, const std::string& value) const {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    std::array<char, 256> err{};
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err.data(), err.size());
    rd_kafka_conf_set(conf, "log_level", "0", err.data(), err.size());
    ks::kafka::HandlePtr producer(rd_kafka_new(RD_KAFKA_PRODUCER, conf, err.data(), err.size()));
    REQUIRE(producer);
    REQUIRE(rd_kafka_producev(producer.get(), RD_KAFKA_V_TOPIC(topic.c_str()),
                              RD_KAFKA_V_KEY(key.data(), key.size()),
                              RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                              RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR_NO_ERROR);
    REQUIRE(rd_kafka_flush(producer.get(), 10000) == RD_KAFKA_RESP_ERR_NO_ERROR);
  }
};

}  // namespace

TEST_CASE("events topic reader: every event in order, non-events skipped", "[events][mock]") {
  Mock mock;
  REQUIRE(rd_kafka_mock_topic_create(mock.cluster, "health", 3, 1) == 0);
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
  REQUIRE(rd_kafka_mock_topic_create(mock.cluster, "empty", 2, 1) == 0);
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

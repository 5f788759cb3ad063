// The admin pipeline on librdkafka's mock cluster (it serves FindCoordinator and
// OffsetFetch; DescribeGroups and ListGroups need a real broker: integration tests).
#include <catch2/catch.hpp>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "kafka/group_admin.hpp"
#include "kafka/client.hpp"

using ks::groups::AdminPipeline;
using namespace std::chrono_literals;

namespace {

// A client connected to its own mock cluster (test.mock.num.brokers). librdkafka's log
// lines about the broker taken down are expected: silenced while the test runs.
struct MockCluster {
  ks::kafka::Client client;
  rd_kafka_mock_cluster_t* cluster = nullptr;
  spdlog::level::level_enum saved_level = spdlog::get_level();

  explicit MockCluster(int brokers, const std::map<std::string, std::string>& properties = {}) {
    spdlog::set_level(spdlog::level::off);
    ks::KafkaConfig config;
    config.properties["test.mock.num.brokers"] = std::to_string(brokers);
    client = ks::kafka::make_client(config, RD_KAFKA_CONSUMER, properties, "pipeline-test");
    cluster = rd_kafka_handle_mock_cluster(client.get());
  }
  ~MockCluster() { spdlog::set_level(saved_level); }
};

// Adds one ListConsumerGroupOffsets call for `group`; records in-flight counts and results.
struct Recorder {
  int in_flight = 0;
  int max_in_flight = 0;
  std::vector<std::string> answered, failed;
};

void add_offsets_call(AdminPipeline& pipeline, rd_kafka_t* rk, const std::string& group,
                      Recorder& r) {
  pipeline.add(
      RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS, 1,
      [rk, group, &r](rd_kafka_AdminOptions_t* options, rd_kafka_queue_t* queue) {
        r.max_in_flight = std::max(r.max_in_flight, ++r.in_flight);
        rd_kafka_ListConsumerGroupOffsets_t* request =
            rd_kafka_ListConsumerGroupOffsets_new(group.c_str(), nullptr);
        rd_kafka_ListConsumerGroupOffsets(rk, &request, 1, options, queue);
        rd_kafka_ListConsumerGroupOffsets_destroy(request);
      },
      [group, &r](rd_kafka_event_t* event) {
        --r.in_flight;
        const bool ok = event && rd_kafka_event_error(event) == RD_KAFKA_RESP_ERR_NO_ERROR;
        (ok ? r.answered : r.failed).push_back(group);
      });
}

}  // namespace

TEST_CASE("admin pipeline: every call answered, never more in flight than allowed", "[groups]") {
  MockCluster mock(1);
  AdminPipeline pipeline(mock.client.get(), 5, 5000ms);
  Recorder r;
  for (int i = 0; i < 40; ++i) add_offsets_call(pipeline, mock.client.get(), "g" + std::to_string(i), r);
  const auto result = pipeline.run(AdminPipeline::Clock::now() + 20s);
  CHECK(result.calls == 40);
  CHECK(result.answered == 40);
  CHECK(result.abandoned == 0);
  CHECK(r.answered.size() == 40);
  CHECK(r.max_in_flight <= 5);
  CHECK(r.max_in_flight >= 2);  // concurrent, not one after the other
  CHECK(r.in_flight == 0);
}

TEST_CASE("admin pipeline: a dead coordinator costs its groups, not the batch", "[groups]") {
  MockCluster mock(2);
  for (int i = 0; i < 10; ++i) {
    rd_kafka_mock_coordinator_set(mock.cluster, "group", ("slow" + std::to_string(i)).c_str(), 2);
    rd_kafka_mock_coordinator_set(mock.cluster, "group", ("fast" + std::to_string(i)).c_str(), 1);
  }
  // Connect first (metadata through either broker), then take broker 2 down.
  {
    AdminPipeline warm(mock.client.get(), 5, 5000ms);
    Recorder r;
    add_offsets_call(warm, mock.client.get(), "fast0", r);
    warm.run(AdminPipeline::Clock::now() + 10s);
    REQUIRE(r.answered.size() == 1);
  }
  rd_kafka_mock_broker_set_down(mock.cluster, 2);

  AdminPipeline pipeline(mock.client.get(), 4, 1000ms);
  Recorder r;
  for (int i = 0; i < 10; ++i) {
    add_offsets_call(pipeline, mock.client.get(), "slow" + std::to_string(i), r);
    add_offsets_call(pipeline, mock.client.get(), "fast" + std::to_string(i), r);
  }
  const auto started = AdminPipeline::Clock::now();
  const auto result = pipeline.run(started + 3s);
  const auto took = AdminPipeline::Clock::now() - started;
  CHECK(took < 3500ms);  // bounded by the deadline, whatever the dead broker does
  CHECK(result.calls == 20);
  CHECK(r.answered.size() + r.failed.size() == 20);  // every callback ran exactly once
  for (int i = 0; i < 10; ++i) {
    CHECK(std::count(r.answered.begin(), r.answered.end(), "fast" + std::to_string(i)) == 1);
    CHECK(std::count(r.failed.begin(), r.failed.end(), "slow" + std::to_string(i)) == 1);
  }
}

TEST_CASE("admin pipeline: a moving coordinator (NOT_COORDINATOR) is an error, not a crash",
          "[groups]") {
  // librdkafka 2.0.2 crashed here on a handle without group.id (see
  // offset_fetch_consumer_properties): this is what happens to every group whose
  // coordinator was on a broker that just stopped.
  MockCluster mock(3, ks::kafka::offset_fetch_consumer_properties("kafka-sentinel-test"));
  constexpr std::int16_t kOffsetFetch = 9;
  for (const rd_kafka_resp_err_t err :
       {RD_KAFKA_RESP_ERR_NOT_COORDINATOR, RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE}) {
    rd_kafka_mock_push_request_errors(mock.cluster, kOffsetFetch, 6, err, err, err, err, err, err);
    AdminPipeline pipeline(mock.client.get(), 2, 2000ms);
    Recorder r;
    for (int i = 0; i < 3; ++i) add_offsets_call(pipeline, mock.client.get(), "moved" + std::to_string(i), r);
    const auto result = pipeline.run(AdminPipeline::Clock::now() + 10s);
    CHECK(result.calls == 3);
    CHECK(r.answered.size() + r.failed.size() == 3);
  }
  // And the handle still works once the coordinator answers again (the first calls may
  // still meet errors pushed above that no request consumed yet).
  int attempts = 0;
  bool answered = false;
  while (!answered && ++attempts <= 15) {
    AdminPipeline pipeline(mock.client.get(), 1, 5000ms);
    Recorder r;
    add_offsets_call(pipeline, mock.client.get(), "settled", r);
    pipeline.run(AdminPipeline::Clock::now() + 10s);
    answered = r.answered.size() == 1;
  }
  INFO("attempts: " << attempts);
  CHECK(answered);
}

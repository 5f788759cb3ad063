// Group offsets fetched through the Kafka layer's admin pipeline, on librdkafka's mock
// cluster (it serves FindCoordinator and OffsetFetch; DescribeGroups and ListGroups need a
// real broker: integration tests).
#include <catch2/catch.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "kafka/client.hpp"
#include "kafka/group_admin.hpp"
#include "kafka/mock_cluster.hpp"

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using ks::kafka::ErrorCode;

namespace {

// A mock cluster and a client connected to it. librdkafka's log lines about the broker
// taken down are expected: silenced while the test runs.
struct Mock {
  spdlog::level::level_enum saved_level = spdlog::get_level();
  ks::kafka::MockCluster cluster;
  ks::kafka::Client client;

  explicit Mock(int brokers, const std::map<std::string, std::string>& properties = {})
      : cluster(brokers) {
    spdlog::set_level(spdlog::level::off);
    ks::KafkaConfig config;
    config.bootstrap_servers = cluster.bootstrap_servers();
    // std::string, not a literal: g++ 12 at -O3 warns (-Wrestrict) on a literal assigned to a
    // map's string, a false positive (GCC bug 105651).
    config.properties["log_level"] = std::string("0");
    client = ks::kafka::make_client(config, ks::kafka::ClientKind::consumer, properties,
                                    "pipeline-test");
  }
  ~Mock() { spdlog::set_level(saved_level); }
};

ks::kafka::AdminBatchOptions options(int max_in_flight, std::chrono::milliseconds request_timeout,
                                     Clock::duration deadline) {
  return {.max_in_flight = max_in_flight,
          .request_timeout = request_timeout,
          .deadline = Clock::now() + deadline};
}

std::vector<std::string> names(const std::string& prefix, int count) {
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) out.push_back(prefix + std::to_string(i));
  return out;
}

// The groups whose call was answered without an error of its own, and the others.
struct Outcome {
  std::vector<std::string> answered, failed;
};

Outcome outcome(const std::vector<std::string>& groups, const ks::kafka::GroupOffsets& offsets) {
  Outcome out;
  for (std::size_t i = 0; i < groups.size(); ++i) {
    (offsets.groups[i].answered ? out.answered : out.failed).push_back(groups[i]);
  }
  return out;
}

}  // namespace

TEST_CASE("admin pipeline: every call answered, never more in flight than allowed", "[groups]") {
  Mock mock(1);
  const auto groups = names("g", 40);
  const auto offsets = ks::kafka::fetch_group_offsets(mock.client, groups, options(5, 5000ms, 20s), {});
  CHECK(offsets.stats.calls == 40);
  CHECK(offsets.stats.answered == 40);
  CHECK(offsets.stats.abandoned == 0);
  CHECK(offsets.stats.left_in_client == 0);
  CHECK(outcome(groups, offsets).answered.size() == 40);
  CHECK(offsets.stats.peak_in_flight <= 5);
  CHECK(offsets.stats.peak_in_flight >= 2);  // concurrent, not one after the other
}

TEST_CASE("admin pipeline: a dead coordinator costs its groups, not the batch", "[groups]") {
  Mock mock(2);
  for (int i = 0; i < 10; ++i) {
    mock.cluster.set_coordinator("group", "slow" + std::to_string(i), 2);
    mock.cluster.set_coordinator("group", "fast" + std::to_string(i), 1);
  }
  // Connect first (metadata through either broker), then take broker 2 down.
  const std::vector<std::string> warm{"fast0"};
  REQUIRE(outcome(warm, ks::kafka::fetch_group_offsets(mock.client, warm, options(5, 5000ms, 10s), {}))
              .answered.size() == 1);
  mock.cluster.set_broker_down(2);

  std::vector<std::string> groups;
  for (int i = 0; i < 10; ++i) {
    groups.push_back("slow" + std::to_string(i));
    groups.push_back("fast" + std::to_string(i));
  }
  const auto started = Clock::now();
  // Four at a time, the slow calls each holding a slot for the 1 s request timeout: about
  // 3 s for all ten to start and expire. The deadline leaves room for a busy machine, so that
  // every slow call has started (and is counted below) before it.
  const auto offsets = ks::kafka::fetch_group_offsets(mock.client, groups, options(4, 1000ms, 12s), {});
  const auto took = Clock::now() - started;
  CHECK(took < 12500ms);  // bounded by the deadline, whatever the dead broker does
  CHECK(offsets.stats.calls == 20);
  // Timed out by the pipeline, still held by librdkafka: the handle must be replaced
  // (docs/known-limitations.md). Counted only for calls librdkafka still holds: on a busy
  // machine a slow call may not have started before the deadline, or librdkafka may have
  // failed it itself first (a fresh-clone CI run once saw 9 of the 10); neither is left in it.
  CHECK(offsets.stats.left_in_client >= 1);
  CHECK(offsets.stats.left_in_client <= offsets.stats.abandoned);
  CHECK(offsets.stats.abandoned <= 10);  // the fast groups all answered
  const Outcome r = outcome(groups, offsets);
  CHECK(r.answered.size() + r.failed.size() == 20);  // every call ended exactly once
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
  Mock mock(3, ks::kafka::offset_fetch_consumer_properties("kafka-sentinel-test"));
  constexpr int kOffsetFetch = 9;
  for (const ErrorCode err : {ErrorCode::not_coordinator, ErrorCode::coordinator_not_available}) {
    mock.cluster.push_request_errors(kOffsetFetch, std::vector<ErrorCode>(6, err));
    const auto groups = names("moved", 3);
    const auto offsets = ks::kafka::fetch_group_offsets(mock.client, groups, options(2, 2000ms, 10s), {});
    CHECK(offsets.stats.calls == 3);
    const Outcome r = outcome(groups, offsets);
    CHECK(r.answered.size() + r.failed.size() == 3);
  }
  // And the handle still works once the coordinator answers again (the first calls may
  // still meet errors pushed above that no request consumed yet).
  int attempts = 0;
  bool answered = false;
  const std::vector<std::string> settled{"settled"};
  while (!answered && ++attempts <= 15) {
    answered = ks::kafka::fetch_group_offsets(mock.client, settled, options(1, 5000ms, 10s), {})
                   .groups[0]
                   .answered;
  }
  INFO("attempts: " << attempts);
  CHECK(answered);
}

TEST_CASE("admin pipeline: a stop request ends the wait for a dead coordinator", "[groups]") {
  Mock mock(2);
  mock.cluster.set_coordinator("group", "slow0", 2);
  mock.cluster.set_coordinator("group", "fast0", 1);
  const std::vector<std::string> warm{"fast0"};
  REQUIRE(ks::kafka::fetch_group_offsets(mock.client, warm, options(1, 5000ms, 10s), {})
              .groups[0]
              .answered);
  mock.cluster.set_broker_down(2);

  // 20 s of request timeout and deadline; stopped after 300 ms.
  std::stop_source stop;
  std::jthread stopper([&stop] {
    std::this_thread::sleep_for(300ms);
    stop.request_stop();
  });
  const std::vector<std::string> slow{"slow0"};
  const auto started = Clock::now();
  CHECK_THROWS_AS(ks::kafka::fetch_group_offsets(mock.client, slow, options(1, 20s, 20s),
                                                 stop.get_token()),
                  ks::kafka::StopRequested);
  const auto took = Clock::now() - started;
  CHECK(took * 10 < 20s);  // a small multiple of the poll slice, not the timeout
}

// The loadgen's commit retry against librdkafka's mock cluster: a commit answered with the
// coordinator errors a stopping node causes, for longer than librdkafka's own two retries,
// fails; with the bounded retry it succeeds. Other errors are not retried.
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "kafka/group_consumer.hpp"
#include "kafka/mock_cluster.hpp"
#include "tools/commit_retry.hpp"

using namespace std::chrono_literals;
using ks::kafka::ErrorCode;
using ks::kafka::TopicPartition;
using ks::loadgen::CommitRetryPolicy;
using ks::loadgen::commit_with_retry;

namespace {

constexpr int kOffsetCommitApiKey = 8;  // Kafka protocol ApiKey of OffsetCommit

std::unique_ptr<ks::kafka::GroupConsumer> consumer(const std::string& bootstrap) {
  ks::KafkaConfig kafka;
  kafka.bootstrap_servers = bootstrap;
  kafka.properties.emplace("log_level", "0");
  ks::kafka::GroupConsumerSettings settings;
  settings.properties = {{"group.id", "retry-group"}, {"enable.auto.commit", "false"}};
  return std::make_unique<ks::kafka::GroupConsumer>(kafka, std::move(settings));
}

struct Fixture {
  Fixture() {
    cluster.create_topic("orders", 2, 1);
    consumer = ::consumer(cluster.bootstrap_servers());
  }
  ~Fixture() { consumer.reset(); }

  // One synchronous commit of orders[0] = offset.
  ErrorCode commit(std::int64_t offset) {
    const auto result = consumer->commit_sync(std::vector{ks::kafka::at_offset("orders", 0, offset)});
    return ks::loadgen::commit_error(result.error, result.partitions);
  }

  ks::kafka::MockCluster cluster{1};
  std::unique_ptr<ks::kafka::GroupConsumer> consumer;
};

const CommitRetryPolicy kFast{.max_attempts = 8, .first_backoff = 10ms, .max_backoff = 50ms};

}  // namespace

TEST_CASE("coordinator errors are the retriable ones", "[loadgen]") {
  CHECK(ks::loadgen::is_coordinator_error(ErrorCode::not_coordinator));
  CHECK(ks::loadgen::is_coordinator_error(ErrorCode::coordinator_not_available));
  CHECK(ks::loadgen::is_coordinator_error(ErrorCode::coordinator_load_in_progress));
  CHECK_FALSE(ks::loadgen::is_coordinator_error(ErrorCode::no_error));
  CHECK_FALSE(ks::loadgen::is_coordinator_error(ErrorCode::unknown_member_id));
}

TEST_CASE("a commit failing while the coordinator moves succeeds with the retry", "[loadgen]") {
  Fixture f;
  REQUIRE(f.commit(1) == ErrorCode::no_error);  // coordinator known, group exists

  // librdkafka retries such a commit itself, but only twice, ~100 ms apart: less than a
  // coordinator takes to move and load the group. Past that, without a retry of ours, the
  // commit is lost.
  const auto push_coordinator_errors = [&f](int n) {
    for (int i = 0; i < n; ++i) {
      f.cluster.push_request_errors(kOffsetCommitApiKey,
                                    {i % 3 == 0   ? ErrorCode::not_coordinator
                                     : i % 3 == 1 ? ErrorCode::coordinator_not_available
                                                  : ErrorCode::coordinator_load_in_progress});
    }
  };
  push_coordinator_errors(8);
  CHECK(ks::loadgen::is_coordinator_error(f.commit(2)));

  int retries = 0;
  const auto err = commit_with_retry([&] { return f.commit(3); }, kFast,
                                     [&](ErrorCode, int, auto) { ++retries; });
  CHECK(err == ErrorCode::no_error);
  CHECK(retries >= 1);

  // Read back: offset 3 is committed.
  std::vector<TopicPartition> check{ks::kafka::at_offset("orders", 0, ks::kafka::kInvalidOffset)};
  REQUIRE(f.consumer->committed(check, 5000ms) == ErrorCode::no_error);
  CHECK(check[0].offset == 3);
}

TEST_CASE("the retry is bounded and leaves other errors alone", "[loadgen]") {
  int attempts = 0;
  auto fails_with = [&](ErrorCode e) {
    return [&attempts, e] {
      ++attempts;
      return e;
    };
  };
  const auto noop = [](ErrorCode, int, auto) {};
  CHECK(commit_with_retry(fails_with(ErrorCode::not_coordinator), kFast, noop) ==
        ErrorCode::not_coordinator);
  CHECK(attempts == kFast.max_attempts);
  attempts = 0;
  CHECK(commit_with_retry(fails_with(ErrorCode::unknown_member_id), kFast, noop) ==
        ErrorCode::unknown_member_id);
  CHECK(attempts == 1);
}

TEST_CASE("a commit's error is the request's, else the first partition's", "[loadgen]") {
  std::vector<TopicPartition> list{ks::kafka::at_offset("t", 0, ks::kafka::kInvalidOffset),
                                   ks::kafka::at_offset("t", 1, ks::kafka::kInvalidOffset)};
  list[1].error = ErrorCode::not_coordinator;
  CHECK(ks::loadgen::commit_error(ErrorCode::no_error, list) == ErrorCode::not_coordinator);
  CHECK(ks::loadgen::commit_error(ErrorCode::local_timed_out, list) == ErrorCode::local_timed_out);
  list[1].error = ErrorCode::no_error;
  CHECK(ks::loadgen::commit_error(ErrorCode::no_error, list) == ErrorCode::no_error);
  CHECK(ks::loadgen::commit_error(ErrorCode::no_error, {}) == ErrorCode::no_error);
}

// The loadgen's commit retry against librdkafka's mock cluster: a commit answered with the
// coordinator errors a stopping node causes, for longer than librdkafka's own two retries,
// fails; with the bounded retry it succeeds. Other errors are not retried.
#include <catch2/catch.hpp>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <array>
#include <chrono>
#include <memory>
#include <string>

#include "tools/commit_retry.hpp"

using namespace std::chrono_literals;
using ks::loadgen::CommitRetryPolicy;
using ks::loadgen::commit_with_retry;

namespace {

constexpr std::int16_t kOffsetCommitApiKey = 8;  // Kafka protocol ApiKey of OffsetCommit

struct RdKafkaDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using RdKafkaPtr = std::unique_ptr<rd_kafka_t, RdKafkaDeleter>;

RdKafkaPtr client(rd_kafka_type_t type, const std::string& bootstrap) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  std::array<char, 256> err{};
  rd_kafka_conf_set(conf, "log_level", "0", err.data(), err.size());
  if (!bootstrap.empty()) {
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err.data(), err.size());
    rd_kafka_conf_set(conf, "group.id", "retry-group", err.data(), err.size());
    rd_kafka_conf_set(conf, "enable.auto.commit", "false", err.data(), err.size());
  }
  RdKafkaPtr rk(rd_kafka_new(type, conf, err.data(), err.size()));
  REQUIRE(rk);
  return rk;
}

struct Fixture {
  Fixture() : host(client(RD_KAFKA_PRODUCER, "")) {
    cluster = rd_kafka_mock_cluster_new(host.get(), 1);
    REQUIRE(cluster);
    REQUIRE(rd_kafka_mock_topic_create(cluster, "orders", 2, 1) == 0);
    consumer = client(RD_KAFKA_CONSUMER, rd_kafka_mock_cluster_bootstraps(cluster));
  }
  ~Fixture() {
    consumer.reset();
    rd_kafka_mock_cluster_destroy(cluster);
  }

  // One synchronous commit of orders[0] = offset.
  rd_kafka_resp_err_t commit(std::int64_t offset) {
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(list, "orders", 0)->offset = offset;
    rd_kafka_resp_err_t err = rd_kafka_commit(consumer.get(), list, 0);
    err = ks::loadgen::commit_error(err, list);
    rd_kafka_topic_partition_list_destroy(list);
    return err;
  }

  RdKafkaPtr host;
  rd_kafka_mock_cluster_t* cluster = nullptr;
  RdKafkaPtr consumer;
};

const CommitRetryPolicy kFast{.max_attempts = 8, .first_backoff = 10ms, .max_backoff = 50ms};

}  // namespace

TEST_CASE("coordinator errors are the retriable ones", "[loadgen]") {
  CHECK(ks::loadgen::is_coordinator_error(RD_KAFKA_RESP_ERR_NOT_COORDINATOR));
  CHECK(ks::loadgen::is_coordinator_error(RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE));
  CHECK(ks::loadgen::is_coordinator_error(RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS));
  CHECK_FALSE(ks::loadgen::is_coordinator_error(RD_KAFKA_RESP_ERR_NO_ERROR));
  CHECK_FALSE(ks::loadgen::is_coordinator_error(RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID));
}

TEST_CASE("a commit failing while the coordinator moves succeeds with the retry", "[loadgen]") {
  Fixture f;
  REQUIRE(f.commit(1) == RD_KAFKA_RESP_ERR_NO_ERROR);  // coordinator known, group exists

  // librdkafka retries such a commit itself, but only twice, ~100 ms apart: less than a
  // coordinator takes to move and load the group. Past that, without a retry of ours, the
  // commit is lost.
  const auto push_coordinator_errors = [&f](int n) {
    for (int i = 0; i < n; ++i) {
      rd_kafka_mock_push_request_errors(f.cluster, kOffsetCommitApiKey, 1,
                                        i % 3 == 0   ? RD_KAFKA_RESP_ERR_NOT_COORDINATOR
                                        : i % 3 == 1 ? RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE
                                                     : RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS);
    }
  };
  push_coordinator_errors(8);
  CHECK(ks::loadgen::is_coordinator_error(f.commit(2)));

  int retries = 0;
  const auto err = commit_with_retry([&] { return f.commit(3); }, kFast,
                                     [&](rd_kafka_resp_err_t, int, auto) { ++retries; });
  CHECK(err == RD_KAFKA_RESP_ERR_NO_ERROR);
  CHECK(retries >= 1);

  // Read back: offset 3 is committed.
  rd_kafka_topic_partition_list_t* check = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(check, "orders", 0);
  REQUIRE(rd_kafka_committed(f.consumer.get(), check, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR);
  CHECK(check->elems[0].offset == 3);
  rd_kafka_topic_partition_list_destroy(check);
}

TEST_CASE("the retry is bounded and leaves other errors alone", "[loadgen]") {
  int attempts = 0;
  auto fails_with = [&](rd_kafka_resp_err_t e) {
    return [&attempts, e] {
      ++attempts;
      return e;
    };
  };
  const auto noop = [](rd_kafka_resp_err_t, int, auto) {};
  CHECK(commit_with_retry(fails_with(RD_KAFKA_RESP_ERR_NOT_COORDINATOR), kFast, noop) ==
        RD_KAFKA_RESP_ERR_NOT_COORDINATOR);
  CHECK(attempts == kFast.max_attempts);
  attempts = 0;
  CHECK(commit_with_retry(fails_with(RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID), kFast, noop) ==
        RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID);
  CHECK(attempts == 1);
}

TEST_CASE("a commit's error is the request's, else the first partition's", "[loadgen]") {
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(2);
  rd_kafka_topic_partition_list_add(list, "t", 0);
  rd_kafka_topic_partition_list_add(list, "t", 1)->err = RD_KAFKA_RESP_ERR_NOT_COORDINATOR;
  CHECK(ks::loadgen::commit_error(RD_KAFKA_RESP_ERR_NO_ERROR, list) ==
        RD_KAFKA_RESP_ERR_NOT_COORDINATOR);
  CHECK(ks::loadgen::commit_error(RD_KAFKA_RESP_ERR__TIMED_OUT, list) ==
        RD_KAFKA_RESP_ERR__TIMED_OUT);
  list->elems[1].err = RD_KAFKA_RESP_ERR_NO_ERROR;
  CHECK(ks::loadgen::commit_error(RD_KAFKA_RESP_ERR_NO_ERROR, list) == RD_KAFKA_RESP_ERR_NO_ERROR);
  CHECK(ks::loadgen::commit_error(RD_KAFKA_RESP_ERR_NO_ERROR, nullptr) ==
        RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_topic_partition_list_destroy(list);
}

// librdkafka 2.0.2 (and every release since, docs/known-limitations.md)
// aborts with `rd_kafka_enq_once_del_source_return: assert: eonce->refcnt > 0` when a
// coordinator-targeted admin request (DescribeConsumerGroups, ListConsumerGroupOffsets,
// AlterConsumerGroupOffsets) reached ITS OWN librdkafka timeout while still waiting for its
// coordinator, and that coordinator then comes back while the handle lives. The Kafka layer
// never lets that timer fire (kafka/admin_pipeline.cpp): this test takes a coordinator
// down, lets a call time out, brings the coordinator back and asks again. The sequence runs
// in a child process (this binary, a hidden test): without the workaround the child dies of
// SIGABRT, which a test in the same process could not report.
#include <catch2/catch.hpp>

#include <spawn.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "kafka/client.hpp"
#include "kafka/group_admin.hpp"
#include "kafka/mock_cluster.hpp"

extern char** environ;

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

ks::kafka::AdminBatchOptions options(std::chrono::milliseconds request_timeout,
                                     Clock::duration deadline) {
  return {.max_in_flight = 1, .request_timeout = request_timeout, .deadline = Clock::now() + deadline};
}

bool answered(const ks::kafka::Client& client, const std::string& group,
              std::chrono::milliseconds request_timeout, Clock::duration deadline) {
  const std::vector<std::string> groups{group};
  return ks::kafka::fetch_group_offsets(client, groups, options(request_timeout, deadline), {})
      .groups[0]
      .answered;
}

// Runs this binary's hidden test `tag` in a child process; its wait status.
int run_child(const char* tag) {
  std::string self(4096, '\0');
  const ssize_t n = readlink("/proc/self/exe", self.data(), self.size() - 1);
  REQUIRE(n > 0);
  self.resize(static_cast<std::size_t>(n));
  std::vector<char*> argv{self.data(), const_cast<char*>(tag), nullptr};
  pid_t pid = 0;
  REQUIRE(posix_spawn(&pid, self.c_str(), nullptr, nullptr, argv.data(), environ) == 0);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  return status;
}

}  // namespace

TEST_CASE("admin pipeline (child): a call times out on a dead coordinator, which comes back",
          "[.admin-coordinator-back-child]") {
  const auto saved_level = spdlog::get_level();
  spdlog::set_level(spdlog::level::off);  // the broker taken down is logged: expected
  ks::kafka::MockCluster cluster(2);
  cluster.set_coordinator("group", "slow", 2);
  cluster.set_coordinator("group", "fast", 1);
  ks::KafkaConfig config;
  config.bootstrap_servers = cluster.bootstrap_servers();
  config.properties["log_level"] = std::string("0");
  const ks::kafka::Client client = ks::kafka::make_client(
      config, ks::kafka::ClientKind::consumer,
      ks::kafka::offset_fetch_consumer_properties("coordinator-back-test"), "coordinator-back");
  REQUIRE(answered(client, "fast", 5000ms, 10s));  // connected
  cluster.set_broker_down(2);
  // Times out (300 ms) while librdkafka waits for a connection to the coordinator.
  CHECK_FALSE(answered(client, "slow", 300ms, 5s));
  cluster.set_broker_up(2);
  // Answered once librdkafka is connected to broker 2 again: by then it has also handed the
  // timed-out call's request to it (librdkafka 2.0.2 aborted there).
  bool back = false;
  for (int attempt = 0; attempt < 20 && !back; ++attempt) back = answered(client, "slow", 2000ms, 5s);
  CHECK(back);
  spdlog::set_level(saved_level);
}

TEST_CASE("admin pipeline: a coordinator back after a call timed out is not a crash",
          "[groups][admin-coordinator-back]") {
  const int status = run_child("[.admin-coordinator-back-child]");
  INFO("child wait status " << status << (WIFSIGNALED(status) ? " (killed by signal " : " (exit ")
                            << (WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status)) << ")");
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

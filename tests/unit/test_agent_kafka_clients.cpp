// How many librdkafka clients the agent's collectors run (agent/builtin_modules.cpp): the
// brokers and groups collectors share one (kafka/shared_client.hpp). Every client runs a main
// thread and a thread per broker that wake about once a second even when idle, so each one
// fewer is CPU the agent no longer spends (docs/performance.md). Counted from the process's
// librdkafka main threads (one per client) on the mock cluster.
#include <catch2/catch.hpp>

#include <chrono>
#include <exception>
#include <vector>

#include "agent/builtin_modules.hpp"
#include "kafka/mock_cluster.hpp"
#include "librdkafka_threads.hpp"

using namespace std::chrono_literals;
using ks::test::librdkafka_main_threads;

namespace {

ks::Config config_for(const ks::kafka::MockCluster& cluster, const std::string& source) {
  ks::Config config;
  config.kafka.bootstrap_servers = cluster.bootstrap_servers();
  config.kafka.request_timeout = 3s;
  config.kafka.properties.emplace("log_level", "0");
  config.collectors.host.enabled = false;
  config.collectors.groups.source = source;
  return config;
}

// One cycle of every module; a cycle that fails (the mock cluster answers no
// DescribeConfigs or ListGroups) still made its client.
void run_cycles(std::vector<ks::Module>& modules) {
  for (ks::Module& m : modules) {
    try {
      m.collector->collect_once({});
    } catch (const std::exception&) {
    }
  }
}

// The librdkafka clients beside the mock cluster's once cycles have run until there are
// `expected` of them, or for 30 s.
int clients_after_cycles(std::vector<ks::Module>& modules, int before, int expected) {
  int clients = 0;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  do {
    run_cycles(modules);
    clients = librdkafka_main_threads() - before;
  } while (clients != expected && std::chrono::steady_clock::now() < deadline);
  return clients;
}

}  // namespace

// [lsan-open]: the groups collector's ListConsumerGroups, which the mock cluster does not
// support, costs the shared client's rk_ops queue (176 bytes) to a librdkafka 2.0.2 bug
// (kafka/group_admin.cpp): run without LeakSanitizer's check (docs/testing.md).
TEST_CASE("agent: the brokers and groups collectors run one librdkafka client between them",
          "[agent][kafka][mock][threads][lsan-open]") {
  ks::kafka::MockCluster cluster(3);
  cluster.create_topic("orders", 3, 3);
  const int before = librdkafka_main_threads();  // the mock cluster's own
  REQUIRE(before >= 1);
  ks::Snapshots snapshots;
  const ks::fleet::Ownership ownership(false);

  SECTION("stream source: the shared client and the stream reader's follower") {
    const ks::Config config = config_for(cluster, "offsets_topic");
    auto modules = ks::builtin_modules(config, snapshots, ownership);
    REQUIRE(modules.size() == 2);
    // Four before: the brokers collector's, the groups collector's, and the reader's
    // follower and catch-up handles.
    CHECK(clients_after_cycles(modules, before, 2) == 2);
  }
  SECTION("admin API: the client is made again with the group.id the groups collector needs, "
          "the brokers collector moves to it") {
    const ks::Config config = config_for(cluster, "admin_api");
    auto modules = ks::builtin_modules(config, snapshots, ownership);
    REQUIRE(modules.size() == 2);
    REQUIRE(modules[0].name == "brokers");  // first: it makes the client without a group.id
    CHECK(clients_after_cycles(modules, before, 1) == 1);  // two before they shared one
  }
}

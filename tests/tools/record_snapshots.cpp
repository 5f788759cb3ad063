// Records one ClusterSnapshot and one GroupsSnapshot from a real Kafka cluster as JSON (the
// format of tests/unit/snapshot_json.hpp), for the golden test of the kafka_* families
// (tests/fixtures/snapshots/). Test tool only, not built by default:
//
//   cmake --build build --target record-snapshots
//   build/tests/record-snapshots --bootstrap HOST:PORT [--cycles N] [--interval-ms M] > out.json
//
// Runs the real broker and groups collectors N cycles (default 12, 1 s apart, so lag in
// seconds and the Burrow statuses have some history) and prints the last snapshots.
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>

#include "collectors/brokers/broker_collector.hpp"
#include "collectors/groups/group_collector.hpp"
#include "snapshot_json.hpp"

namespace {

struct Args {
  std::string bootstrap;
  int cycles = 12;
  int interval_ms = 1000;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view opt = argv[i];
    if (opt == "--bootstrap") a.bootstrap = argv[i + 1];
    else if (opt == "--cycles") a.cycles = std::atoi(argv[i + 1]);
    else if (opt == "--interval-ms") a.interval_ms = std::atoi(argv[i + 1]);
  }
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse(argc, argv);
  if (args.bootstrap.empty()) {
    std::cerr << "usage: record-snapshots --bootstrap HOST:PORT [--cycles N] [--interval-ms M]\n";
    return 2;
  }
  ks::KafkaConfig kafka;
  kafka.bootstrap_servers = args.bootstrap;
  ks::BrokersCollectorConfig brokers_config;
  ks::GroupsCollectorConfig groups_config;
  ks::Latest<ks::ClusterSnapshot> cluster;
  ks::Latest<ks::GroupsSnapshot> groups;
  ks::BrokerCollector broker_collector(kafka, brokers_config, cluster);
  ks::GroupCollector group_collector(kafka, groups_config, groups);
  const std::stop_source stop;
  for (int i = 0; i < args.cycles; ++i) {
    if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(args.interval_ms));
    broker_collector.collect_once(stop.get_token());
    group_collector.collect_once(stop.get_token());
  }
  nlohmann::ordered_json out{{"cluster", ks::testing::cluster_to_json(*cluster.get())},
                             {"groups", ks::testing::groups_to_json(*groups.get())}};
  std::cout << out.dump(2) << "\n";
  return 0;
}

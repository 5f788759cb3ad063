// Benchmark of the broker-metadata collector: the cost of full metadata + watermark cycles
// against a real cluster. Prints, per cycle, wall time, CPU time of the whole process
// (librdkafka's threads included), and the requests sent (librdkafka statistics: the sum of
// brokers[].tx, by request type). Prints figures; asserts nothing about time.
//
// Usage:
//   bench_broker_cycle --bootstrap HOST:PORT[,...] [--cycles N] [--concurrency K]
//                      [--topics-regex RE] [--include-internal]
//                      [--create-topics COUNT --partitions P --replication-factor R
//                       [--prefix NAME]] [--max-partitions-per-call N] [--print-metrics]
//
// --create-topics creates COUNT topics PREFIX000000.. with P partitions each (CreateTopics,
// 100 per request; existing ones are kept) and waits until all of them have leaders. The
// default --topics-regex is "PREFIX.*", so only those topics are measured.
// Example on the local 3-node cluster (scripts/kafka-cluster.sh up --nodes 3):
//   build/bench/bench_broker_cycle --bootstrap 127.0.0.1:19092 --create-topics 200
//       --partitions 10 --replication-factor 3 --prefix bench200-   (one line)
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "bench/bench_common.hpp"
#include "collectors/brokers/broker_collector.hpp"
#include "kafka/client.hpp"
#include "exporters/prometheus/cluster_metrics.hpp"

namespace {

using namespace std::chrono_literals;
using ks::kafka::Client;

struct Args {
  std::string bootstrap;
  int cycles = 5;
  int concurrency = 16;
  std::string topics_regex;
  bool include_internal = false;
  int create_topics = 0;
  int partitions = 10;
  int replication_factor = 1;
  std::string prefix = "bench-";
  bool print_metrics = false;
  int max_per_call = ks::BrokerCollector::kDefaultMaxPartitionsPerCall;
};

Args parse(int argc, char** argv) {
  Args a;
  ks::bench::Options options(
      "bench_broker_cycle --bootstrap HOST:PORT [--cycles N] [--concurrency K] [--topics-regex RE] "
      "[--include-internal] [--create-topics COUNT --partitions P --replication-factor R "
      "[--prefix NAME]] [--max-partitions-per-call N] [--print-metrics]");
  options.value("--bootstrap", a.bootstrap)
      .value("--cycles", a.cycles)
      .value("--concurrency", a.concurrency)
      .value("--topics-regex", a.topics_regex)
      .flag("--include-internal", a.include_internal)
      .value("--create-topics", a.create_topics)
      .value("--partitions", a.partitions)
      .value("--replication-factor", a.replication_factor)
      .value("--prefix", a.prefix)
      .flag("--print-metrics", a.print_metrics)
      .value("--max-partitions-per-call", a.max_per_call)
      .parse(argc, argv);
  if (a.bootstrap.empty()) options.fail("--bootstrap is required");
  if (a.topics_regex.empty()) a.topics_regex = a.prefix + ".*";
  return a;
}

std::string topic_name(const Args& a, int i) {
  char digits[16];
  std::snprintf(digits, sizeof digits, "%06d", i);
  return a.prefix + digits;
}

// Creates the topics (100 per request) and waits until every one has a leader everywhere.
void create_topics(const ks::KafkaConfig& kafka, const Args& a) {
  Client admin = ks::kafka::make_client(kafka, ks::kafka::ClientKind::producer, {}, "bench-admin");
  const auto started = std::chrono::steady_clock::now();
  std::vector<std::string> names;
  for (int i = 0; i < a.create_topics; ++i) names.push_back(topic_name(a, i));
  const auto result = ks::bench::create_topics(admin, names, a.partitions, a.replication_factor);
  ks::bench::wait_for_leaders(admin, a.prefix, a.create_topics, a.partitions, 120);
  std::printf("topics: %d created, %d already there, ready in %.1f s\n", result.created,
              result.existed,
              std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
}

// Requests sent so far, by request type, from the latest statistics of the handle.
std::map<std::string, std::int64_t> requests_sent(const Client& client) {
  if (std::getenv("KS_BENCH_NO_STATS")) return {};
  // Statistics events queue up on the handle's main queue while a cycle runs: serve those
  // (older) ones first, then wait for one generated after now (statistics.interval.ms 100).
  while (client.poll() > 0) {
  }
  return ks::bench::requests_sent(client, 1);
}

struct Figures {
  double wall_ms, cpu_ms;
  long long requests;
};

// A measured figure's median over the cycles.
double median(const std::vector<Figures>& measured, auto field) {
  std::vector<double> v;
  for (const Figures& f : measured) v.push_back(static_cast<double>(f.*field));
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

ks::BrokerCollector::Options collector_options(const Args& args) {
  ks::BrokerCollector::Options options;
  // Requests are counted from librdkafka's statistics; KS_BENCH_NO_STATS=1 turns them off to
  // show their own CPU cost (requests are then not counted).
  const bool stats = std::getenv("KS_BENCH_NO_STATS") == nullptr;
  if (stats) options.extra_properties["statistics.interval.ms"] = "100";
  options.max_concurrent_calls = args.concurrency;
  options.max_partitions_per_call = args.max_per_call;
  return options;
}

// "Type=N " for every request type sent between the two counts; and their total.
long long requests_between(const std::map<std::string, std::int64_t>& before,
                           const std::map<std::string, std::int64_t>& after, std::string& by_type) {
  for (const auto& [type, n] : after) {
    const auto d = n - (before.contains(type) ? before.at(type) : 0);
    if (type != "total" && d > 0) by_type += type + "=" + std::to_string(d) + " ";
  }
  const auto total = after.contains("total") ? after.at("total") : 0;
  const auto total_before = before.contains("total") ? before.at("total") : 0;
  return static_cast<long long>(total - total_before);
}

// One line per cycle (see the header printed by run_cycles).
void print_cycle(const char* label, const ks::BrokerCollector::CycleReport& r, double cpu,
                 long long requests, const std::string& by_type) {
  std::printf("%-8s %8.1f %8.1f %8.1f %10.1f %10zu %7zu %6zu %8lld  %s\n", label,
              r.total.count() * 1e3, cpu * 1e3, r.metadata.count() * 1e3,
              r.watermarks.count() * 1e3, r.partitions, r.brokers,
              r.watermark_calls + r.metadata_calls + r.describe_configs_calls, requests,
              by_type.c_str());
  if (r.partitions_without_watermarks > 0) {
    std::printf("         %zu partitions without offsets\n", r.partitions_without_watermarks);
  }
}

// A cycle labelled "cold" (first: connects, reads topic configs), then "settle" cycles
// until every partition has its offsets (new topics' leaders may not know yet that they
// lead: NOT_LEADER_FOR_PARTITION for a while), then the measured ones. Exits 1 when a
// cycle fails.
std::vector<Figures> run_cycles(ks::BrokerCollector& collector, const Args& args) {
  std::printf("%-8s %8s %8s %8s %10s %10s %7s %6s %8s  %s\n", "cycle", "wall_ms", "cpu_ms",
              "meta_ms", "offsets_ms", "partitions", "brokers", "calls", "requests",
              "requests by type");
  std::vector<Figures> measured;
  std::map<std::string, std::int64_t> sent_before;
  const auto settle_deadline = std::chrono::steady_clock::now() + 90s;
  int measured_left = args.cycles;
  for (int cycle = 1; measured_left > 0; ++cycle) {
    if (cycle > 1) sent_before = requests_sent(collector.client());
    const double cpu_before = ks::bench::cpu_seconds();
    try {
      collector.collect_once({});
    } catch (const std::exception& e) {
      std::fprintf(stderr, "cycle %d failed: %s\n", cycle, e.what());
      std::exit(1);
    }
    const double cpu = ks::bench::cpu_seconds() - cpu_before;
    const auto& r = collector.last_cycle();
    // The handle exists from the first cycle on: its statistics before that are zero.
    std::string by_type;
    const long long requests = requests_between(sent_before, requests_sent(collector.client()), by_type);
    const bool settled = r.partitions_without_watermarks == 0 ||
                         std::chrono::steady_clock::now() > settle_deadline;
    print_cycle(cycle == 1 ? "cold" : settled ? "measured" : "settle", r, cpu, requests, by_type);
    if (cycle > 1 && settled) {
      measured.push_back({r.total.count() * 1e3, cpu * 1e3, requests});
      --measured_left;
    } else if (!settled) {
      std::this_thread::sleep_for(1s);
    }
  }
  return measured;
}

// The render of the last snapshot, for scale.
void print_render(const ks::ClusterSnapshot& snapshot, bool print_metrics) {
  ks::prom::ExpositionWriter w;
  const auto start = std::chrono::steady_clock::now();
  const double cpu_before = ks::bench::cpu_seconds();
  ks::prom::render_cluster(snapshot, w);
  const auto series = w.sample_count();
  const std::string text = w.finish();
  std::printf("render: %zu series, %zu KiB, %.1f ms wall, %.1f ms CPU\n", series,
              text.size() / 1024,
              std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count(),
              (ks::bench::cpu_seconds() - cpu_before) * 1e3);
  if (print_metrics) std::fwrite(text.data(), 1, text.size(), stdout);
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse(argc, argv);
  spdlog::set_level(std::getenv("KS_BENCH_DEBUG") ? spdlog::level::debug : spdlog::level::warn);
  const ks::KafkaConfig kafka = ks::bench::kafka_config(args.bootstrap);
  if (args.create_topics > 0) create_topics(kafka, args);

  ks::BrokersCollectorConfig config;
  config.interval = 30s;  // the watermark timeout follows it
  config.topics.include = {args.topics_regex};
  config.include_internal_topics = args.include_internal;
  ks::Latest<ks::ClusterSnapshot> latest;
  ks::BrokerCollector collector(kafka, config, latest, collector_options(args));

  std::printf("bootstrap %s, topics matching \"%s\", %d offsets_for_times calls at once, at "
              "most %d partitions each\n",
              args.bootstrap.c_str(), args.topics_regex.c_str(), args.concurrency, args.max_per_call);
  const std::vector<Figures> measured = run_cycles(collector, args);
  std::printf("median of %zu measured cycles: %.1f ms wall, %.1f ms CPU, %.0f requests\n",
              measured.size(), median(measured, &Figures::wall_ms),
              median(measured, &Figures::cpu_ms), median(measured, &Figures::requests));
  if (const auto snapshot = latest.get()) print_render(*snapshot, args.print_metrics);
  return 0;
}

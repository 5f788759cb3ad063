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
#include <sys/resource.h>

#include <librdkafka/rdkafka.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "collectors/brokers/broker_collector.hpp"
#include "collectors/kafka/kafka_client.hpp"
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

[[noreturn]] void usage(const char* error) {
  std::fprintf(stderr,
               "error: %s\nusage: bench_broker_cycle --bootstrap HOST:PORT [--cycles N] "
               "[--concurrency K] [--topics-regex RE] [--include-internal] [--create-topics "
               "COUNT --partitions P --replication-factor R [--prefix NAME]] [--max-partitions-per-call N] "
               "[--print-metrics]\n",
               error);
  std::exit(2);
}

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const auto next = [&]() -> std::string {
      if (i + 1 >= argc) usage("missing value");
      return argv[++i];
    };
    if (arg == "--bootstrap") a.bootstrap = next();
    else if (arg == "--cycles") a.cycles = std::stoi(next());
    else if (arg == "--concurrency") a.concurrency = std::stoi(next());
    else if (arg == "--topics-regex") a.topics_regex = next();
    else if (arg == "--include-internal") a.include_internal = true;
    else if (arg == "--create-topics") a.create_topics = std::stoi(next());
    else if (arg == "--partitions") a.partitions = std::stoi(next());
    else if (arg == "--replication-factor") a.replication_factor = std::stoi(next());
    else if (arg == "--prefix") a.prefix = next();
    else if (arg == "--print-metrics") a.print_metrics = true;
    else if (arg == "--max-partitions-per-call") a.max_per_call = std::stoi(next());
    else usage(("unknown argument " + std::string(arg)).c_str());
  }
  if (a.bootstrap.empty()) usage("--bootstrap is required");
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
  Client admin = ks::kafka::make_client(kafka, RD_KAFKA_PRODUCER, {}, "bench-admin");
  ks::kafka::QueuePtr queue(rd_kafka_queue_new(admin.get()));
  const auto started = std::chrono::steady_clock::now();
  int created = 0, existed = 0;
  for (int begin = 0; begin < a.create_topics; begin += 100) {
    const int end = std::min(a.create_topics, begin + 100);
    std::vector<rd_kafka_NewTopic_t*> topics;
    std::array<char, 256> err{};
    for (int i = begin; i < end; ++i) {
      topics.push_back(rd_kafka_NewTopic_new(topic_name(a, i).c_str(), a.partitions,
                                             a.replication_factor, err.data(), err.size()));
    }
    ks::kafka::AdminOptionsPtr options(rd_kafka_AdminOptions_new(admin.get(), RD_KAFKA_ADMIN_OP_CREATETOPICS));
    rd_kafka_AdminOptions_set_operation_timeout(options.get(), 60000, err.data(), err.size());
    rd_kafka_CreateTopics(admin.get(), topics.data(), topics.size(), options.get(), queue.get());
    rd_kafka_NewTopic_destroy_array(topics.data(), topics.size());
    ks::kafka::EventPtr ev(rd_kafka_queue_poll(queue.get(), 120000));
    if (!ev || rd_kafka_event_error(ev.get())) {
      std::fprintf(stderr, "CreateTopics failed: %s\n", ev ? rd_kafka_event_error_string(ev.get()) : "timeout");
      std::exit(1);
    }
    size_t n = 0;
    const rd_kafka_topic_result_t** results =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev.get()), &n);
    for (size_t i = 0; i < n; ++i) {
      const rd_kafka_resp_err_t e = rd_kafka_topic_result_error(results[i]);
      if (e == RD_KAFKA_RESP_ERR_NO_ERROR) ++created;
      else if (e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) ++existed;
      else {
        std::fprintf(stderr, "cannot create %s: %s\n", rd_kafka_topic_result_name(results[i]),
                     rd_kafka_err2str(e));
        std::exit(1);
      }
    }
  }
  // Ready: every topic known with all partitions led.
  for (int attempt = 0;; ++attempt) {
    ks::kafka::MetadataPtr md = ks::kafka::fetch_metadata(admin.get(), 30s);
    int ready = 0;
    for (int t = 0; t < md->topic_cnt; ++t) {
      const auto& topic = md->topics[t];
      if (!std::string_view(topic.topic).starts_with(a.prefix)) continue;
      bool led = topic.partition_cnt == a.partitions;
      for (int p = 0; p < topic.partition_cnt; ++p) led = led && topic.partitions[p].leader >= 0;
      ready += led;
    }
    if (ready >= a.create_topics) break;
    if (attempt > 120) {
      std::fprintf(stderr, "only %d of %d topics ready\n", ready, a.create_topics);
      std::exit(1);
    }
    std::this_thread::sleep_for(500ms);
  }
  std::printf("topics: %d created, %d already there, ready in %.1f s\n", created, existed,
              std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
}

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// Requests sent so far, by request type, from the latest statistics of the handle.
std::map<std::string, std::int64_t> requests_sent(const Client& client) {
  if (std::getenv("KS_BENCH_NO_STATS")) return {};
  // Statistics events queue up on the handle's main queue while a cycle runs: serve those
  // (older) ones first, then wait for one generated after now (statistics.interval.ms 100).
  while (rd_kafka_poll(client.get(), 0) > 0) {
  }
  const std::uint64_t before = client.context().stats_count();
  for (int i = 0; i < 100 && client.context().stats_count() < before + 1; ++i) client.poll(20ms);
  std::map<std::string, std::int64_t> out;
  const nlohmann::json stats = nlohmann::json::parse(client.context().latest_stats(), nullptr, false);
  if (stats.is_discarded() || !stats.contains("brokers")) return out;
  for (const auto& [name, broker] : stats["brokers"].items()) {
    out["total"] += broker.value("tx", std::int64_t{0});
    if (broker.contains("req")) {
      for (const auto& [type, n] : broker["req"].items()) out[type] += n.get<std::int64_t>();
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse(argc, argv);
  spdlog::set_level(std::getenv("KS_BENCH_DEBUG") ? spdlog::level::debug : spdlog::level::warn);
  ks::KafkaConfig kafka;
  kafka.bootstrap_servers = args.bootstrap;
  kafka.client_id = "kafka-sentinel-bench";
  kafka.request_timeout = 30s;
  if (args.create_topics > 0) create_topics(kafka, args);

  ks::BrokersCollectorConfig config;
  config.interval = 30s;  // the watermark timeout follows it
  config.topics.include = {args.topics_regex};
  config.include_internal_topics = args.include_internal;
  ks::Latest<ks::ClusterSnapshot> latest;
  ks::BrokerCollector::Options options;
  // Requests are counted from librdkafka's statistics; KS_BENCH_NO_STATS=1 turns them off to
  // show their own CPU cost (requests are then not counted).
  const bool stats = std::getenv("KS_BENCH_NO_STATS") == nullptr;
  if (stats) options.extra_properties["statistics.interval.ms"] = "100";
  options.max_concurrent_calls = args.concurrency;
  options.max_partitions_per_call = args.max_per_call;
  ks::BrokerCollector collector(kafka, config, latest, options);

  std::printf("bootstrap %s, topics matching \"%s\", %d offsets_for_times calls at once, at "
              "most %d partitions each\n",
              args.bootstrap.c_str(), args.topics_regex.c_str(), args.concurrency, args.max_per_call);
  std::printf("%-8s %8s %8s %8s %10s %10s %7s %6s %8s  %s\n", "cycle", "wall_ms", "cpu_ms",
              "meta_ms", "offsets_ms", "partitions", "brokers", "calls", "requests",
              "requests by type");
  struct Figures {
    double wall_ms, cpu_ms;
    long long requests;
  };
  std::vector<Figures> measured;
  std::map<std::string, std::int64_t> sent_before;
  // A cycle labelled "cold" (first: connects, reads topic configs), then "settle" cycles
  // until every partition has its offsets (new topics' leaders may not know yet that they
  // lead: NOT_LEADER_FOR_PARTITION for a while), then the measured ones.
  const auto settle_deadline = std::chrono::steady_clock::now() + 90s;
  int measured_left = args.cycles;
  for (int cycle = 1; measured_left > 0; ++cycle) {
    if (cycle > 1) sent_before = requests_sent(collector.client());
    const double cpu_before = cpu_seconds();
    try {
      collector.collect_once();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "cycle %d failed: %s\n", cycle, e.what());
      return 1;
    }
    const double cpu = cpu_seconds() - cpu_before;
    const auto& r = collector.last_cycle();
    // The handle exists from the first cycle on: its statistics before that are zero.
    const auto sent_after = requests_sent(collector.client());
    std::string by_type;
    for (const auto& [type, n] : sent_after) {
      const auto d = n - (sent_before.contains(type) ? sent_before.at(type) : 0);
      if (type != "total" && d > 0) by_type += type + "=" + std::to_string(d) + " ";
    }
    const auto total = sent_after.contains("total") ? sent_after.at("total") : 0;
    const auto total_before = sent_before.contains("total") ? sent_before.at("total") : 0;
    const bool settled = r.partitions_without_watermarks == 0 ||
                         std::chrono::steady_clock::now() > settle_deadline;
    const char* label = cycle == 1 ? "cold" : settled ? "measured" : "settle";
    std::printf("%-8s %8.1f %8.1f %8.1f %10.1f %10zu %7zu %6zu %8lld  %s\n", label,
                r.total.count() * 1e3, cpu * 1e3, r.metadata.count() * 1e3,
                r.watermarks.count() * 1e3, r.partitions, r.brokers,
                r.watermark_calls + r.metadata_calls + r.describe_configs_calls,
                static_cast<long long>(total - total_before), by_type.c_str());
    if (r.partitions_without_watermarks > 0) {
      std::printf("         %zu partitions without offsets\n", r.partitions_without_watermarks);
    }
    if (cycle > 1 && settled) {
      measured.push_back({r.total.count() * 1e3, cpu * 1e3, static_cast<long long>(total - total_before)});
      --measured_left;
    } else if (!settled) {
      std::this_thread::sleep_for(1s);
    }
  }
  const auto median = [&measured](auto field) {
    std::vector<double> v;
    for (const Figures& f : measured) v.push_back(static_cast<double>(f.*field));
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[v.size() / 2];
  };
  std::printf("median of %zu measured cycles: %.1f ms wall, %.1f ms CPU, %.0f requests\n",
              measured.size(), median(&Figures::wall_ms), median(&Figures::cpu_ms),
              median(&Figures::requests));

  // The render of the last snapshot, for scale.
  if (const auto snapshot = latest.get()) {
    ks::prom::ExpositionWriter w;
    const auto start = std::chrono::steady_clock::now();
    const double cpu_before = cpu_seconds();
    ks::prom::render_cluster(*snapshot, w);
    const auto series = w.sample_count();
    const std::string text = w.finish();
    std::printf("render: %zu series, %zu KiB, %.1f ms wall, %.1f ms CPU\n", series,
                text.size() / 1024,
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count(),
                (cpu_seconds() - cpu_before) * 1e3);
    if (args.print_metrics) std::fwrite(text.data(), 1, text.size(), stdout);
  }
  return 0;
}

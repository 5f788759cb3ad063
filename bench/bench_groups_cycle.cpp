// Benchmark of the consumer-groups collector against a real cluster: full cycles (metadata,
// ListGroups, DescribeGroups, OffsetFetch, ListOffsets, evaluation) for N groups. Prints,
// per cycle, wall time, CPU time of the whole process (librdkafka's threads included), the
// wall time of each stage, the offsets-to-watermarks gap, and the requests sent (librdkafka
// statistics: sum over brokers, by request type); then the process RSS (current and peak)
// and the /metrics render of the last snapshot (time, size, gzip size, series). Prints
// figures; asserts nothing about time. Run one process per N, so RSS is that N's alone.
//
// Usage:
//   bench_groups_cycle --bootstrap HOST:PORT --setup GROUPS [--topics T] [--partitions P]
//                      [--messages M] [--prefix NAME]
//       creates T topics of P partitions (NAME-t000..), writes M messages to every
//       partition, and commits offsets for GROUPS groups (NAME-g0000..; group i on topic
//       i mod T, every partition, offset (7i + p) mod (M + 1)) with AlterConsumerGroupOffsets,
//       100 calls in flight. Existing topics and groups are reused.
//   bench_groups_cycle --bootstrap HOST:PORT --groups N [--cycles C] [--concurrency K]
//                      [--prefix NAME] [--print-metrics] [--source offsets_topic|admin_api]
//       measures C cycles (after one warm-up cycle) monitoring groups NAME-g0000 ..
//       NAME-g(N-1) (N a multiple of 100, at most 10000). --source offsets_topic: the
//       offsets come from the __consumer_offsets stream (its first read is the warm-up
//       cycle; the reader's background fetches count in the process CPU, not in the
//       requests column, which is the collector's own client); default admin_api.
//   --properties FILE (either mode): librdkafka properties, one KEY=VALUE a line (# comments),
//       as kafka.properties: e.g. security.protocol=SSL and the certificates, to compare a
//       cycle's CPU over TLS with PLAINTEXT (docs/security.md).
// Example (scripts/kafka-cluster.sh up --nodes 1 --dir /tmp/kb --port-base 39092):
//   B=127.0.0.1:39092
//   build/bench/bench_groups_cycle --bootstrap $B --setup 1000 --topics 100 --partitions 24
//   for n in 100 500 1000; do build/bench/bench_groups_cycle --bootstrap $B --groups $n; done
#include <malloc.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "agent/allocator_tuning.hpp"
#include "bench/bench_common.hpp"
#include "collectors/groups/group_collector.hpp"
#include "kafka/bulk_produce.hpp"
#include "kafka/client.hpp"
#include "kafka/group_admin.hpp"
#include "exporters/prometheus/exposition_body.hpp"
#include "exporters/prometheus/group_metrics.hpp"
#include "exporters/prometheus/gzip.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using ks::kafka::Client;

struct Args {
  std::string bootstrap;
  int setup = 0;
  int topics = 100;
  int partitions = 24;
  int messages = 20;
  int groups = 0;
  int cycles = 5;
  int concurrency = 50;
  std::string prefix = "gbench";
  std::string properties;
  bool print_metrics = false;
  std::string source = "admin_api";  // collectors.groups.source
};

Args parse(int argc, char** argv) {
  Args a;
  ks::bench::Options options(
      "bench_groups_cycle --bootstrap HOST:PORT (--setup GROUPS [--topics T] [--partitions P] "
      "[--messages M] | --groups N [--cycles C] [--concurrency K] [--print-metrics] "
      "[--source offsets_topic|admin_api]) "
      "[--prefix NAME] [--properties FILE]");
  options.value("--bootstrap", a.bootstrap)
      .value("--setup", a.setup)
      .value("--topics", a.topics)
      .value("--partitions", a.partitions)
      .value("--messages", a.messages)
      .value("--groups", a.groups)
      .value("--cycles", a.cycles)
      .value("--concurrency", a.concurrency)
      .value("--prefix", a.prefix)
      .value("--source", a.source)
      .value("--properties", a.properties)
      .flag("--print-metrics", a.print_metrics)
      .parse(argc, argv);
  if (a.bootstrap.empty()) options.fail("--bootstrap is required");
  if ((a.setup > 0) == (a.groups > 0)) options.fail("give exactly one of --setup and --groups");
  if (a.groups > 0 && (a.groups % 100 != 0 || a.groups > 10000)) {
    options.fail("--groups must be a multiple of 100, at most 10000");
  }
  return a;
}

std::string topic_name(const Args& a, int i) {
  char digits[16];
  std::snprintf(digits, sizeof digits, "%03d", i);
  return a.prefix + "-t" + digits;
}

std::string group_name(const Args& a, int i) {
  char digits[16];
  std::snprintf(digits, sizeof digits, "%04d", i);
  return a.prefix + "-g" + digits;
}

void create_topics(const Client& admin, const Args& a) {
  std::vector<std::string> names;
  for (int i = 0; i < a.topics; ++i) names.push_back(topic_name(a, i));
  const int created = ks::bench::create_topics(admin, names, a.partitions, 1).created;
  ks::bench::wait_for_leaders(admin, a.prefix + "-t", a.topics, a.partitions, 240);
  std::printf("topics: %d created (%d x %d partitions)\n", created, a.topics, a.partitions);
}

void produce(const ks::KafkaConfig& kafka, const Args& a) {
  Client producer = ks::kafka::make_client(kafka, ks::kafka::ClientKind::producer,
                                           {{"linger.ms", "50"}, {"batch.num.messages", "10000"}},
                                           "bench-producer");
  const std::string payload(64, 'x');
  try {
    for (int t = 0; t < a.topics; ++t) {
      const std::string topic = topic_name(a, t);
      for (int p = 0; p < a.partitions; ++p) {
        ks::kafka::produce_copies(producer, topic, p, a.messages, payload);
      }
    }
    ks::kafka::flush(producer, std::chrono::minutes(2));
  } catch (const ks::kafka::KafkaError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    std::exit(1);
  }
  std::printf("produced %d messages to each of %d partitions\n", a.messages, a.topics * a.partitions);
}

// Group i commits on topic i mod T, every partition, offset (7i + p) mod (M + 1).
ks::kafka::GroupCommit synthetic_commit(const Args& a, int i) {
  ks::kafka::GroupCommit commit{group_name(a, i), {}};
  const std::string topic = topic_name(a, i % a.topics);
  for (int p = 0; p < a.partitions; ++p) {
    commit.offsets.push_back({topic, p, (7 * i + p) % (a.messages + 1)});
  }
  return commit;
}

// Committed offsets for every group: AlterConsumerGroupOffsets (one group per call), 100
// calls in flight on one queue. Groups whose commit failed (the first calls can race the
// creation of __consumer_offsets) are tried again.
void commit_groups(const Client& admin, const Args& a) {
  const auto started = Clock::now();
  std::vector<ks::kafka::GroupCommit> todo;
  for (int i = 0; i < a.setup; ++i) todo.push_back(synthetic_commit(a, i));
  for (int round = 0; !todo.empty(); ++round) {
    if (round == 10) {
      std::fprintf(stderr, "%zu groups could not be committed\n", todo.size());
      std::exit(1);
    }
    if (round > 0) std::this_thread::sleep_for(1s);
    const auto failed = ks::kafka::commit_group_offsets(
        admin, todo,
        {.max_in_flight = 100, .request_timeout = 60s, .deadline = Clock::now() + 10min}, {});
    std::vector<ks::kafka::GroupCommit> again;
    for (const std::size_t i : failed) again.push_back(std::move(todo[i]));
    todo = std::move(again);
  }
  std::printf("groups: %d committed in %.1f s\n", a.setup,
              std::chrono::duration<double>(Clock::now() - started).count());
}

double heap_mib() {
  const struct mallinfo2 info = mallinfo2();
  return static_cast<double>(info.uordblks + info.hblkhd) / (1024.0 * 1024.0);
}

// Groups NAME-g0000 .. NAME-g(N-1): the first two digits of the index are the hundreds.
std::string groups_regex(const Args& a) {
  std::string re = a.prefix + "-g(?:";
  for (int h = 0; h < a.groups / 100; ++h) {
    re += fmt::format("{}{:02d}", h ? "|" : "", h);
  }
  return re + ")[0-9][0-9]";
}

// One render of a snapshot, the way the agent's /metrics endpoint does it.
struct Rendered {
  ks::prom::ExpositionBody plain;
  std::string gzip;
  std::size_t series = 0;
  double render_ms = 0, render_cpu_ms = 0, gzip_ms = 0;
  double heap_writer_mib = 0;  // heap in use with the writer's families filled
};

std::shared_ptr<const Rendered> render(const ks::GroupsSnapshot& snapshot) {
  auto r = std::make_shared<Rendered>();
  ks::prom::ExpositionWriter w;
  const double cpu_before = ks::bench::cpu_seconds();
  const auto started = Clock::now();
  ks::prom::render_groups(snapshot, w);
  r->series = w.sample_count();
  r->heap_writer_mib = heap_mib();
  r->plain = ks::prom::ExpositionBody(w.finish_pieces());
  r->render_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
  r->render_cpu_ms = (ks::bench::cpu_seconds() - cpu_before) * 1e3;
  const auto gzip_started = Clock::now();
  r->gzip = ks::prom::gzip_compress(r->plain.pieces());
  r->gzip_ms = std::chrono::duration<double, std::milli>(Clock::now() - gzip_started).count();
  return r;
}

// Requests sent between the two counts, "Type=N " for each type.
std::string requests_between(const std::map<std::string, std::int64_t>& before,
                             const std::map<std::string, std::int64_t>& after) {
  std::string by_type;
  for (const auto& [type, n] : after) {
    const auto d = n - (before.contains(type) ? before.at(type) : 0);
    if (d > 0) by_type += type + "=" + std::to_string(d) + " ";
  }
  return by_type;
}

std::size_t group_partitions(const ks::Latest<ks::GroupsSnapshot>& latest) {
  std::size_t n = 0;
  if (const auto s = latest.get()) {
    for (const auto& g : s->groups) {
      for (const auto& t : g.topics) n += t.partitions.size();
    }
  }
  return n;
}

// One line per cycle (see the header printed by measure), and its errors if any.
void print_cycle(int cycle, double wall, double cpu, const ks::GroupsCycleStats& c,
                 std::size_t partitions, const std::string& by_type) {
  std::printf("%5d %8.1f %7.1f | %6.1f %6.1f %6.1f %7.1f %7.1f %6.1f | %6.1f %6zu %7zu  %s%s\n",
              cycle, wall * 1e3, cpu * 1e3, c.metadata_seconds * 1e3, c.list_seconds * 1e3,
              c.describe_seconds * 1e3, c.offsets_seconds * 1e3, c.watermarks_seconds * 1e3,
              c.evaluate_seconds * 1e3, c.offsets_watermarks_gap_seconds * 1e3,
              c.groups_monitored, partitions, by_type.c_str(),
              cycle == 0 ? "(warm-up: connects, no history)" : "");
  if (c.describe_errors + c.offsets_errors + c.watermark_errors > 0) {
    std::printf("      errors: describe %zu, offsets %zu, watermarks %zu\n", c.describe_errors,
                c.offsets_errors, c.watermark_errors);
  }
}

// Wall and CPU seconds of the measured cycles (the warm-up excluded).
struct Timings {
  std::vector<double> walls, cpus;
};

// The warm-up cycle and the measured ones. As the agent does: after each cycle the new
// snapshot is rendered once and the body (in pieces, plus its gzip) is kept until the next
// render, which first lets the old one go. So the RSS peak is that of the agent's steady
// state: collector state, two snapshots at the publish, one cached body, one render in
// progress. Exits 1 when a cycle fails.
Timings run_cycles(ks::GroupCollector& collector, const ks::Latest<ks::GroupsSnapshot>& latest,
                   const Args& a, std::shared_ptr<const Rendered>& body) {
  Timings t;
  std::map<std::string, std::int64_t> sent_before;
  for (int cycle = 0; cycle <= a.cycles; ++cycle) {
    if (cycle > 0) sent_before = ks::bench::requests_sent(collector.client(), 2);
    const double cpu_before = ks::bench::cpu_seconds();
    const auto started = Clock::now();
    try {
      collector.collect_once({});
    } catch (const std::exception& e) {
      std::fprintf(stderr, "cycle %d failed: %s\n", cycle, e.what());
      std::exit(1);
    }
    const double wall = std::chrono::duration<double>(Clock::now() - started).count();
    const double cpu = ks::bench::cpu_seconds() - cpu_before;
    const auto sent_after = ks::bench::requests_sent(collector.client(), 2);
    print_cycle(cycle, wall, cpu, collector.last_cycle(), group_partitions(latest),
                requests_between(sent_before, sent_after));
    if (cycle > 0) {
      t.walls.push_back(wall);
      t.cpus.push_back(cpu);
    }
    body.reset();
    body = render(*latest.get());
  }
  std::sort(t.walls.begin(), t.walls.end());
  std::sort(t.cpus.begin(), t.cpus.end());
  return t;
}

void print_summary(const Args& a, const Timings& t, const Rendered& r, long rss_peak_cycles,
                   double heap_after_cycles, std::size_t partitions_tracked) {
  const auto median = [](const std::vector<double>& v) { return v.empty() ? 0.0 : v[v.size() / 2]; };
  std::printf("median cycle: %.1f ms wall, %.1f ms CPU (%.2f ms wall and %.3f ms CPU per group)\n",
              median(t.walls) * 1e3, median(t.cpus) * 1e3, median(t.walls) * 1e3 / a.groups,
              median(t.cpus) * 1e3 / a.groups);
  std::printf("render: %zu series, %.1f KiB (gzip %.1f KiB), %.1f ms wall, %.1f ms CPU, gzip %.1f ms\n",
              r.series, static_cast<double>(r.plain.size()) / 1024,
              static_cast<double>(r.gzip.size()) / 1024, r.render_ms, r.render_cpu_ms, r.gzip_ms);
  std::printf("memory: RSS %ld KiB now, %ld KiB peak (VmHWM), %ld KiB peak over the cycles "
              "and their renders; %zu partition histories\n",
              ks::bench::status_kib("VmRSS:"), ks::bench::status_kib("VmHWM:"), rss_peak_cycles,
              partitions_tracked);
  std::printf("heap in use: %.1f MiB after the cycles without a body (collector state + "
              "snapshot + librdkafka), %.1f MiB with the writer's families filled, %.1f MiB "
              "with the body and its gzip\n",
              heap_after_cycles, r.heap_writer_mib, heap_mib());
}

int measure(const ks::KafkaConfig& kafka, const Args& a) {
  ks::GroupsCollectorConfig config;
  config.interval = 15s;
  config.max_concurrent_requests = a.concurrency;
  config.source = a.source;
  config.groups.include = {groups_regex(a)};
  ks::Latest<ks::GroupsSnapshot> latest;
  ks::GroupCollector::Options options;
  options.extra_properties["statistics.interval.ms"] = "100";
  ks::GroupCollector collector(kafka, config, latest, options);

  std::printf("bootstrap %s, groups %s (%d), %d requests in flight at most\n",
              a.bootstrap.c_str(), config.groups.include[0].c_str(), a.groups, a.concurrency);
  std::printf("%5s %8s %7s | %6s %6s %6s %7s %7s %6s | %6s %6s %7s  %s\n", "cycle", "wall_ms",
              "cpu_ms", "meta", "list", "descr", "offsets", "wmarks", "eval", "gap_ms", "groups",
              "g.parts", "requests sent (librdkafka statistics)");
  std::shared_ptr<const Rendered> body;
  const Timings timings = run_cycles(collector, latest, a, body);

  const long rss_peak_cycles = ks::bench::status_kib("VmHWM:");
  body.reset();
  const double heap_after_cycles = heap_mib();
  body = render(*latest.get());
  print_summary(a, timings, *body, rss_peak_cycles, heap_after_cycles,
                collector.last_cycle().partitions_tracked);
  if (a.print_metrics) {
    for (const std::string& piece : body->plain.pieces()) std::fwrite(piece.data(), 1, piece.size(), stdout);
  }
  return 0;
}

// KEY=VALUE lines of `path` into the client properties (blank lines and # comments skipped).
void read_properties(const std::string& path, ks::KafkaConfig& kafka) {
  std::FILE* f = std::fopen(path.c_str(), "r");
  if (!f) {
    std::fprintf(stderr, "error: cannot read --properties %s\n", path.c_str());
    std::exit(2);
  }
  char line[4096];
  while (std::fgets(line, sizeof line, f)) {
    std::string text(line);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    const auto eq = text.find('=');
    if (text.empty() || text[0] == '#' || eq == std::string::npos) continue;
    kafka.properties[text.substr(0, eq)] = text.substr(eq + 1);
  }
  std::fclose(f);
}

}  // namespace

int main(int argc, char** argv) {
  ks::tune_allocator();  // as the agent does, so the RSS figures are the agent's
  const Args args = parse(argc, argv);
  spdlog::set_level(spdlog::level::warn);
  ks::KafkaConfig kafka = ks::bench::kafka_config(args.bootstrap);
  if (!args.properties.empty()) read_properties(args.properties, kafka);
  if (args.setup > 0) {
    Client admin = ks::kafka::make_client(kafka, ks::kafka::ClientKind::producer, {}, "bench-admin");
    create_topics(admin, args);
    produce(kafka, args);
    commit_groups(admin, args);
    return 0;
  }
  return measure(kafka, args);
}

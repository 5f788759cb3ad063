// Benchmark (not a test): what each choice of consumer-group families costs per scrape. Builds
// a synthetic groups snapshot shaped like bench_groups_cycle's setup (N groups named
// PREFIX-g0000.., group i on topic PREFIX-t(i mod T), every one of its P partitions
// committed, every partition with lag, lag in seconds and status OK or WARN), renders it with
// each choice of collectors.groups.granularity and exclude_families, and prints one markdown
// table row per choice: series, bytes of text, bytes gzip (the agent's gzip), and the CPU
// time of the render (the least of three: the machine may be shared).
// Only the consumer-group families are rendered (the cluster, host and self-metrics families
// do not depend on the choice). Prints figures; asserts nothing.
//
// Usage: bench_group_cardinality [--groups N] [--topics T] [--partitions P] [--prefix NAME]
// (defaults: 10000 groups, 100 topics, 10 partitions: docs/metrics.md's "Cardinality" table).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "bench/bench_common.hpp"
#include "exporters/prometheus/group_metrics.hpp"
#include "exporters/prometheus/gzip.hpp"

namespace {

using ks::GroupsGranularity;

struct Args {
  int groups = 10000;
  int topics = 100;
  int partitions = 10;
  std::string prefix = "gbench";
};

std::string numbered(const std::string& prefix, const char* format, int i) {
  char digits[16];
  std::snprintf(digits, sizeof digits, format, i);
  return prefix + digits;
}

ks::GroupTopicLag topic_of(const Args& a, int group) {
  ks::GroupTopicLag t;
  t.topic = numbered(a.prefix + "-t", "%03d", group % a.topics);
  for (int p = 0; p < a.partitions; ++p) {
    ks::GroupPartitionLag lag;
    lag.partition = p;
    lag.high_watermark = 2'000'000 + 1'009 * p;
    const std::int64_t behind = (7 * group + 13 * p) % 5000;
    lag.committed = lag.high_watermark - behind;
    lag.low_watermark = 0;
    lag.lag_since_steady_ms = ks::lag_since::for_age(std::round(static_cast<double>(behind) * 13.7) / 1000);  // ms resolution
    lag.status = (group + p) % 17 == 0 ? ks::LagStatus::warn : ks::LagStatus::ok;
    t.committed_sum += lag.committed;
    t.lag_sum += behind;
    ++t.partitions_with_lag;
    t.partitions.push_back(lag);
  }
  t.consumed_per_second = 100.0 + group % 50;
  t.produced_per_second = 100.0 + group % 40;
  return t;
}

ks::GroupsSnapshot snapshot_of(const Args& a) {
  ks::GroupsSnapshot s;
  for (int i = 0; i < a.groups; ++i) {
    ks::GroupLag g;
    g.name = numbered(a.prefix + "-g", "%04d", i);
    g.described = g.offsets_fetched = true;
    g.state = "Stable";
    g.protocol = "range";
    g.members = 1 + i % 3;
    g.topics.push_back(topic_of(a, i));
    for (const auto& p : g.topics.back().partitions) {
      g.max_lag_since_steady_ms = ks::lag_since::older(g.max_lag_since_steady_ms, p.lag_since_steady_ms);
    }
    g.status = ks::LagStatus::ok;
    s.groups.push_back(std::move(g));
  }
  return s;
}

struct Choice {
  const char* granularity_key;
  GroupsGranularity granularity;
  std::vector<std::string> excluded;
  const char* note;
};

void measure(const ks::GroupsSnapshot& s, const Choice& c) {
  const ks::prom::GroupFamilySelection families(c.granularity, c.excluded);
  std::vector<double> ms;
  std::size_t series = 0;
  std::vector<std::string> pieces;
  for (int run = 0; run < 3; ++run) {  // a shared machine: the least CPU of three renders
    const double cpu_before = ks::bench::cpu_seconds();
    ks::prom::ExpositionWriter w;
    ks::prom::render_groups(s, w, families);
    series = w.sample_count();
    pieces = w.finish_pieces();
    ms.push_back((ks::bench::cpu_seconds() - cpu_before) * 1e3);
  }
  std::size_t bytes = 0;
  for (const std::string& p : pieces) bytes += p.size();
  const std::string gzip = ks::prom::gzip_compress(pieces);
  std::sort(ms.begin(), ms.end());
  std::string excluded;
  for (const std::string& e : c.excluded) excluded += (excluded.empty() ? "" : ", ") + e;
  std::printf("| `%s` | %s | %zu | %.1f MB | %.2f MB | %.0f ms | %s |\n", c.granularity_key,
              excluded.empty() ? "none" : excluded.c_str(), series, bytes / 1e6,
              gzip.size() / 1e6, ms[0], c.note);
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  ks::bench::Options("bench_group_cardinality [--groups N] [--topics T] [--partitions P] "
                     "[--prefix NAME]")
      .value("--groups", a.groups)
      .value("--topics", a.topics)
      .value("--partitions", a.partitions)
      .value("--prefix", a.prefix)
      .parse(argc, argv);
  const ks::GroupsSnapshot s = snapshot_of(a);
  std::printf("%d groups x %d partitions (group i on topic i mod %d): consumer-group families "
              "only\n\n",
              a.groups, a.partitions, a.topics);
  std::printf("| granularity | exclude_families | series | text | gzip | render CPU | what |\n"
              "|---|---|---|---|---|---|---|\n");
  const std::vector<std::string> aggregates{
      "kafka_consumergroup_lag_max", "kafka_consumergroup_lag_seconds_max",
      "kafka_consumergroup_partition_status_max", "kafka_consumergroup_status_partitions",
      "kafka_consumergroup_lag_expired_messages_sum"};
  const std::vector<Choice> choices{
      {"partition", GroupsGranularity::partition, {}, "the default"},
      {"partition", GroupsGranularity::partition, aggregates,
       "the families of before the per-topic maxima existed"},
      {"partition", GroupsGranularity::partition,
       {"kafka_consumergroup_lag_seconds", "kafka_consumergroup_current_offset"},
       "per-partition lag and status only"},
      {"topic", GroupsGranularity::topic, {}, "per group and topic"},
  };
  for (const Choice& c : choices) measure(s, c);
  return 0;
}

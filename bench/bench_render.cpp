// Benchmark (not a test): renders synthetic partition-level families, as the cluster and
// group renderers do, for 10k and 100k series, and prints render time, bytes and memory.
// Target at 100k series on this machine class: <= 50 ms and <= 40 MB.
//
// The renderers write {topic, partition} labels with topics and partitions in the text order
// the writer sorts by (see cluster_metrics.cpp), so the writer never sorts. The last line
// measures the other case, a renderer writing lines out of order (the writer then sorts
// every family), to show what that order saves.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <tuple>
#include <vector>

#include "exporters/prometheus/exposition_writer.hpp"
#include "exporters/prometheus/gzip.hpp"

namespace {

long rss_kb() {
  std::ifstream status("/proc/self/status");
  std::string key;
  long value = 0;
  while (status >> key) {
    if (key == "VmRSS:") {
      status >> value;
      return value;
    }
    status.ignore(1 << 20, '\n');
  }
  return 0;
}

long peak_kb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

struct Partition {
  std::string topic;
  std::string partition;
  double high, low;
};

// Ten partition-level families like kafka_topic_partition_*: series = partitions * 10.
void render(const std::vector<Partition>& partitions, bool renderer_order,
            ks::prom::ExpositionWriter& out) {
  static const char* kFamilies[] = {
      "kafka_topic_partition_current_offset", "kafka_topic_partition_oldest_offset",
      "kafka_topic_partition_leader",         "kafka_topic_partition_replicas",
      "kafka_topic_partition_in_sync_replica", "kafka_topic_partition_leader_is_preferred",
      "kafka_topic_partition_under_replicated_partition", "kafka_topic_partition_offline",
      "kafka_topic_partition_under_min_isr",  "kafka_consumergroup_lag"};
  for (const char* family : kFamilies) {
    out.family(family, "synthetic", ks::prom::MetricType::gauge);
    for (const Partition& p : partitions) {
      if (renderer_order) {
        out.sample({{"topic", p.topic}, {"partition", p.partition}}, p.high - p.low);
      } else {
        out.sample({{"partition", p.partition}, {"topic", p.topic}}, p.high - p.low);
      }
    }
  }
}

void run(std::size_t series, bool renderer_order) {
  const std::size_t partitions_count = series / 10;
  std::vector<Partition> partitions;
  partitions.reserve(partitions_count);
  for (std::size_t i = 0; i < partitions_count; ++i) {
    partitions.push_back({"topic-" + std::to_string(i / 10), std::to_string(i % 10),
                          1e9 + static_cast<double>(i) * 7, static_cast<double>(i)});
  }
  if (renderer_order) {  // topics and partitions by label text, as the snapshots hold them
    std::sort(partitions.begin(), partitions.end(), [](const Partition& a, const Partition& b) {
      return std::tie(a.topic, a.partition) < std::tie(b.topic, b.partition);
    });
  }
  // Several renders: the machine is shared, one sample says little. Memory is the peak of
  // the process over all of them (each render's body is freed before the next).
  constexpr int kRuns = 7;
  const long rss_before = rss_kb();
  std::vector<double> render_ms;
  std::size_t samples = 0;
  std::string text;
  auto ms = [](auto d) { return std::chrono::duration<double, std::milli>(d).count(); };
  for (int run = 0; run < kRuns; ++run) {
    text.clear();
    text.shrink_to_fit();
    const auto t0 = std::chrono::steady_clock::now();
    ks::prom::ExpositionWriter writer;
    render(partitions, renderer_order, writer);
    samples = writer.sample_count();
    text = writer.finish();
    render_ms.push_back(ms(std::chrono::steady_clock::now() - t0));
  }
  const auto t1 = std::chrono::steady_clock::now();
  const std::string gz = ks::prom::gzip_compress(text);
  const double gzip_ms = ms(std::chrono::steady_clock::now() - t1);
  std::sort(render_ms.begin(), render_ms.end());
  const double median = render_ms[render_ms.size() / 2];
  const long added_kb = peak_kb() - rss_before;
  std::printf("%-16s %7zu series: render median %6.1f ms (min %6.1f, max %6.1f; %d runs), "
              "gzip %6.1f ms, %9zu bytes (%8zu gzip), RSS before %6ld KB, peak +%ld KB\n",
              renderer_order ? "renderer order" : "out of order", samples, median,
              render_ms.front(), render_ms.back(), kRuns, gzip_ms, text.size(), gz.size(),
              rss_before, added_kb);
  if (renderer_order && samples >= 100'000) {
    // The foundation's target for the agent's own (renderer-order) rendering at 100k series.
    const bool time_ok = median <= 50.0;
    const bool memory_ok = added_kb <= 40 * 1024;
    std::printf("target at 100k series: render <= 50 ms (median %.1f ms: %s), "
                "memory <= 40 MB (+%.1f MB: %s)\n",
                median, time_ok ? "met" : "NOT met", static_cast<double>(added_kb) / 1024,
                memory_ok ? "met" : "NOT met");
  }
}

}  // namespace

int main() {
  run(10'000, true);
  run(100'000, true);
  run(100'000, false);
  return 0;
}

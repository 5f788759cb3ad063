// Benchmark (not a test): one render of the consumer-groups families as the /metrics endpoint
// does it (deflated as written, pieces reused from the last body), on a synthetic snapshot of
// N groups x 10 partitions (default 2,000, as scripts/profile-groups.sh), in three cases:
// - from scratch: nothing to reuse (the first render);
// - again, the same inputs (a render after a cycle where nothing moved);
// - lag in seconds moved on every partition (the profile's workload: groups with lag that do
//   not consume, so only their lag's age grows between two cycles).
// Prints the median CPU time of each over the runs.
//
//   build/bench/bench_render_groups [groups] [runs]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include "agent/allocator_tuning.hpp"
#include "core/groups_snapshot.hpp"
#include "exporters/prometheus/exposition_writer.hpp"
#include "exporters/prometheus/group_metrics.hpp"
#include "exporters/prometheus/gzip_pieces.hpp"

namespace {

double cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

ks::GroupsSnapshot snapshot(int groups) {
  ks::GroupsSnapshot s;
  for (int g = 0; g < groups; ++g) {
    ks::GroupLag& group = s.groups.emplace_back();
    group.name = "bench-" + std::to_string(1000 + g);
    group.described = true;
    group.state = "Stable";
    group.protocol = "range";
    group.members = 1;
    group.offsets_fetched = true;
    group.status = ks::LagStatus::ok;
    ks::GroupTopicLag& topic = group.topics.emplace_back();
    topic.topic = "bench-topic-" + std::to_string(g);
    for (int p = 0; p < 10; ++p) {
      ks::GroupPartitionLag& part = topic.partitions.emplace_back();
      part.partition = p;
      part.committed = 500 + p;
      part.low_watermark = 0;
      part.high_watermark = 1000 + p;
      part.lag_since_steady_ms = ks::lag_since::for_age(100.0 + g * 0.001 + p / 3.0);
      part.status = ks::LagStatus::ok;
      group.max_lag_since_steady_ms =
          ks::lag_since::older(group.max_lag_since_steady_ms, part.lag_since_steady_ms);
      topic.committed_sum += part.committed;
      topic.lag_sum += part.lag();
      ++topic.partitions_with_lag;
    }
  }
  return s;
}

// Seconds pass: every partition's lag is that much older (the rows hold when their lag is
// measured from; the snapshot's "now" moves).
void age(ks::GroupsSnapshot& s, double seconds) {
  s.taken_at_steady_ms += static_cast<std::int64_t>(seconds * 1000);
}

// CPU ms of one render; `bytes` gets the gzip's size.
double render(const ks::GroupsSnapshot& s, ks::prom::GzipPieces& gzip, std::size_t& bytes) {
  const double started = cpu_ms();
  ks::prom::ExpositionWriter w;
  w.deflate_into(gzip);
  ks::prom::render_groups(s, w);
  bytes = w.finish_gzip().size();
  return cpu_ms() - started;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  ks::tune_allocator();  // as the agent: blocks of 128 KiB or more in their own mappings
  const int groups = argc > 1 ? std::atoi(argv[1]) : 2000;
  const int runs = argc > 2 ? std::atoi(argv[2]) : 9;
  ks::GroupsSnapshot s = snapshot(groups);
  std::vector<double> scratch, same, aged;
  std::size_t bytes = 0;
  for (int i = 0; i < runs; ++i) {
    ks::prom::GzipPieces gzip;
    scratch.push_back(render(s, gzip, bytes));
    same.push_back(render(s, gzip, bytes));
    age(s, 15.0123);
    aged.push_back(render(s, gzip, bytes));
  }
  std::printf("%d groups x 10 partitions, gzip %.1f KiB, median of %d runs, CPU ms per render:\n",
              groups, static_cast<double>(bytes) / 1024, runs);
  std::printf("  from scratch %.1f, again unchanged %.1f, lag in seconds moved %.1f\n",
              median(scratch), median(same), median(aged));
}

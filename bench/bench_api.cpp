// Benchmark (not a test): the JSON API at 2,000 consumer groups x 10 partitions (synthetic
// snapshots, the real HTTP server on loopback). Prints the render of /api/v1/groups (the
// first request after a new snapshot), the cached answers' latency over keep-alive
// requests, and /metrics latency alone and while another client reads
// /api/v1/groups?partitions=true in a loop: the ratio says whether serving the API slows
// the scrape. Target: /api/v1/groups under 50 ms from the cache.
#include <httplib.h>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "agent/api_router.hpp"
#include "agent/api_routes.hpp"
#include "agent/http_server.hpp"
#include "agent/self_metrics.hpp"
#include "exporters/prometheus/group_metrics.hpp"

namespace {

using Clock = std::chrono::steady_clock;

std::shared_ptr<const ks::GroupsSnapshot> synthetic(int groups, int partitions) {
  auto s = std::make_shared<ks::GroupsSnapshot>();
  s->taken_at = std::chrono::system_clock::now();
  for (int i = 0; i < groups; ++i) {
    ks::GroupLag g;
    g.name = fmt::format("bench-group-{:05d}", i);
    g.described = true;
    g.state = "Stable";
    g.members = 3;
    g.offsets_fetched = true;
    g.status = ks::LagStatus::ok;
    ks::GroupTopicLag t;
    t.topic = fmt::format("bench-topic-{:03d}", i % 200);
    for (int p = 0; p < partitions; ++p) {
      t.partitions.push_back({p, 1000000 + p, 0, 1000100 + p, 100, 0, 1.5, false, ks::LagStatus::ok});
      t.lag_sum += 100;
    }
    t.catch_up_seconds = 12.0;
    g.topics.push_back(std::move(t));
    s->groups.push_back(std::move(g));
  }
  return s;
}

// Milliseconds of `n` GETs of `path` on one kept-alive connection: p50 and p99.
std::pair<double, double> latency(const std::string& url, const std::string& path, int n) {
  httplib::Client client(url);
  client.set_keep_alive(true);
  std::vector<double> ms;
  for (int i = 0; i < n; ++i) {
    const auto start = Clock::now();
    const auto r = client.Get(path.c_str());
    if (!r || r->status != 200) throw std::runtime_error("GET " + path + " failed");
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms[ms.size() * 99 / 100]};
}

}  // namespace

int main() {
  constexpr int kGroups = 2000, kPartitions = 10, kRequests = 200;
  ks::SelfMetrics self;
  ks::MetricsEndpoint metrics(self);
  ks::Snapshots snapshots;
  snapshots.groups.publish(synthetic(kGroups, kPartitions));
  metrics.add_renderer([&](ks::prom::ExpositionWriter& out) {
    if (auto s = snapshots.groups.get()) ks::prom::render_groups(*s, out);
  });
  ks::ApiSources sources;
  sources.snapshots = &snapshots;
  ks::ApiRouter router(sources);
  ks::HttpServer server(ks::HttpConfig{"127.0.0.1", 0, "", false}, metrics, [] {
    return std::vector<ks::CollectorStatus>{};
  });
  server.add_prefix_route("/api/", ks::api_handler(router));
  server.start();
  const std::string url = "http://127.0.0.1:" + std::to_string(server.bound_port());

  fmt::print("{} groups x {} partitions\n", kGroups, kPartitions);
  for (const char* path : {"/api/v1/groups", "/api/v1/groups?partitions=true"}) {
    const auto start = Clock::now();
    const auto body = httplib::Client(url).Get(path);
    const double first = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    const auto [p50, p99] = latency(url, path, kRequests);
    fmt::print("{:<32} {:>8} bytes  first (render) {:7.1f} ms  cached p50 {:6.2f} ms  p99 {:6.2f} ms\n",
               path, body ? body->body.size() : 0, first, p50, p99);
  }
  (void)latency(url, "/metrics", 5);  // rendered and cached once
  const auto [alone50, alone99] = latency(url, "/metrics", kRequests);
  std::atomic<bool> stop{false};
  std::thread api_load([&] {
    httplib::Client client(url);
    while (!stop) (void)client.Get("/api/v1/groups?partitions=true");
  });
  const auto [busy50, busy99] = latency(url, "/metrics", kRequests);
  stop = true;
  api_load.join();
  fmt::print("/metrics alone p50 {:.2f} ms p99 {:.2f} ms; with an /api reader p50 {:.2f} ms p99 {:.2f} ms "
             "(ratio p50 {:.2f})\n", alone50, alone99, busy50, busy99, busy50 / alone50);
  server.stop(std::chrono::steady_clock::now() + std::chrono::seconds(5));
  return 0;
}

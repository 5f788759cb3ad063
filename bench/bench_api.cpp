// Benchmark (not a test): the JSON API and the status page at 2,000 consumer groups x 10
// partitions (synthetic snapshots: 200 topics x 10 partitions, 3 brokers; the real HTTP
// server on loopback). Prints:
//   1. every request the status page makes (/, then /api/v1/cluster, groups, topics and
//      events each refresh), and those of `kafka-sentinel lag`: the first one after a new
//      snapshot (the render) and the cached answers' p50/p99 over keep-alive requests.
//      Target: each under 50 ms from the cache.
//   2. /metrics (gzip, as Prometheus asks) scraped back to back, in alternating phases
//      without and with an operator's load on the API, and the ratio of their p50s. The
//      load runs in a process of its own (this program, --operator-load URL), so it costs
//      the server what a browser and a shell would, not a thread of the measuring process,
//      at a capped rate: one status page refreshing every second (4 requests; the page's
//      fastest, ?refresh=1), 4 `lag --group G` a second (one connection each) and one
//      `lag --all` (/api/v1/groups?partitions=true, 4 MB) every 2 s.
#include <httplib.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstring>
#include <thread>
#include <vector>

#include "agent/api_router.hpp"
#include "agent/api_routes.hpp"
#include "agent/http_server.hpp"
#include "agent/self_metrics.hpp"
#include "exporters/prometheus/cluster_metrics.hpp"
#include "exporters/prometheus/group_metrics.hpp"

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kGroups = 2000, kPartitions = 10, kTopics = 200, kBrokers = 3;

std::shared_ptr<const ks::GroupsSnapshot> synthetic_groups() {
  auto s = std::make_shared<ks::GroupsSnapshot>();
  s->taken_at = std::chrono::system_clock::now();
  for (int i = 0; i < kGroups; ++i) {
    ks::GroupLag g;
    g.name = fmt::format("bench-group-{:05d}", i);
    g.described = true;
    g.state = "Stable";
    g.members = 3;
    g.offsets_fetched = true;
    g.status = ks::LagStatus::ok;
    ks::GroupTopicLag t;
    t.topic = fmt::format("bench-topic-{:03d}", i % kTopics);
    for (int p = 0; p < kPartitions; ++p) {
      t.partitions.push_back({.partition = p,
                              .committed = 1000000 + p,
                              .low_watermark = 0,
                              .high_watermark = 1000100 + p,
                              .lag_since_steady_ms = ks::lag_since::for_age(1.5),
                              .status = ks::LagStatus::ok});
      t.lag_sum += 100;
    }
    t.catch_up_seconds = 12.0;
    g.topics.push_back(std::move(t));
    s->groups.push_back(std::move(g));
  }
  return s;
}

ks::TopicState synthetic_topic(int i) {
  ks::TopicState t;
  t.name = fmt::format("bench-topic-{:03d}", i);
  t.min_insync_replicas = 2;
  t.messages_in_per_second = 10.0;
  for (int p = 0; p < kPartitions; ++p) {
    ks::PartitionState ps;
    ps.id = p;
    ps.leader = p % kBrokers;
    ps.replicas_begin = static_cast<std::uint32_t>(t.replica_ids.size());
    ps.replica_count = ps.isr_count = kBrokers;
    for (int r = 0; r < 2 * kBrokers; ++r) t.replica_ids.push_back((p + r) % kBrokers);
    ps.high_watermark = 1000100 + p;
    ps.low_watermark = 0;
    ps.leader_is_preferred = true;
    t.partitions.push_back(ps);
  }
  return t;
}

std::shared_ptr<const ks::ClusterSnapshot> synthetic_cluster() {
  auto s = std::make_shared<ks::ClusterSnapshot>();
  s->taken_at = std::chrono::system_clock::now();
  s->up = true;
  s->cluster_id = "bench-cluster";
  s->controller_id = 0;
  for (int b = 0; b < kBrokers; ++b) {
    s->brokers.push_back({b, "127.0.0.1", 9092 + b, "", true, true, s->taken_at,
                          kTopics * kPartitions, kTopics * kPartitions / kBrokers, 0});
  }
  for (int i = 0; i < kTopics; ++i) s->topics.push_back(synthetic_topic(i));
  s->partition_count = kTopics * kPartitions;
  return s;
}

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

struct Percentiles {
  double p50 = 0, p99 = 0;
};

Percentiles percentiles(std::vector<double> ms) {
  if (ms.empty()) return {};
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms[ms.size() * 99 / 100]};
}

// Milliseconds of each GET of `path` on one kept-alive connection, `n` of them or until
// `until`, whichever comes first; asking for gzip (as Prometheus does) or not.
std::vector<double> timings(const std::string& url, const std::string& path, int n,
                            Clock::time_point until = Clock::time_point::max(), bool gzip = true) {
  httplib::Client client(url);
  client.set_keep_alive(true);
  client.set_decompress(false);
  const httplib::Headers headers{{"Accept-Encoding", gzip ? "gzip" : "identity"}};
  std::vector<double> ms;
  for (int i = 0; i < n && Clock::now() < until; ++i) {
    const auto start = Clock::now();
    const auto r = client.Get(path.c_str(), headers);
    if (!r || r->status != 200) throw std::runtime_error("GET " + path + " failed");
    ms.push_back(ms_since(start));
  }
  return ms;
}

// --- the operator's load (a process of its own) ---

std::atomic<bool> g_paused{true};
std::atomic<bool> g_stop{false};

void on_signal(int sig) {
  if (sig == SIGUSR1) g_paused = true;
  if (sig == SIGUSR2) g_paused = false;
  if (sig == SIGTERM) g_stop = true;
}

struct Stream {
  std::chrono::milliseconds every;
  std::function<void()> request;
  Clock::time_point due{};
  int done = 0;
};

// Runs until SIGTERM, the parent's exit or two minutes (bounded by itself). SIGUSR1 pauses
// it, SIGUSR2 resumes it (it starts paused); paused time is not made up for.
int operator_load(const std::string& url) {
  std::signal(SIGUSR1, on_signal);
  std::signal(SIGUSR2, on_signal);
  std::signal(SIGTERM, on_signal);
  sigset_t mine;  // blocked by the parent until the handlers are in place
  sigemptyset(&mine);
  sigprocmask(SIG_SETMASK, &mine, nullptr);
  const pid_t parent = getppid();
  httplib::Client page(url);  // the browser keeps its connection
  page.set_keep_alive(true);
  int next_group = 0;
  std::vector<Stream> streams;
  streams.push_back({std::chrono::milliseconds(1000), [&] {
    for (const char* p : {"/api/v1/cluster", "/api/v1/groups", "/api/v1/topics", "/api/v1/events"}) (void)page.Get(p);
  }});
  streams.push_back({std::chrono::milliseconds(250), [&] {
    next_group = (next_group + 397) % kGroups;
    (void)httplib::Client(url).Get(fmt::format("/api/v1/groups/bench-group-{:05d}", next_group));
  }});
  streams.push_back({std::chrono::milliseconds(2000), [&] {
    (void)httplib::Client(url).Get("/api/v1/groups?partitions=true");
  }});
  const auto give_up = Clock::now() + std::chrono::minutes(2);
  bool was_paused = true;
  while (!g_stop && getppid() == parent && Clock::now() < give_up) {
    if (g_paused) {
      was_paused = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      continue;
    }
    if (was_paused) {
      for (Stream& s : streams) s.due = Clock::now();
      was_paused = false;
    }
    for (Stream& s : streams) {
      if (Clock::now() < s.due) continue;
      s.request();
      ++s.done;
      s.due += s.every;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  fmt::print("operator load done: {} page refreshes, {} lag --group, {} lag --all\n",
             streams[0].done, streams[1].done, streams[2].done);
  return 0;
}

pid_t spawn_operator_load(const std::string& url) {
  std::string self(4096, '\0');
  const ssize_t n = ::readlink("/proc/self/exe", self.data(), self.size() - 1);
  if (n <= 0) throw std::runtime_error("cannot find this program's path");
  self.resize(static_cast<std::size_t>(n));
  std::string flag = "--operator-load";
  std::string target = url;
  char* argv[] = {self.data(), flag.data(), target.data(), nullptr};
  // The child starts with its control signals blocked: a signal sent before it has its
  // handlers waits instead of killing it.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t blocked;
  sigemptyset(&blocked);
  for (const int sig : {SIGUSR1, SIGUSR2, SIGTERM}) sigaddset(&blocked, sig);
  posix_spawnattr_setsigmask(&attributes, &blocked);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, self.c_str(), nullptr, &attributes, argv, environ);
  posix_spawnattr_destroy(&attributes);
  if (rc != 0) throw std::runtime_error("cannot start the operator load");
  return pid;
}

// --- the measurements ---

void print_requests(const std::string& url) {
  fmt::print("{:<36} {:>9}  {:>13}  {:>17}\n", "request (status page, lag)", "bytes",
             "first (render)", "cached p50 / p99");
  for (const char* path : {"/", "/api/v1/cluster", "/api/v1/groups", "/api/v1/topics", "/api/v1/events",
                           "/api/v1/groups/bench-group-00042", "/api/v1/groups?partitions=true"}) {
    const auto start = Clock::now();
    const auto body = httplib::Client(url).Get(path);
    const double first = ms_since(start);
    if (!body || body->status != 200) throw std::runtime_error(std::string("GET ") + path + " failed");
    const Percentiles cached = percentiles(timings(url, path, 200));
    fmt::print("{:<36} {:>9}  {:>10.1f} ms  {:>6.2f} / {:>6.2f} ms\n", path, body->body.size(), first,
               cached.p50, cached.p99);
  }
}

// /metrics in alternating phases, alone and beside the operator's load.
void print_metrics_ratio(const std::string& url, bool gzip) {
  constexpr int kRounds = 4;
  constexpr auto kPhase = std::chrono::seconds(2);
  constexpr auto kSettle = std::chrono::milliseconds(300);  // a request in flight ends
  (void)timings(url, "/metrics", 5);                        // rendered and cached once
  const pid_t load = spawn_operator_load(url);
  std::vector<double> alone, loaded;
  for (int round = 0; round < kRounds; ++round) {
    ::kill(load, SIGUSR1);
    std::this_thread::sleep_for(kSettle);
    auto a = timings(url, "/metrics", 1 << 20, Clock::now() + kPhase, gzip);
    alone.insert(alone.end(), a.begin(), a.end());
    ::kill(load, SIGUSR2);
    auto b = timings(url, "/metrics", 1 << 20, Clock::now() + kPhase, gzip);
    loaded.insert(loaded.end(), b.begin(), b.end());
  }
  std::fflush(stdout);
  ::kill(load, SIGTERM);
  int status = 0;
  ::waitpid(load, &status, 0);
  const Percentiles a = percentiles(alone), b = percentiles(loaded);
  fmt::print("/metrics ({}), {} x {} s phases each: alone p50 {:.2f} ms p99 {:.2f} ms ({} scrapes); "
             "beside the operator load p50 {:.2f} ms p99 {:.2f} ms ({} scrapes); ratio p50 {:.2f}\n",
             gzip ? "gzip" : "plain", kRounds, std::chrono::seconds(kPhase).count(), a.p50, a.p99,
             alone.size(), b.p50, b.p99, loaded.size(), b.p50 / a.p50);
}

int measure() {
  ks::SelfMetrics self;
  ks::MetricsEndpoint metrics(self);
  ks::Snapshots snapshots;
  snapshots.groups.publish(synthetic_groups());
  snapshots.cluster.publish(synthetic_cluster());
  auto health = std::make_shared<ks::HealthEventsSnapshot>();
  health->taken_at = std::chrono::system_clock::now();
  snapshots.health.publish(health);
  metrics.add_renderer([&](ks::prom::ExpositionWriter& out) {
    if (auto s = snapshots.cluster.get()) ks::prom::render_cluster(*s, out);
    if (auto s = snapshots.groups.get()) ks::prom::render_groups(*s, out);
  });
  ks::ApiSources sources;
  sources.snapshots = &snapshots;
  sources.events_enabled = true;
  ks::ApiRouter router(sources);
  ks::HttpServer server(ks::HttpConfig{"127.0.0.1", 0, "", false}, metrics, [] {
    return std::vector<ks::CollectorStatus>{};
  });
  server.add_prefix_route("/api/", ks::api_handler(router));
  server.start();
  const std::string url = "http://127.0.0.1:" + std::to_string(server.bound_port());
  fmt::print("{} groups x {} partitions, {} topics x {} partitions, {} brokers\n", kGroups, kPartitions,
             kTopics, kPartitions, kBrokers);
  print_requests(url);
  const auto metrics_body = metrics.current();
  fmt::print("/metrics body: {} bytes plain, {} gzip\n", metrics_body->plain_size, metrics_body->gzip.size());
  print_metrics_ratio(url, true);
  print_metrics_ratio(url, false);
  server.stop(std::chrono::steady_clock::now() + std::chrono::seconds(5));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "--operator-load") == 0) return operator_load(argv[2]);
  if (argc != 1) {
    std::fprintf(stderr, "usage: bench_api (the --operator-load URL form is its own child)\n");
    return 2;
  }
  return measure();
}

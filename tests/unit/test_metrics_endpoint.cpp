// The /metrics cache (agent/metrics_endpoint.hpp): one render per generation; a scrape that
// arrives while another renders gets the previous body instead of queueing behind the render;
// after withdraw() nothing rendered before is served, not even meanwhile.
#include <catch2/catch.hpp>

#include <condition_variable>
#include <future>
#include <mutex>

#include "agent/metrics_endpoint.hpp"
#include "agent/self_metrics.hpp"

using namespace std::chrono_literals;

namespace {

// A renderer that writes its round's number and, when told to, blocks until released (a slow
// render, as at thousands of groups).
struct GatedRenderer {
  std::mutex mutex;
  std::condition_variable changed;
  int round = 0;
  bool block = false;
  bool blocked = false;

  void operator()(ks::prom::ExpositionWriter& writer) {
    std::unique_lock lock(mutex);
    ++round;
    writer.family("test_round", "The render's number.", ks::prom::MetricType::gauge);
    writer.sample({}, round);
    blocked = block;
    changed.notify_all();
    changed.wait(lock, [&] { return !block; });
    blocked = false;
  }
  void hold() {
    std::lock_guard lock(mutex);
    block = true;
  }
  void wait_blocked() {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return blocked; });
  }
  void release() {
    std::lock_guard lock(mutex);
    block = false;
    changed.notify_all();
  }
};

}  // namespace

TEST_CASE("a scrape during a render gets the previous body at once", "[metrics][cache]") {
  ks::SelfMetrics self;
  ks::MetricsEndpoint endpoint(self);
  GatedRenderer renderer;
  endpoint.add_renderer([&](ks::prom::ExpositionWriter& w) { renderer(w); });

  const auto first = endpoint.current();
  CHECK(endpoint.current() == first);  // cached: no second render
  CHECK(renderer.round == 1);

  endpoint.invalidate();
  renderer.hold();
  auto rendering = std::async(std::launch::async, [&] { return endpoint.current(); });
  renderer.wait_blocked();
  // Bounded: with scrapes queued behind the render, this one would wait until the release.
  auto meanwhile = std::async(std::launch::async, [&] { return endpoint.current(); });
  const bool served_meanwhile = meanwhile.wait_for(30s) == std::future_status::ready;
  renderer.release();  // before any check can end the test with the render still held
  REQUIRE(served_meanwhile);
  CHECK(meanwhile.get() == first);
  const auto second = rendering.get();
  CHECK(second->generation > first->generation);
  CHECK(endpoint.current() == second);
  CHECK(renderer.round == 2);
}

TEST_CASE("after withdraw() the previous body is never served, even during the render",
          "[metrics][cache]") {
  ks::SelfMetrics self;
  ks::MetricsEndpoint endpoint(self);
  GatedRenderer renderer;
  endpoint.add_renderer([&](ks::prom::ExpositionWriter& w) { renderer(w); });
  const auto first = endpoint.current();

  endpoint.withdraw();
  renderer.hold();
  auto rendering = std::async(std::launch::async, [&] { return endpoint.current(); });
  renderer.wait_blocked();
  auto meanwhile = std::async(std::launch::async, [&] { return endpoint.current(); });
  // It waits for the new body: still waiting while the render is held (a ready future here
  // could only hold the withdrawn body).
  const bool waited_for_render = meanwhile.wait_for(200ms) == std::future_status::timeout;
  renderer.release();
  CHECK(waited_for_render);
  const auto second = rendering.get();
  const auto waited = meanwhile.get();
  CHECK(second != first);
  CHECK(waited != first);
  CHECK(waited->generation >= second->generation);
}

TEST_CASE("a render that a withdraw() overtook is not cached", "[metrics][cache]") {
  ks::SelfMetrics self;
  ks::MetricsEndpoint endpoint(self);
  GatedRenderer renderer;
  endpoint.add_renderer([&](ks::prom::ExpositionWriter& w) { renderer(w); });
  (void)endpoint.current();

  endpoint.invalidate();
  renderer.hold();
  auto rendering = std::async(std::launch::async, [&] { return endpoint.current(); });
  renderer.wait_blocked();
  endpoint.withdraw();  // e.g. a fleet role lost while the render reads the old roles
  renderer.release();
  const auto overtaken = rendering.get();  // still answers the request that asked before
  const auto next = endpoint.current();
  CHECK(next != overtaken);
  CHECK(next->generation > overtaken->generation);
  CHECK(renderer.round == 3);
}

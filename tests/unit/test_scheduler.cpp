#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "agent/scheduler.hpp"
#include "agent/self_metrics.hpp"

using namespace std::chrono_literals;

namespace {

// Counts its cycles; fails, hangs or succeeds as told.
class FakeCollector final : public ks::Collector {
 public:
  enum class Mode { ok, fail, hang };
  FakeCollector(std::string name, Mode mode, std::atomic<int>& cycles)
      : name_(std::move(name)), mode_(mode), cycles_(cycles) {}
  std::string_view name() const override { return name_; }
  std::chrono::milliseconds interval() const override { return 20ms; }
  void collect_once(std::stop_token) override {
    ++cycles_;
    if (mode_ == Mode::fail) throw ks::CollectError("broker unreachable");
    if (mode_ == Mode::hang) std::this_thread::sleep_for(3s);
  }

 private:
  std::string name_;
  Mode mode_;
  std::atomic<int>& cycles_;
};

}  // namespace

TEST_CASE("a failing or hung collector neither stops nor delays the others", "[scheduler]") {
  ks::SelfMetrics self;
  std::atomic<int> on_cycle{0};
  ks::Scheduler scheduler(self, [&] { ++on_cycle; });
  std::atomic<int> good{0}, bad{0}, hung{0};
  scheduler.add(std::make_unique<FakeCollector>("good", FakeCollector::Mode::ok, good));
  scheduler.add(std::make_unique<FakeCollector>("bad", FakeCollector::Mode::fail, bad));
  scheduler.add(std::make_unique<FakeCollector>("hung", FakeCollector::Mode::hang, hung));
  scheduler.start();
  // Wait (bounded) until the good collector has run several times.
  for (int i = 0; i < 500 && good < 5; ++i) std::this_thread::sleep_for(10ms);
  CHECK(good >= 5);
  CHECK(bad >= 2);
  CHECK(hung == 1);  // still inside its first, hung cycle

  auto statuses = scheduler.statuses();
  REQUIRE(statuses.size() == 3);
  CHECK(statuses[0].ever_succeeded);
  CHECK(statuses[0].last_error.empty());
  CHECK_FALSE(statuses[1].ever_succeeded);
  CHECK(statuses[1].last_error == "broker unreachable");
  CHECK(statuses[1].errors == statuses[1].runs);
  CHECK(statuses[2].runs == 0);
  CHECK(on_cycle >= 7);

  const auto still_running = scheduler.stop(200ms);
  CHECK(still_running == std::vector<std::string>{"hung"});
}

TEST_CASE("stop wakes collectors waiting for their next interval at once", "[scheduler]") {
  ks::SelfMetrics self;
  ks::Scheduler scheduler(self, {});
  std::atomic<int> cycles{0};
  scheduler.add(std::make_unique<FakeCollector>("c", FakeCollector::Mode::ok, cycles));
  scheduler.start();
  for (int i = 0; i < 200 && cycles < 1; ++i) std::this_thread::sleep_for(5ms);
  CHECK(scheduler.stop(2s).empty());
}

TEST_CASE("wake starts the named collector's next cycle at once", "[scheduler]") {
  ks::SelfMetrics self;
  ks::Scheduler scheduler(self, {});
  std::atomic<int> slow{0}, other{0};
  // A collector with a long interval: only a wake can run it twice in this test.
  class Slow final : public ks::Collector {
   public:
    Slow(std::string name, std::atomic<int>& cycles) : name_(std::move(name)), cycles_(cycles) {}
    std::string_view name() const override { return name_; }
    std::chrono::milliseconds interval() const override { return 60s; }
    void collect_once(std::stop_token) override { ++cycles_; }

   private:
    std::string name_;
    std::atomic<int>& cycles_;
  };
  scheduler.add(std::make_unique<Slow>("brokers", slow));
  scheduler.add(std::make_unique<Slow>("groups", other));
  scheduler.start();
  for (int i = 0; i < 200 && (slow < 1 || other < 1); ++i) std::this_thread::sleep_for(5ms);
  REQUIRE(slow == 1);
  scheduler.wake("brokers");
  for (int i = 0; i < 200 && slow < 2; ++i) std::this_thread::sleep_for(5ms);
  CHECK(slow == 2);
  CHECK(other == 1);
  CHECK(scheduler.stop(2s).empty());
}

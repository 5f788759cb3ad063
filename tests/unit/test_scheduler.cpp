#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <optional>
#include <string>
#include <thread>

#include "agent/http_server.hpp"
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

// A collector with a long interval: after its first cycle it waits a minute for the next,
// unless woken or stopped.
class Slow final : public ks::Collector {
 public:
  static constexpr std::chrono::milliseconds kInterval = 60s;
  Slow(std::string name, std::atomic<int>& cycles) : name_(std::move(name)), cycles_(cycles) {}
  std::string_view name() const override { return name_; }
  std::chrono::milliseconds interval() const override { return kInterval; }
  void collect_once(std::stop_token) override { ++cycles_; }

 private:
  std::string name_;
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
  scheduler.add(std::make_unique<Slow>("c", cycles));
  scheduler.start();
  for (int i = 0; i < 400 && cycles < 1; ++i) std::this_thread::sleep_for(5ms);
  REQUIRE(cycles == 1);  // now waiting up to a minute for its next cycle
  // Only the stop can end that wait. Stopping must not wait for the interval, nor for the
  // deadline (5 s: a stop that did not wake the collector would give up on it then).
  const auto before = std::chrono::steady_clock::now();
  CHECK(scheduler.stop(5s).empty());
  const auto took = std::chrono::steady_clock::now() - before;
  CHECK(took < Slow::kInterval / 60);
  CHECK(cycles == 1);
}

TEST_CASE("a collector hung in a call is given up on after the stop budget", "[scheduler]") {
  ks::SelfMetrics self;
  // The part's deadline is far off; the scheduler's own budget (100 ms) ends the wait for
  // the hung collector (3 s) first.
  ks::Scheduler scheduler(self, {}, 100ms);
  std::atomic<int> hung{0}, slow{0};
  scheduler.add(std::make_unique<FakeCollector>("hung", FakeCollector::Mode::hang, hung));
  scheduler.add(std::make_unique<Slow>("slow", slow));
  scheduler.start();
  for (int i = 0; i < 400 && (hung < 1 || slow < 1); ++i) std::this_thread::sleep_for(5ms);
  REQUIRE(hung == 1);
  ks::Part& part = scheduler;
  part.request_stop();
  CHECK_FALSE(part.stop(std::chrono::steady_clock::now() + 10s));
  CHECK(scheduler.abandoned() == std::vector<std::string>{"hung"});
  CHECK(scheduler.statuses().size() == 1);  // the slow one, joined
}

// The events pipeline, the fleet and /readyz call statuses() and wake() from their own
// threads while the agent stops. A slot given up on used to be set to null outside the lock
// that statuses() holds: a data race (TSan reports it) and a null dereference when a
// statuses() call fell between that and the slot's removal.
TEST_CASE("statuses and wake from other threads while stop gives up on a hung collector", "[scheduler]") {
  ks::SelfMetrics self;
  ks::Scheduler scheduler(self, {}, 100ms);
  std::atomic<int> hung{0}, slow{0};
  scheduler.add(std::make_unique<FakeCollector>("hung", FakeCollector::Mode::hang, hung));
  scheduler.add(std::make_unique<Slow>("slow", slow));
  scheduler.start();
  for (int i = 0; i < 400 && (hung < 1 || slow < 1); ++i) std::this_thread::sleep_for(5ms);
  REQUIRE(hung == 1);
  std::atomic<bool> stopped{false};
  std::atomic<int> calls{0};
  std::size_t fewest = 2;
  std::thread reader([&] {
    while (!stopped) {
      fewest = std::min(fewest, scheduler.statuses().size());
      scheduler.wake("slow");
      ++calls;
    }
  });
  // The reader's calls span the whole stop: some before it, some after the removal.
  const auto reader_calls = [&](int at_least) {
    for (int i = 0; i < 10000 && calls < at_least; ++i) std::this_thread::sleep_for(1ms);
    return calls >= at_least;
  };
  CHECK(reader_calls(1));
  ks::Part& part = scheduler;
  part.request_stop();
  CHECK_FALSE(part.stop(std::chrono::steady_clock::now() + 10s));
  CHECK(reader_calls(calls + 2));
  stopped = true;
  reader.join();
  CHECK(fewest == 1);  // the reader saw the hung slot removed
  CHECK(scheduler.abandoned() == std::vector<std::string>{"hung"});
}

TEST_CASE("a collector without a positive interval fails validation, naming its key", "[scheduler]") {
  class Zero final : public ks::Collector {
   public:
    std::string_view name() const override { return "host"; }
    std::chrono::milliseconds interval() const override { return 0ms; }
    void collect_once(std::stop_token) override {}
  };
  ks::SelfMetrics self;
  ks::Scheduler scheduler(self, {});
  std::atomic<int> cycles{0};
  scheduler.add(std::make_unique<Slow>("brokers", cycles));
  CHECK_NOTHROW(scheduler.validate());
  scheduler.add(std::make_unique<Zero>());
  CHECK_THROWS_WITH(scheduler.validate(), "collectors.host.interval: must be positive, got 0ms");
}

TEST_CASE("wake starts the named collector's next cycle at once", "[scheduler]") {
  ks::SelfMetrics self;
  ks::Scheduler scheduler(self, {});
  std::atomic<int> slow{0}, other{0};
  // Collectors with a long interval: only a wake can run one twice in this test.
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

namespace {

// Its first cycle reads a backlog: it runs until released, saying how far it is.
class Loading final : public ks::Collector {
 public:
  std::string_view name() const override { return "groups"; }
  std::chrono::milliseconds interval() const override { return 20ms; }
  void collect_once(std::stop_token stop) override {
    while (!released && !stop.stop_requested()) {
      records += 100;
      std::this_thread::sleep_for(1ms);
    }
    loaded = true;
  }
  std::optional<ks::LoadingProgress> loading() const override {
    if (loaded) return std::nullopt;
    return ks::LoadingProgress{records.load(), 42.5, "reading __consumer_offsets"};
  }
  std::string status_note() const override { return "source offsets_topic"; }
  std::atomic<bool> released{false};
  std::atomic<bool> loaded{false};
  std::atomic<std::uint64_t> records{0};
};

}  // namespace

TEST_CASE("a loading collector is not ready and not failing; /readyz says how far",
          "[scheduler][readyz]") {
  ks::SelfMetrics self;
  ks::Scheduler scheduler(self, [] {});
  auto owned = std::make_unique<Loading>();
  Loading& collector = *owned;
  scheduler.add(std::move(owned));
  scheduler.start();
  for (int i = 0; i < 500 && collector.records < 1000; ++i) std::this_thread::sleep_for(10ms);

  auto statuses = scheduler.statuses();
  REQUIRE(statuses.size() == 1);
  REQUIRE(statuses[0].loading.has_value());
  CHECK(statuses[0].loading->percent == Approx(42.5));
  CHECK(statuses[0].errors == 0);  // loading is not failing
  bool ready = true;
  const std::string body = ks::readiness_json(statuses, ready);
  CHECK_FALSE(ready);
  CHECK(body.find("\"loading\"") != std::string::npos);
  CHECK(body.find("reading __consumer_offsets") != std::string::npos);
  CHECK(body.find("\"percent\":42.5") != std::string::npos);
  CHECK(body.find("\"note\":\"source offsets_topic\"") != std::string::npos);

  collector.released = true;
  for (int i = 0; i < 500 && !scheduler.statuses()[0].ever_succeeded; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  statuses = scheduler.statuses();
  CHECK(statuses[0].ever_succeeded);
  CHECK_FALSE(statuses[0].loading.has_value());
  ks::readiness_json(statuses, ready);
  CHECK(ready);
  scheduler.stop(2s);
}

#include <catch2/catch.hpp>

#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "agent/part_list.hpp"

using namespace std::chrono_literals;

namespace {

// What the parts were asked, in order.
struct Calls {
  std::mutex mutex;
  std::vector<std::string> log;
  std::vector<ks::Deadline> deadlines;
  void add(std::string call) {
    std::lock_guard lock(mutex);
    log.push_back(std::move(call));
  }
};

class FakePart final : public ks::Part {
 public:
  enum class Fault { none, bad_config, cannot_start, misses_deadline };
  FakePart(std::string name, Calls& calls, Fault fault = Fault::none)
      : name_(std::move(name)), calls_(calls), fault_(fault) {}

  std::string_view name() const override { return name_; }
  void validate() const override {
    calls_.add("validate " + name_);
    if (fault_ == Fault::bad_config) throw ks::PartConfigError("fake." + name_, "is bad");
  }
  void start() override {
    calls_.add("start " + name_);
    if (fault_ == Fault::cannot_start) throw std::runtime_error("no spool");
  }
  void request_stop() override { calls_.add("request_stop " + name_); }
  bool stop(ks::Deadline deadline) override {
    calls_.add("stop " + name_);
    {
      std::lock_guard lock(calls_.mutex);
      calls_.deadlines.push_back(deadline);
    }
    if (fault_ != Fault::misses_deadline) return true;
    std::this_thread::sleep_until(deadline + 1ms);
    return std::chrono::steady_clock::now() <= deadline;
  }

 private:
  std::string name_;
  Calls& calls_;
  Fault fault_;
};

using Log = std::vector<std::string>;

}  // namespace

TEST_CASE("parts start in list order and stop in reverse, all asked to stop first", "[parts]") {
  Calls calls;
  FakePart http("http", calls), events("events", calls), collectors("collectors", calls);
  ks::PartList parts;
  parts.add(http);
  parts.add(events);
  parts.add(collectors);
  parts.start(1s);
  CHECK(calls.log == Log{"validate http", "validate events", "validate collectors", "start http",
                         "start events", "start collectors"});
  calls.log.clear();
  CHECK(parts.stop(5s).empty());
  CHECK(calls.log == Log{"request_stop collectors", "request_stop events", "request_stop http",
                         "stop collectors", "stop events", "stop http"});
  calls.log.clear();
  CHECK(parts.stop(5s).empty());  // idempotent: nothing runs any more
  CHECK(calls.log.empty());
}

TEST_CASE("every part is stopped by one shared deadline", "[parts]") {
  Calls calls;
  FakePart a("a", calls), b("b", calls), c("c", calls);
  ks::PartList parts;
  parts.add(a);
  parts.add(b);
  parts.add(c);
  parts.start(1s);
  const auto before = std::chrono::steady_clock::now();
  parts.stop(5s);
  const auto after = std::chrono::steady_clock::now();
  REQUIRE(calls.deadlines.size() == 3);
  CHECK(calls.deadlines[0] == calls.deadlines[1]);
  CHECK(calls.deadlines[1] == calls.deadlines[2]);
  CHECK(calls.deadlines[0] >= before + 5s);
  CHECK(calls.deadlines[0] <= after + 5s);
}

TEST_CASE("a part that fails to start stops those started before it, in reverse", "[parts]") {
  Calls calls;
  FakePart http("http", calls), collectors("collectors", calls);
  FakePart events("events", calls, FakePart::Fault::cannot_start);
  FakePart fleet("fleet", calls);
  ks::PartList parts;
  parts.add(http);
  parts.add(collectors);
  parts.add(events);
  parts.add(fleet);
  CHECK_THROWS_WITH(parts.start(1s), "events: no spool");
  CHECK(calls.log == Log{"validate http", "validate collectors", "validate events",
                         "validate fleet", "start http", "start collectors", "start events",
                         "request_stop collectors", "request_stop http", "stop collectors",
                         "stop http"});
  calls.log.clear();
  CHECK(parts.stop(1s).empty());
  CHECK(calls.log.empty());
}

TEST_CASE("a configuration problem fails before any part starts", "[parts]") {
  Calls calls;
  FakePart http("http", calls), events("events", calls, FakePart::Fault::bad_config);
  ks::PartList parts;
  parts.add(http);
  parts.add(events);
  CHECK_THROWS_AS(parts.start(1s), ks::PartConfigError);
  CHECK(calls.log == Log{"validate http", "validate events"});
  try {
    parts.start(1s);
  } catch (const ks::PartConfigError& e) {
    CHECK(std::string(e.what()) == "fake.events: is bad");
  }
}

TEST_CASE("a part that misses the deadline is reported, the others still stop", "[parts]") {
  Calls calls;
  FakePart http("http", calls), fleet("fleet", calls);
  FakePart collectors("collectors", calls, FakePart::Fault::misses_deadline);
  ks::PartList parts;
  parts.add(http);
  parts.add(collectors);
  parts.add(fleet);
  parts.start(1s);
  calls.log.clear();
  CHECK(parts.stop(50ms) == std::vector<std::string>{"collectors"});
  CHECK(calls.log == Log{"request_stop fleet", "request_stop collectors", "request_stop http",
                         "stop fleet", "stop collectors", "stop http"});
}

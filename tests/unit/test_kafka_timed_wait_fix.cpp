// librdkafka's timed waits go through the agent's cnd_timedwait, one millisecond later than
// asked (kafka/timed_wait_fix.hpp: librdkafka 2.0.2's main thread otherwise wakes before its
// timer is due and spins until it is).
#include <catch2/catch.hpp>

#include <threads.h>

#include <chrono>
#include <ctime>
#include <thread>

#include "kafka/mock_cluster.hpp"
#include "kafka/timed_wait_fix.hpp"

using namespace std::chrono_literals;
namespace timed_wait = ks::kafka::timed_wait;

namespace {

timespec realtime_now() {
  timespec now{};
  timespec_get(&now, TIME_UTC);
  return now;
}

std::chrono::nanoseconds since_epoch(const timespec& t) {
  return std::chrono::seconds(t.tv_sec) + std::chrono::nanoseconds(t.tv_nsec);
}

}  // namespace

TEST_CASE("timed wait fix: a deadline one millisecond later, nanoseconds carried",
          "[kafka][timed-wait]") {
  const timespec mid = timed_wait::one_millisecond_later({10, 5'000'000});
  CHECK(mid.tv_sec == 10);
  CHECK(mid.tv_nsec == 6'000'000);
  const timespec carried = timed_wait::one_millisecond_later({10, 999'500'000});
  CHECK(carried.tv_sec == 11);
  CHECK(carried.tv_nsec == 500'000);
  const timespec exact = timed_wait::one_millisecond_later({10, 999'000'000});
  CHECK(exact.tv_sec == 11);
  CHECK(exact.tv_nsec == 0);
}

TEST_CASE("timed wait fix: librdkafka's clients wait through the agent's cnd_timedwait",
          "[kafka][mock][timed-wait]") {
  const std::uint64_t before = timed_wait::waits_seen();
  // The mock cluster runs a librdkafka client of its own: its main thread waits for its
  // timers (about once a second) with cnd_timedwait.
  ks::kafka::MockCluster cluster(1);
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (timed_wait::waits_seen() == before && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  CHECK(timed_wait::waits_seen() > before);
}

TEST_CASE("timed wait fix: a wait that times out ends no earlier than a millisecond past "
          "its deadline, and says it timed out",
          "[kafka][timed-wait]") {
  cnd_t cond;
  mtx_t mutex;
  REQUIRE(cnd_init(&cond) == thrd_success);
  REQUIRE(mtx_init(&mutex, mtx_plain) == thrd_success);
  timespec deadline = realtime_now();
  deadline.tv_nsec += 2'000'000;
  if (deadline.tv_nsec >= 1'000'000'000) {
    deadline.tv_nsec -= 1'000'000'000;
    ++deadline.tv_sec;
  }
  REQUIRE(mtx_lock(&mutex) == thrd_success);
  int result = thrd_success;
  // (a spurious wake-up returns success before the deadline: wait again, as librdkafka does)
  while ((result = cnd_timedwait(&cond, &mutex, &deadline)) == thrd_success) {
  }
  const timespec ended = realtime_now();
  mtx_unlock(&mutex);
  CHECK(result == thrd_timedout);
  // A lower bound only: a busy machine makes the wait longer, never shorter.
  CHECK(since_epoch(ended) >= since_epoch(deadline) + 1ms);
  cnd_destroy(&cond);
  mtx_destroy(&mutex);
}

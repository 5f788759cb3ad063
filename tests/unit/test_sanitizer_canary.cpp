// Canaries for scripts/sanitize.sh: deliberate memory errors and data races, in hidden tests
// (never run by default) that the script runs first, expecting each to FAIL with the
// sanitizer's report. A sanitized build that lets one of them pass (a sanitizer not compiled
// in, a report written where the script does not look, options that stop it from failing
// the run) would let every real error pass as well: the script then fails.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

namespace {

// Through a volatile pointer: the compiler can neither see nor drop the use after the free.
int read_after_delete() {
  int* volatile block = new int[4]{1, 2, 3, 4};
  delete[] block;
  return block[2];  // heap-use-after-free (AddressSanitizer)
}

int racy_counter() {
  int counter = 0;  // written by two threads without synchronisation (ThreadSanitizer)
  std::atomic<bool> go{false};
  auto bump = [&] {
    while (!go.load(std::memory_order_relaxed)) {}
    for (int i = 0; i < 1000; ++i) counter = counter + 1;
  };
  std::thread a(bump), b(bump);
  go.store(true, std::memory_order_relaxed);
  a.join();
  b.join();
  return counter;
}

}  // namespace

TEST_CASE("asan canary: a heap-use-after-free fails the run", "[.asan-canary]") {
  CHECK(read_after_delete() != -1);  // ASan aborts at the read, before this check
}

TEST_CASE("tsan canary: a data race fails the run", "[.tsan-canary]") {
  CHECK(racy_counter() > 0);  // TSan reports the race; its exit code fails the run
}

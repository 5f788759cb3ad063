// See kafka/timed_wait_fix.hpp: why this file defines a C library function.
#include "kafka/timed_wait_fix.hpp"

#include <dlfcn.h>
#include <threads.h>

#include <atomic>

namespace ks::kafka::timed_wait {
namespace {

using CndTimedwait = int (*)(cnd_t*, mtx_t*, const timespec*);

std::atomic<std::uint64_t> g_waits{0};

// glibc's own cnd_timedwait: the next definition after this executable's, at the version
// librdkafka 2.0.2 was linked against (glibc 2.34 moved the C11 threads into libc proper).
CndTimedwait glibc_cnd_timedwait() {
  static const auto real = reinterpret_cast<CndTimedwait>(
      dlvsym(RTLD_NEXT, "cnd_timedwait", "GLIBC_2.34"));
  return real;
}

}  // namespace

timespec one_millisecond_later(const timespec& deadline) {
  constexpr long kNanosPerSecond = 1'000'000'000;
  timespec later = deadline;
  later.tv_nsec += 1'000'000;
  if (later.tv_nsec >= kNanosPerSecond) {
    later.tv_nsec -= kNanosPerSecond;
    ++later.tv_sec;
  }
  return later;
}

std::uint64_t waits_seen() { return g_waits.load(std::memory_order_relaxed); }

}  // namespace ks::kafka::timed_wait

extern "C" int cnd_timedwait(cnd_t* cond, mtx_t* mutex, const timespec* deadline) {
  using namespace ks::kafka::timed_wait;
  const CndTimedwait real = glibc_cnd_timedwait();
  if (real == nullptr) return thrd_error;  // no C11 threads in this libc: librdkafka could not run
  g_waits.fetch_add(1, std::memory_order_relaxed);
  const timespec later = one_millisecond_later(*deadline);
  return real(cond, mutex, &later);
}

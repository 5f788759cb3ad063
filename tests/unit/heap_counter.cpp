// Replaces the global operator new/delete of the unit-test binary to count live bytes (by
// malloc_usable_size, so that delete needs no size). Every unaligned form is replaced here,
// array and nothrow too: libstdc++ forwards them to the plain ones, but AddressSanitizer's
// runtime replaces each form itself, and a nothrow new of ASan's freed by our delete (Catch
// allocates its test invokers that way) is an alloc-dealloc mismatch. Aligned forms are not
// counted, on both sides.
#include "tests/unit/heap_counter.hpp"

#include <malloc.h>

#include <atomic>
#include <cstdlib>
#include <new>

namespace {

std::atomic<std::size_t> g_now{0};
std::atomic<std::size_t> g_peak{0};

void count_allocation(void* p) {
  const std::size_t now = g_now.fetch_add(malloc_usable_size(p), std::memory_order_relaxed) +
                          malloc_usable_size(p);
  std::size_t peak = g_peak.load(std::memory_order_relaxed);
  while (now > peak && !g_peak.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
  }
}

}  // namespace

void* operator new(std::size_t size) {
  void* p = std::malloc(size == 0 ? 1 : size);
  if (!p) throw std::bad_alloc();
  count_allocation(p);
  return p;
}

void operator delete(void* p) noexcept {
  if (!p) return;
  g_now.fetch_sub(malloc_usable_size(p), std::memory_order_relaxed);
  std::free(p);
}

void operator delete(void* p, std::size_t) noexcept { operator delete(p); }

void* operator new[](std::size_t size) { return operator new(size); }
void operator delete[](void* p) noexcept { operator delete(p); }
void operator delete[](void* p, std::size_t) noexcept { operator delete(p); }

void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  void* p = std::malloc(size == 0 ? 1 : size);
  if (p) count_allocation(p);
  return p;
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept {
  return operator new(size, tag);
}
void operator delete(void* p, const std::nothrow_t&) noexcept { operator delete(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { operator delete(p); }

namespace ks::test {

std::size_t heap_bytes_now() { return g_now.load(std::memory_order_relaxed); }
std::size_t heap_bytes_peak() { return g_peak.load(std::memory_order_relaxed); }
void reset_heap_peak() { g_peak.store(g_now.load(std::memory_order_relaxed), std::memory_order_relaxed); }

}  // namespace ks::test

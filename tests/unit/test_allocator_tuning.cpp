// The agent's malloc tuning (agent/allocator_tuning.hpp): a large block freed goes back to the
// kernel, every time (with glibc's default dynamic threshold, the second block of the same
// size comes from the heap and stays resident after free), and threads started after the
// tuning share at most kMaxArenas arenas (by default each busy thread gets its own, up to 8
// per core, each keeping its own free space).
#include <catch2/catch.hpp>

#include <malloc.h>
#include <unistd.h>

#include <barrier>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "agent/allocator_tuning.hpp"

namespace {

// Arenas in use, from malloc_info's XML: one <heap nr="..."> element each.
int arena_count() {
  char* text = nullptr;
  std::size_t size = 0;
  FILE* out = open_memstream(&text, &size);
  REQUIRE(out);
  malloc_info(0, out);
  std::fclose(out);
  int heaps = 0;
  for (const char* p = text; (p = std::strstr(p, "<heap nr=")) != nullptr; ++p) ++heaps;
  std::free(text);
  return heaps;
}

// Runs this binary again with only the hidden test below, in a process with no other
// thread, so the arenas it counts are all its own. Returns its exit status.
int run_arena_child(bool tuned) {
  const std::string command = std::string(tuned ? "" : "KS_ARENA_CHILD_UNTUNED=1 ") +
                              "/proc/" + std::to_string(getpid()) +
                              "/exe '[.arena-child]' > /dev/null 2>&1";
  return std::system(command.c_str());
}

}  // namespace

TEST_CASE("after tuning, every large block is mapped on its own and unmapped when freed",
          "[memory][allocator-tuning]") {
  REQUIRE(ks::tune_allocator());
  constexpr std::size_t kBlock = 1024 * 1024;
  for (int i = 0; i < 3; ++i) {
    const std::size_t mapped_before = mallinfo2().hblkhd;
    void* block = std::malloc(kBlock);
    REQUIRE(block);
    std::memset(block, 1, kBlock);
    CHECK(mallinfo2().hblkhd >= mapped_before + kBlock);  // its own mapping...
    std::free(block);
    CHECK(mallinfo2().hblkhd == mapped_before);  // ...returned when freed
  }
  // The body's text blocks are above the threshold, so they behave the same.
  CHECK(ks::kMmapThresholdBytes <= 256 * 1024);
}

TEST_CASE("after tuning, busy threads share at most kMaxArenas arenas", "[memory][allocator-tuning]") {
  CHECK(run_arena_child(true) == 0);
  CHECK(run_arena_child(false) != 0);  // the check does tell: untuned, the threads get more
}

TEST_CASE("arena child: 8 threads allocating at once", "[.arena-child]") {
  if (!std::getenv("KS_ARENA_CHILD_UNTUNED")) REQUIRE(ks::tune_allocator());
  constexpr int kThreads = 8;
  std::barrier all_allocated(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&all_allocated] {
      std::vector<void*> blocks;
      for (int i = 0; i < 64; ++i) blocks.push_back(std::malloc(1024));  // arena-sized
      all_allocated.arrive_and_wait();  // all at once: each would want its own arena
      for (void* b : blocks) std::free(b);
    });
  }
  for (std::thread& t : threads) t.join();
  CHECK(arena_count() <= ks::kMaxArenas);
}

// glibc malloc settings for a long-running agent whose large buffers come and go: the
// /metrics body (megabytes, rebuilt once per new snapshot, on whichever HTTP worker thread
// serves the scrape), snapshots, librdkafka's response buffers.
//
// By default glibc raises its mmap threshold (up to 32 MiB) each time a large mmapped block
// is freed, and its trim threshold to twice that. After the first render, every later body
// is then carved out of the heap of the thread doing the render, and freed memory stays
// there: with httplib's pool of worker threads, each with its own arena, the agent's RSS
// grows with the number of threads that ever rendered, to several times one body (measured
// at 1,000 groups, 12 MB body: 140 MiB RSS, 200 MiB peak). A fixed threshold keeps every
// block of 128 KiB or more (the body's 256 KiB text blocks, its gzip, large vectors) in its
// own mapping, returned to the kernel when freed.
//
// The smaller allocations of a render (line index, small families, the registry's) and of
// librdkafka's ~20 threads still land in per-thread arenas (up to 8 per core), each keeping
// its own free space. Two arenas bound that waste: measured at 1,000 groups, 72 MiB peak RSS
// with the default arenas, 51 MiB with two; the agent's threads allocate too little for the
// arena lock to show in its CPU time.
#pragma once

#include <cstddef>

namespace ks {

inline constexpr std::size_t kMmapThresholdBytes = 128 * 1024;
inline constexpr int kMaxArenas = 2;

// Call once, first thing in main (before threads start). Returns false if glibc refused.
bool tune_allocator();

}  // namespace ks

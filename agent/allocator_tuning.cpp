#include "agent/allocator_tuning.hpp"

#include <malloc.h>

namespace ks {

bool tune_allocator() {
  // Setting either threshold explicitly turns glibc's dynamic adjustment of both off.
  const bool mmap_ok = mallopt(M_MMAP_THRESHOLD, static_cast<int>(kMmapThresholdBytes)) == 1;
  const bool trim_ok = mallopt(M_TRIM_THRESHOLD, static_cast<int>(kMmapThresholdBytes)) == 1;
  // Only limits arenas created from now on: hence before any thread starts.
  const bool arenas_ok = mallopt(M_ARENA_MAX, kMaxArenas) == 1;
  return mmap_ok && trim_ok && arenas_ok;
}

}  // namespace ks

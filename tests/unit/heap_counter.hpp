// Bytes allocated with operator new in this process, now and at the peak since the last
// reset: lets a test bound the memory a piece of code needs, without asserting on RSS.
// (tests/unit/heap_counter.cpp replaces the global operator new/delete of unit-tests.)
#pragma once

#include <cstddef>

namespace ks::test {

std::size_t heap_bytes_now();
std::size_t heap_bytes_peak();
void reset_heap_peak();  // the peak becomes the current figure

}  // namespace ks::test

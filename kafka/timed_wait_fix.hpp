// A workaround for librdkafka 2.0.2's main-thread busy wait (fixed upstream in 2.4.0,
// librdkafka issue 4684): every librdkafka client's main thread sleeps until its next timer
// with a timeout in whole milliseconds, truncated, so it wakes up to 1 ms before the timer is
// due and then serves its queue with a zero timeout, over and over, until it is. Each client
// has a timer due about once a second (and others), so each burns about half a millisecond
// of CPU per timer in that loop: a third of the agent's own CPU at 2,000 groups
// (docs/performance.md, "Sixth pass").
//
// librdkafka waits with C11's cnd_timedwait from glibc (it is linked against glibc's, not its
// bundled one). The agent defines cnd_timedwait itself (kafka/timed_wait_fix.cpp), which the
// dynamic linker binds librdkafka's calls to before glibc's (the executable comes first in
// the lookup order), and hands each wait to glibc's with its deadline one millisecond later:
// a wait that times out ends after the timer it was for is due, never before it, so the loop
// finds the timer due at once. A wait that is signalled ends as before. Nothing else in the
// process calls cnd_timedwait (the agent's own threads use std::condition_variable).
//
// Every executable linking ks_kafka gets the definition (kafka/CMakeLists.txt: the linker is
// told the symbol is wanted, which pulls it from the static library).
#pragma once

#include <cstdint>
#include <ctime>

namespace ks::kafka::timed_wait {

// `deadline` one millisecond later (nanoseconds carried into seconds).
timespec one_millisecond_later(const timespec& deadline);

// Timed waits of librdkafka that went through the agent's cnd_timedwait since the process
// started: tests check with it that the definition is the one librdkafka calls.
std::uint64_t waits_seen();

}  // namespace ks::kafka::timed_wait

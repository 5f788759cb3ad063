#!/usr/bin/env bash
# The agent binary carries the librdkafka timed-wait fix (kafka/timed_wait_fix.hpp): it
# defines and exports cnd_timedwait, so the dynamic linker binds librdkafka's calls to it
# rather than to glibc's. The unit tests prove the definition works where it is linked
# ([timed-wait]); this proves the agent links it (kafka/CMakeLists.txt pulls it out of the
# static library, which nothing else in the agent would do), and that librdkafka asks for
# the symbol the fix defines.
set -uo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/../lib/check.sh"
SOURCE_DIR=${KS_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD_DIR=${KS_BUILD_DIR:-$SOURCE_DIR/build}
agent="$BUILD_DIR/agent/kafka-sentinel"

run_check "the agent defines and exports cnd_timedwait" \
  bash -c "nm -D --defined-only '$agent' | grep -Eq ' T cnd_timedwait\$'"
librdkafka=$(ldd "$agent" | awk '/librdkafka\.so/ {print $3; exit}')
run_check "the agent links librdkafka ($librdkafka)" test -n "$librdkafka"
run_check "librdkafka waits with glibc's cnd_timedwait (the symbol the fix defines)" \
  bash -c "nm -D --undefined-only '$librdkafka' | grep -Eq ' U cnd_timedwait@'"
finish

#!/usr/bin/env bash
# `make test` (what CI runs, docs/testing.md): every ctest entry of the default build, the
# Release build of the agent and the benches, then the unit and e2e tests under ASan+UBSan.
#
# The two extra builds (Release, ASan) need no test result, so they compile under `nice -n 19`
# while ctest runs: the integration tests spend most of their time waiting on Kafka, and a
# nice-19 compile gets the CPU only when the tests leave it idle (the tests hold on a busy
# machine anyway). Run one after the other they took ~15 of CI's 40 minutes on 2 cores.
#
# usage: scripts/test.sh BUILD_DIR RELEASE_DIR   (JOBS: compile jobs, default 2)
set -uo pipefail
build=${1:?usage: test.sh BUILD_DIR RELEASE_DIR}
release=${2:?usage: test.sh BUILD_DIR RELEASE_DIR}
src=$(cd "$(dirname "$0")/.." && pwd)
jobs=${JOBS:-2}
logs="$build/test-logs"
mkdir -p "$logs"
background_log="$logs/release-and-asan-build.log"

echo "== make test: Release and ASan builds under nice -n 19, log: $background_log"
(
  set -e
  renice -n 19 -p "$BASHPID" >/dev/null  # before it starts anything: its children inherit it
  cmake -S "$src" -B "$release" -G Ninja -DCMAKE_BUILD_TYPE=Release ${CMAKE_FLAGS:-} >/dev/null
  cmake --build "$release" -j "$jobs" --target kafka-sentinel benches
  SANITIZE_STEP=build JOBS=$jobs bash "$src/scripts/sanitize.sh" asan-ci
) >"$background_log" 2>&1 </dev/null &
background=$!  # (same process group: Ctrl-C stops it with the tests)
status=0

echo "== make test: ctest"
(cd "$build" && ctest --output-on-failure --timeout 900) || status=1

echo "== make test: waiting for the Release and ASan builds"
if wait "$background"; then
  echo "== make test: Release build (agent, benches) and ASan build compiled"
  JOBS=$jobs SANITIZE_STEP=run bash "$src/scripts/sanitize.sh" asan-ci || status=1
else
  echo "== make test: the Release or ASan build FAILED; the end of its log:" >&2
  tail -60 "$background_log" >&2
  status=1
fi
echo "== make test: $([ $status -eq 0 ] && echo passed || echo FAILED)"
exit $status

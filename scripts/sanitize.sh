#!/usr/bin/env bash
# The project's tests against sanitized builds (docs/testing.md). One mode per call:
#
#   asan-ci  ASan+UBSan (build-asan): the unit tests and the e2e tests that run the binary.
#            What `make test` runs.
#   asan     asan-ci, plus the Kafka integration tests of events, groups and the fleet.
#   tsan     TSan (build-tsan): the unit tests and the e2e tests whose agent runs threads
#            (scheduler, HTTP server under concurrent scrapes, events pipeline, fleet roles).
#
# Every sanitized process (the unit tests, each agent a test starts, each CLI call) writes its
# report, if it has one, to $build/sanitizer-reports/report.PID instead of stderr, because the
# scripted tests keep an agent's stderr in temporary files and do not all check its exit code.
# A run fails when a test fails OR any report was written; the reports are then printed.
# Only the targets the tests use are built. SANITIZE_TESTS=REGEX narrows the ctest part.
# SANITIZE_STEP=build only builds, SANITIZE_STEP=run only runs (scripts/test.sh builds while
# the default build's tests run); both by default.
set -euo pipefail
mode=${1:?usage: sanitize.sh asan-ci|asan|tsan}
src=$(cd "$(dirname "$0")/.." && pwd)
jobs=${JOBS:-2}

# e2e tests that start the agent binary, Kafka unreachable (the other e2e tests check static
# content: no sanitizer use). test-demo also starts a real Kafka and the workload generator.
e2e_binary='^e2e/test-(check-config|events-spool-full|fleet-manifest|golden-metrics|lifecycle|logging|http-concurrency)$'
e2e_demo='^e2e/test-demo$'
# e2e tests whose agent runs its threads: scheduler, HTTP server, events pipeline.
e2e_threads='^e2e/test-(golden-metrics|lifecycle|events-spool-full|http-concurrency)$'
# Kafka integration: events, groups, the fleet's roles (processes; netns needs root), and
# hostile names and a silent broker.
integration='^integration/test-(events-.*|groups-.*|fleet-processes|hostile-data)$'

case "$mode" in
  asan-ci) build=build-asan; sanitizers=address,undefined; tests=$e2e_binary
           targets=(kafka-sentinel unit-tests) ;;
  asan)    build=build-asan; sanitizers=address,undefined; tests="$e2e_binary|$e2e_demo|$integration"
           targets=(kafka-sentinel unit-tests kafka-sentinel-loadgen) ;;
  tsan)    build=build-tsan; sanitizers=thread; tests="$e2e_threads|^integration/test-fleet-processes$"
           targets=(kafka-sentinel unit-tests kafka-sentinel-loadgen) ;;
  *) echo "sanitize.sh: unknown mode '$mode' (asan-ci, asan or tsan)" >&2; exit 2 ;;
esac
tests=${SANITIZE_TESTS:-$tests}
build="$src/$build"
reports="$build/sanitizer-reports"
supp="$src/tests/sanitizers"

step=${SANITIZE_STEP:-all}
case "$step" in build|run|all) ;; *) echo "sanitize.sh: SANITIZE_STEP is build, run or all, not '$step'" >&2; exit 2 ;; esac

if [ "$step" != run ]; then
  echo "== $mode: configure and build ${targets[*]} with -fsanitize=$sanitizers in $build"
  cmake -S "$src" -B "$build" -G Ninja -DKS_SANITIZE="$sanitizers" >/dev/null
  cmake --build "$build" -j "$jobs" --target "${targets[@]}"
  [ "$step" = build ] && exit 0
fi

rm -rf "$reports" && mkdir -p "$reports"
common="log_path=$reports/report:print_summary=1"
export ASAN_OPTIONS="$common:detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1"
export LSAN_OPTIONS="$common:suppressions=$supp/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="$common:print_stacktrace=1:halt_on_error=1"
export TSAN_OPTIONS="$common:suppressions=$supp/tsan.supp:print_suppressions=0:second_deadlock_stack=1"

status=0
# The canary first: a hidden unit test with a deliberate error of the kind this mode finds
# (tests/unit/test_sanitizer_canary.cpp). It must fail AND leave a report naming the error;
# if it does not, the sanitizer is not working and a clean run below would prove nothing.
canary() {  # tag, expected words of the report
  local dir="$build/sanitizer-canary"
  rm -rf "$dir" && mkdir -p "$dir"
  local rc=0
  # (a sanitizer option given twice: the last one counts. log_path is a flag the sanitizers
  # share, read from ASAN_, UBSAN_ and then LSAN_OPTIONS: the last of those wins, so each
  # gets the canary's path, or the report goes to $reports)
  ASAN_OPTIONS="$ASAN_OPTIONS:log_path=$dir/report" TSAN_OPTIONS="$TSAN_OPTIONS:log_path=$dir/report" \
  UBSAN_OPTIONS="${UBSAN_OPTIONS:-}:log_path=$dir/report" LSAN_OPTIONS="${LSAN_OPTIONS:-}:log_path=$dir/report" \
    "$build/tests/unit-tests" "$1" >"$dir/output" 2>&1 || rc=$?
  if [ $rc -ne 0 ] && grep -qs "$2" "$dir"/report.*; then
    echo "== $mode: canary $1 failed as it must (exit $rc, report: $2)"
  else
    echo "== $mode: canary $1 did NOT fail with a '$2' report (exit $rc): the sanitizer setup is broken" >&2
    # (no report file is the usual case here: cat fails, and under pipefail and set -e that
    # ended the whole script before the tests ran)
    { cat "$dir/output" "$dir"/report.* 2>/dev/null || true; } | tail -20 >&2
    status=1
  fi
}
case "$mode" in
  asan*) canary "[.asan-canary]" "ERROR: AddressSanitizer: heap-use-after-free" ;;
  tsan)  canary "[.tsan-canary]" "WARNING: ThreadSanitizer: data race" ;;
esac

echo "== $mode: unit tests"
# Not the [allocator-tuning] ones: they check glibc malloc's arenas and mmap threshold, and a
# sanitizer's runtime replaces malloc (mallopt then has nothing to tune).
# Not [lsan-open] either: librdkafka 2.0.2 loses a reference to a client's rk_ops queue for
# each ListConsumerGroups sent to a broker without ListGroups, which the mock cluster is
# (docs/testing.md): that 176-byte queue, allocated in rd_kafka_new, is left at exit, and no
# suppression could name its frames (no symbols). Those cases run next without the leak check.
# (A filter that only excludes also selects the hidden tests: "~[.]" keeps them out.)
"$build/tests/unit-tests" "~[allocator-tuning]~[lsan-open]~[.]" || status=1
case "$mode" in
  asan*) ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0" "$build/tests/unit-tests" "[lsan-open]" || status=1 ;;
esac
echo "== $mode: ctest -R '$tests'"
(cd "$build" && ctest --output-on-failure --timeout 900 -R "$tests") || status=1

shopt -s nullglob
found=("$reports"/report.*)
if [ ${#found[@]} -gt 0 ]; then
  echo "== $mode: ${#found[@]} sanitizer report(s):"
  for r in "${found[@]}"; do echo "---- $r"; cat "$r"; done
  status=1
fi
echo "== $mode: $([ $status -eq 0 ] && echo clean || echo FAILED)"
exit $status

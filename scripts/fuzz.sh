#!/usr/bin/env bash
# `make fuzz`: builds every fuzz target (tests/fuzz/) with clang, libFuzzer, ASan and UBSan
# in its own build directory, then runs each for FUZZ_SECONDS (default 60) and stops.
#   FUZZ_SECONDS=600 make fuzz           ten minutes per target
#   FUZZ_TARGETS="spool_recovery" ...    only these targets
#   FUZZ_BUILD_DIR (default build-fuzz)  FUZZ_JOBS (default 2, for the build)
# Each target starts from its seed corpus (tests/fuzz/corpus/<target>/, read only) and the
# inputs earlier runs found (FUZZ_BUILD_DIR/corpus/<target>/, kept between runs). A crash or a
# property violation is written to FUZZ_BUILD_DIR/crashes/<target>/: fix the product code,
# then copy that input to tests/fuzz/crashes/<target>/ (the ctest replay runs it from then
# on). Prints one line per target: executions, executions per second, coverage, features.
# Exit status: 0 when no target failed.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${FUZZ_SECONDS:-60}"
build="${FUZZ_BUILD_DIR:-build-fuzz}"
jobs="${FUZZ_JOBS:-2}"
all_targets=$(sed -n '/^set(KS_FUZZ_TARGETS/,/)/p' tests/fuzz/CMakeLists.txt |
  tr -d '()' | tr ' ' '\n' | grep -v -e '^set$' -e '^KS_FUZZ_TARGETS$' -e '^$')
targets="${FUZZ_TARGETS:-$all_targets}"

command -v clang++ >/dev/null || { echo "fuzz: clang++ is missing (make deps installs it)" >&2; exit 2; }
flags="-g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_CXX_FLAGS="$flags" \
  -DKS_FUZZ_ENGINE=ON -DKS_WERROR=OFF >/dev/null
build_targets=()
for t in $targets; do build_targets+=("fuzz_$t"); done
cmake --build "$build" -j "$jobs" --target "${build_targets[@]}"

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
failed=()
for t in $targets; do
  work="$build/corpus/$t" crashes="$build/crashes/$t"
  mkdir -p "$work" "$crashes"
  log="$build/fuzz-$t.log"
  # -timeout: an input that takes over 10 s is a hang, reported like a crash.
  if "$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$crashes/" "$work" "tests/fuzz/corpus/$t" \
      >"$log" 2>&1; then
    status=ok
  else
    status=FAILED
    failed+=("$t")
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  printf 'fuzz %-18s %-6s %5ss  execs %-10s exec/s %-7s cov %-6s ft %-6s\n' \
    "$t" "$status" "$seconds" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}"
  if [ "$status" = FAILED ]; then
    grep -E 'ERROR|property violated|SUMMARY|Test unit written' "$log" | head -5 | sed 's/^/    /'
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: ${failed[*]} failed (inputs in $build/crashes/, logs in $build/fuzz-*.log)" >&2
  exit 1
fi

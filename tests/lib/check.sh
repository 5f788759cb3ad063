# Counting checks in the shell tests (sourced, bash): each check prints "ok: WHAT" or
# "FAIL: WHAT"; `finish` prints "N passed, M failed" and the failures, then exits 1 when
# anything failed. Python blocks of the same tests print the same words (ksharness.check
# style); `count_results FILE` adds the lines of their output to the counts.

PASSED=0
FAILED=0
FAILURES=()
ok()   { PASSED=$((PASSED + 1)); echo "ok: $*"; }
fail() { FAILED=$((FAILED + 1)); FAILURES+=("$*"); echo "FAIL: $*"; }
run_check() {  # run_check "what" CMD...: passes when CMD exits 0; shows its output if not
  local what=$1 out; shift
  if out=$("$@" 2>&1); then ok "$what"; else fail "$what"; echo "$out" | sed 's/^/    /' | tail -n 60; fi
}

# use_tmpdir NAME: a fresh temporary directory in $TMP, removed when the script exits.
use_tmpdir() {
  TMP=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
  trap 'rm -rf "$TMP"' EXIT
}

# count_results FILE: counts the "ok: " and "FAIL: " lines of FILE (the output of a Python
# block, already shown) as checks of this script.
count_results() {
  local line
  PASSED=$((PASSED + $(grep -c '^ok: ' "$1")))
  FAILED=$((FAILED + $(grep -c '^FAIL: ' "$1")))
  while IFS= read -r line; do FAILURES+=("${line#FAIL: }"); done < <(grep '^FAIL: ' "$1")
}

finish() {
  local f
  echo "$PASSED passed, $FAILED failed"
  for f in ${FAILURES[@]+"${FAILURES[@]}"}; do echo "  failed: $f"; done
  (( FAILED == 0 )); exit $?
}

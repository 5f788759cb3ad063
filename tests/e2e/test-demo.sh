#!/usr/bin/env bash
# End-to-end test of scripts/demo.sh (what `make demo` runs): it starts a real local Kafka,
# the workload and the agent; the agent serves /healthz and /metrics; SIGINT to the demo
# script stops every process it started, within 30 s.
#
# Environment (set by ctest): KS_BUILD_DIR, KS_SOURCE_DIR.
set -uo pipefail
# Job control: the demo runs in its own process group and, unlike a background job of a
# non-interactive shell, does not start with SIGINT ignored (so it can trap it).
set -m

SOURCE_DIR=${KS_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD_DIR=${KS_BUILD_DIR:-$SOURCE_DIR/build}
READY_TIMEOUT=${DEMO_READY_TIMEOUT:-300}   # a first run may fetch Kafka's jars

PASSED=0
FAILED=0
FAILURES=()
log()   { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*"; }
check() {  # check DESCRIPTION COMMAND...
  local what=$1; shift
  if "$@"; then PASSED=$((PASSED + 1)); log "ok: $what"
  else FAILED=$((FAILED + 1)); FAILURES+=("$what"); log "FAIL: $what"; fi
}

alive() {  # alive PID: running and not a zombie
  local state
  [[ -n "$1" && -r "/proc/$1/status" ]] || return 1
  state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null)
  [[ -n "$state" && "$state" != Z && "$state" != X ]]
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_block() {  # a base P with P and P+100 free
  local p i
  for (( i = 0; i < 200; i++ )); do
    p=$(( 20000 + (RANDOM % 3900) * 10 ))
    if ! port_open "$p" && ! port_open $(( p + 100 )); then echo "$p"; return 0; fi
  done
  return 1
}
free_port() {
  local p i
  for (( i = 0; i < 200; i++ )); do
    p=$(( 40000 + RANDOM % 20000 ))
    if ! port_open "$p"; then echo "$p"; return 0; fi
  done
  return 1
}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ks-test-demo.XXXXXX")
DEMO_DIR="$WORK/demo"
OUT="$WORK/demo.out"
DEMO_PID=""

finish() {
  # Whatever happened: nothing of ours may keep running.
  if [[ -n "$DEMO_PID" ]] && alive "$DEMO_PID"; then
    log "demo script still running: SIGTERM"
    kill -TERM "$DEMO_PID" 2>/dev/null
    for _ in $(seq 1 600); do alive "$DEMO_PID" || break; sleep 0.1; done
    alive "$DEMO_PID" && kill -KILL "$DEMO_PID" 2>/dev/null
  fi
  if [[ -f "$DEMO_DIR/pids" ]]; then
    local name pid
    while read -r name pid; do
      if alive "$pid"; then log "leftover $name (pid $pid): SIGKILL"; kill -KILL "$pid" 2>/dev/null; fi
    done <"$DEMO_DIR/pids"
  fi
  if [[ -f "$DEMO_DIR/kafka/cluster.env" ]]; then
    bash "$SOURCE_DIR/scripts/kafka-cluster.sh" down --dir "$DEMO_DIR/kafka" >/dev/null 2>&1
  fi
  if (( FAILED > 0 )); then
    echo "----- demo output ($OUT) -----"
    tail -n 80 "$OUT" 2>/dev/null
    for f in "$DEMO_DIR"/agent.log "$DEMO_DIR"/kafka-cluster.log; do
      [[ -f "$f" ]] && { echo "----- $f -----"; tail -n 30 "$f"; }
    done
  fi
  rm -rf "$WORK"
}
trap finish EXIT
trap 'FAILED=$((FAILED + 1)); FAILURES+=("interrupted"); exit 1' INT TERM

PORT_BASE=$(free_block) || { echo "no free port block"; exit 1; }
AGENT_PORT=$(free_port) || { echo "no free port"; exit 1; }
log "starting demo (Kafka port base $PORT_BASE, agent port $AGENT_PORT) in $DEMO_DIR"
DEMO_DIR="$DEMO_DIR" DEMO_DURATION=60 DEMO_PORT_BASE="$PORT_BASE" DEMO_AGENT_PORT="$AGENT_PORT" \
  bash "$SOURCE_DIR/scripts/demo.sh" "$BUILD_DIR" >"$OUT" 2>&1 </dev/null &
DEMO_PID=$!

# 1. Ready: demo.env is written once the agent answers /healthz.
t0=$(date +%s)
while [[ ! -f "$DEMO_DIR/demo.env" ]] && alive "$DEMO_PID" && (( $(date +%s) - t0 < READY_TIMEOUT )); do
  sleep 0.5
done
check "demo became ready within ${READY_TIMEOUT}s ($(( $(date +%s) - t0 ))s)" test -f "$DEMO_DIR/demo.env"
AGENT_URL=$(sed -n 's/^AGENT_URL=//p' "$DEMO_DIR/demo.env" 2>/dev/null)
# The demo picks other ports when the requested ones are taken: use what it reports.
BOOTSTRAP=$(sed -n 's/^BOOTSTRAP=//p' "$DEMO_DIR/demo.env" 2>/dev/null)
[[ "$AGENT_URL" =~ :([0-9]+)$ ]] && AGENT_PORT=${BASH_REMATCH[1]}
[[ "$BOOTSTRAP" =~ :([0-9]+)$ ]] && PORT_BASE=${BASH_REMATCH[1]}
check "demo.env names the agent URL ($AGENT_URL)" test -n "$AGENT_URL"

if [[ -n "$AGENT_URL" ]]; then
  code=$(curl -s -o /dev/null -w '%{http_code}' -m 5 "$AGENT_URL/healthz")
  check "/healthz answers 200 (got $code)" test "$code" = 200

  # The host collector publishes within its 5 s interval: retry for a bounded time.
  got_metrics=0
  for _ in $(seq 1 30); do
    code=$(curl -s -o "$WORK/metrics.txt" -w '%{http_code}' -m 5 "$AGENT_URL/metrics")
    if [[ "$code" == 200 ]] && grep -q '^node_load1' "$WORK/metrics.txt"; then got_metrics=1; break; fi
    sleep 1
  done
  check "/metrics answers 200 with node_load1 (last status $code)" test "$got_metrics" = 1
fi

check "pids file lists the started processes" \
  test "$(wc -l <"$DEMO_DIR/pids" 2>/dev/null || echo 0)" -ge 6

# 2. SIGINT stops everything within 30 s.
if alive "$DEMO_PID"; then
  check "demo still running before SIGINT" true
  t0=$(date +%s)
  kill -INT "$DEMO_PID"
  while alive "$DEMO_PID" && (( $(date +%s) - t0 < 30 )); do sleep 0.2; done
  took=$(( $(date +%s) - t0 ))
  check "demo script exited within 30s of SIGINT (${took}s)" bash -c "! test -r /proc/$DEMO_PID/status || grep -q '^State:.*Z' /proc/$DEMO_PID/status"
  if ! alive "$DEMO_PID"; then
    wait "$DEMO_PID"; rc=$?
    DEMO_PID=""
    check "demo exit code is 0 (got $rc)" test "$rc" = 0
  fi
else
  check "demo still running before SIGINT" false
fi

left=()
if [[ -f "$DEMO_DIR/pids" ]]; then
  while read -r name pid; do
    alive "$pid" && left+=("$name:$pid")
  done <"$DEMO_DIR/pids"
fi
check "no process started by the demo is alive (${left[*]:-none})" test "${#left[@]}" = 0
check "agent port $AGENT_PORT is closed" bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$AGENT_PORT) 2>/dev/null"
check "Kafka port $PORT_BASE is closed" bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$PORT_BASE) 2>/dev/null"
check "demo reported a clean stop" grep -q 'nothing left running' "$OUT"

echo "$PASSED passed, $FAILED failed"
for f in "${FAILURES[@]+"${FAILURES[@]}"}"; do echo "  failed: $f"; done
(( FAILED == 0 ))

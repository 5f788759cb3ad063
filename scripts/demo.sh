#!/usr/bin/env bash
# demo.sh: a live kafka-sentinel demo on a real local Kafka (what `make demo` runs).
#
# Usage: scripts/demo.sh BUILD_DIR
#
# Starts, each by PID (all listed in $DEMO_DIR/pids as "NAME PID" lines):
#   - a 1-node KRaft Kafka (scripts/kafka-cluster.sh) in $DEMO_DIR/kafka
#   - topics demo-orders (6 partitions), demo-payments (3), demo-audit (1)
#   - producer      ~$DEMO_RATE msgs/s over the three topics (kafka-sentinel-loadgen)
#   - demo-fast     a consumer group that keeps up
#   - demo-slow     a consumer group throttled below the produce rate: its lag keeps growing
#   - demo-delayed  a consumer group that stays 60 s behind (lag in seconds ~ 60)
#   - the agent:    BUILD_DIR/agent/kafka-sentinel run --config $DEMO_DIR/kafka-sentinel.yaml ...
# then prints the URLs and waits. Ctrl-C (SIGINT), SIGTERM or SIGHUP stop everything it started
# (agent, load generators, then Kafka), verify that nothing is left running, and exit 0.
#
# Environment:
#   DEMO_DIR         working dir (default: a new ${TMPDIR:-/tmp}/kafka-sentinel-demo.XXXXXX);
#                    must be empty or absent. Logs, pids, demo.env and the config are kept there;
#                    Kafka's data is deleted at the end.
#   DEMO_PORT_BASE   Kafka port base (default 19092: broker P, controller P+100); if taken,
#                    another free block is picked.
#   DEMO_AGENT_PORT  agent HTTP port (default 9742; if taken, a free port is picked)
#   DEMO_RATE        produce rate in msgs/s (default 200)
#   DEMO_DURATION    stop by itself after this many seconds (default: run until signalled)
#
# Once the agent is ready, $DEMO_DIR/demo.env holds DEMO_DIR, BOOTSTRAP, AGENT_URL, KAFKA_DIR.
set -uo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SOURCE_DIR=$(cd "$SCRIPT_DIR/.." && pwd)
CLUSTER="$SCRIPT_DIR/kafka-cluster.sh"

log()  { printf '[demo %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
fail() { log "ERROR: $*"; EXIT_CODE=1; exit 1; }   # the EXIT trap stops everything

if [[ $# -ne 1 || "$1" == -h || "$1" == --help ]]; then
  sed -n '2,/^set -uo/{/^set -uo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}" >&2
  exit 2
fi
BUILD_DIR=$(cd "$1" 2>/dev/null && pwd) || { log "ERROR: build dir '$1' not found (run 'make build' first)"; exit 2; }
AGENT="$BUILD_DIR/agent/kafka-sentinel"
LOADGEN="$BUILD_DIR/tools/kafka-sentinel-loadgen"
for bin in "$AGENT" "$LOADGEN"; do
  [[ -x "$bin" ]] || { log "ERROR: $bin is missing (build it first: make build)"; exit 2; }
done

RATE=${DEMO_RATE:-200}
DURATION=${DEMO_DURATION:-0}
[[ "$RATE" =~ ^[0-9]+$ && "$RATE" -gt 0 ]] || { log "ERROR: DEMO_RATE must be a positive integer"; exit 2; }
[[ "$DURATION" =~ ^[0-9]+$ ]] || { log "ERROR: DEMO_DURATION must be a number of seconds"; exit 2; }
SLOW_RATE=$(( RATE * 3 / 4 > 0 ? RATE * 3 / 4 : 1 ))

if [[ -n "${DEMO_DIR:-}" ]]; then
  mkdir -p "$DEMO_DIR" || exit 2
  DEMO_DIR=$(cd "$DEMO_DIR" && pwd)
  [[ -z "$(ls -A "$DEMO_DIR")" ]] || { log "ERROR: DEMO_DIR $DEMO_DIR is not empty"; exit 2; }
else
  DEMO_DIR=$(mktemp -d "${TMPDIR:-/tmp}/kafka-sentinel-demo.XXXXXX") || exit 2
fi
KAFKA_DIR="$DEMO_DIR/kafka"
PIDS="$DEMO_DIR/pids"
: >"$PIDS"

# ------------------------------------------------------------------------------ processes
declare -A PID_OF=() EXE_OF=()
NAMES=()          # started by us, in start order (Kafka is stopped through kafka-cluster.sh)
UP_PID=""         # `kafka-cluster.sh up` while it runs
SLEEP_PID=""      # the wait loop's sleep
EXIT_CODE=0
CLEANED=0

# alive PID [EXE]: running (not a zombie) and, if EXE is given, still that program.
alive() {
  local pid=$1 exe=${2:-} state
  [[ -n "$pid" && -r "/proc/$pid/status" ]] || return 1
  state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$pid/status" 2>/dev/null)
  [[ -n "$state" && "$state" != Z && "$state" != X ]] || return 1
  [[ -z "$exe" ]] || { tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null | grep -qF -- "$exe"
}

start_bg() {  # start_bg NAME CMD... (output to $DEMO_DIR/NAME.log)
  local name=$1; shift
  "$@" >"$DEMO_DIR/$name.log" 2>&1 </dev/null &
  PID_OF[$name]=$!
  EXE_OF[$name]=$1
  NAMES+=("$name")
  echo "$name $!" >>"$PIDS"
  log "started $name (pid $!)"
}

stop_names() {  # stop_names TIMEOUT NAME...: SIGTERM all, wait, SIGKILL stragglers
  local timeout=$1 n deadline; shift
  for n in "$@"; do
    if alive "${PID_OF[$n]}" "${EXE_OF[$n]}"; then kill -TERM "${PID_OF[$n]}" 2>/dev/null; fi
  done
  deadline=$(( $(date +%s) + timeout ))
  for n in "$@"; do
    while alive "${PID_OF[$n]}" "${EXE_OF[$n]}" && (( $(date +%s) < deadline )); do sleep 0.1; done
    if alive "${PID_OF[$n]}" "${EXE_OF[$n]}"; then
      log "$n (pid ${PID_OF[$n]}) still running after ${timeout}s: SIGKILL"
      kill -KILL "${PID_OF[$n]}" 2>/dev/null
    fi
    wait "${PID_OF[$n]}" 2>/dev/null
  done
}

show_log() {  # show_log NAME [LINES]
  local f="$DEMO_DIR/$1.log"
  log "----- last ${2:-40} lines of $f -----"
  if [[ -f "$f" ]]; then tail -n "${2:-40}" "$f" >&2; else echo "(no log)" >&2; fi
  log "----- end of $1.log -----"
}

record_kafka_pid() {  # adds the Kafka node's PID to the pids file (once)
  local pid
  pid=$(tr -dc '0-9' <"$KAFKA_DIR/node-1/pid" 2>/dev/null)
  if [[ -n "$pid" ]] && ! grep -q "^kafka-node-1 $pid\$" "$PIDS"; then echo "kafka-node-1 $pid" >>"$PIDS"; fi
}

cleanup() {
  (( CLEANED )) && return 0
  CLEANED=1
  trap '' INT TERM HUP   # a second Ctrl-C must not leave things half-stopped
  local t0; t0=$(date +%s)
  log "stopping the demo ..."
  record_kafka_pid
  if [[ -n "$SLEEP_PID" ]]; then kill "$SLEEP_PID" 2>/dev/null; wait "$SLEEP_PID" 2>/dev/null; fi
  # 1. the agent, 2. the load generators (they flush / commit), 3. Kafka.
  local loadgens=() n
  for n in ${NAMES[@]+"${NAMES[@]}"}; do [[ "$n" == agent ]] || loadgens+=("$n"); done
  if [[ -n "${PID_OF[agent]:-}" ]]; then stop_names 15 agent; fi
  if (( ${#loadgens[@]} )); then stop_names 15 "${loadgens[@]}"; fi
  if [[ -n "$UP_PID" ]] && alive "$UP_PID"; then
    # `up` is still starting Kafka: its own trap stops the nodes it started.
    kill -TERM "$UP_PID" 2>/dev/null
    local deadline=$(( $(date +%s) + 60 ))
    while alive "$UP_PID" && (( $(date +%s) < deadline )); do sleep 0.2; done
    wait "$UP_PID" 2>/dev/null
  fi
  if [[ -d "$KAFKA_DIR" ]]; then
    bash "$CLUSTER" down --dir "$KAFKA_DIR" >>"$DEMO_DIR/kafka-cluster.log" 2>&1 \
      || log "WARNING: kafka-cluster.sh down failed (see $DEMO_DIR/kafka-cluster.log)"
    rm -rf "$KAFKA_DIR"/node-*/data
  fi
  # Verify: nothing we started is alive.
  local left=() name pid
  while read -r name pid; do
    [[ -n "$pid" ]] && alive "$pid" && left+=("$name:$pid")
  done <"$PIDS"
  if (( ${#left[@]} )); then
    log "ERROR: still running after cleanup: ${left[*]}"
    EXIT_CODE=1
  else
    log "demo stopped in $(( $(date +%s) - t0 ))s; nothing left running ($(wc -l <"$PIDS") processes checked). Logs: $DEMO_DIR"
  fi
}

on_signal() {
  log "got SIG$1"
  cleanup
  exit "$EXIT_CODE"
}
trap 'on_signal INT' INT
trap 'on_signal TERM' TERM
trap 'on_signal HUP' HUP
trap 'cleanup; exit "$EXIT_CODE"' EXIT

# ------------------------------------------------------------------------------ ports
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pick_port_base() {
  local base=${DEMO_PORT_BASE:-19092} i
  if [[ ! "$base" =~ ^[0-9]+$ ]] || (( base < 1024 || base > 65000 )); then
    log "ERROR: DEMO_PORT_BASE must be 1024..65000"; return 1
  fi
  for (( i = 0; i < 100; i++ )); do
    if ! port_open "$base" && ! port_open $(( base + 100 )); then echo "$base"; return 0; fi
    log "port $base or $(( base + 100 )) is taken; trying another"
    base=$(( 20000 + (RANDOM % 1200) * 10 ))  # below the ephemeral port range
  done
  return 1
}

pick_agent_port() {
  local port=${DEMO_AGENT_PORT:-9742} i
  for (( i = 0; i < 100; i++ )); do
    if ! port_open "$port"; then echo "$port"; return 0; fi
    port=$(( 20000 + RANDOM % 40000 ))
  done
  return 1
}

http_ok() {  # http_ok URL -> 0 if it answers 200
  curl -fsS -o /dev/null -m 3 "$1" 2>/dev/null
}

# ------------------------------------------------------------------------------ start
T0=$(date +%s)
log "demo dir: $DEMO_DIR"
PORT_BASE=$(pick_port_base) || fail "no free port block for Kafka"

log "starting a 1-node Kafka on 127.0.0.1:$PORT_BASE (first run may fetch Kafka's jars) ..."
bash "$CLUSTER" up --nodes 1 --dir "$KAFKA_DIR" --port-base "$PORT_BASE" \
  >"$DEMO_DIR/kafka-up.out" 2>"$DEMO_DIR/kafka-cluster.log" </dev/null &
UP_PID=$!
wait "$UP_PID"
UP_RC=$?
UP_PID=""
record_kafka_pid
if (( UP_RC != 0 )); then
  tail -n 30 "$DEMO_DIR/kafka-cluster.log" >&2
  fail "Kafka did not start (kafka-cluster.sh up exited $UP_RC; see $DEMO_DIR/kafka-cluster.log)"
fi
BOOTSTRAP=$(tail -n1 "$DEMO_DIR/kafka-up.out")
[[ "$BOOTSTRAP" =~ ^[0-9.]+:[0-9]+ ]] || fail "unexpected bootstrap '$BOOTSTRAP' from kafka-cluster.sh up"
log "Kafka up at $BOOTSTRAP in $(( $(date +%s) - T0 ))s"

TOPICS=demo-orders,demo-payments,demo-audit
if ! "$LOADGEN" create-topics --bootstrap "$BOOTSTRAP" --topics demo-orders:6:1,demo-payments:3:1,demo-audit:1:1 \
     --timeout 60 >"$DEMO_DIR/create-topics.log" 2>&1; then
  cat "$DEMO_DIR/create-topics.log" >&2
  fail "creating the demo topics failed"
fi
log "topics: demo-orders (6 partitions), demo-payments (3), demo-audit (1)"

start_bg producer "$LOADGEN" produce --bootstrap "$BOOTSTRAP" --topics "$TOPICS" --rate "$RATE" --size 200
start_bg consumer-fast "$LOADGEN" consume --bootstrap "$BOOTSTRAP" --group demo-fast --topics "$TOPICS"
start_bg consumer-slow "$LOADGEN" consume --bootstrap "$BOOTSTRAP" --group demo-slow --topics "$TOPICS" --rate "$SLOW_RATE"
start_bg consumer-delayed "$LOADGEN" consume --bootstrap "$BOOTSTRAP" --group demo-delayed --topics "$TOPICS" --lag-seconds 60

CONFIG="$DEMO_DIR/kafka-sentinel.yaml"
cat >"$CONFIG" <<'EOF'
# kafka-sentinel demo configuration (written by scripts/demo.sh).
# Bootstrap servers and the listen address come from the command line.
log:
  level: info
collectors:
  host:
    interval: 5s
  brokers:
    interval: 5s
  groups:
    interval: 5s
EOF

AGENT_PORT=$(pick_agent_port) || fail "no free port for the agent"
AGENT_URL="http://127.0.0.1:$AGENT_PORT"
start_bg agent "$AGENT" run --config "$CONFIG" --bootstrap-servers "$BOOTSTRAP" --listen "127.0.0.1:$AGENT_PORT"

deadline=$(( $(date +%s) + 30 ))
until http_ok "$AGENT_URL/healthz"; do
  if ! alive "${PID_OF[agent]}" "$AGENT"; then
    wait "${PID_OF[agent]}" 2>/dev/null; rc=$?
    show_log agent 60
    fail "the agent exited during startup (exit code $rc)"
  fi
  if (( $(date +%s) >= deadline )); then
    show_log agent 60
    fail "the agent did not answer $AGENT_URL/healthz within 30s"
  fi
  sleep 0.3
done

{
  printf 'DEMO_DIR=%s\n' "$DEMO_DIR"
  printf 'BOOTSTRAP=%s\n' "$BOOTSTRAP"
  printf 'AGENT_URL=%s\n' "$AGENT_URL"
  printf 'KAFKA_DIR=%s\n' "$KAFKA_DIR"
} >"$DEMO_DIR/demo.env.tmp" && mv "$DEMO_DIR/demo.env.tmp" "$DEMO_DIR/demo.env"

cat <<EOF

  kafka-sentinel demo is running (ready in $(( $(date +%s) - T0 ))s)

  Kafka       $BOOTSTRAP   topics demo-orders(6) demo-payments(3) demo-audit(1)
  workload    producer ${RATE} msgs/s; groups demo-fast (keeps up), demo-slow (${SLOW_RATE} msgs/s,
              lag grows), demo-delayed (stays 60 s behind)
  agent       $AGENT_URL   (config $CONFIG)

  Endpoints
    $AGENT_URL/metrics
    $AGENT_URL/healthz
    $AGENT_URL/readyz

  Try
    curl -s $AGENT_URL/metrics | grep -E '^kafka_' | head -40
    curl -s $AGENT_URL/metrics | grep -E 'group|lag' | grep -v '^#' | head -40
    curl -s $AGENT_URL/metrics | grep -E '^node_' | head
    curl -si $AGENT_URL/readyz
    bash $CLUSTER --dir $KAFKA_DIR tool kafka-consumer-groups --bootstrap-server $BOOTSTRAP --describe --all-groups

  Logs        $DEMO_DIR/{agent,producer,consumer-*,kafka-cluster}.log
  Stop        Ctrl-C$( (( DURATION > 0 )) && echo " (or it stops by itself after ${DURATION}s)")

EOF

# ------------------------------------------------------------------------------ wait
STARTED=$(date +%s)
while :; do
  sleep 1 &
  SLEEP_PID=$!
  wait "$SLEEP_PID" 2>/dev/null
  SLEEP_PID=""
  for n in "${NAMES[@]}"; do
    if ! alive "${PID_OF[$n]}" "${EXE_OF[$n]}"; then
      wait "${PID_OF[$n]}" 2>/dev/null; rc=$?
      show_log "$n" 40
      fail "$n (pid ${PID_OF[$n]}) exited unexpectedly (exit code $rc)"
    fi
  done
  if [[ -z "$(tr -dc '0-9' <"$KAFKA_DIR/node-1/pid" 2>/dev/null)" ]] \
     || ! alive "$(tr -dc '0-9' <"$KAFKA_DIR/node-1/pid")" kafka.Kafka; then
    tail -n 40 "$KAFKA_DIR/node-1/server.log" >&2
    fail "the Kafka node exited unexpectedly"
  fi
  if (( DURATION > 0 && $(date +%s) - STARTED >= DURATION )); then
    log "DEMO_DURATION=${DURATION}s reached"
    break
  fi
done
cleanup
exit "$EXIT_CODE"

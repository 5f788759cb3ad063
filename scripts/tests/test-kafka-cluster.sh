#!/usr/bin/env bash
# Test for scripts/kafka-cluster.sh against a real local Kafka (jars fetched/cached on first use).
#
# Usage: scripts/tests/test-kafka-cluster.sh [--nodes 1|3] [--security plaintext|sasl_ssl|ssl]
#
#   1 node : up, create topic, produce 10 messages, get-offsets == 10, consume them in a group
#            (lag 0), down, no recorded PID left.
#   3 nodes: the same with an RF=3 topic, plus stop-node 2 -> the topic's partitions are listed
#            by --under-replicated-partitions, start-node 2 -> none listed; kill-node 3 +
#            start-node 3; then down. Node 3 is brought up with --advertise 3=PORT, PORT a
#            plain relay to its own port (tests/lib/ksproxy.py): the brokers' metadata gives
#            node 3 at PORT, nodes 1 and 2 at their own ports.
# --security: the same through the secured listener, Kafka's tools connecting with the
# cluster's DIR/admin.properties (the SCRAM admin over SASL_SSL, or the client certificate);
# plus the certificates, a client without the security settings refused, and (sasl_ssl) the
# tools reaching the mutual-TLS listener with DIR/ssl-client.properties.
# Every step is bounded by `timeout`; the cluster lives in a fresh temp dir on a random free port
# base and is torn down on exit, whatever happens. Prints timings and per-node RSS, and ends
# with "N passed, M failed". Exit status 0 only if every check passed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
KC="$ROOT/scripts/kafka-cluster.sh"

NODES=1
SECURITY=plaintext
while (( $# > 0 )); do
  case "$1" in
    --nodes) NODES=${2:?--nodes needs 1 or 3}; shift 2 ;;
    --security) SECURITY=${2:?--security needs a mode}; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
[[ "$NODES" == 1 || "$NODES" == 3 ]] || { echo "--nodes must be 1 or 3" >&2; exit 2; }

UP_TIMEOUT=${KAFKA_UP_TIMEOUT:-90}
export KAFKA_UP_TIMEOUT=$UP_TIMEOUT
STEP_TIMEOUT=60            # any single tool invocation
PASSED=0 FAILED=0

say()  { printf '[test-kafka-cluster] %s\n' "$*"; }
pass() { PASSED=$(( PASSED + 1 )); say "PASS: $*"; }
fail() { FAILED=$(( FAILED + 1 )); say "FAIL: $*"; }
now_ms() { date +%s%3N; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kafka-cluster-test.XXXXXX")
WORK=$(cd "$WORK" && pwd -P)
DIR="$WORK/cluster"
PIDS=()
RELAY_PID=

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# A process counts as alive if it exists, is not a zombie, and is one of this cluster's JVMs.
pid_alive() {
  local pid=$1 state
  [[ -r "/proc/$pid/status" ]] || return 1
  state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$pid/status" 2>/dev/null || true)
  [[ -n "$state" && "$state" != Z && "$state" != X ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$DIR/"
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -d "$DIR" ]]; then timeout 120 "$KC" down --dir "$DIR" >/dev/null 2>&1 || true; fi
  if [[ -n "$RELAY_PID" ]]; then kill "$RELAY_PID" 2>/dev/null || true; fi
  local p
  for p in ${PIDS[@]+"${PIDS[@]}"}; do
    if pid_alive "$p"; then say "WARNING: pid $p still alive after cleanup"; fi
  done
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT TERM

# Random-ish port base whose broker (P..P+N-1) and controller (P+100..) ports are all free.
pick_port_base() {
  local try base k free
  for (( try = 0; try < 50; try++ )); do
    # 20000..31900, multiples of 100: below the ephemeral range (32768-), where any outgoing
    # connection on the machine may take a port between the check and the bind
    base=$(( 20000 + (RANDOM % 120) * 100 ))
    free=1
    for (( k = 0; k < NODES; k++ )); do
      if port_open $(( base + k )) || port_open $(( base + 100 + k )) || port_open $(( base + 200 + k )); then
        free=0; break
      fi
    done
    (( free )) && { echo "$base"; return 0; }
  done
  return 1
}

kc()   { timeout "$STEP_TIMEOUT" "$KC" --dir "$DIR" "$@"; }
tool() { timeout "$STEP_TIMEOUT" "$KC" --dir "$DIR" tool "$@"; }

rss_report() {
  local k pid rss
  for (( k = 1; k <= NODES; k++ )); do
    pid=$(cat "$DIR/node-$k/pid" 2>/dev/null || true)
    rss=$( [[ -n "$pid" ]] && ps -o rss= -p "$pid" 2>/dev/null | tr -d ' ' || true)
    say "node-$k pid=${pid:-?} rss=$(( ${rss:-0} / 1024 )) MiB ($1)"
  done
}

# Poll CMD (a function name) every second until it succeeds or SECONDS elapse.
eventually() {
  local secs=$1; shift
  local deadline=$(( $(date +%s) + secs ))
  until "$@"; do
    (( $(date +%s) < deadline )) || return 1
    sleep 1
  done
}

PORT_BASE=$(pick_port_base) || { say "FAIL: no free port base found"; exit 1; }
say "nodes=$NODES dir=$DIR port-base=$PORT_BASE"
EXPECTED_BOOT=$(for (( k = 0; k < NODES; k++ )); do printf '%s127.0.0.1:%d' "$([[ $k -gt 0 ]] && echo ,)" $(( PORT_BASE + k )); done)

# Make sure the jars are there before timing `up` (first run: Maven download).
timeout 900 "$KC" fetch || { fail "fetch Kafka jars"; exit 1; }

# ---------------------------------------------------------------------------------------- up
# 3 nodes: node 3 advertises the port of a relay to its own port (--advertise).
ADVERTISE=()
if (( NODES == 3 )); then
  python3 "$ROOT/tests/lib/ksproxy.py" $(( PORT_BASE + 2 )) --lifetime 900 >"$WORK/relay.port" &
  RELAY_PID=$!
  relay_ready() { [[ -s "$WORK/relay.port" ]]; }
  eventually 30 relay_ready || { fail "the relay for --advertise did not start"; exit 1; }
  RELAY_PORT=$(head -n1 "$WORK/relay.port")
  ADVERTISE=(--advertise "3=$RELAY_PORT")
fi
t0=$(now_ms)
if BOOT=$(timeout $(( UP_TIMEOUT + 120 )) "$KC" up --nodes "$NODES" --dir "$DIR" --port-base "$PORT_BASE" \
             --security "$SECURITY" ${ADVERTISE[@]+"${ADVERTISE[@]}"} | tail -n1); then
  UP_MS=$(( $(now_ms) - t0 ))
  if [[ "$BOOT" == "$EXPECTED_BOOT" ]]; then pass "up --nodes $NODES in ${UP_MS} ms, bootstrap $BOOT"
  else fail "up printed '$BOOT', expected '$EXPECTED_BOOT'"; fi
else
  fail "up --nodes $NODES"
  say "$FAILED failed"; echo "$PASSED passed, $FAILED failed"; exit 1
fi
for (( k = 1; k <= NODES; k++ )); do PIDS+=("$(cat "$DIR/node-$k/pid")"); done
# Kafka's tools as a super user of a secured cluster (nothing for a plaintext one).
CMD_CONFIG=() PRODUCER_CONFIG=() CONSUMER_CONFIG=()
if [[ "$SECURITY" != plaintext ]]; then
  CMD_CONFIG=(--command-config "$DIR/admin.properties")
  PRODUCER_CONFIG=(--producer.config "$DIR/admin.properties")
  CONSUMER_CONFIG=(--consumer.config "$DIR/admin.properties")
fi
rss_report "after up"

if [[ "$(grep -c ' running ' <(kc status))" == "$NODES" ]]; then pass "status: $NODES running"
else fail "status does not show $NODES running nodes"; kc status || true; fi

if (( NODES == 3 )); then
  # What each broker id is advertised as, from the brokers' metadata: "ADDR:PORT (id: K rack: ...".
  advertised=$(tool kafka-broker-api-versions --bootstrap-server "$BOOT" 2>/dev/null \
                 | sed -n 's/^\([0-9.]*:[0-9]*\) (id: \([0-9]*\) .*/\2=\1/p' | sort | paste -sd' ' || true)
  expected="1=127.0.0.1:$PORT_BASE 2=127.0.0.1:$(( PORT_BASE + 1 )) 3=127.0.0.1:$RELAY_PORT"
  if [[ "$advertised" == "$expected" ]]; then pass "--advertise 3=$RELAY_PORT: metadata gives $advertised"
  else fail "--advertise 3=$RELAY_PORT: metadata gives '$advertised', expected '$expected'"; fi
fi

# ---------------------------------------------------------------------------- produce/consume
TOPIC=sentinel-test
if tool kafka-topics --bootstrap-server "$BOOT" ${CMD_CONFIG[@]+"${CMD_CONFIG[@]}"} --create --topic "$TOPIC" \
     --partitions 1 --replication-factor "$NODES" >/dev/null; then
  pass "kafka-topics --create $TOPIC (RF=$NODES)"
else
  fail "kafka-topics --create $TOPIC"
fi

if seq 1 10 | tool kafka-console-producer --bootstrap-server "$BOOT" ${PRODUCER_CONFIG[@]+"${PRODUCER_CONFIG[@]}"} --topic "$TOPIC"; then
  pass "kafka-console-producer: 10 messages"
else
  fail "kafka-console-producer"
fi

offsets=$(tool kafka-get-offsets --bootstrap-server "$BOOT" ${CMD_CONFIG[@]+"${CMD_CONFIG[@]}"} --topic "$TOPIC" || true)
if [[ "$offsets" == "$TOPIC:0:10" ]]; then pass "kafka-get-offsets: $offsets"
else fail "kafka-get-offsets: got '$offsets', expected '$TOPIC:0:10'"; fi

consumed=$(tool kafka-console-consumer --bootstrap-server "$BOOT" ${CONSUMER_CONFIG[@]+"${CONSUMER_CONFIG[@]}"} --topic "$TOPIC" --group sentinel-test-group \
             --from-beginning --max-messages 10 --timeout-ms 30000 2>/dev/null | paste -sd, || true)
if [[ "$consumed" == "1,2,3,4,5,6,7,8,9,10" ]]; then pass "kafka-console-consumer: read back 1..10"
else fail "kafka-console-consumer: got '$consumed'"; fi

lag=$(tool kafka-consumer-groups --bootstrap-server "$BOOT" ${CMD_CONFIG[@]+"${CMD_CONFIG[@]}"} --describe --group sentinel-test-group --timeout 60000 2>/dev/null \
        | awk -v t="$TOPIC" '$2 == t { print $4 "/" $5 "/" $6 }' || true)
if [[ "$lag" == "10/10/0" ]]; then pass "kafka-consumer-groups: committed 10, end 10, lag 0"
else fail "kafka-consumer-groups: got '$lag' (current/end/lag), expected 10/10/0"; fi

rss_report "after produce/consume"

# ---------------------------------------------------------------------------------- security
env_value() { sed -n "s/^$1=//p" "$DIR/cluster.env" | tail -n1; }
if [[ "$SECURITY" != plaintext ]]; then
  if [[ "$(stat -c %a "$DIR/cluster.env")" == 600 && "$(stat -c %a "$DIR/tls")" == 700 ]]; then
    pass "cluster.env (passwords) and DIR/tls readable by the owner only"
  else fail "cluster.env or DIR/tls readable by others"; fi
  if openssl verify -CAfile "$(env_value TLS_CA)" -verify_ip 127.0.0.1 "$DIR/tls/broker.pem" >/dev/null 2>&1 &&
     ! openssl verify -CAfile "$(env_value TLS_CA)" "$(env_value TLS_EXPIRED_CLIENT_CERT)" >/dev/null 2>&1 &&
     ! openssl verify -CAfile "$(env_value TLS_CA)" "$(env_value TLS_ROGUE_CLIENT_CERT)" >/dev/null 2>&1; then
    pass "the CA verifies the broker certificate for 127.0.0.1, not the expired or the foreign client certificate"
  else fail "certificates: broker not verified, or a bad client certificate verified"; fi
  # A client without the security settings gets nothing from the secured port.
  printf 'security.protocol=PLAINTEXT\ndefault.api.timeout.ms=8000\nrequest.timeout.ms=4000\n' >"$WORK/plain.properties"
  if ! tool kafka-topics --bootstrap-server "$BOOT" --list --command-config "$WORK/plain.properties" \
       >/dev/null 2>&1; then
    pass "a client without the security settings is refused by the secured listener"
  else fail "a PLAINTEXT client could list topics on the secured listener"; fi
fi
if [[ "$SECURITY" == sasl_ssl ]]; then
  listed=$(tool kafka-topics --bootstrap-server "$(env_value BOOTSTRAP_SSL)" \
             --command-config "$(env_value SSL_PROPERTIES)" --list 2>/dev/null || true)
  if grep -qx "$TOPIC" <<<"$listed"; then pass "the mutual-TLS listener serves the client certificate"
  else fail "kafka-topics over mutual TLS: got '$listed'"; fi
fi

# ------------------------------------------------------------------------------- fault tests
urp_lists_topic() {
  tool kafka-topics --bootstrap-server "$BOOT" --describe --under-replicated-partitions 2>/dev/null \
    | grep -q "Topic: $TOPIC[[:space:]]"
}
urp_clear() {
  local out
  out=$(tool kafka-topics --bootstrap-server "$BOOT" --describe --under-replicated-partitions 2>/dev/null) || return 1
  [[ -z "$(grep "Topic: $TOPIC[[:space:]]" <<<"$out" || true)" ]]
}

if (( NODES == 3 )); then
  t0=$(now_ms)
  old=${PIDS[1]}
  if kc stop-node 2 && ! pid_alive "$old" && [[ ! -e "$DIR/node-2/pid" ]]; then
    pass "stop-node 2 in $(( $(now_ms) - t0 )) ms (pid $old gone)"
  else
    fail "stop-node 2"
  fi
  if eventually 30 urp_lists_topic; then pass "under-replicated partitions list $TOPIC while node 2 is down"
  else fail "under-replicated partitions do not list $TOPIC with node 2 down"; fi

  t0=$(now_ms)
  if timeout $(( UP_TIMEOUT + 30 )) "$KC" --dir "$DIR" start-node 2; then
    pass "start-node 2 in $(( $(now_ms) - t0 )) ms"
    PIDS+=("$(cat "$DIR/node-2/pid")")
  else
    fail "start-node 2"
  fi
  if eventually 60 urp_clear; then pass "no under-replicated partitions of $TOPIC after restart"
  else fail "$TOPIC still under-replicated 60 s after node 2 restarted"; fi

  old=${PIDS[2]}
  t0=$(now_ms)
  if kc kill-node 3 && ! pid_alive "$old"; then pass "kill-node 3 (SIGKILL pid $old) in $(( $(now_ms) - t0 )) ms"
  else fail "kill-node 3"; fi
  t0=$(now_ms)
  if timeout $(( UP_TIMEOUT + 30 )) "$KC" --dir "$DIR" start-node 3; then
    pass "start-node 3 after SIGKILL in $(( $(now_ms) - t0 )) ms"
    PIDS+=("$(cat "$DIR/node-3/pid")")
  else
    fail "start-node 3 after SIGKILL"
  fi
  if eventually 60 urp_clear; then pass "no under-replicated partitions of $TOPIC after node 3 recovery"
  else fail "$TOPIC still under-replicated after node 3 recovery"; fi

  offsets=$(tool kafka-get-offsets --bootstrap-server "$BOOT" ${CMD_CONFIG[@]+"${CMD_CONFIG[@]}"} --topic "$TOPIC" || true)
  if [[ "$offsets" == "$TOPIC:0:10" ]]; then pass "offsets intact after faults: $offsets"
  else fail "offsets after faults: got '$offsets'"; fi
fi

# -------------------------------------------------------------------------------------- down
t0=$(now_ms)
if timeout 120 "$KC" down --dir "$DIR"; then pass "down in $(( $(now_ms) - t0 )) ms"
else fail "down"; fi

left=()
for p in "${PIDS[@]}"; do pid_alive "$p" && left+=("$p"); done
if (( ${#left[@]} == 0 )); then pass "no process left (pids ${PIDS[*]})"
else fail "processes still alive after down: ${left[*]}"; fi

open_ports=()
for (( k = 0; k < NODES; k++ )); do
  for p in $(( PORT_BASE + k )) $(( PORT_BASE + 100 + k )) $(( PORT_BASE + 200 + k )); do
    port_open "$p" && open_ports+=("$p")
  done
done
if (( ${#open_ports[@]} == 0 )); then pass "all cluster ports closed"
else fail "ports still open after down: ${open_ports[*]}"; fi

if timeout 60 "$KC" down --dir "$DIR" 2>/dev/null; then pass "down is idempotent"
else fail "second down failed"; fi

echo "$PASSED passed, $FAILED failed"
(( FAILED == 0 ))

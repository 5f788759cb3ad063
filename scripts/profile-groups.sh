#!/usr/bin/env bash
# Where the agent's own CPU goes with many consumer groups, read from __consumer_offsets
# (docs/performance.md, "Where the agent's CPU goes"). Not run by make: a tool for the
# person tuning the agent. Needs `perf` (Debian's linux-perf) and asserts nothing.
#
# One local 3-node Kafka (loopback), 100 topics x 10 partitions, GROUPS groups with committed
# offsets (bench/bench_groups_cycle --setup, as scripts/bench-peers.sh). Then each AGENT
# binary given, one after the other on the same cluster and groups: started with
# collectors.groups.source SOURCE and every collector every 15 s, scraped (gzip) every 15 s
# once it has the full view (scripts/bench_peers.py monitor, WINDOW seconds), and sampled by
# `perf record` (cpu-clock, DWARF call graphs) from its full view to the window's end. Per
# agent: its CPU over the window, and perf's flat and caller reports in OUT/NAME.*.txt.
#
# Usage: scripts/profile-groups.sh [--groups N] [--window S] [--source S] [--out DIR]
#                                  [--no-perf] NAME=AGENT_BINARY...
#   --no-perf  only the figures (CPU, RSS, scrapes; a scrape at once after each: the cache)
#   e.g. scripts/profile-groups.sh before=/tmp/old/kafka-sentinel after=build/agent/kafka-sentinel
# The cluster is stopped (by PID) and its directory removed on exit; OUT stays.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cluster="$here/kafka-cluster.sh"
measure="$here/bench_peers.py"
groups=2000
window=150
source=offsets_topic
out=/tmp/ks-profile
seeder=${SEEDER:-build/bench/bench_groups_cycle}
agents=()
use_perf=1
while (( $# > 0 )); do
  case "$1" in
    --groups) groups=$2; shift 2 ;;
    --window) window=$2; shift 2 ;;
    --source) source=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --no-perf) use_perf=0; shift ;;
    -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    *=*) agents+=("$1"); shift ;;
    *) echo "profile-groups: unknown argument $1" >&2; exit 2 ;;
  esac
done
(( ${#agents[@]} > 0 )) || { echo "profile-groups: name no agent (NAME=BINARY)" >&2; exit 2; }
(( use_perf == 0 )) || command -v perf >/dev/null || { echo "profile-groups: perf is missing (linux-perf)" >&2; exit 2; }
[[ -x "$seeder" ]] || { echo "profile-groups: $seeder is missing (cmake --build build --target benches)" >&2; exit 2; }
mkdir -p "$out"

work=$(mktemp -d /tmp/ks-profile-groups.XXXXXX)
kdir="$work/kafka"
cleanup() {
  "$cluster" down --dir "$kdir" --purge >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
port_base() {
  python3 - <<'PY'
import random, socket
for _ in range(200):
    base = random.randrange(30000, 45000)
    try:
        for port in [base + k for k in range(3)] + [base + 100 + k for k in range(3)]:
            s = socket.socket(); s.bind(("127.0.0.1", port)); s.close()
    except OSError:
        continue
    print(base); break
PY
}

bootstrap=$("$cluster" up --nodes 3 --dir "$kdir" --port-base "$(port_base)" | tail -n1)
broker_pids=$(cat "$kdir"/node-*/pid | paste -sd,)
"$seeder" --bootstrap "$bootstrap" --setup "$groups" --topics 100 --partitions 10 \
  --messages 20 --prefix pbench

for spec in "${agents[@]}"; do
  name=${spec%%=*} agent=${spec#*=}
  port=$(free_port)
  config="$work/$name.yaml"
  cat >"$config" <<YAML
log:
  level: warn
http:
  listen: "127.0.0.1:$port"
kafka:
  bootstrap_servers: "$bootstrap"
collectors:
  host:
    interval: 15s
  brokers:
    interval: 15s
  groups:
    interval: 15s
    source: $source
YAML
  echo "-- $name: $agent (${window} s)"
  python3 "$measure" monitor --name "$name" --family kafka_consumergroup_lag \
    --labels consumergroup,topic,partition --url "http://127.0.0.1:$port/metrics" \
    --out "$out/results.jsonl" --broker-pids "$broker_pids" --log "$work/$name.log" \
    --window "$window" --groups "$groups" --cached-scrape -- "$agent" --config "$config" &
  monitor_pid=$!
  pid=""
  comm=$(basename "$agent"); comm=${comm:0:15}  # the kernel's process name: 15 bytes
  for _ in $(seq 100); do  # the agent: the monitor's child
    pid=$(pgrep -P "$monitor_pid" -x "$comm" || true)
    [[ -n "$pid" ]] && break
    sleep 0.1
  done
  [[ -n "$pid" ]] || { echo "!! $name did not start"; wait "$monitor_pid" || true; continue; }
  if (( use_perf == 0 )); then wait "$monitor_pid" || true; continue; fi
  # From the full view (the first read of the stream is not what is profiled) to the end.
  for _ in $(seq "$window"); do
    python3 -c 'import json, sys, urllib.request
sys.exit(0 if json.load(urllib.request.urlopen(sys.argv[1], timeout=5)).get("ready") else 1)' \
      "http://127.0.0.1:$port/readyz" 2>/dev/null && break
    sleep 1
  done
  cpu_from=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  started=$(date +%s)
  perf record -q -e cpu-clock -F 997 --call-graph dwarf,16384 -p "$pid" \
    -o "$out/$name.perf.data" 2>/dev/null &
  perf_pid=$!
  wait "$monitor_pid" || true
  wait "$perf_pid" || true
  echo "$name: $(( $(date +%s) - started )) s profiled"
  perf report -i "$out/$name.perf.data" --no-children --sort dso,symbol --stdio 2>/dev/null |
    grep -v '^$' | head -80 >"$out/$name.flat.txt" || true  # head closes the pipe early: SIGPIPE
  perf report -i "$out/$name.perf.data" --children --sort symbol --stdio -g none \
    --percent-limit 2 2>/dev/null | grep -v '^$' | head -80 >"$out/$name.children.txt" || true
  perf report -i "$out/$name.perf.data" --no-children --sort comm --stdio -g none 2>/dev/null |
    grep -v '^$' >"$out/$name.threads.txt" || true
  echo "   profile: $out/$name.flat.txt, $out/$name.children.txt (ticks from: $cpu_from)"
done
python3 "$measure" table --in "$out/results.jsonl" --window "$window" 2>/dev/null ||
  tail -n "${#agents[@]}" "$out/results.jsonl"

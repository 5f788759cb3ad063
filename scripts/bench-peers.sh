#!/usr/bin/env bash
# `make bench-peers`: kafka-sentinel side by side with the other consumer-lag monitors on one
# cluster. Prints figures and a Markdown table; asserts nothing.
#
# One local 3-node Kafka (scripts/kafka-cluster.sh, loopback), 100 topics x 10 partitions
# with 20 messages in every partition, and GROUPS groups with committed offsets on one topic
# each, all 10 partitions (bench/bench_groups_cycle --setup; no consumer runs, no traffic).
# Then each monitor alone, for WINDOW seconds from its start (scripts/bench_peers.py
# monitor): scraped every second until its /metrics has the lag of all GROUPS x 10
# partitions (time to full view), then every INTERVAL seconds; its own CPU, the brokers'
# CPU over the window, its peak RSS, the scrapes' median latency, and how many lag series
# equal the lag that was created; for kafka-sentinel also a second scrape right after each
# (served from the body the first one rendered and cached). Before the first monitor and
# after each one the brokers' idle CPU is measured (BASELINE seconds), and "CPU added to the
# brokers" is a monitor's window minus their mean.
#
# Monitors, every collection every INTERVAL seconds:
#   kafka-sentinel (admin API)       collectors.groups.source: admin_api when the agent knows
#                                    the option (else the agent's only source); defaults
#                                    otherwise (host, brokers and groups collectors)
#   kafka-sentinel (offsets stream)  collectors.groups.source: offsets_topic; skipped, with a
#                                    note, when the agent rejects the option
#   kminion                          $PEERS_BIN/kminion, scrapeMode KMINION_MODE (adminApi),
#                                    defaults otherwise; it collects on every scrape
#   kafka_exporter                   $PEERS_BIN/kafka_exporter, defaults; collects on scrape
#   Burrow                           $PEERS_BIN/burrow, cluster + kafka consumer modules (it
#                                    reads __consumer_offsets), no notifier and so no
#                                    ZooKeeper; offset-refresh INTERVAL
# A peer whose binary is not in PEERS_BIN is skipped (built outside the project from the
# peers' own repositories; see docs/performance.md).
#
# Usage: scripts/bench-peers.sh [BUILD_DIR] [--groups N | --large] [--window S]
#                               [--interval S] [--baseline S] [--peers-bin DIR]
#                               [--only NAME,...] [--request-log]
#   --large        20,000 groups (default 2,000)
#   --only         a subset of: sentinel,sentinel-stream,kminion,kafka_exporter,burrow
#   --request-log  the nodes log every request they serve (kafka-cluster.sh
#                  KAFKA_REQUEST_LOG=1), and a second table gives, per monitor, the requests
#                  the brokers served during its window by API, with the time the brokers'
#                  request threads spent on them: what it asks of the brokers, counted by
#                  them, free of their idle CPU's noise. The logging costs the brokers CPU,
#                  so "CPU added to the brokers" of such a run is not comparable to others.
# Environment: PEERS_BIN (default: none, so only kafka-sentinel runs), KMINION_MODE
# (adminApi | offsetsTopic). The cluster is stopped (by PID) and its directory removed on exit.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cluster="$here/kafka-cluster.sh"
measure="$here/bench_peers.py"
build=build
groups=2000
window=120
interval=15
baseline=""
peers_bin=${PEERS_BIN:-}
only=""
request_log=0
kminion_mode=${KMINION_MODE:-adminApi}
while (( $# > 0 )); do
  case "$1" in
    --groups) groups=$2; shift 2 ;;
    --large) groups=20000; shift ;;
    --window) window=$2; shift 2 ;;
    --interval) interval=$2; shift 2 ;;
    --baseline) baseline=$2; shift 2 ;;
    --peers-bin) peers_bin=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --request-log) request_log=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    -*) echo "bench-peers: unknown option $1" >&2; exit 2 ;;
    *) build=$1; shift ;;
  esac
done
baseline=${baseline:-$(( window < 60 ? window : 60 ))}
agent="$build/agent/kafka-sentinel"
seeder="$build/bench/bench_groups_cycle"
for f in "$agent" "$seeder"; do
  [[ -x "$f" ]] || { echo "bench-peers: $f is missing (make bench-peers builds it, or: cmake --build $build --target benches)" >&2; exit 2; }
done

work=$(mktemp -d /tmp/ks-bench-peers.XXXXXX)
kdir="$work/kafka"
cleanup() {
  "$cluster" down --dir "$kdir" --purge >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# A port base P with P..P+2 and P+100..P+102 free (the nodes' and controllers' listeners).
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

selected() { [[ -z "$only" || ",$only," == *",$1,"* ]]; }

echo "== cluster: 3 nodes, 100 topics x 10 partitions, $groups groups x 10 partitions"
bootstrap=$(KAFKA_REQUEST_LOG=$request_log "$cluster" up --nodes 3 --dir "$kdir" \
  --port-base "$(port_base)" | tail -n1)
broker_pids=$(cat "$kdir"/node-*/pid | paste -sd,)
request_logs=()
(( request_log == 0 )) || request_logs=(--request-logs "$(ls "$kdir"/node-*/pid | sed 's,pid$,requests.log,' | paste -sd,)")
started=$(date +%s)
"$seeder" --bootstrap "$bootstrap" --setup "$groups" --topics 100 --partitions 10 \
  --messages 20 --prefix pbench
echo "setup took $(( $(date +%s) - started )) s"

# What Kafka's own tools say, against what the seeder meant to create: every partition's end
# offset, and one group's lag as kafka-consumer-groups reports it.
"$cluster" --dir "$kdir" tool kafka-get-offsets --bootstrap-server "$bootstrap" \
  --topic-partitions 'pbench-t.*' >"$work/end-offsets.txt"
awk -F: '$3 != 20 { bad++ } END { printf "end offsets: %d partitions, %d not 20\n", NR, bad }' \
  "$work/end-offsets.txt"
"$cluster" --dir "$kdir" tool kafka-consumer-groups --bootstrap-server "$bootstrap" \
  --describe --group pbench-g0123 2>/dev/null |
  awk '$1 == "pbench-g0123" { n++; if ($2 == "pbench-t023" && $6 == 20 - (7 * 123 + $3) % 21) ok++ }
       END { printf "kafka-consumer-groups on pbench-g0123: %d partitions, %d with the lag created\n", n, ok }'

results="$work/results.jsonl"
monitor() {  # NAME FAMILY LABELS URL [--env K=V]... -- COMMAND...
  local name=$1 family=$2 labels=$3 url=$4
  shift 4
  echo "-- $name (${window} s)"
  python3 "$measure" monitor --name "$name" --family "$family" --labels "$labels" \
    --url "$url" --out "$results" --broker-pids "$broker_pids" --log "$work/$name.log" \
    --window "$window" --interval "$interval" --groups "$groups" "${request_logs[@]}" "$@" ||
    { echo "!! $name: measurement failed"; tail -5 "$work/$name.log" 2>/dev/null || true; }
  grep -q "\"name\": \"$name\".*\"exited\": null" "$results" ||
    { echo "!! $name exited early:"; tail -20 "$work/$name.log" 2>/dev/null || true; }
  sleep 5
  python3 "$measure" baseline --window "$baseline" --broker-pids "$broker_pids" --out "$results" \
    "${request_logs[@]}"
}

sentinel_config() {  # FILE PORT SOURCE ("" = leave the option out)
  cat >"$1" <<YAML
log:
  level: warn
http:
  listen: "127.0.0.1:$2"
kafka:
  bootstrap_servers: "$bootstrap"
collectors:
  host:
    interval: ${interval}s
  brokers:
    interval: ${interval}s
  groups:
    interval: ${interval}s
YAML
  [[ -z "$3" ]] || printf '    source: %s\n' "$3" >>"$1"
}

run_sentinel() {  # NAME SOURCE
  local port config
  port=$(free_port)
  config="$work/sentinel-$2.yaml"
  sentinel_config "$config" "$port" "$2"
  monitor "$1" kafka_consumergroup_lag consumergroup,topic,partition \
    "http://127.0.0.1:$port/metrics" --cached-scrape -- "$agent" --config "$config"
}

run_kminion() {
  local port=$(free_port)
  cat >"$work/kminion.yaml" <<YAML
logger:
  level: warn
kafka:
  brokers: [$(sed 's/\([^,]*\)/"\1"/g; s/,/, /g' <<<"$bootstrap")]
minion:
  consumerGroups:
    scrapeMode: $kminion_mode
exporter:
  host: 127.0.0.1
  port: $port
YAML
  monitor "kminion ($kminion_mode)" kminion_kafka_consumer_group_topic_partition_lag \
    group_id,topic_name,partition_id "http://127.0.0.1:$port/metrics" \
    --env "CONFIG_FILEPATH=$work/kminion.yaml" -- "$peers_bin/kminion"
}

run_kafka_exporter() {
  local port=$(free_port) servers=()
  IFS=, read -ra servers <<<"$bootstrap"
  monitor kafka_exporter kafka_consumergroup_lag consumergroup,topic,partition \
    "http://127.0.0.1:$port/metrics" -- "$peers_bin/kafka_exporter" \
    "${servers[@]/#/--kafka.server=}" --web.listen-address="127.0.0.1:$port"
}

run_burrow() {
  local port=$(free_port) servers
  servers=$(sed 's/\([^,]*\)/"\1"/g; s/,/, /g' <<<"$bootstrap")
  mkdir -p "$work/burrow"
  cat >"$work/burrow/burrow.toml" <<TOML
[general]
pidfile="$work/burrow/burrow.pid"
[logging]
level="warn"
[client-profile.bench]
client-id="burrow-bench"
kafka-version="2.8.0"
[cluster.local]
class-name="kafka"
servers=[ $servers ]
client-profile="bench"
topic-refresh=60
offset-refresh=$interval
[consumer.local]
class-name="kafka"
cluster="local"
servers=[ $servers ]
client-profile="bench"
[httpserver.default]
address="127.0.0.1:$port"
[storage.default]
class-name="inmemory"
TOML
  monitor burrow burrow_kafka_consumer_partition_lag consumer_group,topic,partition \
    "http://127.0.0.1:$port/metrics" -- "$peers_bin/burrow" --config-dir "$work/burrow"
}

peer_present() {  # BINARY
  [[ -n "$peers_bin" && -x "$peers_bin/$1" ]] && return 0
  echo "-- $1: skipped (no ${peers_bin:-PEERS_BIN}/$1)"
  return 1
}

sleep 30  # the brokers settle after the setup (the first baseline is otherwise high)
python3 "$measure" baseline --window "$baseline" --broker-pids "$broker_pids" --out "$results" \
    "${request_logs[@]}"
sentinel_config "$work/probe.yaml" 1 offsets_topic
if "$agent" check-config "$work/probe.yaml" >"$work/probe.txt" 2>&1; then
  selected sentinel && run_sentinel "kafka-sentinel (admin API)" admin_api
  selected sentinel-stream && run_sentinel "kafka-sentinel (offsets stream)" offsets_topic
else
  echo "-- kafka-sentinel (offsets stream): skipped, this agent rejects the option:"
  sed 's/^/   /' "$work/probe.txt"
  selected sentinel && run_sentinel "kafka-sentinel (admin API)" ""
fi
selected kminion && peer_present kminion && run_kminion
selected kafka_exporter && peer_present kafka_exporter && run_kafka_exporter
selected burrow && peer_present burrow && run_burrow

echo
echo "== $groups groups x 10 partitions, 100 topics x 10 partitions, 3 brokers;" \
  "every monitor alone, ${window} s from its start, collection and scrape every ${interval} s"
python3 "$measure" table --in "$results" --window "$window"

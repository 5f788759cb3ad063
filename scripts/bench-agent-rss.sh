#!/usr/bin/env bash
# The real agent's memory on a live cluster: runs build/agent/kafka-sentinel against
# BOOTSTRAP (groups and brokers collectors every INTERVAL, host on), scrapes /metrics after
# every groups cycle as Prometheus would (gzip, and once plain per cycle), and after CYCLES
# groups cycles prints the agent's RSS (VmRSS) and peak RSS (VmHWM, from /proc/PID/status),
# the last render's time, size and series, and the groups cycle's stage times. Prints
# figures; asserts nothing. The agent is stopped by its PID.
#
# Usage: scripts/bench-agent-rss.sh BUILD_DIR BOOTSTRAP [GROUP_REGEX] [CYCLES] [INTERVAL]
#   e.g. scripts/bench-agent-rss.sh build 127.0.0.1:46100 'gbench-g[0-9]+' 4 5s
set -euo pipefail
build=$1
bootstrap=$2
groups=${3:-.*}
cycles=${4:-4}
interval=${5:-5s}
agent="$build/agent/kafka-sentinel"
work=$(mktemp -d /tmp/ks-bench-agent.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$work/config.yaml" <<YAML
log:
  level: warn
http:
  listen: "127.0.0.1:$port"
kafka:
  bootstrap_servers: "$bootstrap"
  request_timeout: 30s
collectors:
  host:
    interval: $interval
  brokers:
    interval: $interval
  groups:
    interval: $interval
    groups:
      include: ["$groups"]
YAML
"$agent" --config "$work/config.yaml" >"$work/agent.log" 2>&1 &
pid=$!
cleanup() {
  kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

url="http://127.0.0.1:$port/metrics"
metric() {  # NAME_AND_LABELS: the value in the last plain body
  awk -v m="$1" '$1 == m { print $2 }' "$work/metrics.txt"
}
runs=0
started=$(date +%s)
while (( runs < cycles )); do
  sleep 1
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "agent exited:"; tail -20 "$work/agent.log"; exit 1
  fi
  curl -sf "$url" -o "$work/metrics.txt" || continue
  curl -sf -H 'Accept-Encoding: gzip' "$url" -o /dev/null || true
  runs=$(metric 'kafka_sentinel_collector_runs_total{collector="groups"}')
  runs=${runs%.*}
  runs=${runs:-0}
  if (( $(date +%s) - started > 600 )); then echo "no $cycles groups cycles in 600 s"; exit 1; fi
done
status() { awk -v f="$1" '$1 == f { print $2 }' "/proc/$pid/status"; }
echo "agent (pid $pid) after $runs groups cycles, interval $interval:" \
  "VmRSS $(status VmRSS:) KiB, VmHWM (peak) $(status VmHWM:) KiB"
echo "  groups monitored $(metric kafka_sentinel_groups_monitored)," \
  "last groups cycle $(metric 'kafka_sentinel_collector_duration_seconds{collector="groups"}') s" \
  "(describe $(metric 'kafka_sentinel_groups_stage_seconds{stage="describe"}')," \
  "offsets $(metric 'kafka_sentinel_groups_stage_seconds{stage="offsets"}')," \
  "watermarks $(metric 'kafka_sentinel_groups_stage_seconds{stage="watermarks"}')," \
  "evaluate $(metric 'kafka_sentinel_groups_stage_seconds{stage="evaluate"}'))"
echo "  /metrics: $(metric kafka_sentinel_metrics_series) series," \
  "$(metric kafka_sentinel_metrics_body_bytes) bytes," \
  "render $(metric kafka_sentinel_metrics_render_duration_seconds) s (the render before the last scrape)"

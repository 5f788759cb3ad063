#!/usr/bin/env bash
# `make bench`: benchmark programs print figures; none of them is a test.
#
# 1. /metrics render of synthetic snapshots (no Kafka); the JSON API at 2,000 groups x 10
#    partitions: every request of the status page and of `lag` (render, cached answers), and
#    /metrics alone and beside an operator's load on the API (a process of its own, capped
#    rate: bench/bench_api.cpp), alternating, with the ratio of their p50s.
# 2. Broker-metadata cycle on a local 3-node cluster: 200 topics x 10 partitions, RF 3; then
#    1,000 topics x 10 partitions, RF 1 (to keep the local cluster light). Cost should grow
#    linearly with partitions; requests should follow brokers, not partitions.
# 3. Consumer-groups cycle on a local 1-node cluster: 100, 500 and 1,000 groups (one process
#    each, so its RSS is that size's alone), 100 topics x 24 partitions. Then the real agent
#    on the same cluster at 1,000 groups (groups and brokers every 5 s, scraped after every
#    cycle): its RSS and peak RSS (target: under 60 MB), render time and size
#    (scripts/bench-agent-rss.sh).
# 4. kafka-sentinel side by side with kminion, kafka_exporter and Burrow on a 3-node cluster
#    at 2,000 groups (scripts/bench-peers.sh; the peers whose binaries are in PEERS_BIN, none
#    when it is unset; BENCH_PEERS_ARGS passes options, e.g. "--large --window 60").
# 5. Load during faults (bench/load_faults.py): 200 keep-alive gzip scrapers (wrk) on the
#    agent's /metrics at 2,000 groups x 10 partitions on a local 3-node cluster, steady, while
#    a broker is killed and restarted, and with the whole cluster down; node_exporter as a
#    reference. A table of p50/p99 and errors per phase (skipped without wrk).
#    BENCH_LOAD_SECONDS (default 20) per phase, BENCH_LOAD_CONNECTIONS (default 200).
# 6. Soak (bench/soak.py): the same agent and groups for SOAK_MINUTES (default 30) with a
#    consumer workload and one broker restart, sampled every SOAK_SAMPLE_SECONDS (default 60):
#    RSS, fds, threads, CPU per cycle; a steady growth over the second half fails the bench.
#    SOAK_MINUTES=3 SOAK_SAMPLE_SECONDS=20 for a short run; SOAK_MINUTES=240 for a long one.
# 7. End-to-end probe cost (bench/probe_cost.py): an agent with the probe at 1 s beside one
#    without, on a 3-node cluster: the probe's CPU, RSS and bytes per second.
#    BENCH_PROBE_SECONDS (default 60).
# Each cluster is started in a fresh temporary directory and stopped (by PID) on exit.
# BENCH_QUICK=1 runs only the render benchmark; BENCH_ONLY=render|brokers|groups|peers|faults|probe|soak
# runs one section. A section that fails (e.g. a cluster too slow to start on a busy machine) is
# reported and the next one still runs; the exit status is then 1.
set -euo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
cluster="$here/kafka-cluster.sh"
only=${BENCH_ONLY:-}
[[ "${BENCH_QUICK:-0}" == 1 ]] && only=render
# The benches are not in the default build (bench/CMakeLists.txt): bring them up to date.
cmake --build "$build" --target benches >/dev/null

dirs=()
cleanup() {
  for d in "${dirs[@]}"; do "$cluster" down --dir "$d" --purge >/dev/null 2>&1 || true; done
}
trap cleanup EXIT

render_section() {
  echo "== /metrics render (synthetic snapshots)"
  "$build/bench/bench_render"
  echo "== JSON API at 2,000 groups x 10 partitions (synthetic snapshots, real HTTP server)"
  "$build/bench/bench_api"
}

brokers_section() {
  echo "== broker-metadata cycle, 3-node cluster"
  local k3 b3
  k3=$(mktemp -d /tmp/ks-bench-k3.XXXXXX)
  dirs+=("$k3")
  b3=$("$cluster" up --nodes 3 --dir "$k3" --port-base 29100 | tail -n1)
  echo "-- 200 topics x 10 partitions, replication factor 3"
  "$build/bench/bench_broker_cycle" --bootstrap "$b3" --create-topics 200 --partitions 10 \
    --replication-factor 3 --prefix bench200- --cycles 5
  echo "-- 1,000 topics x 10 partitions, replication factor 1"
  "$build/bench/bench_broker_cycle" --bootstrap "$b3" --create-topics 1000 --partitions 10 \
    --replication-factor 1 --prefix bench1000- --cycles 5
  "$cluster" down --dir "$k3" --purge >/dev/null
}

groups_section() {
  echo "== consumer-groups cycle, 1-node cluster"
  local k1 b1 n
  k1=$(mktemp -d /tmp/ks-bench-k1.XXXXXX)
  dirs+=("$k1")
  b1=$("$cluster" up --nodes 1 --dir "$k1" --port-base 29200 | tail -n1)
  "$build/bench/bench_groups_cycle" --bootstrap "$b1" --setup 1000 --topics 100 --partitions 24
  for n in 100 500 1000; do
    echo "-- $n groups"
    "$build/bench/bench_groups_cycle" --bootstrap "$b1" --groups "$n" --cycles 3
  done
  echo "-- the agent, 1,000 groups"
  "$here/bench-agent-rss.sh" "$build" "$b1" 'gbench-g[0-9]+' 4 5s
  "$cluster" down --dir "$k1" --purge >/dev/null
}

peers_section() {
  echo "== side by side with the peers"
  # shellcheck disable=SC2086  # the options are words
  "$here/bench-peers.sh" "$build" ${BENCH_PEERS_ARGS:-}
}

faults_section() {
  echo "== load during faults: 200 scrapers, 2,000 groups x 10 partitions, 3-node cluster"
  KS_BUILD_DIR="$(cd "$build" && pwd)" python3 "$here/../bench/load_faults.py"
}

probe_section() {
  echo "== end-to-end probe cost: 1 s interval, 3-node cluster"
  KS_BUILD_DIR="$(cd "$build" && pwd)" python3 "$here/../bench/probe_cost.py"
}

soak_section() {
  echo "== soak: ${SOAK_MINUTES:-30} min, 2,000 groups, consumers, one broker restart"
  KS_BUILD_DIR="$(cd "$build" && pwd)" python3 "$here/../bench/soak.py"
}

failed=()
for section in render brokers groups peers faults probe soak; do
  [[ -n "$only" && "$only" != "$section" ]] && continue
  # A subshell, so that set -e stops the section, not the whole benchmark; its clusters
  # are stopped by its own trap. (Not inside `if`: there bash would ignore set -e.)
  set +e
  ( set -e; trap cleanup EXIT; "${section}_section" )
  rc=$?
  set -e
  if (( rc != 0 )); then
    echo "!! $section section failed (exit $rc)"
    failed+=("$section")
  fi
  echo
done
if (( ${#failed[@]} > 0 )); then
  echo "failed sections: ${failed[*]}"
  exit 1
fi

#!/usr/bin/env bash
# `make bench`: benchmark programs print figures; none of them is a test.
set -euo pipefail
build=${1:-build}
echo "== /metrics render (synthetic snapshots)"
"$build/bench/bench_render"

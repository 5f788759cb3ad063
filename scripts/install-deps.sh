#!/usr/bin/env bash
# Installs what kafka-sentinel needs to build, test and run its demo, from Debian's
# packages. Idempotent; prints nothing when everything is already there.
set -euo pipefail

packages=(
  # build
  g++ cmake make ninja-build pkg-config git
  # fuzzing (make fuzz): clang and its libFuzzer/sanitizer runtimes
  clang libclang-rt-14-dev
  # libraries
  librdkafka-dev prometheus-cpp-dev libcpp-httplib-dev libyaml-cpp-dev libspdlog-dev
  libfmt-dev nlohmann-json3-dev zlib1g-dev catch2
  # the HTTPS endpoint (OpenSSL) and bcrypt checks of its basic auth users (libxcrypt)
  libssl-dev libcrypt-dev
  # tests: promtool, a real Prometheus, amtool; HTTP client for scripted tests
  prometheus prometheus-alertmanager curl python3 python3-yaml docker-compose
  # a real Apache Kafka from its own jars; the throwaway CA and certificates of a secured one
  # and of the HTTPS endpoint's e2e test
  openjdk-17-jre-headless maven openssl
  # tests of the status page: a headless browser driven through its DevTools protocol
  chromium python3-websocket
  # benches: concurrent scrapers (wrk) and node_exporter as the reference scrape
  wrk prometheus-node-exporter
)

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >/dev/null
# The prometheus packages try to start their services; nothing here needs them running
# (tests start their own), and in containers there is no init to start them with.
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null

#!/usr/bin/env bash
# kafka-cluster.sh: a real local Apache Kafka (KRaft, combined broker+controller nodes) for the
# tests and the demo, run straight from Apache's own jars (fetched once with Maven, then cached).
#
# Usage:
#   scripts/kafka-cluster.sh fetch
#   scripts/kafka-cluster.sh up [--nodes 1|3] [--dir DIR] [--port-base P] [--host ADDR] [--prop key=value]...
#                               [--security plaintext|sasl_ssl|ssl] [--advertise K=PORT]... [--fresh]
#   scripts/kafka-cluster.sh status     [--dir DIR]
#   scripts/kafka-cluster.sh bootstrap  [--dir DIR]
#   scripts/kafka-cluster.sh stop-node  K [--dir DIR]
#   scripts/kafka-cluster.sh kill-node  K [--dir DIR]
#   scripts/kafka-cluster.sh start-node K [--dir DIR]
#   scripts/kafka-cluster.sh down       [--dir DIR] [--purge]
#   scripts/kafka-cluster.sh [--dir DIR] tool NAME [ARGS...]
#   scripts/kafka-cluster.sh tools            (lists NAME -> main class)
#
# `up` prints progress to stderr and the bootstrap list as the LAST line of stdout:
#   BOOTSTRAP=$(scripts/kafka-cluster.sh up --nodes 3 --dir /tmp/k3 | tail -n1)
#   scripts/kafka-cluster.sh tool kafka-topics --bootstrap-server "$BOOTSTRAP" --list
# `tool` passes ARGS through unchanged (pass --bootstrap-server yourself); NAME is the usual
# script name (kafka-topics, kafka-console-producer, ... with or without .sh) or a main class.
#
# Node K (1-based) listens on PLAINTEXT ADDR:(P+K-1) and CONTROLLER ADDR:(P+100+K-1), ADDR being
# --host (default 127.0.0.1; an IPv4 address of this machine or network namespace, e.g. a
# bridge's, for clients in other namespaces): listeners, advertised listeners, controller quorum
# voters, the bootstrap list and the readiness checks all use it.
# --advertise K=PORT: node K advertises ADDR:PORT on its client listener instead of its own
# port (it still listens on ADDR:(P+K-1); the controller listener is untouched): clients that
# learn the brokers from the metadata, and the other brokers replicating from K, go through
# whatever listens on PORT (a test's delaying proxy, started before `up`). Like --prop, only
# when the cluster is created.
# KAFKA_REQUEST_LOG=1 (with `up`, when the cluster is created): every node logs each request
# it serves to node-K/requests.log (Kafka's request logger at DEBUG: one JSON line each).
# DIR/cluster.env records BOOTSTRAP, NODES, PORT_BASE, ... (and HOST when not the default) so
# later commands need only --dir.
#
# --security (default plaintext) secures the client listeners (the controller listener stays
# PLAINTEXT on ADDR:(P+100+K-1)); a throwaway CA, broker and client certificates (PEM, made
# with openssl) go to DIR/tls/, never anywhere else:
#   sasl_ssl  node K's SASL_SSL listener on ADDR:(P+K-1) (SCRAM-SHA-512 and PLAIN users) and an
#             SSL listener requiring a client certificate (mutual TLS) on ADDR:(P+200+K-1),
#             which the brokers also use between themselves (broker certificate)
#   ssl       only the mutual-TLS listener, on ADDR:(P+K-1)
# Both enable the StandardAuthorizer (no ACL = denied) with super users: the SCRAM users
# `admin` and `sentinel`, the PLAIN user `sentinel-plain`, the client certificate's
# User:CN=sentinel-client, the brokers' certificate and User:ANONYMOUS (the PLAINTEXT
# controller listener); the SCRAM user `limited` has no ACL until you give it some.
# Passwords are random per cluster. DIR/cluster.env then also records SECURITY,
# BOOTSTRAP_SASL_SSL, BOOTSTRAP_SSL, TLS_CA (the CA to trust), TLS_CLIENT_CERT/_KEY, the
# users and passwords (SCRAM_ADMIN_*, SCRAM_USER/_PASSWORD, PLAIN_USER/_PASSWORD,
# LIMITED_USER/_PASSWORD), ADMIN_PROPERTIES (a Java client config with which Kafka's tools
# reach BOOTSTRAP as a super user: `tool NAME --command-config FILE`, or --consumer.config /
# --producer.config), and certificates for failure tests: TLS_ROGUE_CA (another CA, trusted
# by no broker) with TLS_ROGUE_CLIENT_CERT/_KEY (a client certificate it signed), and
# TLS_EXPIRED_CLIENT_CERT/_KEY (signed by the cluster's CA, expired).
# Per node: DIR/node-K/{server.properties,server.log,pid,data/}.
#
# Environment:
#   KAFKA_VERSION          Kafka version to fetch/run (default 3.9.2)
#   KAFKA_SENTINEL_CACHE   cache root (default $HOME/.cache/kafka-sentinel); jars go to
#                          $KAFKA_SENTINEL_CACHE/kafka-<version>/libs
#   KAFKA_CLUSTER_DIR      default for --dir (default ${TMPDIR:-/tmp}/kafka-sentinel-kafka)
#   KAFKA_HEAP_OPTS        broker heap (default -Xms128m -Xmx384m)
#   KAFKA_JVM_OPTS         extra broker JVM flags (default: serial GC, exit on OOM)
#   KAFKA_TOOL_HEAP_OPTS   heap for `tool` (default -Xmx256m)
#   KAFKA_UP_TIMEOUT       seconds to wait for `up` / `start-node` readiness (default 120)
#   KAFKA_STOP_TIMEOUT     seconds to wait after SIGTERM before SIGKILL (default 30)
#   KAFKA_CDS              1 (default): after the first fetch, build a class-data-sharing archive
#                          from one training start of a broker (one-off ~15 s) and use it for every
#                          JVM (~40% less start-up CPU, ~15 MiB less RSS); 0: don't
#   JAVA_HOME / JAVA       which java to run (default: java on PATH)
#
# Processes are only ever signalled by the PID recorded in DIR/node-K/pid, after checking that
# the PID still is that node's JVM (guards against PID reuse). Never by process name.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
POM="$SCRIPT_DIR/kafka/pom.xml"

KAFKA_VERSION=${KAFKA_VERSION:-3.9.2}
CACHE_ROOT=${KAFKA_SENTINEL_CACHE:-${HOME:-/tmp}/.cache/kafka-sentinel}
KAFKA_CACHE="$CACHE_ROOT/kafka-$KAFKA_VERSION"
LIBS="$KAFKA_CACHE/libs"
MARKER="$LIBS/.complete"
TOOLS_LOG4J="$KAFKA_CACHE/config/tools-log4j.properties"

DEFAULT_DIR="${TMPDIR:-/tmp}/kafka-sentinel-kafka"
DEFAULT_PORT_BASE=19092
DEFAULT_HOST=127.0.0.1
HOST=$DEFAULT_HOST
CONTROLLER_OFFSET=100
SSL_OFFSET=200   # the mutual-TLS listener of a sasl_ssl cluster
SECURITY=plaintext

UP_TIMEOUT=${KAFKA_UP_TIMEOUT:-120}
QUORUM_GRACE=8   # seconds a node may keep running after the controller quorum is gone
STOP_TIMEOUT=${KAFKA_STOP_TIMEOUT:-30}
BROKER_HEAP=${KAFKA_HEAP_OPTS:--Xms128m -Xmx384m}
BROKER_JVM=${KAFKA_JVM_OPTS:--XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true}
TOOL_HEAP=${KAFKA_TOOL_HEAP_OPTS:--Xmx256m}
CDS_ENABLED=${KAFKA_CDS:-1}
CDS_DIR="$KAFKA_CACHE/cds"

if [[ -n "${JAVA:-}" ]]; then :
elif [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then JAVA="$JAVA_HOME/bin/java"
else JAVA=java
fi

STARTED_MARKER="Kafka Server started"   # logged by kafka.server.KafkaRaftServer once unfenced

log() { printf '[kafka-cluster] %s\n' "$*" >&2; }
die() { printf '[kafka-cluster] ERROR: %s\n' "$*" >&2; exit 1; }
now() { date +%s; }

usage() {
  sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
}

# ----------------------------------------------------------------------------- tool classes
# Script name -> main class, as in Kafka 3.9's bin/*.sh (checked against the 3.9.2 jars).
tool_class() {
  case "${1%.sh}" in
    kafka-topics)               echo org.apache.kafka.tools.TopicCommand ;;
    kafka-consumer-groups)      echo org.apache.kafka.tools.consumer.group.ConsumerGroupCommand ;;
    kafka-console-producer)     echo kafka.tools.ConsoleProducer ;;
    kafka-console-consumer)     echo org.apache.kafka.tools.consumer.ConsoleConsumer ;;
    kafka-producer-perf-test)   echo org.apache.kafka.tools.ProducerPerformance ;;
    kafka-consumer-perf-test)   echo org.apache.kafka.tools.ConsumerPerformance ;;
    kafka-get-offsets)          echo org.apache.kafka.tools.GetOffsetShell ;;
    kafka-configs)              echo kafka.admin.ConfigCommand ;;
    kafka-delete-records)       echo org.apache.kafka.tools.DeleteRecordsCommand ;;
    kafka-metadata-quorum)      echo org.apache.kafka.tools.MetadataQuorumCommand ;;
    kafka-broker-api-versions)  echo kafka.admin.BrokerApiVersionsCommand ;;
    kafka-leader-election)      echo org.apache.kafka.tools.LeaderElectionCommand ;;
    kafka-reassign-partitions)  echo org.apache.kafka.tools.reassign.ReassignPartitionsCommand ;;
    kafka-log-dirs)             echo org.apache.kafka.tools.LogDirsCommand ;;
    kafka-dump-log)             echo kafka.tools.DumpLogSegments ;;
    kafka-transactions)         echo org.apache.kafka.tools.TransactionsCommand ;;
    kafka-features)             echo org.apache.kafka.tools.FeatureCommand ;;
    kafka-cluster)              echo org.apache.kafka.tools.ClusterTool ;;
    kafka-acls)                 echo kafka.admin.AclCommand ;;
    kafka-storage)              echo kafka.tools.StorageTool ;;
    kafka-e2e-latency)          echo org.apache.kafka.tools.EndToEndLatency ;;
    kafka-verifiable-producer)  echo org.apache.kafka.tools.VerifiableProducer ;;
    kafka-verifiable-consumer)  echo org.apache.kafka.tools.VerifiableConsumer ;;
    *.*)                        echo "$1" ;;   # a fully qualified main class
    *)                          return 1 ;;
  esac
}
TOOL_NAMES="kafka-topics kafka-consumer-groups kafka-console-producer kafka-console-consumer
kafka-producer-perf-test kafka-consumer-perf-test kafka-get-offsets kafka-configs
kafka-delete-records kafka-metadata-quorum kafka-broker-api-versions kafka-leader-election
kafka-reassign-partitions kafka-log-dirs kafka-dump-log kafka-transactions kafka-features
kafka-cluster kafka-acls kafka-storage kafka-e2e-latency kafka-verifiable-producer
kafka-verifiable-consumer"

# ----------------------------------------------------------------------------- fetch / cache
write_tools_log4j() {
  [[ -f "$TOOLS_LOG4J" ]] && return 0
  mkdir -p "$(dirname "$TOOLS_LOG4J")"
  local tmp="$TOOLS_LOG4J.$$"
  cat >"$tmp" <<'EOF'
# CLI tools: warnings and errors only, to stderr (stdout stays clean for tool output).
log4j.rootLogger=WARN, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.appender.stderr.Target=System.err
EOF
  mv -f "$tmp" "$TOOLS_LOG4J"
}

# Class-data sharing: one archive per (Kafka jars, exact JVM build). JVM warnings (e.g. an
# unusable archive) go to stderr, never to a tool's stdout.
JVM_KEY=""
jvm_key() {
  [[ -n "$JVM_KEY" ]] || JVM_KEY=$("$JAVA" -version 2>&1 | cksum | cut -d' ' -f1)
  echo "$JVM_KEY"
}
cds_archive() { echo "$CDS_DIR/kafka-jvm$(jvm_key).jsa"; }
cds_opts() {  # sets CDS_OPTS=(...)
  local a
  CDS_OPTS=(-Xlog:disable -Xlog:all=warning:stderr)
  if [[ "$CDS_ENABLED" != 0 ]]; then
    a=$(cds_archive)
    if [[ -f "$a" ]]; then CDS_OPTS+=("-XX:SharedArchiveFile=$a"); fi
  fi
  return 0
}

# A short-lived helper JVM (StorageTool, readiness probe): small heap, C1 only, quiet logging.
java_short_argv() {  # sets JS=(java ... -cp libs/*)
  cds_opts
  JS=("$JAVA" -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 "${CDS_OPTS[@]}"
      "-Dlog4j.configuration=file:$TOOLS_LOG4J" -cp "$LIBS/*")
}
java_short() { java_short_argv; "${JS[@]}" "$@"; }

# Build the CDS archive: start a throwaway 1-node broker with -XX:ArchiveClassesAtExit, wait
# until it has started, stop it cleanly (the JVM writes the archive on exit). Best effort: on
# any failure, remember it and run without CDS.
cds_train() {
  [[ "$CDS_ENABLED" != 0 ]] || return 0
  local archive failed
  archive=$(cds_archive); failed="$archive.failed"
  [[ -f "$archive" || -f "$failed" ]] && return 0
  mkdir -p "$CDS_DIR"
  log "building a class-data-sharing archive (one-off; KAFKA_CDS=0 to skip) ..."
  local t0 tdir base try k ok=0 HOST=$DEFAULT_HOST
  t0=$(now)
  tdir=$(mktemp -d "$CDS_DIR/train.XXXXXX")
  for (( try = 0; try < 30; try++ )); do
    base=$(( 30000 + (RANDOM % 300) * 100 ))
    if ! port_open "$base" && ! port_open $(( base + CONTROLLER_OFFSET )); then break; fi
  done
  if (
    DIR=$tdir NODES=1 PORT_BASE=$base SECURITY=plaintext
    EXTRA_BROKER_JVM="-XX:ArchiveClassesAtExit=$tdir/archive.jsa"
    CDS_ENABLED=0
    trap 'stop_nodes 10 1 >/dev/null 2>&1' EXIT
    write_broker_log4j
    write_node_config 1
    cid=$(java_short kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n1)
    java_short kafka.tools.StorageTool format -t "$cid" -c "$tdir/node-1/server.properties" >/dev/null 2>&1
    start_proc 1
    deadline=$(( $(now) + (UP_TIMEOUT > 300 ? UP_TIMEOUT : 300) ))
    until started_since 1 0; do
      [[ -n "$(node_pid 1)" ]] || exit 1
      (( $(now) < deadline )) || exit 1
      sleep 0.5
    done
    signal_node 1 TERM
    wait_gone 1 60 || exit 1
    [[ -s "$tdir/archive.jsa" ]]
  ) >/dev/null 2>&1; then
    mv -f "$tdir/archive.jsa" "$archive" && ok=1
  fi
  rm -rf "$tdir"
  if (( ok )); then
    log "CDS archive ready in $(( $(now) - t0 ))s: $archive"
  else
    : >"$failed"
    log "WARNING: could not build the CDS archive; running without it (remove $failed to retry)"
  fi
  return 0
}

fetch() {
  if [[ -f "$MARKER" ]] && { [[ "$CDS_ENABLED" == 0 ]] || [[ -f "$(cds_archive)" || -f "$(cds_archive).failed" ]]; }; then
    write_tools_log4j
    return 0
  fi
  if [[ ! -f "$MARKER" ]]; then
    command -v mvn >/dev/null 2>&1 || die "mvn not found (needed once to fetch Kafka $KAFKA_VERSION jars)"
    [[ -f "$POM" ]] || die "missing $POM"
  fi
  mkdir -p "$KAFKA_CACHE"
  # Serialise concurrent fetches (parallel CI jobs sharing a cache).
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$KAFKA_CACHE/.fetch.lock"
    flock -w 900 9 || die "timed out waiting for another fetch (lock $KAFKA_CACHE/.fetch.lock)"
  fi
  if [[ ! -f "$MARKER" ]]; then
    log "fetching Apache Kafka $KAFKA_VERSION jars with Maven into $LIBS ..."
    local tmp t0
    t0=$(now)
    tmp=$(mktemp -d "$KAFKA_CACHE/libs.tmp.XXXXXX")
    # (Debian's mvn prints stray colour escapes even in batch/quiet mode: strip them.)
    if ! mvn -B -q -Dstyle.color=never -f "$POM" -Dkafka.version="$KAFKA_VERSION" \
         dependency:copy-dependencies -DoutputDirectory="$tmp" 2>&1 \
         | sed -e 's/\x1b\[[0-9;]*m//g' -e '/^[[:space:]]*$/d' >&2; then
      rm -rf "$tmp"
      die "maven could not fetch Kafka $KAFKA_VERSION (network? version not published?)"
    fi
    local j
    for j in "kafka_2.13-$KAFKA_VERSION.jar" "kafka-tools-$KAFKA_VERSION.jar" \
             "kafka-clients-$KAFKA_VERSION.jar"; do
      [[ -f "$tmp/$j" ]] || { rm -rf "$tmp"; die "fetch incomplete: $j missing"; }
    done
    ls "$tmp" | grep -q '^slf4j-reload4j-.*\.jar$' || { rm -rf "$tmp"; die "fetch incomplete: slf4j-reload4j missing"; }
    (cd "$tmp" && ls -1 *.jar) >"$tmp/.complete"
    rm -rf "$LIBS" "$CDS_DIR"     # an archive is only valid for the exact jars it was built from
    mv "$tmp" "$LIBS"
    log "fetched $(wc -l <"$MARKER") jars in $(( $(now) - t0 ))s"
  fi
  write_tools_log4j
  cds_train
  if command -v flock >/dev/null 2>&1; then exec 9>&-; fi
}

# ----------------------------------------------------------------------------- cluster state
node_dir()  { echo "$DIR/node-$1"; }
broker_port()     { echo $(( PORT_BASE + $1 - 1 )); }
controller_port() { echo $(( PORT_BASE + CONTROLLER_OFFSET + $1 - 1 )); }
ssl_port()        { echo $(( PORT_BASE + SSL_OFFSET + $1 - 1 )); }
# Every port node K listens on.
node_ports() {
  broker_port "$1"; controller_port "$1"
  if [[ "$SECURITY" == sasl_ssl ]]; then ssl_port "$1"; fi
}

bootstrap_list() {  # bootstrap_list [PORT_FUNCTION]
  local k out="" port=${1:-broker_port}
  for (( k = 1; k <= NODES; k++ )); do out+="${out:+,}$HOST:$("$port" "$k")"; done
  echo "$out"
}

env_get() {  # env_get KEY -> value from DIR/cluster.env (read, never sourced)
  sed -n "s/^$1=//p" "$DIR/cluster.env" 2>/dev/null | tail -n1
}

load_env() {
  [[ -f "$DIR/cluster.env" ]] || die "no cluster in $DIR (missing cluster.env; run 'up' first)"
  NODES=$(env_get NODES)
  PORT_BASE=$(env_get PORT_BASE)
  HOST=$(env_get HOST); HOST=${HOST:-$DEFAULT_HOST}
  SECURITY=$(env_get SECURITY); SECURITY=${SECURITY:-plaintext}
  [[ "$NODES" =~ ^[0-9]+$ && "$PORT_BASE" =~ ^[0-9]+$ ]] || die "corrupt $DIR/cluster.env"
  valid_security "$SECURITY" || die "corrupt $DIR/cluster.env (SECURITY=$SECURITY)"
  valid_host "$HOST" || die "corrupt $DIR/cluster.env (HOST=$HOST)"
}

write_env() {
  local tmp="$DIR/cluster.env.$$"
  {
    echo "# written by kafka-cluster.sh up; KEY=value lines"
    printf 'BOOTSTRAP=%s\n' "$(bootstrap_list)"
    printf 'NODES=%s\n' "$NODES"
    printf 'PORT_BASE=%s\n' "$PORT_BASE"
    if [[ "$HOST" != "$DEFAULT_HOST" ]]; then printf 'HOST=%s\n' "$HOST"; fi
    printf 'CONTROLLER_PORT_BASE=%s\n' "$(( PORT_BASE + CONTROLLER_OFFSET ))"
    printf 'CLUSTER_ID=%s\n' "$CLUSTER_ID"
    printf 'KAFKA_VERSION=%s\n' "$KAFKA_VERSION"
    printf 'KAFKA_LIBS=%q\n' "$LIBS"
    if [[ "$SECURITY" != plaintext ]]; then write_security_env; fi
  } >"$tmp"
  chmod 600 "$tmp"   # passwords, when secured
  mv -f "$tmp" "$DIR/cluster.env"
}

# PID of node K if (and only if) it is alive and still that node's JVM; empty otherwise.
node_pid() {
  local pf pid state cmd
  pf="$(node_dir "$1")/pid"
  [[ -f "$pf" ]] || return 0
  pid=$(tr -dc '0-9' <"$pf")
  [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] || return 0
  state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$pid/status" 2>/dev/null || true)
  [[ -n "$state" && "$state" != Z && "$state" != X ]] || return 0
  cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)
  [[ "$cmd" == *kafka.Kafka* && "$cmd" == *"$(node_dir "$1")/server.properties"* ]] || return 0
  echo "$pid"
}

port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

valid_security() { [[ "$1" == plaintext || "$1" == sasl_ssl || "$1" == ssl ]]; }

valid_host() {  # a dotted IPv4 address (what listeners, voters and /dev/tcp all accept)
  [[ "$1" =~ ^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$ ]] || return 1
  local i
  for i in 1 2 3 4; do (( 10#${BASH_REMATCH[i]} <= 255 )) || return 1; done
}

tail_log() {  # tail_log K [why]
  local f
  f="$(node_dir "$1")/server.log"
  {
    echo "----- node-$1: last 40 lines of $f${2:+ ($2)} -----"
    if [[ -f "$f" ]]; then tail -n 40 "$f"; else echo "(no log)"; fi
    echo "----- end node-$1 -----"
  } >&2
}

# --------------------------------------------------------------------------------- configs
write_broker_log4j() {
  cat >"$DIR/log4j.properties" <<'EOF'
# Broker logging for kafka-cluster.sh: one stream (stdout, redirected to node-K/server.log).
# Quiet: Kafka internals at WARN, plus a few INFO lines that show lifecycle and elections.
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n

log4j.logger.kafka=WARN
log4j.logger.org.apache.kafka=WARN
log4j.logger.org.apache.zookeeper=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.request.logger=WARN
log4j.additivity.kafka.request.logger=false

# Lifecycle ("Kafka Server started" is what kafka-cluster.sh waits for).
log4j.logger.kafka.server.KafkaRaftServer=INFO
log4j.logger.kafka.server.BrokerServer=INFO
log4j.logger.kafka.server.ControllerServer=INFO
log4j.logger.org.apache.kafka.common.utils.AppInfoParser=INFO
# Raft elections / controller activation.
log4j.logger.org.apache.kafka.raft.QuorumState=INFO
EOF
  if [[ "${KAFKA_REQUEST_LOG:-0}" != 0 ]]; then
    # Every request a node served, one JSON line each (its API, client, listener, and the
    # time its request threads spent on it), in node-K/requests.log: what a monitor costs
    # the brokers, counted by the brokers (scripts/bench-peers.sh --request-log). Logging
    # every request costs the brokers CPU too: not for measuring their CPU.
    cat >>"$DIR/log4j.properties" <<'EOF'

log4j.logger.kafka.request.logger=DEBUG, requests
log4j.appender.requests=org.apache.log4j.FileAppender
log4j.appender.requests.File=${kafka.logs.dir}/requests.log
log4j.appender.requests.layout=org.apache.log4j.PatternLayout
log4j.appender.requests.layout.ConversionPattern=%m%n
EOF
  fi
}

write_node_config() {  # write_node_config K EXTRA_PROPS...
  local k=$1; shift
  local nd voters="" i rf isr
  nd=$(node_dir "$k")
  mkdir -p "$nd/data"
  for (( i = 1; i <= NODES; i++ )); do voters+="${voters:+,}$i@$HOST:$(controller_port "$i")"; done
  rf=$(( NODES < 3 ? NODES : 3 ))
  isr=$(( NODES >= 3 ? 2 : 1 ))
  {
    cat <<EOF
# node-$k of a $NODES-node local KRaft cluster (combined broker+controller); kafka-cluster.sh
process.roles=broker,controller
node.id=$k
controller.quorum.voters=$voters
$(listener_config "$k")
log.dirs=$nd/data

num.partitions=1
offsets.topic.replication.factor=$rf
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$isr
# Fewer internal partitions than the default 50: faster first group join, less memory.
offsets.topic.num.partitions=10
transaction.state.log.num.partitions=10
group.initial.rebalance.delay.ms=0

# Retention is checked often and soon after start (tests rely on it; set segment.bytes /
# segment.ms / retention.ms per topic to exercise it).
log.retention.check.interval.ms=5000
log.initial.task.delay.ms=1000

# Small footprint: fewer threads; the log cleaner's dedupe buffer defaults to 128 MiB of heap.
num.network.threads=2
num.io.threads=4
background.threads=4
num.recovery.threads.per.data.dir=1
log.cleaner.dedupe.buffer.size=16777216
EOF
    if (( $# > 0 )); then
      echo
      echo "# --prop overrides"
      printf '%s\n' "$@"
    fi
  } >"$nd/server.properties"
}

# ---------------------------------------------------------------------------- security
# Throwaway TLS material and users of a secured cluster (--security). Everything lives in
# DIR (DIR/tls/, DIR/*.properties, DIR/cluster.env with mode 600) and dies with `down --purge`.
TLS_CN_BROKER=kafka-broker
TLS_CN_CLIENT=sentinel-client
SCRAM_ADMIN_USER=admin
SCRAM_USER=sentinel
PLAIN_USER=sentinel_plain
LIMITED_USER=limited
SCRAM_MECHANISM=SCRAM-SHA-512

tls_dir() { echo "$DIR/tls"; }
new_password() { openssl rand -hex 16; }

tls_ca() {  # tls_ca PREFIX CN
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.pem" -days 30 \
    -subj "/CN=$2" -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}

# A key (PKCS#8), its certificate signed by CA_PREFIX for 30 days with the extensions in EXT,
# and both in one PEM (a Java PEM keystore).
tls_leaf() {  # tls_leaf CA_PREFIX PREFIX CN EXT
  openssl req -new -newkey rsa:2048 -nodes -keyout "$2.key" -subj "/CN=$3" -out "$2.csr" 2>/dev/null &&
  openssl x509 -req -in "$2.csr" -CA "$1.pem" -CAkey "$1.key" -CAcreateserial -days 30 \
    -sha256 -extfile "$4" -out "$2.pem" 2>/dev/null &&
  cat "$2.key" "$2.pem" >"$2-keystore.pem" && rm -f "$2.csr"
}

# A client certificate signed by the cluster's CA whose validity ended years ago.
tls_expired_client() {  # tls_expired_client TLS_DIR
  local d=$1 w
  w=$(mktemp -d "$d/ca-work.XXXXXX")
  : >"$w/index.txt"; echo 01 >"$w/serial"
  cat >"$w/ca.cnf" <<EOF
[ca]
default_ca = test_ca
[test_ca]
database = $w/index.txt
new_certs_dir = $w
serial = $w/serial
default_md = sha256
policy = any
[any]
commonName = supplied
EOF
  openssl req -new -newkey rsa:2048 -nodes -keyout "$d/expired-client.key" \
    -subj "/CN=$TLS_CN_CLIENT" -out "$w/expired.csr" 2>/dev/null
  openssl ca -batch -config "$w/ca.cnf" -cert "$d/ca.pem" -keyfile "$d/ca.key" -notext \
    -startdate 20200101000000Z -enddate 20200102000000Z -extfile "$d/client.ext" \
    -in "$w/expired.csr" -out "$d/expired-client.pem" >/dev/null 2>&1
  rm -rf "$w"
}

make_tls() {
  local d; d=$(tls_dir)
  command -v openssl >/dev/null 2>&1 || die "openssl not found (needed for --security $SECURITY)"
  mkdir -p "$d"; chmod 700 "$d"
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=IP:%s,IP:127.0.0.1,DNS:localhost\n' "$HOST" >"$d/broker.ext"
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n' >"$d/client.ext"
  tls_ca "$d/ca" "kafka-sentinel test CA" || die "openssl could not make the CA"
  tls_leaf "$d/ca" "$d/broker" "$TLS_CN_BROKER" "$d/broker.ext" || die "openssl could not make the broker certificate"
  tls_leaf "$d/ca" "$d/client" "$TLS_CN_CLIENT" "$d/client.ext" || die "openssl could not make the client certificate"
  tls_ca "$d/rogue-ca" "kafka-sentinel rogue CA" || die "openssl could not make the rogue CA"
  tls_leaf "$d/rogue-ca" "$d/rogue-client" "$TLS_CN_CLIENT" "$d/client.ext" || die "openssl could not make the rogue client certificate"
  tls_expired_client "$d"
  [[ -s "$d/expired-client.pem" ]] || die "openssl could not make the expired client certificate"
  chmod 600 "$d"/*.key "$d"/*-keystore.pem
}

make_users() {
  if [[ "$SECURITY" == sasl_ssl ]]; then
    SCRAM_ADMIN_PASSWORD=$(new_password); SCRAM_PASSWORD=$(new_password)
    PLAIN_PASSWORD=$(new_password); LIMITED_PASSWORD=$(new_password)
  fi
}

# `kafka-storage format` arguments creating the SCRAM users (KIP-900: in the metadata log from
# the start, before any broker can be asked), one per line.
scram_format_args() {
  [[ "$SECURITY" == sasl_ssl ]] || return 0
  local u
  for u in "$SCRAM_ADMIN_USER:$SCRAM_ADMIN_PASSWORD" "$SCRAM_USER:$SCRAM_PASSWORD" "$LIMITED_USER:$LIMITED_PASSWORD"; do
    printf '%s\n' --add-scram "$SCRAM_MECHANISM=[name=${u%%:*},password=${u#*:}]"
  done
}

# Java client configs for Kafka's tools: DIR/admin.properties reaches BOOTSTRAP as a super user
# (the SCRAM admin over SASL_SSL, or the client certificate), DIR/ssl-client.properties the
# mutual-TLS listener with the client certificate.
write_client_properties() {
  local d; d=$(tls_dir)
  {
    echo "security.protocol=SSL"
    echo "ssl.truststore.type=PEM"
    echo "ssl.truststore.location=$d/ca.pem"
    echo "ssl.keystore.type=PEM"
    echo "ssl.keystore.location=$d/client-keystore.pem"
  } >"$DIR/ssl-client.properties"
  if [[ "$SECURITY" == sasl_ssl ]]; then
    {
      echo "security.protocol=SASL_SSL"
      echo "sasl.mechanism=$SCRAM_MECHANISM"
      echo "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"$SCRAM_ADMIN_USER\" password=\"$SCRAM_ADMIN_PASSWORD\";"
      echo "ssl.truststore.type=PEM"
      echo "ssl.truststore.location=$d/ca.pem"
    } >"$DIR/admin.properties"
  else
    cp "$DIR/ssl-client.properties" "$DIR/admin.properties"
  fi
  chmod 600 "$DIR/ssl-client.properties" "$DIR/admin.properties"
}

write_security_env() {
  local d; d=$(tls_dir)
  printf 'SECURITY=%s\n' "$SECURITY"
  if [[ "$SECURITY" == sasl_ssl ]]; then
    printf 'BOOTSTRAP_SASL_SSL=%s\n' "$(bootstrap_list)"
    printf 'BOOTSTRAP_SSL=%s\n' "$(bootstrap_list ssl_port)"
    printf 'SSL_PORT_BASE=%s\n' "$(( PORT_BASE + SSL_OFFSET ))"
    printf 'SCRAM_ADMIN_USER=%s\nSCRAM_ADMIN_PASSWORD=%s\n' "$SCRAM_ADMIN_USER" "$SCRAM_ADMIN_PASSWORD"
    printf 'SCRAM_USER=%s\nSCRAM_PASSWORD=%s\n' "$SCRAM_USER" "$SCRAM_PASSWORD"
    printf 'PLAIN_USER=%s\nPLAIN_PASSWORD=%s\n' "$PLAIN_USER" "$PLAIN_PASSWORD"
    printf 'LIMITED_USER=%s\nLIMITED_PASSWORD=%s\n' "$LIMITED_USER" "$LIMITED_PASSWORD"
  else
    printf 'BOOTSTRAP_SSL=%s\n' "$(bootstrap_list)"
  fi
  printf 'TLS_CA=%s\n' "$d/ca.pem"
  printf 'TLS_CLIENT_CERT=%s\nTLS_CLIENT_KEY=%s\n' "$d/client.pem" "$d/client.key"
  printf 'TLS_CLIENT_PRINCIPAL=User:CN=%s\n' "$TLS_CN_CLIENT"
  printf 'TLS_ROGUE_CA=%s\n' "$d/rogue-ca.pem"
  printf 'TLS_ROGUE_CLIENT_CERT=%s\nTLS_ROGUE_CLIENT_KEY=%s\n' "$d/rogue-client.pem" "$d/rogue-client.key"
  printf 'TLS_EXPIRED_CLIENT_CERT=%s\nTLS_EXPIRED_CLIENT_KEY=%s\n' "$d/expired-client.pem" "$d/expired-client.key"
  printf 'ADMIN_PROPERTIES=%s\n' "$DIR/admin.properties"
  printf 'SSL_PROPERTIES=%s\n' "$DIR/ssl-client.properties"
}

# The listener lines of node K's server.properties.
declare -A ADVERTISED_PORT=()  # --advertise K=PORT
listener_config() {
  local k=$1 b c s d a
  b="$HOST:$(broker_port "$k")"; c="$HOST:$(controller_port "$k")"; s="$HOST:$(ssl_port "$k")"
  a="$HOST:${ADVERTISED_PORT[$k]:-$(broker_port "$k")}"
  d=$(tls_dir)
  case "$SECURITY" in
    plaintext)
      cat <<EOF
listeners=PLAINTEXT://$b,CONTROLLER://$c
advertised.listeners=PLAINTEXT://$a
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
EOF
      return 0 ;;
    sasl_ssl)
      cat <<EOF
# --security sasl_ssl: SASL_SSL (SCRAM-SHA-512, PLAIN) for clients, SSL with client
# certificates (mutual TLS) for clients and between brokers, PLAINTEXT for the controllers.
listeners=SASL_SSL://$b,SSL://$s,CONTROLLER://$c
advertised.listeners=SASL_SSL://$a,SSL://$s
listener.security.protocol.map=CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL,SSL:SSL
sasl.enabled.mechanisms=$SCRAM_MECHANISM,PLAIN
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_$PLAIN_USER="$PLAIN_PASSWORD";
super.users=User:$SCRAM_ADMIN_USER;User:$SCRAM_USER;User:$PLAIN_USER;User:CN=$TLS_CN_CLIENT;User:CN=$TLS_CN_BROKER;User:ANONYMOUS
EOF
      ;;
    ssl)
      cat <<EOF
# --security ssl: SSL with client certificates (mutual TLS) for clients and between brokers,
# PLAINTEXT for the controllers.
listeners=SSL://$b,CONTROLLER://$c
advertised.listeners=SSL://$a
listener.security.protocol.map=CONTROLLER:PLAINTEXT,SSL:SSL
super.users=User:CN=$TLS_CN_CLIENT;User:CN=$TLS_CN_BROKER;User:ANONYMOUS
EOF
      ;;
  esac
  cat <<EOF
controller.listener.names=CONTROLLER
inter.broker.listener.name=SSL
listener.name.ssl.ssl.client.auth=required
ssl.keystore.type=PEM
ssl.keystore.location=$d/broker-keystore.pem
ssl.truststore.type=PEM
ssl.truststore.location=$d/ca.pem
# No ACL = denied; super users (above) pass. User:ANONYMOUS is the PLAINTEXT controller listener.
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
EOF
}

# Extra arguments of the Kafka tools this script runs itself (readiness), one per line.
admin_tool_args() {
  if [[ "$SECURITY" != plaintext ]]; then printf '%s\n' --command-config "$DIR/admin.properties"; fi
  return 0
}

# ----------------------------------------------------------------------------- process ops
start_proc() {  # start_proc K  (background JVM; PID to node-K/pid)
  local k=$1 nd
  nd=$(node_dir "$k")
  cds_opts
  # shellcheck disable=SC2086  # heap/JVM option strings are meant to word-split
  ( cd "$nd" && exec nohup "$JAVA" $BROKER_HEAP $BROKER_JVM "${CDS_OPTS[@]}" ${EXTRA_BROKER_JVM:-} \
      -XX:ErrorFile="$nd/hs_err_pid%p.log" \
      -Dlog4j.configuration="file:$DIR/log4j.properties" \
      -Dkafka.logs.dir="$nd" \
      -cp "$LIBS/*" kafka.Kafka "$nd/server.properties" \
      >>"$nd/server.log" 2>&1 </dev/null ) &
  echo $! >"$nd/pid"
  disown $! 2>/dev/null || true   # not our job to report on; it outlives this script
}

wait_gone() {  # wait_gone K SECONDS -> 0 if the node's process is gone
  local k=$1 deadline=$(( $(now) + $2 ))
  while [[ -n "$(node_pid "$k")" ]]; do
    (( $(now) >= deadline )) && return 1
    sleep 0.2
  done
  return 0
}

# A SIGKILLed JVM's main thread can show as a zombie while its other threads still hold the
# sockets for a moment; callers about to restart the node wait for its ports to close too.
wait_ports_closed() {  # wait_ports_closed K SECONDS
  local k=$1 deadline=$(( $(now) + $2 ))
  [[ -n "${PORT_BASE:-}" ]] || return 0
  local p open
  while :; do
    open=0
    for p in $(node_ports "$k"); do port_open "$p" && { open=1; break; }; done
    (( open )) || return 0
    (( $(now) >= deadline )) && return 1
    sleep 0.2
  done
}

signal_node() {  # signal_node K SIG -> 0 if signalled, 1 if it was not running
  local pid
  pid=$(node_pid "$1")
  [[ -n "$pid" ]] || return 1
  kill "-$2" "$pid" 2>/dev/null || true
}

# stop_nodes TIMEOUT K... : SIGTERM them all at once (a broker's controlled shutdown needs a
# live controller quorum, so stopping together lets every broker finish while the quorum is
# still there), wait, then SIGKILL stragglers. A node that is left without a controller quorum
# (fewer than a majority of the NODES voters alive) can never get its controlled shutdown
# approved and would hang for Kafka's 5-minute limit: after QUORUM_GRACE seconds it is killed.
stop_nodes() {
  local timeout=$1; shift
  local k i alive pending voters majority lost_since="" deadline
  voters=${NODES:-$#}
  majority=$(( voters / 2 + 1 ))
  for k in "$@"; do
    if signal_node "$k" TERM; then log "node-$k: SIGTERM sent (pid $(tr -dc '0-9' <"$(node_dir "$k")/pid"))"; fi
  done
  deadline=$(( $(now) + timeout ))
  while :; do
    pending=()
    for k in "$@"; do [[ -z "$(node_pid "$k")" ]] || pending+=("$k"); done
    (( ${#pending[@]} )) || break
    alive=0
    for (( i = 1; i <= voters; i++ )); do [[ -z "$(node_pid "$i")" ]] || alive=$(( alive + 1 )); done
    if (( alive < majority )); then
      lost_since=${lost_since:-$(now)}
      if (( $(now) - lost_since >= QUORUM_GRACE )); then
        log "controller quorum gone ($alive of $voters voters alive): node(s) ${pending[*]} cannot finish a controlled shutdown"
        break
      fi
    fi
    if (( $(now) >= deadline )); then log "node(s) ${pending[*]} still running after ${timeout}s"; break; fi
    sleep 0.2
  done
  for k in ${pending[@]+"${pending[@]}"}; do
    if signal_node "$k" KILL; then log "node-$k: SIGKILL sent"; fi
    wait_gone "$k" 10 || log "node-$k: WARNING: pid $(node_pid "$k") survives SIGKILL"
  done
  for k in "$@"; do
    wait_ports_closed "$k" 10 || log "node-$k: WARNING: its ports are still open"
    rm -f "$(node_dir "$k")/pid"
  done
  return 0
}

log_size() { local f; f="$(node_dir "$1")/server.log"; [[ -f "$f" ]] && stat -c %s "$f" || echo 0; }

started_since() {  # started_since K OFFSET -> 0 if "Kafka Server started" appears after OFFSET
  local f; f="$(node_dir "$1")/server.log"
  [[ -f "$f" ]] && tail -c "+$(( $2 + 1 ))" "$f" | grep -q "$STARTED_MARKER"
}

registered_ids() {  # broker ids the cluster's metadata currently lists (unfenced brokers)
  java_short_argv
  local extra; mapfile -t extra < <(admin_tool_args)
  timeout 30 "${JS[@]}" kafka.admin.BrokerApiVersionsCommand --bootstrap-server "$(bootstrap_list)" \
    ${extra[@]+"${extra[@]}"} 2>/dev/null \
    | sed -n 's/.*(id: \([0-9][0-9]*\) rack.*/\1/p' | sort -un | tr '\n' ' ' || true
}

# wait_ready DEADLINE "K..." "OFFSET..." : every listed node alive, logged "started" since its
# offset, port open; then the metadata must list every listed node (=> unfenced, controller up).
WAIT_FAILED=()
wait_ready() {
  local deadline=$1 ks=($2) offs=($3) i k pending ids missing
  WAIT_FAILED=()
  while :; do
    pending=()
    for i in "${!ks[@]}"; do
      k=${ks[$i]}
      if [[ -z "$(node_pid "$k")" ]]; then
        WAIT_FAILED=("$k"); log "node-$k: process exited during startup"; return 1
      fi
      if ! started_since "$k" "${offs[$i]}" || ! port_open "$(broker_port "$k")"; then
        pending+=("$k")
      fi
    done
    if (( ${#pending[@]} == 0 )); then
      ids=" $(registered_ids)"
      missing=()
      for k in "${ks[@]}"; do [[ "$ids" == *" $k "* ]] || missing+=("$k"); done
      (( ${#missing[@]} == 0 )) && return 0
      pending=("${missing[@]}")
    fi
    if (( $(now) >= deadline )); then
      WAIT_FAILED=("${pending[@]}")
      log "timed out waiting for node(s) ${pending[*]}"
      return 1
    fi
    sleep 0.5
  done
}

# --------------------------------------------------------------------------------- commands
cmd_up() {
  local fresh=0 nodes_set=0 port_set=0 host_set=0 security_set=0 props=() k
  NODES=1; PORT_BASE=$DEFAULT_PORT_BASE; HOST=$DEFAULT_HOST; SECURITY=plaintext
  while (( $# > 0 )); do
    case "$1" in
      --nodes) NODES=${2:?--nodes needs a value}; nodes_set=1; shift 2 ;;
      --port-base) PORT_BASE=${2:?--port-base needs a value}; port_set=1; shift 2 ;;
      --host) HOST=${2:?--host needs a value}; host_set=1; shift 2 ;;
      --security) SECURITY=${2:?--security needs a value}; security_set=1; shift 2 ;;
      --prop) [[ "${2:-}" == *=* ]] || die "--prop needs key=value"; props+=("$2"); shift 2 ;;
      --advertise)
        [[ "${2:-}" =~ ^([1-9])=([0-9]+)$ ]] && (( BASH_REMATCH[2] >= 1 && BASH_REMATCH[2] <= 65535 )) \
          || die "--advertise needs K=PORT (node 1..9, port 1..65535; got '${2:-}')"
        ADVERTISED_PORT[${BASH_REMATCH[1]}]=${BASH_REMATCH[2]}; shift 2 ;;
      --fresh) fresh=1; shift ;;
      *) die "up: unknown argument '$1'" ;;
    esac
  done
  [[ "$NODES" =~ ^[1-9]$ ]] || die "--nodes must be 1..9 (1 or 3 are the tested sizes)"
  [[ "$PORT_BASE" =~ ^[0-9]+$ ]] && (( PORT_BASE >= 1024 && PORT_BASE + CONTROLLER_OFFSET + NODES <= 65535 )) \
    || die "--port-base must be 1024..$(( 65535 - CONTROLLER_OFFSET - NODES ))"
  valid_host "$HOST" || die "--host must be an IPv4 address (got '$HOST')"
  for k in "${!ADVERTISED_PORT[@]}"; do
    (( k <= NODES )) || die "--advertise $k=${ADVERTISED_PORT[$k]}: there is no node $k (--nodes $NODES)"
  done
  valid_security "$SECURITY" || die "--security must be plaintext, sasl_ssl or ssl (got '$SECURITY')"
  (( PORT_BASE + SSL_OFFSET + NODES <= 65535 )) || [[ "$SECURITY" != sasl_ssl ]] \
    || die "--port-base too high for --security sasl_ssl (its SSL listener is at P+$SSL_OFFSET)"

  local t0; t0=$(now)
  fetch
  mkdir -p "$DIR"
  normalize_dir

  local reuse=0
  if [[ -f "$DIR/cluster.env" ]]; then
    local old_nodes old_port old_host old_security
    old_nodes=$(env_get NODES); old_port=$(env_get PORT_BASE)
    old_host=$(env_get HOST); old_host=${old_host:-$DEFAULT_HOST}
    old_security=$(env_get SECURITY); old_security=${old_security:-plaintext}
    for (( k = 1; k <= ${old_nodes:-0}; k++ )); do
      [[ -z "$(node_pid "$k")" ]] || die "cluster in $DIR is already running (node-$k); use 'status' or 'down'"
    done
    if (( fresh )); then
      log "--fresh: wiping previous cluster state in $DIR"
      rm -rf "$DIR"/node-* "$DIR/cluster.env" "$DIR/log4j.properties" "$DIR/tls" \
        "$DIR/admin.properties" "$DIR/ssl-client.properties"
    else
      (( nodes_set )) || NODES=$old_nodes
      (( port_set )) || PORT_BASE=$old_port
      (( host_set )) || HOST=$old_host
      (( security_set )) || SECURITY=$old_security
      [[ "$NODES" == "$old_nodes" && "$PORT_BASE" == "$old_port" && "$HOST" == "$old_host" \
         && "$SECURITY" == "$old_security" ]] \
        || die "$DIR holds a $old_nodes-node $old_security cluster on $old_host, port base $old_port; use --fresh or 'down --purge'"
      (( ${#props[@]} == 0 )) || die "--prop only applies when creating a cluster (add --fresh)"
      (( ${#ADVERTISED_PORT[@]} == 0 )) || die "--advertise only applies when creating a cluster (add --fresh)"
      reuse=1
    fi
  elif [[ -n "$(ls -A "$DIR" 2>/dev/null)" ]]; then
    die "$DIR is not empty and holds no cluster.env; refusing to use it"
  fi

  for (( k = 1; k <= NODES; k++ )); do
    local p
    for p in $(node_ports "$k"); do
      ! port_open "$p" || die "port $p is already in use (choose another --port-base)"
    done
  done

  if (( reuse )); then
    CLUSTER_ID=$(env_get CLUSTER_ID)
    log "restarting existing $NODES-node cluster $CLUSTER_ID in $DIR"
  else
    write_broker_log4j
    CLUSTER_ID=$(java_short kafka.tools.StorageTool random-uuid | tail -n1)
    [[ "$CLUSTER_ID" =~ ^[A-Za-z0-9_-]{22}$ ]] || die "could not generate a cluster id (got '$CLUSTER_ID')"
    log "creating $NODES-node KRaft cluster $CLUSTER_ID in $DIR (Kafka $KAFKA_VERSION, $SECURITY)"
    local scram=()
    if [[ "$SECURITY" != plaintext ]]; then
      make_users; make_tls; write_client_properties
      mapfile -t scram < <(scram_format_args)
    fi
    # Format every node's storage (in parallel: each is a short JVM run).
    local fpids=() bad=0
    for (( k = 1; k <= NODES; k++ )); do
      write_node_config "$k" ${props[@]+"${props[@]}"}
      java_short kafka.tools.StorageTool format -t "$CLUSTER_ID" -c "$(node_dir "$k")/server.properties" \
        ${scram[@]+"${scram[@]}"} >"$(node_dir "$k")/format.log" 2>&1 &
      fpids+=($!)
    done
    for (( k = 1; k <= NODES; k++ )); do
      if ! wait "${fpids[$((k - 1))]}"; then
        cat "$(node_dir "$k")/format.log" >&2; log "formatting node-$k storage failed"; bad=1
      fi
    done
    if (( bad )); then
      # leave DIR as we found it (empty)
      rm -rf "$DIR"/node-* "$DIR/log4j.properties" "$DIR/tls" "$DIR"/*.properties
      die "could not format the cluster's storage in $DIR"
    fi
    write_env
    log "formatted $NODES node(s) in $(( $(now) - t0 ))s"
  fi

  # Stop whatever we started if we are interrupted or fail from here on.
  UP_STARTED=()
  trap 'log "interrupted; stopping started nodes"; stop_nodes 10 ${UP_STARTED[@]+"${UP_STARTED[@]}"}; exit 130' INT TERM
  local ks="" offs=""
  for (( k = 1; k <= NODES; k++ )); do
    offs+="$(log_size "$k") "; ks+="$k "
    start_proc "$k"
    UP_STARTED+=("$k")
    log "node-$k: started pid $(cat "$(node_dir "$k")/pid") (broker $HOST:$(broker_port "$k"), controller $HOST:$(controller_port "$k"))"
  done

  if ! wait_ready $(( $(now) + UP_TIMEOUT )) "$ks" "$offs"; then
    local f
    for f in "${WAIT_FAILED[@]}"; do tail_log "$f" "not ready"; done
    stop_nodes 10 "${UP_STARTED[@]}"
    trap - INT TERM
    die "cluster did not come up (limit ${UP_TIMEOUT}s; see $DIR/node-*/server.log)"
  fi
  trap - INT TERM
  log "cluster up in $(( $(now) - t0 ))s: $NODES node(s), all registered; env in $DIR/cluster.env"
  bootstrap_list
}

cmd_start_node() {
  local k=$1
  load_env
  [[ "$k" =~ ^[0-9]+$ ]] && (( k >= 1 && k <= NODES )) || die "node must be 1..$NODES"
  [[ -f "$(node_dir "$k")/server.properties" ]] || die "node-$k has no config in $DIR"
  if [[ -n "$(node_pid "$k")" ]]; then log "node-$k already running (pid $(node_pid "$k"))"; return 0; fi
  # (ports of a just-killed incarnation may take a moment to close)
  wait_ports_closed "$k" 10 || die "port $(broker_port "$k") or $(controller_port "$k") is in use by something else"
  fetch
  local off t0; off=$(log_size "$k"); t0=$(now)
  start_proc "$k"
  log "node-$k: started pid $(cat "$(node_dir "$k")/pid")"
  if ! wait_ready $(( $(now) + UP_TIMEOUT )) "$k" "$off"; then
    tail_log "$k" "not ready"
    stop_nodes 10 "$k"
    die "node-$k did not come up (limit ${UP_TIMEOUT}s; see $(node_dir "$k")/server.log)"
  fi
  log "node-$k up and registered in $(( $(now) - t0 ))s"
}

cmd_stop_node() {
  local k=$1
  load_env
  [[ "$k" =~ ^[0-9]+$ ]] && (( k >= 1 && k <= NODES )) || die "node must be 1..$NODES"
  if [[ -z "$(node_pid "$k")" ]]; then
    rm -f "$(node_dir "$k")/pid"; log "node-$k is not running"; return 0
  fi
  local t0; t0=$(now)
  stop_nodes "$STOP_TIMEOUT" "$k"
  log "node-$k stopped in $(( $(now) - t0 ))s"
}

cmd_kill_node() {
  local k=$1 pid
  load_env
  [[ "$k" =~ ^[0-9]+$ ]] && (( k >= 1 && k <= NODES )) || die "node must be 1..$NODES"
  pid=$(node_pid "$k")
  if [[ -z "$pid" ]]; then rm -f "$(node_dir "$k")/pid"; log "node-$k is not running"; return 0; fi
  kill -KILL "$pid" 2>/dev/null || true
  wait_gone "$k" 10 || die "node-$k (pid $pid) survived SIGKILL"
  wait_ports_closed "$k" 10 || log "node-$k: WARNING: its ports are still open"
  rm -f "$(node_dir "$k")/pid"
  log "node-$k killed (SIGKILL pid $pid)"
}

cmd_down() {
  local purge=$1 ks=() k
  if [[ ! -d "$DIR" ]]; then log "nothing at $DIR"; return 0; fi
  local n=0
  if [[ -f "$DIR/cluster.env" ]]; then
    n=$(env_get NODES); PORT_BASE=$(env_get PORT_BASE)
    HOST=$(env_get HOST); HOST=${HOST:-$DEFAULT_HOST}
    SECURITY=$(env_get SECURITY); valid_security "${SECURITY:-x}" || SECURITY=plaintext
    valid_host "$HOST" || HOST=$DEFAULT_HOST
  fi
  # Also cover node dirs cluster.env does not know about (interrupted first 'up').
  local d
  for d in "$DIR"/node-*; do
    k=${d##*/node-}
    if [[ -d "$d" && "$k" =~ ^[0-9]+$ ]] && (( k > n )); then n=$k; fi
  done
  for (( k = 1; k <= n; k++ )); do ks+=("$k"); done
  NODES=$n
  if (( ${#ks[@]} )); then
    local running=0
    for k in "${ks[@]}"; do [[ -n "$(node_pid "$k")" ]] && running=$(( running + 1 )); done
    if (( running )); then
      local t0; t0=$(now)
      stop_nodes "$STOP_TIMEOUT" "${ks[@]}"
      log "stopped $running node(s) in $(( $(now) - t0 ))s"
    else
      for k in "${ks[@]}"; do rm -f "$(node_dir "$k")/pid"; done
      log "no node running in $DIR"
    fi
  fi
  if (( purge )); then
    if [[ -f "$DIR/cluster.env" || -z "$(ls -A "$DIR")" ]] || compgen -G "$DIR/node-*" >/dev/null; then
      rm -rf "$DIR"; log "removed $DIR"
    else
      die "refusing to purge $DIR: it does not look like a kafka-cluster.sh directory"
    fi
  fi
}

cmd_status() {
  load_env
  local k pid rss
  echo "cluster $DIR: $NODES node(s), $SECURITY, bootstrap $(bootstrap_list)"
  for (( k = 1; k <= NODES; k++ )); do
    pid=$(node_pid "$k")
    if [[ -n "$pid" ]]; then
      rss=$(ps -o rss= -p "$pid" 2>/dev/null | tr -d ' ' || true)
      echo "node-$k running pid=$pid rss_kb=${rss:-?} broker=$HOST:$(broker_port "$k") controller=$HOST:$(controller_port "$k")"
    else
      echo "node-$k stopped broker=$HOST:$(broker_port "$k") controller=$HOST:$(controller_port "$k")"
    fi
  done
}

cmd_tool() {
  (( $# >= 1 )) || die "tool: which tool? (see '$0 tools')"
  local name=$1 class; shift
  class=$(tool_class "$name") || die "unknown tool '$name' (see '$0 tools')"
  fetch
  cds_opts
  # shellcheck disable=SC2086  # heap option string is meant to word-split
  exec "$JAVA" $TOOL_HEAP -XX:+UseSerialGC -Djava.awt.headless=true "${CDS_OPTS[@]}" \
    -Dlog4j.configuration="file:$TOOLS_LOG4J" -cp "$LIBS/*" "$class" "$@"
}

# ------------------------------------------------------------------------------------- main
# One spelling of DIR everywhere: node_pid() matches it against the JVM's command line.
normalize_dir() {
  [[ "$DIR" == /* ]] || DIR="$PWD/$DIR"
  if [[ -d "$DIR" ]]; then DIR=$(cd "$DIR" && pwd -P); fi
}

DIR=${KAFKA_CLUSTER_DIR:-$DEFAULT_DIR}
# Options before the subcommand (needed for `tool`, allowed for all).
while (( $# > 0 )); do
  case "$1" in
    --dir) DIR=${2:?--dir needs a value}; shift 2 ;;
    -h|--help|help) usage; exit 0 ;;
    *) break ;;
  esac
done
(( $# > 0 )) || { usage >&2; exit 2; }
CMD=$1; shift

if [[ "$CMD" == tool ]]; then cmd_tool "$@"; fi

# Remaining subcommands: one optional positional (node K) and options anywhere.
POS=() PURGE=0 UP_ARGS=()
while (( $# > 0 )); do
  case "$1" in
    --dir) DIR=${2:?--dir needs a value}; shift 2 ;;
    --purge) PURGE=1; shift ;;
    --nodes|--port-base|--host|--prop|--security|--advertise) UP_ARGS+=("$1" "${2:?$1 needs a value}"); shift 2 ;;
    --fresh) UP_ARGS+=("$1"); shift ;;
    -h|--help) usage; exit 0 ;;
    -*) die "unknown option '$1'" ;;
    *) POS+=("$1"); shift ;;
  esac
done
need_node() { (( ${#POS[@]} == 1 )) || die "$CMD needs exactly one node number"; }
no_pos()    { (( ${#POS[@]} == 0 )) || die "$CMD takes no positional arguments"; }
up_only()   { (( ${#UP_ARGS[@]} == 0 )) || die "${UP_ARGS[0]} only applies to 'up'"; }
normalize_dir

case "$CMD" in
  fetch)      no_pos; up_only; fetch; log "Kafka $KAFKA_VERSION jars ready in $LIBS" ;;
  up)         no_pos; cmd_up ${UP_ARGS[@]+"${UP_ARGS[@]}"} ;;
  down)       no_pos; up_only; cmd_down "$PURGE" ;;
  status)     no_pos; up_only; cmd_status ;;
  bootstrap)  no_pos; up_only; load_env; bootstrap_list ;;
  stop-node)  need_node; up_only; cmd_stop_node "${POS[0]}" ;;
  kill-node)  need_node; up_only; cmd_kill_node "${POS[0]}" ;;
  start-node) need_node; up_only; cmd_start_node "${POS[0]}" ;;
  tools)      for t in $TOOL_NAMES; do printf '%-28s %s\n' "$t" "$(tool_class "$t")"; done ;;
  *)          die "unknown command '$CMD' (try --help)" ;;
esac

#!/usr/bin/env bash
# The compose stack, validated without a Docker engine (none runs on our machines):
#  1. `docker-compose -f compose/docker-compose.yml config` (Debian's docker-compose v1,
#     which validates against the compose schema and resolves anchors and variables);
#  2. the resolved stack: 3 KRaft nodes from the official apache/kafka image, a quorum of
#     the three, one kafka-sentinel sidecar per broker sharing its network namespace and
#     reading the node's /proc, the three sidecars one fleet (fleet.enabled, each with its
#     node's NODE_NAME and BROKER_ID = the broker's node id), Prometheus with the alerts/ rules and the compose scrape
#     config, Alertmanager with the example config, Grafana with the provisioned
#     dashboards and data source, and the demo workload (topics, producer, 3 groups);
#     every bind-mounted file of the repository exists;
#  3. compose/prometheus/prometheus.yml passes `promtool check config` (with its rule_files
#     pointed at alerts/), scrapes every sidecar and adds the `cluster` label;
#  4. compose/agent/kafka-sentinel.yaml passes `kafka-sentinel check-config`, alone and with
#     each agent's environment as compose resolves it;
#  5. compose/Dockerfile: multi-stage on Debian bookworm, --no-install-recommends, the build
#     stage has every library -dev package of scripts/install-deps.sh and the runtime stage
#     the Debian package of every shared library the built agent and loadgen link
#     (readelf NEEDED -> dpkg -S); .dockerignore keeps build trees and .git out.
# Prints "N passed, M failed"; exits 1 when anything failed.
set -uo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/../lib/check.sh"
SOURCE_DIR=${KS_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD_DIR=${KS_BUILD_DIR:-$SOURCE_DIR/build}
cd "$SOURCE_DIR" || exit 2
use_tmpdir ks-compose

COMPOSE=compose/docker-compose.yml
if ! command -v docker-compose >/dev/null; then
  fail "docker-compose is not installed (scripts/install-deps.sh installs Debian's, without recommends)"
  finish
fi

# 1. schema validation and resolution (no engine needed). Variables at their defaults.
if timeout 120 env -u KAFKA_VERSION -u KAFKA_SENTINEL_TAG docker-compose -f "$COMPOSE" config \
     >"$TMP/resolved.yml" 2>"$TMP/config.err"; then
  ok "docker-compose -f $COMPOSE config"
else
  fail "docker-compose -f $COMPOSE config"; sed 's/^/    /' "$TMP/config.err"
  finish
fi
if grep -qi "warning" "$TMP/config.err"; then
  fail "docker-compose config printed warnings: $(tr '\n' ' ' <"$TMP/config.err")"
else
  ok "docker-compose config printed no warnings"
fi

# 3. the compose Prometheus config, with its rules path pointed at the repository's alerts/
sed "s|/etc/prometheus/rules/|$SOURCE_DIR/alerts/|" compose/prometheus/prometheus.yml >"$TMP/prometheus.yml"
if out=$(promtool check config "$TMP/prometheus.yml" 2>&1); then
  ok "promtool check config compose/prometheus/prometheus.yml (rules included)"
else
  fail "promtool check config compose/prometheus/prometheus.yml"; echo "$out" | sed 's/^/    /' | tail -20
fi

# 4. the sidecars' configuration
if [[ -x "$BUILD_DIR/agent/kafka-sentinel" ]]; then
  if out=$("$BUILD_DIR/agent/kafka-sentinel" check-config compose/agent/kafka-sentinel.yaml 2>&1); then
    ok "kafka-sentinel check-config compose/agent/kafka-sentinel.yaml"
  else
    fail "kafka-sentinel check-config compose/agent/kafka-sentinel.yaml: $out"
  fi
else
  fail "no agent binary at $BUILD_DIR/agent/kafka-sentinel (build first) to check compose/agent/kafka-sentinel.yaml"
fi

# 2 and 5: the resolved stack and the Dockerfile
NEEDED_PKGS=""
MULTIARCH=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
for bin in "$BUILD_DIR/agent/kafka-sentinel" "$BUILD_DIR/tools/kafka-sentinel-loadgen"; do
  [[ -x "$bin" ]] || continue
  for lib in $(readelf -d "$bin" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\].*/\1/p'); do
    # The copy for this machine's architecture: with multilib packages installed (e.g. by
    # clang's runtimes) /lib32/libm.so.6 of libc6-i386 matches "*/libm.so.6" too.
    pkg=$( (dpkg -S "*/$lib" 2>/dev/null | grep "/$MULTIARCH/" || dpkg -S "*/$lib" 2>/dev/null) | head -n1 | cut -d: -f1)
    NEEDED_PKGS+="$lib=$pkg "
  done
done
python3 - "$TMP/resolved.yml" "$NEEDED_PKGS" "$BUILD_DIR/agent/kafka-sentinel" >"$TMP/py.out" 2>&1 <<'PY'
import os, re, subprocess, sys
import yaml  # python3-yaml (a dependency of Debian's docker-compose)

resolved, needed, agent_bin = sys.argv[1], sys.argv[2].split(), sys.argv[3]
doc = yaml.safe_load(open(resolved))
services = doc.get("services", {})

def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what)
    return cond

want = {"kafka-1", "kafka-2", "kafka-3", "agent-1", "agent-2", "agent-3", "prometheus",
        "alertmanager", "grafana", "topics", "producer", "consumer-fast", "consumer-slow",
        "consumer-delayed"}
check(want <= set(services), f"services {sorted(want - set(services))} present" if want - set(services) else "every service of the stack is defined")

def env(svc):
    e = services[svc].get("environment", {})
    if isinstance(e, list):
        e = dict(x.split("=", 1) for x in e)
    return {k: str(v) for k, v in e.items()}

def mounts(svc):
    out = []
    for v in services[svc].get("volumes", []):
        if isinstance(v, str):
            parts = v.split(":")
            out.append((parts[0], parts[1] if len(parts) > 1 else ""))
        else:
            out.append((v.get("source", ""), v.get("target", "")))
    return out

voters = set()
for n in (1, 2, 3):
    k = f"kafka-{n}"
    s, e = services[k], env(k)
    check(re.match(r"^apache/kafka:\d+\.\d+\.\d+$", s.get("image", "")) is not None, f"{k}: official apache/kafka image ({s.get('image')})")
    check(e.get("KAFKA_PROCESS_ROLES") == "broker,controller", f"{k}: KRaft combined broker+controller")
    check(e.get("KAFKA_NODE_ID") == str(n), f"{k}: node id {n}")
    check(e.get("KAFKA_ADVERTISED_LISTENERS") == f"PLAINTEXT://kafka-{n}:9092", f"{k}: advertises kafka-{n}:9092")
    check(bool(e.get("CLUSTER_ID")), f"{k}: CLUSTER_ID set")
    voters.add(e.get("KAFKA_CONTROLLER_QUORUM_VOTERS"))
    check("healthcheck" in s, f"{k}: has a healthcheck")
check(voters == {"1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093"}, f"one controller quorum of the three nodes ({voters})")
check(len({env(f"kafka-{n}")["CLUSTER_ID"] for n in (1, 2, 3)}) == 1, "the three nodes share one CLUSTER_ID")
for n in (1, 2, 3):
    a = f"agent-{n}"
    s = services[a]
    check(s.get("network_mode") == f"service:kafka-{n}", f"{a}: sidecar in kafka-{n}'s network namespace")
    check(s.get("build", {}).get("dockerfile") == "compose/Dockerfile", f"{a}: built from compose/Dockerfile")
    targets = {t for _, t in mounts(a)}
    check("/host/proc" in targets, f"{a}: mounts the node's /proc at /host/proc")
    config_src = [src for src, t in mounts(a) if t == "/etc/kafka-sentinel/kafka-sentinel.yaml"]
    check(config_src == [os.path.join(os.getcwd(), "compose", "agent", "kafka-sentinel.yaml")],
          f"{a}: mounts compose/agent/kafka-sentinel.yaml ({config_src})")
    e = env(a)
    check(e.get("NODE_NAME") == f"kafka-{n}" and e.get("BROKER_ID") == env(f"kafka-{n}").get("KAFKA_NODE_ID"),
          f"{a}: NODE_NAME kafka-{n} and BROKER_ID = kafka-{n}'s KAFKA_NODE_ID ({e})")
    if os.access(agent_bin, os.X_OK):
        run_env = {k: v for k, v in os.environ.items() if k not in ("KAFKA_BOOTSTRAP", "NODE_NAME", "BROKER_ID")}
        r = subprocess.run([agent_bin, "check-config", "compose/agent/kafka-sentinel.yaml"],
                           env={**run_env, **e}, capture_output=True, text=True, timeout=60)
        check(r.returncode == 0, f"{a}: check-config passes with its environment {e} {r.stdout.strip()} {r.stderr.strip()}")
agent_config = yaml.safe_load(open("compose/agent/kafka-sentinel.yaml"))
fleet = agent_config.get("fleet", {})
check(fleet.get("enabled") is True and "${NODE_NAME" in str(fleet.get("node_name"))
      and "${BROKER_ID" in str(fleet.get("broker_id")),
      f"the sidecars are one fleet: fleet.enabled, node_name and broker_id from the environment ({fleet})")
for g in ("producer", "consumer-fast", "consumer-slow", "consumer-delayed", "topics"):
    s = services[g]
    check(s.get("entrypoint") == ["kafka-sentinel-loadgen"], f"{g}: runs kafka-sentinel-loadgen")
cmd = lambda s: services[s].get("command", [])
check("--lag-seconds" in cmd("consumer-delayed") and "--rate" in cmd("consumer-slow"), "demo groups: one delayed, one slower than the producer")
check(services["producer"].get("depends_on", {}).get("topics", {}).get("condition") == "service_completed_successfully", "the workload starts once the topics exist")
pt = {t for _, t in mounts("prometheus")}
check({"/etc/prometheus/prometheus.yml", "/etc/prometheus/rules"} <= pt, "prometheus: mounts its config and alerts/")
check("/etc/alertmanager/alertmanager.yml" in {t for _, t in mounts("alertmanager")}, "alertmanager: mounts alerts/alertmanager.example.yml")
gt = {t for _, t in mounts("grafana")}
check({"/etc/grafana/provisioning/datasources/kafka-sentinel.yml",
       "/etc/grafana/provisioning/dashboards/kafka-sentinel.yml",
       "/var/lib/grafana/dashboards/kafka-sentinel"} <= gt, "grafana: provisioning and dashboards mounted")
# every bind mount of a repository path exists (named volumes and /proc aside)
src = os.getcwd()
for name, s in services.items():
    for source, target in mounts(name):
        if source.startswith(src):
            check(os.path.exists(source), f"{name}: bind-mount source {os.path.relpath(source, src)} exists")
# Grafana's dashboard provider path is where the compose file mounts the dashboards
prov = yaml.safe_load(open("dashboards/provisioning/dashboards.yml"))
check(prov["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards/kafka-sentinel", "grafana provider path = the mounted dashboards")
ds = yaml.safe_load(open("dashboards/provisioning/datasources.yml"))
check(ds["datasources"][0]["type"] == "prometheus" and ds["datasources"][0]["url"] == "http://prometheus:9090", "grafana data source: the stack's Prometheus")
# the compose Prometheus scrapes the sidecars, with a cluster label
pc = yaml.safe_load(open("compose/prometheus/prometheus.yml"))
jobs = {j["job_name"]: j for j in pc["scrape_configs"]}
ks = jobs.get("kafka-sentinel", {})
targets = [t for sc in ks.get("static_configs", []) for t in sc.get("targets", [])]
check(sorted(targets) == ["kafka-1:9742", "kafka-2:9742", "kafka-3:9742"], f"prometheus scrapes the three sidecars ({targets})")
check(all(sc.get("labels", {}).get("cluster") for sc in ks.get("static_configs", [])), "prometheus adds the cluster label")
check(any("alertmanager:9093" in t for a in pc["alerting"]["alertmanagers"] for sc in a["static_configs"] for t in sc["targets"]), "prometheus sends alerts to the stack's alertmanager")

# Dockerfile
df = open("compose/Dockerfile").read()
froms = re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", df, re.M)
check(len(froms) >= 2 and all(f[0].startswith("debian:bookworm") for f in froms), f"Dockerfile: multi-stage on Debian bookworm ({froms})")
installs = re.findall(r"apt-get install ([^&]*)", df.replace("\\\n", " "))
check(installs and all("--no-install-recommends" in i for i in installs), "Dockerfile: apt-get install --no-install-recommends")
stages = re.split(r"^FROM\s", df, flags=re.M)[1:]
build_pkgs = set(re.findall(r"[a-z0-9][a-z0-9.+-]+", stages[0].split("apt-get install", 1)[1].split("&&", 1)[0])) if len(stages) > 0 else set()
runtime_pkgs = set(re.findall(r"[a-z0-9][a-z0-9.+-]+", stages[-1].split("apt-get install", 1)[1].split("&&", 1)[0])) if len(stages) > 1 else set()
deps = open("scripts/install-deps.sh").read()
libs_line = re.search(r"# libraries\n(.*?)\n\s*#", deps, re.S)
dev_pkgs = set(re.findall(r"[a-z0-9][a-z0-9.+-]+", libs_line.group(1))) if libs_line else set()
check(dev_pkgs and dev_pkgs <= build_pkgs, f"Dockerfile build stage has every library of install-deps.sh (missing: {sorted(dev_pkgs - build_pkgs)})")
base = {"libc6", "libgcc-s1", "libstdc++6"}  # in debian:bookworm-slim
if not needed:
    check(False, "no built agent/loadgen to read the shared libraries from")
for item in needed:
    lib, _, pkg = item.partition("=")
    pkg = pkg.split(":")[0]
    if not pkg:
        check(False, f"Dockerfile runtime: no Debian package found for {lib}")
        continue
    check(pkg in base or pkg in runtime_pkgs, f"Dockerfile runtime stage installs {pkg} (for {lib})")
check("kafka-sentinel-loadgen" in df and "ENTRYPOINT" in df, "Dockerfile: ships the agent and the loadgen")
di = open(".dockerignore").read().split()
check({".git", "build"} <= set(di), ".dockerignore keeps .git and build out of the context")
PY
cat "$TMP/py.out"
count_results "$TMP/py.out"
grep -q "^ok: .dockerignore\|^FAIL: .dockerignore" "$TMP/py.out" || fail "the Python checks did not run to the end"
finish

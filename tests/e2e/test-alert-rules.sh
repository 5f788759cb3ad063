#!/usr/bin/env bash
# Static checks of the shipped monitoring content, no Kafka needed (runs in seconds):
#  1. promtool check rules: every alerts/*.rules.yml and the threshold example;
#  2. promtool test rules alerts/tests/*.yml: each alert FIRES on series that should fire
#     it and stays SILENT on series that should not (exp_alerts is matched exactly);
#  3. every alert has a severity (critical|warning), summary, description and a runbook_url
#     whose anchor is a heading of docs/runbooks.md; every threshold the rules use is in the
#     threshold table of docs/runbooks.md with the default the rules use;
#  4. alerts/tune-rules.py (the documented way to shorten `for:` and override thresholds)
#     writes valid rules with the scaled durations and leaves the shipped files untouched;
#  5. amtool check-config on the Alertmanager example, and its routing of sample alerts;
#  6. dashboards: valid JSON, unique uid and title, datasource/cluster/job/instance template
#     variables, every panel and query on ${datasource}, no hard-coded cluster, job or
#     instance, every query carries $cluster, $job and $instance, unique panel ids, panels
#     inside the 24-column grid and not overlapping, generate.py --check (JSON = source),
#     and every query is valid PromQL (promtool parses each one as a recording rule);
#  7. every metric a panel or rule queries is listed in docs/metrics.md (or is made by
#     Prometheus itself, or is a threshold override);
#  8. no panel or rule queries a per-partition consumer-group family (absent with
#     collectors.groups.granularity: topic), so both granularities serve them all.
# Prints "N passed, M failed"; exits 1 when anything failed.
set -uo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/../lib/check.sh"
SOURCE_DIR=${KS_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
cd "$SOURCE_DIR" || exit 2
use_tmpdir ks-alert-rules

for tool in promtool amtool python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool (scripts/install-deps.sh)"; echo "0 passed, 1 failed"; exit 1; }
done

# 1. syntax and semantics of the rule files
for f in alerts/*.rules.yml alerts/thresholds.example.yml; do
  run_check "promtool check rules $f" promtool check rules "$f"
done

# 2. unit tests: firing and silent cases
for f in alerts/tests/*.yml; do
  run_check "promtool test rules $f" promtool test rules "$f"
done
n_tests=$(ls alerts/tests/*.yml | wc -l)
(( n_tests >= 4 )) && ok "$n_tests promtool test files" || fail "expected promtool test files in alerts/tests (found $n_tests)"

# 4. tune-rules.py: scaled copies, shipped files untouched
before=$(cat alerts/*.rules.yml | sha256sum)
if python3 alerts/tune-rules.py --out "$TMP/tuned" --for-scale 0.01 --min-for 2s \
     --for KafkaConsumerGroupLagHigh=7s --threshold consumergroup_lag_messages=400 \
     --runbook-base https://runbooks.example.com/kafka-sentinel >"$TMP/tune.out" 2>&1; then
  ok "tune-rules.py runs"
else
  fail "tune-rules.py runs"; cat "$TMP/tune.out"
fi
after=$(cat alerts/*.rules.yml | sha256sum)
[[ "$before" == "$after" ]] && ok "tune-rules.py leaves the shipped rule files untouched" \
  || fail "tune-rules.py changed the shipped rule files"
run_check "promtool check rules on the tuned copies" promtool check rules "$TMP"/tuned/*.yml
if python3 alerts/tune-rules.py --out "$TMP/bad" --threshold no_such_threshold=1 >/dev/null 2>&1; then
  fail "tune-rules.py rejects an unknown threshold"
else
  ok "tune-rules.py rejects an unknown threshold"
fi

# 5. Alertmanager example
run_check "amtool check-config alerts/alertmanager.example.yml" amtool check-config alerts/alertmanager.example.yml
route_is() {  # route_is RECEIVER LABELS...
  local want=$1; shift
  local got
  got=$(amtool config routes test --config.file=alerts/alertmanager.example.yml "$@" 2>&1 | tail -n1)
  [[ "$got" == "$want" ]] && ok "alertmanager routes {$*} to $want" \
    || fail "alertmanager routes {$*} to '$got', expected $want"
}
route_is kafka-oncall alertname=KafkaBrokerDown severity=critical cluster=prod
route_is consumer-owners alertname=KafkaConsumerGroupLagHigh severity=warning cluster=prod consumergroup=billing
route_is monitoring-team alertname=KafkaSentinelCollectorFailing severity=warning cluster=prod
route_is kafka-team alertname=KafkaUnderReplicatedPartitions severity=warning cluster=prod
route_is kafka-oncall alertname=KafkaSentinelFleetNoLeader severity=critical cluster=prod
route_is monitoring-team alertname=KafkaSentinelFleetLeaseLost severity=warning cluster=prod

# 3, 6, 7: Python checks (one "ok:"/"FAIL:" line per check)
python3 - "$TMP" >"$TMP/py.out" 2>&1 <<'PY'
import json, os, re, subprocess, sys
sys.path.insert(0, os.path.join(os.getcwd(), "tests", "lib"))
import ksmonitoring as km

tmp = sys.argv[1]

def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what)
    return cond

# ---- 3. alert rule metadata and runbooks
rules = km.alert_rules()
runbooks = open(os.path.join(km.SOURCE_DIR, "docs", "runbooks.md")).read()
anchors = set()
for line in runbooks.splitlines():
    m = re.match(r"^#{1,6}\s+(.*?)\s*$", line)
    if m:
        a = re.sub(r"[^\w\- ]", "", m.group(1).lower()).replace(" ", "-")
        anchors.add(a)
names = [r["alert"] for _, _, r in rules]
check(len(names) == len(set(names)), f"alert names unique ({len(names)} alerts)")
required = {"KafkaBrokerDown", "KafkaClusterUnreachable", "KafkaOfflinePartitions",
            "KafkaUnderReplicatedPartitions", "KafkaUnderMinIsrPartitions",
            "KafkaConsumerGroupLagHigh", "KafkaConsumerGroupLagSecondsHigh",
            "KafkaConsumerGroupStopped", "KafkaConsumerGroupStalled",
            "KafkaConsumerGroupLagGrowing", "KafkaConsumerGroupMessagesExpired",
            "KafkaNodeCpuHigh", "KafkaNodeMemoryLow", "KafkaSentinelAgentDown",
            "KafkaSentinelCollectorFailing", "KafkaSentinelFleetNoLeader",
            "KafkaSentinelFleetLeaseLost"}
check(required <= set(names), f"every required alert exists (missing: {sorted(required - set(names))})")
tested = set()
for f in sorted(os.listdir(os.path.join(km.ALERTS_DIR, "tests"))):
    tested |= set(re.findall(r"alertname:\s*(\w+)", open(os.path.join(km.ALERTS_DIR, "tests", f)).read()))
check(set(names) <= tested, f"every alert has a promtool unit test (untested: {sorted(set(names) - tested)})")
for path, group, r in rules:
    a = r["alert"]
    labels, ann = r.get("labels", {}), r.get("annotations", {})
    check(labels.get("severity") in ("critical", "warning"), f"{a}: severity label critical|warning")
    check(all(ann.get(k) for k in ("summary", "description", "runbook_url")),
          f"{a}: summary, description and runbook_url")
    check("{{ $value" in ann.get("summary", "") + ann.get("description", ""),
          f"{a}: summary or description shows the value")
    url = ann.get("runbook_url", "")
    m = re.match(r"^docs/runbooks\.md#([\w-]+)$", url)
    check(bool(m) and m.group(1) in anchors, f"{a}: runbook_url {url} is a heading of docs/runbooks.md")
    check(m and m.group(1) == a.lower(), f"{a}: runbook anchor is the alert name")
# thresholds: name and default documented
defaults = {}
for path in km.rule_files():
    for name, value in re.findall(r"(kafka_sentinel:threshold_\w+) or on \(\) vector\(([\d.]+)\)", open(path).read()):
        defaults[name] = value
check(len(defaults) >= 5, f"thresholds found in the rules ({len(defaults)})")
for name, value in sorted(defaults.items()):
    row = [l for l in runbooks.splitlines() if l.startswith("|") and f"`{name}`" in l]
    check(bool(row) and any(re.search(rf"\b{re.escape(value)}\b", r) for r in row),
          f"threshold {name} (default {value}) is in the table of docs/runbooks.md")

# ---- 6. dashboards
try:
    dashboards = km.load_dashboards()
    check(True, f"dashboards are valid JSON ({len(dashboards)} files)")
except ValueError as e:
    check(False, str(e))
    dashboards = []
check(len(dashboards) >= 4, "at least 4 dashboards")
uids = [d.get("uid") for _, d in dashboards]
titles = [d.get("title") for _, d in dashboards]
check(len(set(uids)) == len(uids) and all(uids), f"dashboard uids unique and set: {uids}")
check(len(set(titles)) == len(titles) and all(titles), f"dashboard titles unique and set: {titles}")
for path, d in dashboards:
    t = d.get("title")
    check(isinstance(d.get("schemaVersion"), int) and d["schemaVersion"] >= 36, f"{t}: schemaVersion current ({d.get('schemaVersion')})")
    check(d.get("id") is None, f"{t}: no database id (provisioned by file)")
    check("__inputs" not in d, f"{t}: no __inputs (file provisioning cannot fill them)")
    variables = {v["name"]: v for v in d.get("templating", {}).get("list", [])}
    check({"datasource", "cluster", "job", "instance"} <= set(variables),
          f"{t}: template variables datasource, cluster, job, instance (has {sorted(variables)})")
    ds = variables.get("datasource", {})
    check(ds.get("type") == "datasource" and ds.get("query") == "prometheus",
          f"{t}: datasource variable picks a Prometheus data source")
    for name, v in variables.items():
        if name == "datasource":
            continue
        check(v.get("datasource", {}).get("uid") == "${datasource}", f"{t}: variable {name} queries ${{datasource}}")
        check(not v.get("current", {}).get("value"), f"{t}: variable {name} has no hard-coded current value")
    ids, boxes = [], []
    panels = [p for p in km.all_panels(d)]
    for p in panels:
        ids.append(p.get("id"))
        g = p.get("gridPos", {})
        ok_grid = all(isinstance(g.get(k), int) for k in "xywh") and g["x"] >= 0 and g["x"] + g["w"] <= 24
        check(ok_grid, f"{t} / {p.get('title')}: gridPos inside 24 columns")
        if ok_grid:
            boxes.append((p.get("title"), g))
        if p.get("type") == "row":
            continue
        check(p.get("datasource") == {"type": "prometheus", "uid": "${datasource}"},
              f"{t} / {p.get('title')}: panel datasource ${{datasource}}")
        check(bool(p.get("targets")), f"{t} / {p.get('title')}: has queries")
        check(bool(p.get("description")), f"{t} / {p.get('title')}: has a description")
        for q in p.get("targets", []):
            where = f"{t} / {p.get('title')} [{q.get('refId')}]"
            check(q.get("datasource") == {"type": "prometheus", "uid": "${datasource}"}, f"{where}: query datasource ${{datasource}}")
            e = q.get("expr", "")
            check(all(v in e for v in ("$cluster", "$job", "$instance")), f"{where}: carries $cluster, $job and $instance")
            check(not re.search(r'\b(cluster|job|instance)\s*(=|!=|=~|!~)\s*"(?!\$)', e),
                  f"{where}: no hard-coded cluster, job or instance")
    check(len(ids) == len(set(ids)), f"{t}: panel ids unique")
    overlaps = []
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            a, b = boxes[i][1], boxes[j][1]
            if a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"] and a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"]:
                overlaps.append((boxes[i][0], boxes[j][0]))
    check(not overlaps, f"{t}: no overlapping panels {overlaps[:3]}")
r = subprocess.run([sys.executable, os.path.join(km.DASHBOARD_DIR, "generate.py"), "--check"], capture_output=True, text=True)
check(r.returncode == 0, f"dashboards/*.json are what dashboards/generate.py writes {r.stderr.strip()}")

# every panel query is valid PromQL: promtool parses each as a recording rule
queries = km.panel_queries(dashboards)
lines = ["groups:", "  - name: dashboard-queries", "    rules:"]
for i, (name, e) in enumerate(queries):
    lines.append(f"      - record: dashboard:query_{i}")
    lines.append("        expr: " + json.dumps(km.substitute(e)))
qfile = os.path.join(tmp, "dashboard-queries.yml")
open(qfile, "w").write("\n".join(lines) + "\n")
r = subprocess.run(["promtool", "check", "rules", qfile], capture_output=True, text=True)
if not check(r.returncode == 0, f"all {len(queries)} dashboard queries are valid PromQL"):
    for m in re.finditer(r"dashboard:query_(\d+)", r.stdout + r.stderr):
        print(f"    invalid: {queries[int(m.group(1))][0]}")
    print((r.stdout + r.stderr)[-3000:])

# ---- 7. every queried metric is documented (= exported) by the agent
documented = set()
for line in open(os.path.join(km.SOURCE_DIR, "docs", "metrics.md")):
    m = re.match(r"^\|\s*`([a-zA-Z_:][a-zA-Z0-9_:]*)`", line)
    if m:
        documented.add(m.group(1))
# Health events (kafka_sentinel_events_total, _spool_depth) are another issue in progress:
# reported, not failed, until docs/metrics.md lists them.
PENDING = {"kafka_sentinel_events_total", "kafka_sentinel_events_spool_depth"}
users = {}
for name, e in queries:
    for m in km.metric_names(e):
        users.setdefault(m, []).append(name)
for path, group, r in rules:
    for m in km.metric_names(r["expr"]):
        users.setdefault(m, []).append(f"rule {r['alert']}")
for m, where in sorted(users.items()):
    if not km.is_agent_metric(m):
        continue
    if m in documented or (m.startswith("node_memory_") and m.endswith("_bytes")):
        continue
    # A histogram's series (_bucket, _sum, _count) are documented under the family's name.
    if re.sub(r"_(bucket|sum|count)$", "", m) in documented:
        continue
    if m in PENDING:
        print(f"note: {m} is not in docs/metrics.md yet (health events issue pending); used by {where[0]}")
        continue
    check(False, f"{m} used by {', '.join(sorted(set(where))[:4])} is not in docs/metrics.md")
check(True, f"{len(users)} metric names checked against docs/metrics.md")

# ---- 8. both granularities: no panel or rule reads a per-partition consumer-group family,
# which an agent with collectors.groups.granularity: topic does not export. Per-partition
# families are those docs/metrics.md lists with a `partition` label under "Consumer groups".
per_partition, section = set(), None
for line in open(os.path.join(km.SOURCE_DIR, "docs", "metrics.md")):
    if line.startswith("## "):
        section = line.strip()
    m = re.match(r"^\|\s*`(kafka_consumergroup_\w+)`\s*\|[^|]*\|([^|]*)\|", line)
    if section == "## Consumer groups" and m and "`partition`" in m.group(2):
        per_partition.add(m.group(1))
check(len(per_partition) >= 5, f"per-partition families read from docs/metrics.md: {sorted(per_partition)}")
for m, where in sorted(users.items()):
    if m in per_partition:
        check(False, f"{m} (per partition, absent with granularity topic) is used by "
                     f"{', '.join(sorted(set(where))[:4])}")
check(True, "no dashboard query or alert rule depends on the partition granularity")
PY
cat "$TMP/py.out"
count_results "$TMP/py.out"
if ! grep -q "metric names checked against" "$TMP/py.out"; then
  fail "the Python checks did not run to the end"
fi
finish

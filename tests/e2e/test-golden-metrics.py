"""The real binary on fixture procfs, Kafka unreachable: /metrics over HTTP equals the golden
file (volatile sample lines filtered), passes `promtool check metrics` (node_exporter's
CamelCase node_memory_ names its only lints), and lists only documented families. Then on the
machine's real /proc with collectors.host.node_metrics: false: promtool prints nothing.

Regenerate the golden file after an intended change of the output:
    KS_UPDATE_GOLDEN=1 ctest --test-dir build -R golden
and review the diff (git diff tests/e2e/golden/).
"""
import difflib
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from ksharness import (Agent, FIXTURES, check, check_families_documented, exposed_families,
                       finish, http_get,  # noqa: E402
                       log, promtool_check_metrics, promtool_check_metrics_silent, wait_until)

GOLDEN = os.path.join(os.path.dirname(__file__), "golden", "metrics-no-kafka.txt")

# Sample lines whose values depend on time, the machine or the build; their HELP/TYPE lines
# stay in the comparison, so the family must still be there.
VOLATILE = re.compile(
    r"^(process_|kafka_sentinel_build_info|kafka_sentinel_collector_duration_seconds|"
    r"kafka_sentinel_collector_last_success_timestamp_seconds|kafka_sentinel_collector_runs_total|"
    r"kafka_sentinel_collector_errors_total|kafka_sentinel_metrics_|"
    # how many times the clients have retried the unreachable bootstrap by now
    r"kafka_sentinel_kafka_failures_total|kafka_sentinel_kafka_client_errors_total|"
    # librdkafka's statistics of the clients: whether one came yet, its connection counts
    r"kafka_sentinel_client_)")


# Families that appear only once librdkafka's first statistics arrive (its statistics
# interval after start, later on a busy machine): their HELP/TYPE lines are volatile too.
ARRIVE_LATE = re.compile(r"^# (HELP|TYPE) kafka_sentinel_client_broker_")


def stable(text):
    return "".join(line + "\n" for line in text.splitlines()
                   if not VOLATILE.match(line) and not ARRIVE_LATE.match(line))


config = f"""
log:
  level: debug
kafka:
  bootstrap_servers: 127.0.0.1:1
  request_timeout: 2s
collectors:
  host:
    interval: 1s
    procfs: {FIXTURES}/procfs/normal
  brokers:
    interval: 1s
  groups:
    interval: 1s
"""
agent = Agent(config, name="golden").start()


def runs(text, collector):
    m = re.search(r'^kafka_sentinel_collector_runs_total\{collector="%s"\} (\d+)' % collector, text, re.M)
    return int(m.group(1)) if m else 0


# Every collector has finished a cycle (the brokers' and groups' fail: Kafka is unreachable)
# and the host two, so that everything a cycle can publish has been published: the page no
# longer changes but for the volatile lines, however slow the machine.
wait_until(lambda: (lambda t: runs(t, "host") >= 2 and runs(t, "brokers") >= 1 and
                    runs(t, "groups") >= 1)(agent.metrics_text()),
           120, 0.2, "two host cycles, one of the brokers and groups collectors")
status, body, headers = http_get(agent.url + "/metrics")
check(status == 200, "/metrics answers 200")
check(headers.get("Content-Type", "").startswith("text/plain; version=0.0.4"),
      f"exposition content type ({headers.get('Content-Type')})")
got = stable(body)
if os.environ.get("KS_UPDATE_GOLDEN"):
    os.makedirs(os.path.dirname(GOLDEN), exist_ok=True)
    with open(GOLDEN, "w") as f:
        f.write(got)
    log(f"golden file written: {GOLDEN}")
with open(GOLDEN) as f:
    want = f.read()
if got != want:
    sys.stdout.writelines(difflib.unified_diff(want.splitlines(True), got.splitlines(True),
                                               "golden", "/metrics"))
check(got == want, "stable /metrics lines equal the golden file")
promtool_check_metrics(body)
check_families_documented(body)

# build_info names the commit the binary was built from (written at build time, not at
# configure time): "-dirty" when tracked files differ from it.
source = os.environ.get("KS_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
git = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=source, capture_output=True,
                     text=True)
if git.returncode == 0:
    want_revision = git.stdout.strip()
    if subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=source,
                      capture_output=True, text=True).stdout.strip():
        want_revision += "-dirty"
else:
    want_revision = "unknown"
build_info = re.search(r'^kafka_sentinel_build_info\{[^}]*revision="([^"]*)"', body, re.M)
check(build_info is not None and build_info.group(1) == want_revision,
      f"build_info revision is the source's ({build_info.group(1) if build_info else None} vs "
      f"{want_revision})")

# gzip is served from the cache: the same content as the plain body of the same render. A
# collector cycle between two scrapes makes a new render (on a busy machine the brokers' and
# groups' first failed cycles can land there), so the gzip body is compared with plain
# bodies fetched right before and after it that are equal to each other: a few tries at most.
def same_render_gzip():
    for _ in range(10):
        _, before, _ = http_get(agent.url + "/metrics")
        _, gz, gz_headers = http_get(agent.url + "/metrics", headers={"Accept-Encoding": "gzip"})
        _, after, _ = http_get(agent.url + "/metrics")
        if stable(before) == stable(after):
            return stable(before), gz, gz_headers
    return None, gz, gz_headers


plain_then, gz_body, gz_headers = same_render_gzip()
check(gz_headers.get("Content-Encoding") == "gzip", "gzip served on Accept-Encoding: gzip")
check(plain_then is not None, "two plain scrapes around a gzip one had the same content (10 tries)")
if stable(gz_body) != plain_then:
    sys.stdout.writelines(difflib.unified_diff((plain_then or "").splitlines(True),
                                               stable(gz_body).splitlines(True), "plain", "gzip"))
check(stable(gz_body) == plain_then, "gzip body has the same content")
check(gz_headers.get("Vary") == "Accept-Encoding" and headers.get("Vary") == "Accept-Encoding",
      "Vary: Accept-Encoding on both bodies (caches keep them apart)")
status, refused, refused_headers = http_get(agent.url + "/metrics",
                                            headers={"Accept-Encoding": "gzip;q=0, identity"})
# (the plain body: its stable lines are the golden file's, whichever render it came from)
check(status == 200 and "Content-Encoding" not in refused_headers and stable(refused) == got,
      "gzip;q=0 (the client refuses gzip) gets the plain body")
agent.stop()

# Without node_exporter's families (for hosts where node_exporter already runs), on the real
# /proc of this machine (every meminfo field the kernel has): promtool prints nothing at all.
quiet = Agent(config.replace(f"procfs: {FIXTURES}/procfs/normal",
                             "procfs: /proc\n    node_metrics: false"), name="node-off").start()
# Two host cycles (the CPU ratio needs two) and the first, failed, cluster cycle (kafka_up 0).
body = wait_until(lambda: (lambda t: t if "kafka_sentinel_host_cpu_utilization_ratio " in t
                           and "\nkafka_up 0\n" in t else None)(quiet.metrics_text()),
                  30, 0.2, "two host cycles on /proc and a failed cluster cycle")
check(body is not None and "kafka_sentinel_host_memory_available_ratio " in body,
      "node_metrics: false keeps the derived host ratios")
families = exposed_families(body or "")
check(not [f for f in families if f.startswith("node_")],
      f"node_metrics: false exports no node_* family ({sorted(f for f in families if f.startswith('node_'))[:5]})")
check("kafka_up" in families and "kafka_sentinel_collector_success" in families,
      "the Kafka and self families are still there")
promtool_check_metrics_silent(body or "")
quiet.stop()
finish()

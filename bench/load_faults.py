"""Load during faults (`make bench`, section faults): 200 concurrent keep-alive scrapers on
/metrics (wrk, gzip as Prometheus asks) against the agent with its normal config, monitoring
2,000 groups x 10 partitions on a local 3-node Kafka, while
  (a) steady, (b) a broker is killed and restarted, (c) the whole cluster is down;
then node_exporter's host-only scrape on the same machine as a reference (when Debian's
prometheus-node-exporter is installed). Prints a table of requests, p50/p99 latency, errors
and timeouts per phase against the target (p99 <= 50 ms, zero errors). Loopback only, bounded
(each phase BENCH_LOAD_SECONDS, default 20 s; the broker phase until the broker is back, at
most 180 s); every process it starts is stopped by PID. Exit 0 whatever the figures (they
are the report); 1 when the bench itself could not run. Skips with a message without wrk.
"""
import os
import re
import shutil
import subprocess
import sys
import threading
import time

from ksbench import (Agent, GROUPS, PARTITIONS, agent_with_normal_config,  # noqa: F401
                     cluster_with_groups, free_port, log, value, wait_until)

CONNECTIONS = int(os.environ.get("BENCH_LOAD_CONNECTIONS", "200"))
SECONDS = int(os.environ.get("BENCH_LOAD_SECONDS", "20"))
WRK_TIMEOUT = "2s"  # a request unanswered this long counts as a timeout
TARGET_P99_MS = 50.0


def to_ms(text):
    m = re.match(r"([\d.]+)(us|ms|s)$", text)
    return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]


def wrk(url, connections, seconds):
    """Runs wrk (2 threads, keep-alive, gzip) and returns its figures as a dict. wrk exits at
    once when it cannot connect at all (the server is gone): then every connection is an
    error."""
    started = time.monotonic()
    out = subprocess.run(["wrk", "-t", str(min(2, connections)), "-c", str(connections),
                          "-d", f"{seconds}s",
                          "--latency", "--timeout", WRK_TIMEOUT,
                          "-H", "Accept-Encoding: gzip", url],
                         capture_output=True, text=True, timeout=seconds + 60).stdout
    r = {"connections": connections, "requests": 0, "p50": None, "p99": None,
         "errors": 0, "timeouts": 0, "seconds": max(1.0, time.monotonic() - started)}
    if "requests in" not in out:
        r["errors"] = connections
    if m := re.search(r"(\d+) requests in ([\d.]+)(\w+)", out):
        r["requests"] = int(m.group(1))
    for pct, key in (("50", "p50"), ("99", "p99")):
        if m := re.search(rf"^\s+{pct}%\s+(\S+)", out, re.M):
            r[key] = to_ms(m.group(1))
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out):
        r["errors"] += int(m.group(1)) + int(m.group(2)) + int(m.group(3))
        r["timeouts"] = int(m.group(4))
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        r["errors"] += int(m.group(1))
    return r


def broker_restart_phase(kafka, agent, url):
    """wrk for as long as broker 2 takes to be killed and to come back (at least SECONDS)."""
    restart = {}

    def fault():
        time.sleep(2)
        t = time.monotonic()
        kafka.kill_node(2)
        time.sleep(3)
        kafka.start_node(2)
        restart["seconds"] = time.monotonic() - t
    thread = threading.Thread(target=fault, daemon=True)
    results = []
    thread.start()
    started = time.monotonic()
    while True:  # slices of SECONDS until the broker is back (bounded: 180 s)
        results.append(wrk(url, CONNECTIONS, SECONDS))
        if not thread.is_alive() or time.monotonic() - started > 180 or not agent.alive():
            break
    thread.join(5)
    merged = {"connections": CONNECTIONS, "seconds": sum(r["seconds"] for r in results),
              "requests": sum(r["requests"] for r in results),
              "errors": sum(r["errors"] for r in results),
              "timeouts": sum(r["timeouts"] for r in results),
              # the slices' worst: the phase's percentiles are at least these
              "p50": max((r["p50"] or 0) for r in results),
              "p99": max((r["p99"] or 0) for r in results)}
    note = (f"broker 2 killed and back in {restart['seconds']:.0f}s" if "seconds" in restart
            else "broker 2 not back within the phase")
    return merged, note


def node_exporter_rows():
    exe = shutil.which("prometheus-node-exporter") or shutil.which("node_exporter")
    if not exe:
        return [("node_exporter (not installed: skipped)", None, "")]
    port = free_port()
    proc = subprocess.Popen([exe, f"--web.listen-address=127.0.0.1:{port}",
                             "--collector.disable-defaults", "--collector.cpu",
                             "--collector.meminfo", "--collector.loadavg",
                             "--collector.pressure"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/metrics"
        import urllib.request
        wait_until(lambda: urllib.request.urlopen(url, timeout=2).status == 200, 20, 0.2,
                   "node_exporter")
        # Its defaults, as shipped: beyond --web.max-requests (40) concurrent scrapes it
        # answers 503 at once (counted as errors).
        return [("node_exporter, host only", wrk(url, 1, SECONDS // 2), "reference"),
                ("node_exporter, host only", wrk(url, CONNECTIONS, SECONDS),
                 "reference; 503 beyond its 40 concurrent requests")]
    finally:
        proc.terminate()
        proc.wait(10)


def fmt(v, spec):
    return "-" if v is None else format(v, spec)


def print_table(rows):
    print(f"\n{'phase':<38} {'conns':>5} {'requests':>8} {'req/s':>7} {'p50 ms':>8} "
          f"{'p99 ms':>8} {'errors':>6} {'tmouts':>6}  verdict / note")
    for name, r, note in rows:
        if r is None:
            print(f"{name:<38}")
            continue
        ok = r["p99"] is not None and r["p99"] <= TARGET_P99_MS and not r["errors"] \
            and not r["timeouts"]
        verdict = "" if note.startswith("reference") else ("target met" if ok else "target missed")
        print(f"{name:<38} {r['connections']:>5} {r['requests']:>8} "
              f"{r['requests'] / r['seconds']:>7.0f} {fmt(r['p50'], '8.1f')} "
              f"{fmt(r['p99'], '8.1f')} {r['errors']:>6} {r['timeouts']:>6}  "
              f"{verdict}{'; ' if verdict and note else ''}{note}")
    print(f"target (issue 16): p99 <= {TARGET_P99_MS:.0f} ms and zero errors/timeouts in "
          f"(a), (b) and (c); wrk -t2 -c{CONNECTIONS} --timeout {WRK_TIMEOUT}, keep-alive, "
          "Accept-Encoding: gzip")


def main():
    if not shutil.which("wrk"):
        print("load during faults: skipped (wrk is not installed: apt-get install wrk, or "
              "scripts/install-deps.sh)")
        return 0
    kafka = cluster_with_groups()
    agent = agent_with_normal_config(kafka, name="load-faults")
    url = agent.url + "/metrics"
    body = agent.metrics_text(timeout=30)
    log(f"agent monitors {GROUPS} groups; /metrics is {len(body) / 1e6:.1f} MB plain")
    rows = [("agent: 1 scraper, steady", wrk(url, 1, SECONDS // 2), ""),
            ("(a) agent: steady", wrk(url, CONNECTIONS, SECONDS), "")]
    r, note = broker_restart_phase(kafka, agent, url)
    if not agent.alive():
        note += f"; THE AGENT DIED (exit {agent.proc.poll()}): {agent.log_tail(3).strip()}"
    rows.append(("(b) agent: broker killed + restarted", r, note))
    log("killing every broker")
    for k in (1, 2, 3):
        kafka.kill_node(k)
    down = agent.alive() and wait_until(
        lambda: value(agent.metrics(timeout=30), "kafka_up") == 0, 120, 1, "kafka_up 0")
    rows.append(("(c) agent: whole cluster down", wrk(url, CONNECTIONS, SECONDS),
                 "kafka_up 0" if down else "kafka_up never dropped to 0"))
    rows += node_exporter_rows()
    alive = agent.alive()
    code, took = agent.stop()
    kafka.down()
    print_table(rows)
    print(f"agent alive through every phase: {alive}; exit {code} on SIGTERM in {took:.1f}s")
    return 0 if alive else 1


if __name__ == "__main__":
    sys.exit(main())

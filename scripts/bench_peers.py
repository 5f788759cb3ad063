#!/usr/bin/env python3
"""Measures one consumer-lag monitor on a live cluster, for scripts/bench-peers.sh (Python
standard library only). Prints figures; asserts nothing.

  bench_peers.py monitor --name NAME --url URL --family F --labels G,T,P --out FILE
                         --broker-pids PIDS [--window S] [--interval S] [--probe S]
                         [--groups N] [--topics T] [--partitions P] [--messages M]
                         [--prefix NAME] -- COMMAND...
      starts COMMAND (a monitor serving Prometheus text at URL), and for --window seconds
      from its start: scrapes URL every --probe seconds until the body has the lag family F
      (labels G,T,P: group, topic, partition) for all N x P partitions of the bench's groups
      (the time to full view), then every --interval seconds, as Prometheus would (gzip).
      At the end of the window: the monitor's CPU (utime + stime from /proc/PID/stat), its
      peak RSS (VmHWM), the brokers' CPU over the window, the scrapes' median latency and how
      many lag series equal the lag that was created (see expected_lag); with
      --cached-scrape, each scrape after the full view is followed at once by another (served
      from the cache by a monitor that caches its body: kafka-sentinel), sent as soon as the
      first one's last byte arrived (before it is decompressed and read) and timed until its
      own last byte arrives; only those whose bytes equal the first's count (a collector that
      published in between makes the second a new render: counted as "rerendered"). Then stops the
      monitor (SIGTERM, SIGKILL after 20 s) and appends one JSON line to FILE.
      With --request-logs LOGS (the nodes' request logs, comma-separated: kafka-cluster.sh
      with KAFKA_REQUEST_LOG=1), also the requests the brokers served on their client
      listeners during the window, by API: how many, and the time their request threads
      spent on them (Kafka's localTimeMs); and the same for the window's second half alone.
  bench_peers.py baseline --window S --broker-pids PIDS --out FILE [--request-logs LOGS]
      the brokers' CPU over S seconds with no monitor running (one JSON line to FILE).
  bench_peers.py table --in FILE --window S
      the table of every line of FILE (Markdown), each figure per --window seconds.

The bench's groups are PREFIX-g0000 .. (bench/bench_groups_cycle.cpp --setup): group i
committed on topic PREFIX-t(i mod T), every partition p, offset (7i + p) mod (M + 1), with M
messages in every partition, so its lag is M - that offset.
"""
import argparse
import gzip
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request

TICKS = os.sysconf("SC_CLK_TCK")
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def cpu_seconds(pid):
    """utime + stime of a process (all its threads), in seconds; None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICKS  # fields 14 and 15 of stat(5)


def peak_rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return None


# Kafka's API keys (the protocol's numbering) of the requests monitors send.
API_NAMES = {0: "Produce", 1: "Fetch", 2: "ListOffsets", 3: "Metadata", 8: "OffsetCommit",
             9: "OffsetFetch", 10: "FindCoordinator", 11: "JoinGroup", 12: "Heartbeat",
             13: "LeaveGroup", 14: "SyncGroup", 15: "DescribeGroups", 16: "ListGroups",
             17: "SaslHandshake", 18: "ApiVersions", 19: "CreateTopics", 32: "DescribeConfigs",
             35: "DescribeLogDirs", 36: "SaslAuthenticate", 42: "DeleteGroups",
             60: "DescribeCluster", 69: "ConsumerGroupDescribe", 71: "GetTelemetrySubscriptions",
             75: "DescribeTopicPartitions"}
COMPLETED = "Completed request:"


class RequestLogs:
    """The nodes' request logs: what they served since mark(), by API."""

    def __init__(self, paths):
        self.paths = [p for p in paths.split(",") if p] if paths else []
        self.offsets = {}

    def mark(self):
        """Where the logs end now: since_mark() reads from here."""
        return {p: os.path.getsize(p) if os.path.exists(p) else 0 for p in self.paths}

    def start(self):
        self.offsets = self.mark()

    def since_mark(self, offsets=None):
        """{API: [requests, local ms]} of the clients' requests since start() (or since
        `offsets`, a mark()); the nodes' own traffic left out: the controller listener (the
        quorum) and Kafka's own clients (client ids "broker-K-...": replica fetchers,
        forwarding). None without logs."""
        if not self.paths:
            return None
        offsets = self.offsets if offsets is None else offsets
        served = {}
        for path in self.paths:
            if not os.path.exists(path):
                continue
            with open(path, "rb") as f:
                f.seek(offsets.get(path, 0))
                for raw in f:
                    line = raw.decode("utf-8", "replace")
                    at = line.find(COMPLETED)
                    if at < 0:
                        continue
                    try:
                        request = json.loads(line[at + len(COMPLETED):])
                    except ValueError:
                        continue
                    header = request.get("requestHeader", {})
                    if request.get("listener") == "CONTROLLER" or \
                            header.get("clientId", "").startswith("broker-"):
                        continue
                    key = header.get("requestApiKey")
                    entry = served.setdefault(API_NAMES.get(key, f"api {key}"), [0, 0.0])
                    entry[0] += 1
                    entry[1] += float(request.get("localTimeMs", 0))
        return served


def brokers_cpu(pids):
    values = [cpu_seconds(p) for p in pids]
    if any(v is None for v in values):
        raise SystemExit(f"a broker is gone (pids {pids})")
    return sum(values)


def expected_lag(args, group, topic, partition):
    """The lag bench_groups_cycle --setup created, or None for a series not of the bench."""
    m = re.fullmatch(re.escape(args.prefix) + r"-g(\d+)", group)
    if not m:
        return None
    i = int(m.group(1))
    if topic != f"{args.prefix}-t{i % args.topics:03d}":
        return -1  # a partition the group never committed: never correct
    return args.messages - (7 * i + int(partition)) % (args.messages + 1)


def lag_series(args, body):
    """(bench series present, of which equal to the created lag) in a /metrics body."""
    group_l, topic_l, part_l = args.labels.split(",")
    seen, correct = set(), 0
    prefix = args.family + "{"
    for line in body.splitlines():
        if not line.startswith(prefix):
            continue
        labels_text, _, value = line[len(prefix):].rpartition("}")
        labels = dict(LABEL.findall(labels_text))
        key = (labels.get(group_l), labels.get(topic_l), labels.get(part_l))
        if None in key:
            continue
        want = expected_lag(args, *key)
        if want is None or key in seen:
            continue
        seen.add(key)
        if float(value.split()[0]) == want:
            correct += 1
    return len(seen), correct


def scrape(url, timeout, timings=None, then=None):
    """(seconds, body text) of one scrape with gzip accepted; (seconds, None) on failure.
    `timings` (a dict), when given, gets "bytes_s": until the last byte was received (before
    the body is decompressed here) and "raw": the bytes as received. `then`, when given, is
    called with those bytes as soon as they are in (before decompressing)."""
    started = time.monotonic()
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as r:
            data = r.read()
            if timings is not None:
                timings["bytes_s"] = time.monotonic() - started
                timings["raw"] = data
            if then is not None:  # its time is not this scrape's
                then_began = time.monotonic()
                then(data)
                started += time.monotonic() - then_began
            if r.headers.get("Content-Encoding") == "gzip":
                data = gzip.decompress(data)
    except (OSError, urllib.error.URLError):
        return time.monotonic() - started, None
    return time.monotonic() - started, data.decode("utf-8", "replace")


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def watch(args, proc, started, at_half=lambda: None):
    """Scrapes until the window ends; returns the measurements taken from the scrapes.
    `at_half` is called once, when half the window has passed."""
    deadline = started + args.window
    half = [started + args.window / 2]
    full_after, latencies, cached, last = None, [], [], (0, 0)
    rerendered = [0]

    def cached_scrape(first_bytes):  # at once again: served from the cache the first filled
        timings = {}
        if scrape(args.url, max(5.0, deadline - time.monotonic() + 30), timings)[1] is None:
            return
        if timings["raw"] == first_bytes:
            cached.append(timings["bytes_s"])
        else:
            rerendered[0] += 1
    next_scrape = time.monotonic()
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(max(0.0, min(next_scrape, deadline, half[0]) - time.monotonic()))
        if time.monotonic() >= half[0]:
            at_half()
            half[0] = float("inf")
            continue
        if time.monotonic() >= deadline:
            break
        began = time.monotonic()
        seconds, body = scrape(args.url, timeout=max(5.0, deadline - began + 30),
                               then=cached_scrape if args.cached_scrape and full_after else None)
        if body is None:  # not listening yet
            next_scrape = began + 0.2 if full_after is None else began + args.interval
            continue
        present, correct = lag_series(args, body)
        last = (present, correct)
        if full_after is None and present >= args.groups * args.partitions:
            full_after = time.monotonic() - started
        if full_after is not None:
            latencies.append(seconds)
        next_scrape = began + (args.probe if full_after is None else args.interval)
    return {"full_view_s": full_after, "scrape_median_s":
            statistics.median(latencies) if latencies else None,
            "scrapes_after_full_view": len(latencies),
            "cached_scrape_median_s": statistics.median(cached) if cached else None,
            "cached_scrapes": len(cached), "cached_scrapes_rerendered": rerendered[0],
            "lag_present": last[0], "lag_correct": last[1]}


def run_monitor(args):
    pids = [int(p) for p in args.broker_pids.split(",")]
    log = open(args.log, "wb") if args.log else subprocess.DEVNULL
    requests = RequestLogs(args.request_logs)
    requests.start()
    second_half = {}
    brokers_before = brokers_cpu(pids)
    started = time.monotonic()
    proc = subprocess.Popen(args.command, stdout=log, stderr=subprocess.STDOUT,
                            env=dict(os.environ, **dict(e.split("=", 1) for e in args.env)))
    try:
        result = watch(args, proc, started, lambda: second_half.update(requests.mark()))
        exited = proc.poll()
        own_cpu = cpu_seconds(proc.pid) if exited is None else None
        rss = peak_rss_mib(proc.pid) if exited is None else None
        elapsed = time.monotonic() - started
        brokers_after = brokers_cpu(pids)
        served = requests.since_mark()
        # The second half alone: the monitor at work, its start (and the brokers' first
        # answers to a kind of request, before their JIT compiled it) left out.
        served_later = requests.since_mark(second_half) if second_half else None
    finally:
        stop(proc)
    result.update(kind="monitor", name=args.name, elapsed_s=elapsed, own_cpu_s=own_cpu,
                  peak_rss_mib=rss, brokers_cpu_s=brokers_after - brokers_before,
                  exited=exited, expected=args.groups * args.partitions, requests=served,
                  requests_second_half=served_later)
    with open(args.out, "a") as f:
        f.write(json.dumps(result) + "\n")
    print(f"{args.name}: {json.dumps(result)}", flush=True)


def run_baseline(args):
    pids = [int(p) for p in args.broker_pids.split(",")]
    requests = RequestLogs(args.request_logs)
    requests.start()
    before, started = brokers_cpu(pids), time.monotonic()
    time.sleep(args.window)
    result = {"kind": "baseline", "brokers_cpu_s": brokers_cpu(pids) - before,
              "elapsed_s": time.monotonic() - started, "requests": requests.since_mark()}
    with open(args.out, "a") as f:
        f.write(json.dumps(result) + "\n")
    print(f"idle brokers: {json.dumps(result)}", flush=True)


def fmt(value, spec, unit="", missing="n/a"):
    return missing if value is None else f"{value:{spec}}{unit}"


def print_table(args):
    rows = [json.loads(line) for line in open(getattr(args, "in"))]
    idle = [r["brokers_cpu_s"] / r["elapsed_s"] for r in rows if r["kind"] == "baseline"]
    monitors = [r for r in rows if r["kind"] == "monitor"]
    if not idle or not monitors:
        raise SystemExit("nothing measured")
    w = args.window
    idle_rate = statistics.mean(idle)
    print(f"brokers idle: {min(idle) * w:.2f}-{max(idle) * w:.2f} s CPU per {w:g} s "
          f"({len(idle)} baselines, mean {idle_rate * w:.2f} s)\n")
    print(f"| per {w:g} s | " + " | ".join(m["name"] for m in monitors) + " |")
    print("|---" * (len(monitors) + 1) + "|")

    def row(title, cell):
        print(f"| {title} | " + " | ".join(cell(m) for m in monitors) + " |")

    def per_window(m, seconds):
        return None if seconds is None else seconds * w / m["elapsed_s"]

    row("its own CPU", lambda m: fmt(per_window(m, m["own_cpu_s"]), ".2f", " s"))
    row("CPU added to the brokers", lambda m: fmt(
        (m["brokers_cpu_s"] / m["elapsed_s"] - idle_rate) * w, "+.2f", " s"))
    row("peak RSS", lambda m: fmt(m["peak_rss_mib"], ".0f", " MiB"))
    row("time to full view", lambda m: fmt(m["full_view_s"], ".1f", " s",
                                           f"not in {m['elapsed_s']:.0f} s"))
    row("scrape median", lambda m: fmt(
        None if m["scrape_median_s"] is None else m["scrape_median_s"] * 1000, ".0f", " ms"))
    if any(m.get("cached_scrape_median_s") is not None for m in monitors):
        row("scrape median, from the cache", lambda m: fmt(
            None if m.get("cached_scrape_median_s") is None
            else m["cached_scrape_median_s"] * 1000, ".0f", " ms", "-") + (
            f" ({m['cached_scrapes_rerendered']} of {m['cached_scrapes'] + m['cached_scrapes_rerendered']}"
            " re-rendered, left out)" if m.get("cached_scrapes_rerendered") else ""))
    row("lag correct", lambda m: f"{m['lag_correct']:,} / {m['expected']:,}")
    if any(m.get("requests") is not None for m in monitors):
        print_requests(monitors, w, [r for r in rows if r["kind"] == "baseline"])


def print_requests(monitors, w, baselines):
    """What the brokers' request logs say each monitor asked of them, per window."""
    def totals(m, index):
        served = m.get("requests")
        return None if served is None else sum(v[index] for v in served.values()) * w / m["elapsed_s"]

    idle = [sum(v[0] for v in (b.get("requests") or {}).values()) * w / b["elapsed_s"]
            for b in baselines if b.get("requests") is not None]
    print(f"\nRequests the brokers served on their client listeners (their request logs; "
          f"with no monitor: {fmt(max(idle) if idle else None, '.0f')} per {w:g} s at most):\n")
    print(f"| per {w:g} s | " + " | ".join(m["name"] for m in monitors) + " |")
    print("|---" * (len(monitors) + 1) + "|")
    print("| requests | " + " | ".join(fmt(totals(m, 0), ",.0f") for m in monitors) + " |")
    print("| time the brokers' request threads spent on them | " +
          " | ".join(fmt(totals(m, 1), ",.0f", " ms") for m in monitors) + " |")

    def second_half(m):  # from half the window to its end, scaled to the window
        served = m.get("requests_second_half")
        if served is None:
            return "n/a"
        scale = w / max(1e-9, m["elapsed_s"] - w / 2)
        return (f"{sum(v[0] for v in served.values()) * scale:,.0f} requests, "
                f"{sum(v[1] for v in served.values()) * scale:,.0f} ms")
    print("| the same from half the window on, scaled to the window (at work, its start "
          "left out) | " + " | ".join(second_half(m) for m in monitors) + " |")
    apis = sorted({api for m in monitors for api in (m.get("requests") or {})},
                  key=lambda api: -max((m.get("requests") or {}).get(api, [0, 0])[1] for m in monitors))
    for api in apis:
        def cell(m):
            served = m.get("requests")
            if served is None:
                return "n/a"
            count, ms = served.get(api, [0, 0.0])
            scale = w / m["elapsed_s"]
            return "-" if count == 0 else f"{count * scale:,.0f} ({ms * scale:,.0f} ms)"
        print(f"| {api} | " + " | ".join(cell(m) for m in monitors) + " |")


def parse():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    mon = sub.add_parser("monitor")
    for name in ("--name", "--url", "--family", "--labels", "--out", "--broker-pids"):
        mon.add_argument(name, required=True)
    mon.add_argument("--log")
    mon.add_argument("--env", action="append", default=[], help="NAME=VALUE for COMMAND")
    mon.add_argument("--window", type=float, default=120)
    mon.add_argument("--interval", type=float, default=15)
    mon.add_argument("--probe", type=float, default=1)
    mon.add_argument("--groups", type=int, default=2000)
    mon.add_argument("--topics", type=int, default=100)
    mon.add_argument("--partitions", type=int, default=10)
    mon.add_argument("--messages", type=int, default=20)
    mon.add_argument("--prefix", default="pbench")
    mon.add_argument("--cached-scrape", action="store_true",
                     help="scrape again at once after each scrape (a monitor that caches)")
    mon.add_argument("--request-logs", help="the nodes' request logs, comma-separated")
    mon.add_argument("command", nargs="+")
    base = sub.add_parser("baseline")
    base.add_argument("--request-logs", help="the nodes' request logs, comma-separated")
    base.add_argument("--window", type=float, required=True)
    base.add_argument("--broker-pids", required=True)
    base.add_argument("--out", required=True)
    table = sub.add_parser("table")
    table.add_argument("--in", required=True)
    table.add_argument("--window", type=float, default=120)
    return p.parse_args()


def main():
    args = parse()
    {"monitor": run_monitor, "baseline": run_baseline, "table": print_table}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())

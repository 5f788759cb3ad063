"""Soak (`make bench`, section soak): the agent with its normal config monitoring 2,000 groups
x 10 partitions on a local 3-node Kafka for SOAK_MINUTES (default 30), with a consumer
workload (one producer, SOAK_CONSUMERS live consumer groups) and one broker restart (node 2,
stopped and started at a third of the run). Every SOAK_SAMPLE_SECONDS (default 60) it samples
the agent's RSS, open file descriptors and threads (/proc/PID) and its CPU per groups cycle
(process_cpu_seconds_total over kafka_sentinel_collector_runs_total{collector="groups"}
between two samples, from its own /metrics), and prints them as a table.

A leak fails the bench (exit 1): over the second half of the samples (the first half is
warm-up: caches, librdkafka's buffers, the broker restart), the least-squares slope of a
resource, times that half's duration, is the growth the trend explains; it is a leak when it
exceeds the threshold (RSS: max(4 MiB, 5% of the half's median); fds: 4; threads: 2). Noise
(a sample up, the next down) has a small slope; steady growth does not. Fewer than 4 samples
in the second half: too short to judge (printed, not failed).

SOAK_MINUTES=3 SOAK_SAMPLE_SECONDS=20 is a short run (a few minutes) of the same thing.
"""
import os
import statistics
import sys
import threading
import time

from ksbench import (PREFIX, TOPICS, agent_with_normal_config, cluster_with_groups, log,
                     proc_cpu_seconds, proc_fds, proc_status, value)

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "lib"))
from ksloadgen import start_loadgen, stop  # noqa: E402

MINUTES = float(os.environ.get("SOAK_MINUTES", "30"))
SAMPLE_S = float(os.environ.get("SOAK_SAMPLE_SECONDS", "60"))
CONSUMERS = int(os.environ.get("SOAK_CONSUMERS", "4"))
MIB = 1024 * 1024
# resource -> threshold on the growth the second half's trend explains, given its median
THRESHOLDS = {"rss_mib": lambda median: max(4.0, 0.05 * median),
              "fds": lambda median: 4.0,
              "threads": lambda median: 2.0}


def slope(xs, ys):
    """Least-squares slope of ys over xs."""
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den if den else 0.0


def leaks(samples):
    """[(resource, growth, threshold)] of the resources that grew steadily in the second half;
    None when there are too few samples to judge."""
    half = samples[len(samples) // 2:]
    if len(half) < 4:
        return None
    xs = [s["minute"] for s in half]
    out = []
    for resource, threshold in THRESHOLDS.items():
        ys = [s[resource] for s in half]
        growth = slope(xs, ys) * (xs[-1] - xs[0])
        limit = threshold(statistics.median(ys))
        out.append((resource, growth, limit))
    return out


def sample(agent, started):
    pid = agent.proc.pid
    m = agent.metrics(timeout=30)
    return {"minute": (time.monotonic() - started) / 60,
            "rss_mib": proc_status(pid, "VmRSS") / 1024,
            "fds": proc_fds(pid),
            "threads": proc_status(pid, "Threads"),
            "cpu_s": proc_cpu_seconds(pid),
            "self_cpu_s": value(m, "process_cpu_seconds_total") or 0.0,
            "cycles": value(m, "kafka_sentinel_collector_runs_total", collector="groups") or 0,
            "groups": value(m, "kafka_sentinel_groups_monitored"),
            "kafka_up": value(m, "kafka_up")}


def print_samples(samples, events):
    print(f"\n{'min':>5} {'RSS MiB':>8} {'fds':>4} {'threads':>7} {'groups cycles':>13} "
          f"{'CPU s/cycle':>11} {'groups':>6} {'kafka_up':>8}  event")
    prev = None
    for s in samples:
        per_cycle = "-"
        if prev and s["cycles"] > prev["cycles"]:
            per_cycle = f"{(s['self_cpu_s'] - prev['self_cpu_s']) / (s['cycles'] - prev['cycles']):.3f}"
        event = "; ".join(e for t, e in events if (prev["minute"] if prev else -1) < t <= s["minute"])
        print(f"{s['minute']:>5.1f} {s['rss_mib']:>8.1f} {s['fds']:>4} {s['threads']:>7} "
              f"{s['cycles']:>13.0f} {per_cycle:>11} {s['groups'] or 0:>6.0f} "
              f"{s['kafka_up'] if s['kafka_up'] is not None else '-':>8}  {event}")
        prev = s


def restart_broker(kafka, events, started):
    def note(what):
        events.append(((time.monotonic() - started) / 60, what))
        log(what)
    note("broker 2 stopping")
    kafka.stop_node(2)
    note("broker 2 stopped; starting")
    kafka.start_node(2)
    note("broker 2 back")


def main():
    kafka = cluster_with_groups()
    agent = agent_with_normal_config(kafka, name="soak")
    topics = ",".join(f"{PREFIX}-t{i:03d}" for i in range(min(TOPICS, 10)))
    workload = [start_loadgen("produce", "--bootstrap", kafka.bootstrap, "--topics", topics,
                              "--rate", "200", "--status-interval", "0", name="producer")]
    workload += [start_loadgen("consume", "--bootstrap", kafka.bootstrap, "--group",
                               f"soak-consumer-{i}", "--topics", topics, "--rate", "150",
                               name=f"consumer {i}") for i in range(CONSUMERS)]
    log(f"soak: {MINUTES:g} min, a sample every {SAMPLE_S:g} s, producer at 200 msg/s and "
        f"{CONSUMERS} consumer groups on {topics}")
    started = time.monotonic()
    events, samples = [], []
    restart = threading.Thread(target=lambda: (time.sleep(MINUTES * 60 / 3),
                                               restart_broker(kafka, events, started)),
                               daemon=True)
    restart.start()
    while True:
        samples.append(sample(agent, started))
        if samples[-1]["minute"] >= MINUTES or not agent.alive():
            break
        time.sleep(max(0.0, started + len(samples) * SAMPLE_S - time.monotonic()))
    restart.join(300)
    alive = agent.alive()
    for p in workload:
        stop(p)
    code, took = agent.stop()
    print_samples(samples, events)
    verdict = leaks(samples)
    failed = not alive
    if verdict is None:
        print(f"leak check: too short to judge ({len(samples)} samples; 8 or more needed)")
    for resource, growth, limit in verdict or []:
        leak = growth > limit
        failed |= leak
        print(f"leak check {resource}: second-half trend {growth:+.2f} (limit {limit:.2f}): "
              f"{'LEAK: steady growth' if leak else 'ok'}")
    print(f"agent alive through the soak: {alive}; exit {code} on SIGTERM in {took:.1f}s")
    if failed:
        print("soak FAILED: " + ("the agent died" if not alive else
                                 "a resource grew steadily over the second half (see above)"))
    sys.stdout.flush()
    kafka.down()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""Broker health on a real 3-node Kafka (KRaft, combined nodes), compared with Kafka's tools.

Topics with replication factor 3 and min.insync.replicas=2 (plus one with RF 2, so that
losing two nodes takes some partitions offline). Throughout, a poller requests /metrics every
0.2 s: no answer may wait on Kafka. A scrape that waited on a Kafka call would take at least
kafka.request_timeout (3 s) while brokers are down, so every answer must come in less than
that (unless the test process itself was stalled at that moment: then the machine, not the
agent, was slow; such answers are logged). A fixed 1 s limit failed at load average 90 (a
1.2 s answer) without anything waiting on Kafka.
1. Stop node 3: within two collection cycles kafka_broker_up{id=3} is 0 and kafka_brokers
   drops to 2; the under-replicated partitions the agent reports are exactly those of
   `kafka-topics --describe --under-replicated-partitions`.
2. Stop node 2, and with it the controller quorum (1 of 3 voters left): the metadata stays
   frozen on node 1, with or without node 2 (whether its fencing was committed in time is a
   race inside Kafka); kafka_broker_up{id=2} is 0 either way, since it stops answering. The under-min-ISR partitions are exactly those Kafka's rule
   (kafka-topics': no leader, or fewer in-sync replicas than min.insync.replicas) picks from
   node 1's answer, offline partitions exactly its unavailable ones (no leader, or a leader
   that is not a live broker). Kafka's answer comes from tests/tools/DescribeFromBroker.java
   (Kafka's admin client: describeCluster and describeTopics, served from a broker's metadata
   cache), not from `kafka-topics --describe`, which also lists partition reassignments: a
   request only the active controller answers, and node 1 stops being one ~3 s after losing
   its followers (Kafka's check-quorum), so that tool times out from then on.
3. Start nodes 2 and 3: healthy again (3 brokers up, no offline, under-replicated or
   under-min-ISR partition).
4. Kill node 1 (no controlled shutdown: it stays in the metadata until its session expires):
   kafka_broker_up{id=1} is 0 within two collection cycles as it stops answering. Kill the others:
   kafka_up 0, every broker 0, no offsets, the agent keeps serving; start
   them again: the agent recovers by itself.
Every wait is on what the agent or Kafka shows (a collector cycle completed, a series
changed), bounded by a limit derived from the agent's config: "within two collection cycles"
counts the agent's completed cycles (kafka_sentinel_collector_runs_total), not seconds, so a
busy machine that slows every cycle down does not fail the test.
"""
import os
import re
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from ksharness import (Agent, KafkaCluster, check, finish, http_get, log,  # noqa: E402
                       series, value, wait_until)
from kskafkatools import partition_values  # noqa: E402
from ksloadgen import loadgen  # noqa: E402

INTERVAL_S = 2
REQUEST_TIMEOUT_S = 3
TOPIC_PATTERN = "hb-.*"
# The longest one brokers cycle may take by the agent's config: the metadata request (up to
# kafka.request_timeout), the offsets (at most request_timeout too), then the interval's wait.
# SLACK: how much slower than that a saturated 2-core machine may make it.
CYCLE_BOUND_S = INTERVAL_S + 2 * REQUEST_TIMEOUT_S
SLACK = 4
DESCRIBE_FROM_BROKER = os.path.join(os.path.dirname(__file__), "..", "tools",
                                    "DescribeFromBroker.java")


class Canary(threading.Thread):
    """Sleeps 50 ms in a loop and records when it woke up late: evidence that the machine
    itself stalled (2 cores, three JVMs starting), not the agent."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stop_event = threading.Event()
        self.stalls = []  # (start, end) monotonic times of late wake-ups

    def run(self):
        while not self.stop_event.is_set():
            before = time.monotonic()
            time.sleep(0.05)
            after = time.monotonic()
            if after - before > 0.3:
                self.stalls.append((before, after))

    def stalled_during(self, start, end):
        return any(s < end and e > start for s, e in self.stalls)


class Poller(threading.Thread):
    """Requests /metrics every 0.2 s for the whole test and records how long each took."""

    def __init__(self, agent, canary):
        super().__init__(daemon=True)
        self.agent = agent
        self.canary = canary
        self.stop_event = threading.Event()
        self.count = 0
        self.slow = []      # (when, seconds, monotonic start, end)
        self.failed = []    # (when, error)

    def run(self):
        while not self.stop_event.is_set():
            started = time.monotonic()
            try:
                status, _, _ = http_get(self.agent.url + "/metrics", timeout=5)
                ended = time.monotonic()
                if status != 200:
                    self.failed.append((time.strftime("%H:%M:%S"), f"status {status}"))
                if ended - started >= REQUEST_TIMEOUT_S:
                    self.slow.append((time.strftime("%H:%M:%S"), round(ended - started, 3),
                                      started, ended))
            except Exception as e:  # a refused or timed-out request is a failure too
                self.failed.append((time.strftime("%H:%M:%S"), repr(e)))
            self.count += 1
            self.stop_event.wait(max(0.0, 0.2 - (time.monotonic() - started)))

    def slow_without_stall(self):
        """Slow answers while the test process itself ran on time."""
        return [(when, took) for when, took, start, end in self.slow
                if not self.canary.stalled_during(start, end)]


def describe(kafka, flag):
    """{(topic, partition)} that `kafka-topics --describe FLAG` lists for the hb-* topics."""
    out = kafka.tool("kafka-topics", "--bootstrap-server", kafka.bootstrap, "--describe",
                     "--topic", TOPIC_PATTERN, flag, timeout=120)
    return {(m.group(1), int(m.group(2)))
            for m in re.finditer(r"Topic:\s*(\S+)\s+Partition:\s*(\d+)", out)}


def flagged(metrics, family):
    return {k for k, v in partition_values(metrics, family).items() if v == 1}


def agent_agrees(agent, family, expected, timeout=3 * CYCLE_BOUND_S * SLACK):
    """Waits until the agent's set of partitions with `family` == 1 equals `expected`."""
    last = [None]

    def probe():
        last[0] = flagged(agent.metrics(timeout=10), family)
        return last[0] == expected
    ok = wait_until(probe, timeout, 0.5, f"{family} == Kafka's list")
    if not ok:
        log(f"agent {family}: {sorted(last[0] or [])}")
        log(f"kafka: {sorted(expected)}")
    return bool(ok)


def broker_cycles(m):
    return value(m, "kafka_sentinel_collector_runs_total", collector="brokers") or 0


def cycles_until(agent, predicate, cycles=2):
    """How many brokers-collector cycles, started after this call, it took until
    predicate(metrics) held: 0 = already (the cycle in progress when called), None = not
    within `cycles` cycles (or not within their time bound, SLACK x CYCLE_BOUND_S each)."""
    start = broker_cycles(agent.metrics(timeout=30))
    deadline = time.monotonic() + (cycles + 1) * CYCLE_BOUND_S * SLACK
    while time.monotonic() < deadline:
        try:
            m = agent.metrics(timeout=5)
        except Exception:  # a slow answer on a starved machine: ask again (the poller judges speed)
            continue
        done = broker_cycles(m) - start
        if predicate(m):
            return max(0, done - 1)  # the first completed cycle may have started before the call
        if done > cycles:
            return None
        time.sleep(0.1)
    log(f"no {cycles} brokers cycles within {(cycles + 1) * CYCLE_BOUND_S * SLACK}s")
    return None


def broker_view(kafka):
    """Kafka's view from a broker's metadata cache: ({live broker ids},
    {(topic, partition): (leader or -1, [replicas], [isr])})."""
    out = kafka.tool(DESCRIBE_FROM_BROKER, kafka.bootstrap, TOPIC_PATTERN,
                     str(REQUEST_TIMEOUT_S * SLACK * 1000), timeout=120)
    brokers, partitions = set(), {}
    for line in out.splitlines():
        f = line.split()
        if f[:1] == ["broker"]:
            brokers.add(int(f[1]))
        elif f[:1] == ["partition"]:
            ids = {k: [int(x) for x in v.split(",") if x] for k, v in
                   (kv.split("=", 1) for kv in f[4:])}
            partitions[(f[1], int(f[2]))] = (int(f[3]), ids["replicas"], ids["isr"])
    return brokers, partitions


def main():
    kafka = KafkaCluster(nodes=3).up()
    addr = {k: kafka.node_address(k) for k in (1, 2, 3)}
    topics = {"hb-orders": (6, 3), "hb-payments": (3, 3), "hb-audit": (6, 2)}
    for name, (partitions, rf) in topics.items():
        loadgen("create-topics", "--bootstrap", kafka.bootstrap, "--topics",
                f"{name}:{partitions}:{rf}", "--config",
                f"min.insync.replicas={2 if rf == 3 else 1}", timeout=90)
    loadgen("produce", "--bootstrap", kafka.bootstrap, "--topics", ",".join(topics),
            "--count", "600", "--rate", "0", "--status-interval", "0", timeout=90)

    config = f"""
kafka:
  bootstrap_servers: {kafka.bootstrap}
  request_timeout: {REQUEST_TIMEOUT_S}s
collectors:
  host:
    enabled: false
  groups:
    enabled: false
  brokers:
    interval: {INTERVAL_S}s
    expected_brokers: 3
    broker_down_retention: 10m
    topics:
      include: ["{TOPIC_PATTERN}"]
"""
    agent = Agent(config, name="brokers-3node").start()
    canary = Canary()
    canary.start()
    poller = Poller(agent, canary)
    poller.start()

    def metrics():  # how fast it answers is the poller's business: here, only what it says
        return agent.metrics(timeout=10)

    all_partitions = {(t, p) for t, (n, _) in topics.items() for p in range(n)}
    m = wait_until(lambda: (lambda m: m if value(m, "kafka_brokers") == 3 and
                            len(series(m, "kafka_topic_partition_current_offset")) ==
                            len(all_partitions) else None)(metrics()), 4 * CYCLE_BOUND_S * SLACK, 0.5,
                   "3 brokers")
    check(m is not None, "3 brokers and every partition's offsets are reported")
    m = m or metrics()
    check(value(m, "kafka_brokers_expected") == 3, "kafka_brokers_expected is 3")
    for k in (1, 2, 3):
        check(value(m, "kafka_broker_up", id=k, address=addr[k]) == 1, f"broker {k} is up")
    check(value(m, "kafka_cluster_under_replicated_partitions") == 0 and
          value(m, "kafka_cluster_under_min_isr_partitions") == 0 and
          value(m, "kafka_cluster_offline_partitions") == 0, "a healthy cluster to start with")
    check(wait_until(lambda: value(metrics(), "kafka_topic_min_insync_replicas",
                                   topic="hb-orders") == 2, 2 * CYCLE_BOUND_S * SLACK, 0.5,
                                   "min ISR") is not None,
          "min.insync.replicas of hb-orders is 2")
    check(sum(v for _, v in series(m, "kafka_topic_partition_current_offset")) == 600,
          "the 600 produced messages are counted in current offsets")

    # --- 1. one node down.
    log("stopping node 3")
    kafka.stop_node(3)
    n = cycles_until(agent, lambda m: value(m, "kafka_broker_up", id=3, address=addr[3]) == 0)
    check(n is not None, f"kafka_broker_up{{id=3}} is 0 within two collection cycles ({n})")
    n = cycles_until(agent, lambda m: value(m, "kafka_brokers") == 2)
    check(n is not None, f"kafka_brokers drops to 2 within two collection cycles ({n})")
    m = metrics()
    check(value(m, "kafka_broker_up", id=1, address=addr[1]) == 1 and
          value(m, "kafka_broker_up", id=2, address=addr[2]) == 1, "brokers 1 and 2 stay up")
    check(value(m, "kafka_brokers_expected") == 3, "kafka_brokers_expected stays 3")
    urp = describe(kafka, "--under-replicated-partitions")
    check(len(urp) > 0, f"Kafka lists {len(urp)} under-replicated partitions")
    check(agent_agrees(agent, "kafka_topic_partition_under_replicated_partition", urp),
          "the agent's under-replicated partitions are exactly kafka-topics "
          "--under-replicated-partitions")
    check(value(metrics(), "kafka_cluster_under_replicated_partitions") == len(urp),
          "kafka_cluster_under_replicated_partitions counts them")
    check(flagged(metrics(), "kafka_topic_partition_under_min_isr") == set(),
          "no partition is under min ISR with one node down")
    check(len(series(metrics(), "kafka_topic_partition_current_offset")) == len(all_partitions),
          "every partition still has offsets (leaders moved to live brokers)")

    # --- 2. a second node down.
    log("stopping node 2: the controller quorum goes with it")
    kafka.stop_node(2)
    n = cycles_until(agent, lambda m: value(m, "kafka_broker_up", id=2, address=addr[2]) == 0)
    check(n is not None, f"kafka_broker_up{{id=2}} is 0 within two collection cycles ({n})")
    live, view = broker_view(kafka)
    # Node 2's fencing reaches node 1's metadata only if the controller committed it before
    # the quorum went: when node 2 was itself the active controller, or its controlled
    # shutdown timed out, the frozen metadata keeps listing it (sometimes still as a leader).
    # Either is Kafka's answer; the agent must agree with it, and show node 2 down anyway.
    log(f"node 1's metadata lists brokers {sorted(live)}")
    min_isr = {t: (2 if rf == 3 else 1) for t, (_, rf) in topics.items()}
    under_min = {tp for tp, (leader, _, isr) in view.items()
                 if leader < 0 or len(isr) < min_isr[tp[0]]}
    offline = {tp for tp, (leader, _, _) in view.items() if leader < 0 or leader not in live}
    led_by_stopped = {tp for tp, (leader, _, _) in view.items() if leader in (2, 3)}
    check(1 in live and live <= {1, 2} and set(view) == all_partitions,
          f"Kafka (node 1's metadata) lists broker 1, broker 2 at most, and every partition "
          f"({sorted(live)})")
    check(len(under_min) > 0 and len(offline | led_by_stopped) > 0,
          f"Kafka lists {len(under_min)} under-min-ISR and {len(offline)} unavailable partitions "
          f"({len(led_by_stopped - offline)} more led by a stopped node)")
    check(agent_agrees(agent, "kafka_topic_partition_under_min_isr", under_min),
          "the agent's under-min-ISR partitions are exactly Kafka's (no leader, or ISR below "
          "min.insync.replicas)")
    check(agent_agrees(agent, "kafka_topic_partition_offline", offline),
          "the agent's offline partitions are exactly Kafka's unavailable ones")
    m = metrics()
    check(value(m, "kafka_cluster_under_min_isr_partitions") == len(under_min) and
          value(m, "kafka_cluster_offline_partitions") == len(offline),
          "cluster totals of under-min-ISR and offline partitions match")
    check(value(m, "kafka_up") == 1 and value(m, "kafka_brokers") == len(live),
          f"kafka_up stays 1 and kafka_brokers is the metadata's count ({len(live)})")
    check(value(m, "kafka_broker_up", id=1, address=addr[1]) == 1 and
          value(m, "kafka_broker_up", id=2, address=addr[2]) == 0,
          "broker 1 up, broker 2 down (whether or not the metadata still lists it)")
    with_offsets = set(partition_values(m, "kafka_topic_partition_current_offset"))
    check(with_offsets == all_partitions - offline - led_by_stopped,
          "offsets are exported for every partition led by a live broker, none for the others")

    # --- 3. both back: healthy again.
    log("starting nodes 2 and 3")
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(kafka.start_node, (2, 3)))

    def healthy():
        m = metrics()
        return (value(m, "kafka_brokers") == 3 and
                all(value(m, "kafka_broker_up", id=k, address=addr[k]) == 1 for k in (1, 2, 3)) and
                value(m, "kafka_cluster_under_replicated_partitions") == 0 and
                value(m, "kafka_cluster_under_min_isr_partitions") == 0 and
                value(m, "kafka_cluster_offline_partitions") == 0 and
                len(series(m, "kafka_topic_partition_current_offset")) == len(all_partitions))
    check(wait_until(healthy, 4 * CYCLE_BOUND_S * SLACK, 0.5, "healthy again") is not None,
          "with both nodes back: 3 brokers up, no offline, under-replicated or under-min-ISR "
          "partition, offsets for every partition")
    check(describe(kafka, "--under-replicated-partitions") == set(),
          "Kafka agrees: no under-replicated partition")

    # --- 4. every node down, then back.
    # A node killed (no controlled shutdown) stays in the metadata, with its leaderships,
    # until its session times out (9 s): the agent sees it stop answering first.
    log("killing node 1")
    kafka.kill_node(1)
    n = cycles_until(agent, lambda m: value(m, "kafka_broker_up", id=1, address=addr[1]) == 0)
    check(n is not None, f"a killed node's kafka_broker_up is 0 within two collection cycles ({n})")
    log("killing nodes 2 and 3")
    for k in (2, 3):
        kafka.kill_node(k)
    # librdkafka may first ask a broker whose death it has not noticed: up to request_timeout
    # per attempt, so allow a few cycles.
    n = cycles_until(agent, lambda m: value(m, "kafka_up") == 0, cycles=4)
    check(n is not None, f"kafka_up drops to 0 with every node down ({n} cycles)")
    m = metrics()
    check(all(value(m, "kafka_broker_up", id=k, address=addr[k]) == 0 for k in (1, 2, 3)),
          "kafka_broker_up is 0 for every known broker")
    check(value(m, "kafka_brokers") == 0, "kafka_brokers is 0")
    check(not series(m, "kafka_topic_partition_current_offset") and
          not series(m, "kafka_topic_partition_under_replicated_partition"),
          "no partition series (no stale offsets) while the cluster is unreachable")
    before = broker_cycles(metrics())
    m = wait_until(lambda: (lambda m: m if broker_cycles(m) >= before + 3 else None)(metrics()),
                   4 * CYCLE_BOUND_S * SLACK, 0.5, "three more brokers cycles")
    check(m is not None and agent.alive() and value(m, "kafka_up") == 0,
          "the agent keeps serving through three more cycles, kafka_up 0")
    s = value(metrics(), "kafka_sentinel_collector_success", collector="brokers")
    check(s == 0, f"kafka_sentinel_collector_success{{collector=brokers}} is 0 ({s})")

    log("starting every node")
    with ThreadPoolExecutor(3) as pool:
        list(pool.map(kafka.start_node, (1, 2, 3)))
    check(wait_until(healthy, 4 * CYCLE_BOUND_S * SLACK, 0.5, "recovered") is not None,
          "the agent recovers by itself: kafka_up 1, 3 brokers up, healthy, offsets for every "
          "partition")
    m = metrics()
    check(value(m, "kafka_up") == 1 and
          value(m, "kafka_sentinel_collector_success", collector="brokers") == 1,
          "kafka_up and the collector's success are 1 again")
    check(http_get(agent.url + "/readyz")[0] == 200, "/readyz is 200")

    poller.stop_event.set()
    poller.join(10)
    check(poller.count > 100 and not poller.failed,
          f"/metrics answered all {poller.count} requests made during the test "
          f"(failures: {poller.failed[:5]})")
    canary.stop_event.set()
    # A slow answer while this very process was stalled too (the machine was starved, e.g.
    # by the JVMs starting) is reported, not held against the agent.
    excused = len(poller.slow) - len(poller.slow_without_stall())
    if excused:
        log(f"{excused} slow /metrics answers while the machine stalled (test process "
            f"stalls: {[round(e - s, 2) for s, e in canary.stalls][:10]}): not counted")
    check(not poller.slow_without_stall(),
          f"/metrics never waited on Kafka: every answer within kafka.request_timeout "
          f"({REQUEST_TIMEOUT_S} s; slow: {poller.slow_without_stall()[:5]})")
    code, took = agent.stop()
    check(code == 0, f"agent exits 0 on SIGTERM (got {code} after {took:.1f}s)")
    kafka.down()
    finish()


if __name__ == "__main__":
    main()

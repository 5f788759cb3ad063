"""A slow broker, seen by the end-to-end probe (issue 14), on a real 3-node Kafka on loopback.

The issue asks for `tc netem` in network namespaces; this machine's kernel has no sch_netem
module, so the delay is made by a TCP proxy instead. Node 3 advertises the port of a delaying
proxy (tests/lib/ksproxy.py, kafka-cluster.sh --advertise) on its client listener: every client
that learns the brokers from the metadata (the agent's probe producer and consumer, its brokers
collector) and the other brokers replicating from node 3 reach it through the proxy; its
controller listener, and every other node, stay direct. The agent bootstraps from nodes 1 and 2.

The probe topic has replication factor 1 and the probe runs with probe.acks 1, so that a
message crosses the delayed link exactly once each way on each path: its produce request and
answer (produce latency + 2 x DELAY), its produce request and the answer to the consumer's
waiting fetch (end-to-end latency + 2 x DELAY; the interval is longer than that round trip, so
the consumer's next fetch is back at the broker before the next message). With followers, the
consumer would also wait for their fetches through the proxy to advance the high watermark
(end-to-end + 4 x DELAY, measured 1.70 s for 4 x 0.4 s), and with acks=all the producer too,
the next messages queueing behind: several delays, not one.
0a. An operator-managed topic (probe.manage_topic false), on brokers 1 and 2 only while all
   three run: a second agent probes it as it is: brokers 1 and 2 answer, broker 3 is reported
   uncovered (kafka_sentinel_probe_broker_covered 0, failing 1), and the topic keeps its two
   partitions (kafka-topics --describe) after several probe cycles.
0. A broker joins: the probe topic exists before the agent starts, with partitions on
   brokers 1 and 2 only (replication factor 1), and node 3 is stopped. Once the agent probes
   brokers 1 and 2, node 3 starts: the agent grows the topic (CreatePartitions) with a
   partition led by broker 3, its producer and consumer learn it while they run, and no
   probe.failing fires meanwhile (the new partition's grace).
1. Proxy delay 0: every broker's p99 is known and under the threshold, nothing firing; broker
   3's traffic goes through the proxy.
2. Proxy delay DELAY each way: probe.slow fires for broker/3 (logged and in /api/v1/events'
   firing conditions) within a bounded number of probe cycles. Over the messages sent after
   that, from the /metrics histograms: broker 3's mean produce and end-to-end latencies minus
   brokers 1 and 2's, and minus its own before the delay, are each within RISE_BAND of the
   added round trip 2 x DELAY; the bucket holding broker 3's median overlaps that band and
   brokers 1 and 2's medians are in buckets below it; the brokers collector's
   client sees broker 3's round trip (client_broker_rtt avg) at least 2 x DELAY and RATIO
   times the others'; no probe.slow for broker 1 or 2.
3. Delay back to 0: probe.slow resolves for broker/3 (logged, gone from /api/v1/events), it
   never fired for broker 1 or 2, and no message was lost, duplicated or out of order.
4. Kafka stopped, then the agent: it exits 0 (its probe consumer cannot leave its group and
   logs so while the agent shuts down).
Latency figures are only compared with each other or with the injected delay, never with the
wall clock. Takes 80-110 s under stress-ng --cpu 2 (most of it Kafka starting, node 3 twice).
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ksharness import temp_dir, Agent, check, finish, http_get, log, series, value, wait_until  # noqa: E402
from ksevents import has_logged, logged_events  # noqa: E402
import ksprobe as kp  # noqa: E402

TOPIC = "kafka-sentinel-probe"  # probe.topic's default
DELAY = 0.4       # seconds, each way: a round trip through the proxy takes 2 x DELAY more
INTERVAL = 1.0    # longer than 2 x DELAY: the consumer's next fetch waits at the broker
# probe.slow_threshold: below the slow broker's least latency (2 x DELAY, the proxy's
# guarantee) and as far above the fast brokers' as that allows.
THRESHOLD = 1.5 * DELAY
RISE = 2 * DELAY  # what the delay adds to a produce and to an end-to-end latency
# The rise measured (from the histograms): the proxy guarantees the round trip, scheduling on
# a busy machine adds a little (seen: +0.02-0.03 s at load average 13-17); a message that
# crossed the link twice each way (4 x DELAY, as with followers behind it) is outside.
RISE_BAND = (0.9 * RISE, 1.25 * RISE)
RATIO = 2         # slow broker's client round trip over a fast one's, at least
# probe.slow judges the p99 of the last SLOW_WINDOW messages (their maximum, so few), and
# fires after FAILING_INTERVALS intervals above the threshold in a row: twice the window, so
# one slow message of a fast broker on a busy machine (seen: broker 1 above 0.6 s once at
# load average 19) leaves the window before it could fire; a slow broker fires.
SLOW_WINDOW = 3
FAILING_INTERVALS = 2 * SLOW_WINDOW
# Probe cycles from the delay to the event: the failing intervals, plus the message in flight
# and the proxy's and the agent's scheduling on a busy machine.
CYCLES_TO_FIRE = FAILING_INTERVALS + 8
STEADY_MESSAGES = 8  # per broker, sent and received under the delay after the event fired


def firing_probe_slow(agent):
    status, body, _ = http_get(agent.url + "/api/v1/events")
    if status != 200:
        return None
    return sorted(e["subject"] for e in json.loads(body).get("firing", [])
                  if e.get("type", "").endswith("probe.slow"))


def rtt_avg(metrics):
    return {b: value(metrics, "kafka_sentinel_client_broker_rtt_seconds", client="brokers",
                     broker_id=b, stat="avg") for b in ("1", "2", "3")}


def broker_joins(kafka, agent):
    """Node 3 starts while the agent probes brokers 1 and 2 (its producer and consumer
    running, their metadata without broker 3's partition)."""
    probing = wait_until(lambda: (lambda r: all(r.get(b, 0) >= 3 for b in (1, 2)) and r)(
        kp.received_by_broker(agent)), 120, 0.5, "brokers 1 and 2 probed")
    check(bool(probing), f"node 3 stopped: the agent probes brokers 1 and 2: {probing}")
    kafka.start_node(3)
    log("node 3 started")


def steady_before(agent, proxy):
    # The first messages of a run are slower (connections, group join; on a busy machine
    # they may even fire probe.slow): waited for to pass.
    before = wait_until(lambda: (lambda p: len(p) == 3 and all(v < THRESHOLD for v in p.values())
                                 and firing_probe_slow(agent) == [] and p)(kp.p99_by_broker(agent)),
                        120, 0.5, "every broker's p99 under the threshold, nothing firing")
    check(bool(before), f"delay 0: every broker's p99 known and under {THRESHOLD:.2f} s, no "
          f"probe.slow firing: {before}")
    m = agent.metrics()
    partitions = [v for _, v in series(m, "kafka_sentinel_probe_topic_partitions")]
    led = kp.per_broker(m, "kafka_sentinel_probe_broker_partitions")
    check(partitions == [3] and led == {1: 1, 2: 1, 3: 1},
          f"broker 3 joined: the probe topic is grown with a partition led by it: "
          f"{partitions} partitions, led per broker {led}")
    with open(agent.log_path, errors="replace") as f:
        grown = [l for l in f if "probe: growing topic" in l]
    check(len(grown) >= 1, f"the agent logs the growth: {grown}")
    check(not has_logged(agent, "firing", "probe.failing"),
          "no probe.failing while the new partition got its leader (its grace)")
    check(proxy.connections > 0 and proxy.bytes > 0,
          f"broker 3's clients go through the proxy ({proxy.connections} connections, "
          f"{proxy.bytes} bytes)")


def more_messages(agent, count, what):
    start = kp.received_by_broker(agent)
    wait_until(lambda: (lambda r: all(r.get(b, 0) >= start.get(b, 0) + count
                                      for b in kp.BROKERS))(kp.received_by_broker(agent)),
               60, 0.5, f"{count} more messages from every broker ({what})")
    return agent.metrics()


def in_band(x):
    return RISE_BAND[0] <= x <= RISE_BAND[1]


def check_rise(base, m0, m1, m2):
    """Broker 3's latencies over the delayed messages (m1..m2) against brokers 1 and 2's in
    the same span, and against its own before the delay (base..m0)."""
    band = f"[{RISE_BAND[0]:.2f}, {RISE_BAND[1]:.2f}] s around 2 x DELAY = {RISE:.2f} s"
    for kind in ("produce", "end_to_end"):
        was, now = kp.mean_latencies(base, m0, kind), kp.mean_latencies(m1, m2, kind)
        median = kp.median_buckets(m1, m2, kind)
        log(f"{kind}: mean latency (s) before {was}, delayed {now}; median buckets {median}")
        if not all(b in now and b in was for b in kp.BROKERS):
            check(False, f"{kind}: a mean latency for every broker before and with the delay")
            continue
        fast = (now[1] + now[2]) / 2
        check(in_band(now[3] - fast), f"{kind}: broker 3's mean minus brokers 1 and 2's "
              f"({now[3]:.3f} - {fast:.3f} = {now[3] - fast:.3f} s) is within {band}")
        # Against its own before (another span: what load added then may be gone now, so
        # the band's lower end gives that back).
        rise = now[3] - was[3]
        check(RISE_BAND[0] - was[3] <= rise <= RISE_BAND[1], f"{kind}: broker 3's mean rose by "
              f"{rise:.3f} s ({was[3]:.3f} -> {now[3]:.3f}), within {band} (lower end less "
              f"{was[3]:.3f} s)")
        lo, hi = median.get(3, (0, 0))
        check(lo < RISE_BAND[1] and hi >= RISE_BAND[0],
              f"{kind}: broker 3's median is in the bucket ({lo}, {hi}] s, which meets {band}")
        check(all(median.get(b, (0, RISE))[1] < RISE_BAND[0] for b in (1, 2)),
              f"{kind}: brokers 1 and 2's medians are in buckets below {band} "
              f"({median.get(1)}, {median.get(2)})")


def slow_phase(agent, proxy):
    base = agent.metrics()
    m0 = more_messages(agent, STEADY_MESSAGES, "delay 0")
    cycles_at, mark = kp.probe_cycles(agent), len(logged_events(agent))
    proxy.set_delay(DELAY)
    log(f"proxy: {DELAY * 1000:.0f} ms each way in front of broker 3")
    fired = wait_until(lambda: firing_probe_slow(agent), 90, 0.2, "probe.slow firing")
    cycles = kp.probe_cycles(agent) - cycles_at
    check(fired == ["broker/3"] and cycles <= CYCLES_TO_FIRE,
          f"delayed: /api/v1/events has probe.slow firing for broker/3 only ({fired}) within "
          f"{CYCLES_TO_FIRE} probe cycles (took {cycles})")
    # (the event is logged when spooled, by the events pipeline: a little later)
    check(wait_until(lambda: has_logged(agent, "firing", "probe.slow", "broker/3", mark), 60,
                     0.5, "probe.slow logged") is not None, "the probe.slow event is logged")
    m1 = agent.metrics()
    m2 = more_messages(agent, STEADY_MESSAGES, "delayed")
    check_rise(base, m0, m1, m2)
    rtt = wait_until(lambda: (lambda r: (r["3"] or 0) >= 2 * DELAY and r)(rtt_avg(agent.metrics())),
                     30, 0.5, "broker 3's client round trip")
    check(bool(rtt) and rtt["3"] >= RATIO * max(rtt["1"], rtt["2"]),
          f"the brokers client's round trip to broker 3 is at least twice the delay and "
          f"{RATIO}x brokers 1 and 2's: {rtt}")
    check(not any(has_logged(agent, "firing", "probe.slow", f"broker/{b}", mark) for b in (1, 2)),
          "no probe.slow for broker/1 or broker/2")
    return mark


OPERATOR_TOPIC = "ops-probe"  # made by the operator, not by the agent


def partitions_described(kafka, direct, topic):
    out = kafka.tool("kafka-topics", "--bootstrap-server", direct, "--describe", "--topic", topic)
    return sum(1 for line in out.splitlines() if "Partition:" in line and "Leader:" in line)


def unmanaged_topic(kafka, direct):
    """0a: probe.manage_topic false on a topic that leaves broker 3 out (all nodes up)."""
    kafka.tool("kafka-topics", "--bootstrap-server", direct, "--create", "--topic",
               OPERATOR_TOPIC, "--replica-assignment", "1,2")
    agent = Agent(kp.probe_config(direct, {
        "topic": OPERATOR_TOPIC, "manage_topic": "false", "interval": "500ms", "timeout": "10s",
        "acks": 1, "failing_intervals": 2}), name="probe-unmanaged").start()
    try:
        got = wait_until(lambda: (lambda r: all(r.get(b, 0) >= 4 for b in (1, 2)) and r)(
            kp.received_by_broker(agent)), 90, 0.5, "brokers 1 and 2 probed on the operator's topic")
        check(bool(got) and 3 not in got,
              f"manage_topic false: brokers 1 and 2 probed on the operator's topic ({got})")
        m = agent.metrics()
        covered = {int(l["broker"]): v for l, v in series(m, "kafka_sentinel_probe_broker_covered")}
        failing = {int(l["broker"]): v for l, v in series(m, "kafka_sentinel_probe_broker_failing")}
        check(covered == {1: 1, 2: 1, 3: 0},
              f"manage_topic false: broker 3 reported uncovered, 1 and 2 covered ({covered})")
        check(failing.get(3) == 1 and failing.get(1) == 0 and failing.get(2) == 0,
              f"manage_topic false: broker 3 failing, 1 and 2 not ({failing})")
        check(value(m, "kafka_sentinel_probe_topic_partitions", topic=OPERATOR_TOPIC) == 2
              and partitions_described(kafka, direct, OPERATOR_TOPIC) == 2,
              "manage_topic false: the operator's topic keeps its 2 partitions (metric and "
              "kafka-topics --describe) after the probe ran")
    finally:
        agent.stop()


def main():
    kafka, proxy, direct = kp.slow_node_cluster(3)
    # The probe topic as an operator left it, on brokers 1 and 2 only.
    try:
        kafka.tool("kafka-topics", "--bootstrap-server", direct, "--create", "--topic", TOPIC,
                   "--replica-assignment", "1,2")
        unmanaged_topic(kafka, direct)
        kafka.stop_node(3)
    except Exception:
        proxy.stop()
        kafka.down()
        raise
    work = temp_dir(prefix="ks-probe-slow-")
    agent = Agent(kp.probe_config(direct, {
        "interval": f"{int(INTERVAL * 1000)}ms", "timeout": "10s", "acks": 1,
        "slow_threshold": f"{int(THRESHOLD * 1000)}ms", "slow_window": SLOW_WINDOW,
        "failing_intervals": FAILING_INTERVALS, "replication_factor": 1},
        sections=kp.events_section(work, "probe-slow"),
        collectors={"brokers": "interval: 1s"}, kafka="statistics_interval: 1s"),
        name="probe-slow", workdir=work).start()
    try:
        broker_joins(kafka, agent)
        steady_before(agent, proxy)
        mark = slow_phase(agent, proxy)
        proxy.set_delay(0)
        check(wait_until(lambda: firing_probe_slow(agent) == [], 60, 0.5, "probe.slow resolved")
              is not None, "delay 0 again: /api/v1/events has no probe.slow firing")
        resolved = wait_until(lambda: has_logged(agent, "resolved", "probe.slow", "broker/3",
                                                 mark), 60, 0.5, "probe.slow resolved logged")
        check(bool(resolved) and not any(
              has_logged(agent, "firing", "probe.slow", f"broker/{b}", mark) for b in (1, 2)),
              f"delay 0 again: probe.slow resolves for broker/3, never fired for 1 or 2 "
              f"({kp.p99_by_broker(agent)})")
        kp.check_no_loss(agent, "slow broker")
        # Kafka first: the agent then stops with no coordinator to leave its probe group at,
        # and says so in its log while it shuts down.
        kafka.down()
        code, took = agent.stop(timeout=60)
        check(code == 0, f"the agent exits 0 on SIGTERM with Kafka gone (got {code} after "
              f"{took:.1f}s)")
    finally:
        log(agent.log_tail(10))
        agent.stop()
        proxy.stop()
        kafka.down()
    finish()


if __name__ == "__main__":
    main()

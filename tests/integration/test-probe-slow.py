"""A slow broker, seen by the end-to-end probe (issue 14), on a real 3-node Kafka on loopback.

Node 3 advertises the port of a delaying TCP proxy (tests/lib/ksproxy.py, kafka-cluster.sh
--advertise) on its client listener: every client that learns the brokers from the metadata
(the agent's probe producer and consumer, its brokers collector) and the other brokers
replicating from node 3 reach it through the proxy; its controller listener, and every other
node, stay direct. The agent bootstraps from nodes 1 and 2 only. The probe runs every 0.5 s
with probe.slow_window 10 (judged from 10 messages), probe.slow_threshold 4 x DELAY and
probe.timeout 10 s (a message to the slow broker waits behind the one in flight).
1. Proxy delay 0: every broker's p99 is known and under the threshold, nothing firing; broker
   3's traffic goes through the proxy.
2. Proxy delay DELAY each way: probe.slow fires for broker/3 (logged and in /api/v1/events'
   firing conditions) within a bounded number of probe cycles; over the messages sent after
   that, broker 3's mean produce and end-to-end latencies (from the /metrics histograms) are
   at least DELAY above its own before, and at least RATIO times those of brokers 1 and 2;
   the brokers collector's client sees broker 3's round trip (client_broker_rtt avg) at
   least twice DELAY and RATIO times the others'; no probe.slow for broker 1 or 2.
3. Delay back to 0: probe.slow resolves for broker/3 (logged, gone from /api/v1/events), it
   never fired for broker 1 or 2, and no message was lost, duplicated or out of order.
4. Kafka stopped, then the agent: it exits 0 (its probe consumer cannot leave its group and
   logs so while the agent shuts down).
Latency figures are only compared with each other or with the injected delay (a lower bound
the proxy guarantees), never with the wall clock. Takes about 50 s (most of it Kafka starting).
"""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ksharness import Agent, check, finish, http_get, log, value, wait_until  # noqa: E402
from ksevents import has_logged, logged_events  # noqa: E402
import ksprobe as kp  # noqa: E402

DELAY = 0.25      # seconds, each way
# probe.slow_threshold: a message to broker 3 crosses the proxy at least 4 times (the
# produce request; with acks=all the followers' fetch answer carrying it and their next
# fetch; the produce answer), more while messages queue behind it (a broker serves one
# request per connection at a time). The others' stay below on a busy machine (seen: a
# mean of 0.4 s at load average 40-90, so the threshold is not lower).
THRESHOLD = 4 * DELAY
RATIO = 2         # slow broker's latency over a fast one's, at least
INTERVAL = 0.5
FAILING_INTERVALS = 3
# Probe cycles from the delay to the event: the failing intervals, plus messages in flight
# when the delay starts (a message takes several round trips through the proxy) on a busy
# machine.
CYCLES_TO_FIRE = FAILING_INTERVALS + 12
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


def steady_before(agent, proxy):
    # The first messages of a run are slower (connections, group join; on a busy machine
    # they may even fire probe.slow): waited for to pass.
    before = wait_until(lambda: (lambda p: len(p) == 3 and all(v < THRESHOLD for v in p.values())
                                 and firing_probe_slow(agent) == [] and p)(kp.p99_by_broker(agent)),
                        120, 0.5, "every broker's p99 under the threshold, nothing firing")
    check(bool(before), f"delay 0: every broker's p99 known and under {THRESHOLD}s, no "
          f"probe.slow firing: {before}")
    check(proxy.connections > 0 and proxy.bytes > 0,
          f"broker 3's clients go through the proxy ({proxy.connections} connections, "
          f"{proxy.bytes} bytes)")


def more_messages(agent, count, what):
    start = kp.received_by_broker(agent)
    wait_until(lambda: (lambda r: all(r.get(b, 0) >= start.get(b, 0) + count
                                      for b in kp.BROKERS))(kp.received_by_broker(agent)),
               60, 0.5, f"{count} more messages from every broker ({what})")
    return agent.metrics()


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
    for kind in ("produce", "end_to_end"):
        was, now = kp.mean_latencies(base, m0, kind), kp.mean_latencies(m1, m2, kind)
        log(f"{kind} mean latency (s) before {was}, delayed {now}")
        slow, fast = now.get(3, 0), max(now.get(1, 1e9), now.get(2, 1e9))
        check(slow - was.get(3, 1e9) >= DELAY,
              f"{kind}: broker 3's mean rose by at least the delay ({was.get(3)} -> {slow})")
        check(slow >= RATIO * fast, f"{kind}: broker 3's mean is at least {RATIO}x brokers 1 "
              f"and 2's ({slow:.3f} vs {fast:.3f}, ratio {slow / fast:.1f})")
    rtt = wait_until(lambda: (lambda r: (r["3"] or 0) >= 2 * DELAY and r)(rtt_avg(agent.metrics())),
                     30, 0.5, "broker 3's client round trip")
    check(bool(rtt) and rtt["3"] >= RATIO * max(rtt["1"], rtt["2"]),
          f"the brokers client's round trip to broker 3 is at least twice the delay and "
          f"{RATIO}x brokers 1 and 2's: {rtt}")
    check(not any(has_logged(agent, "firing", "probe.slow", f"broker/{b}", mark) for b in (1, 2)),
          "no probe.slow for broker/1 or broker/2")
    return mark


def main():
    kafka, proxy, direct = kp.slow_node_cluster(3)
    work = tempfile.mkdtemp(prefix="ks-probe-slow-")
    agent = Agent(kp.probe_config(direct, {
        "interval": f"{int(INTERVAL * 1000)}ms", "timeout": "10s",
        "slow_threshold": f"{int(THRESHOLD * 1000)}ms", "slow_window": 10,
        "failing_intervals": FAILING_INTERVALS, "replication_factor": 3},
        sections=kp.events_section(work, "probe-slow"),
        collectors={"brokers": "interval: 1s"}, kafka="statistics_interval: 1s"),
        name="probe-slow", workdir=work).start()
    try:
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

"""The end-to-end probe on a real 3-node Kafka (KRaft, combined nodes).

The agent probes every second (probe.timeout 4 s, failing after 3 intervals) on a topic it
creates with replication factor 3, a partition led by each broker. Brokers check preferred
leaders every 5 s (leader.imbalance.check.interval.seconds), so a restarted broker gets its
partition back soon: librdkafka 2.0.2 cannot elect leaders itself.
1. Normal operation: every broker's partition is probed (produce, end-to-end and commit
   latency histograms fill), nothing lost, duplicated or out of order.
2. Stop node 3 (controlled shutdown: its partition is re-led to another broker): broker 3 is
   uncovered and probe.failing fires for broker/3 within a few probe cycles (counted in the
   agent's completed probe cycles, not seconds); brokers 1 and 2 stay healthy (their
   messages keep coming back, no probe.failing for them) and all three partitions stay
   probed (the re-led one by its new leader).
3. Start node 3: it leads its partition again, its messages come back, probe.failing
   resolves.
4. Restart the agent: the new run ignores the earlier run's messages it reads back (sent
   before the restart, not committed yet): nothing is counted lost.
5. A fleet of three sidecars (fleet.broker_id 1, 2, 3): each probes only the partition its
   own broker leads (no partition probed by two), together all three; stop node 2: its
   partition is re-led and probed by the new leader's sidecar (coverage complete), the
   sidecar of broker 2 reports it uncovered.
Also: every kafka_sentinel_probe_* family is documented in docs/metrics.md.
Takes about 2 to 3 minutes (most of it Kafka starting and restarting a node).
"""
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from ksharness import (Agent, KafkaCluster, check, check_families_documented,  # noqa: E402
                       finish, log, series, wait_until)
from ksevents import has_logged  # noqa: E402

BROKERS = (1, 2, 3)
FAILING_INTERVALS = 3
# Probe cycles from the stop to the event: the failing intervals, plus the cycles the
# metadata takes to show the broker gone (a cycle's metadata request may wait out a
# connection to the stopping broker) on a busy machine.
CYCLES_TO_FIRE = FAILING_INTERVALS + 7


def per_broker(metrics, name):
    out = {}
    for labels, v in series(metrics, name):
        b = int(labels["broker"])
        out[b] = out.get(b, 0) + v
    return out


def probe_cycles(agent):
    return sum(v for labels, v in series(agent.metrics(), "kafka_sentinel_collector_runs_total")
               if labels.get("collector") == "probe")


def received_by_broker(agent):
    return per_broker(agent.metrics(), "kafka_sentinel_probe_messages_received_total")


def check_no_loss(agent, what):
    m = agent.metrics()
    for family in ("lost", "duplicated", "out_of_order"):
        counts = per_broker(m, f"kafka_sentinel_probe_messages_{family}_total")
        check(sum(counts.values()) == 0, f"{what}: no message {family.replace('_', ' ')} ({counts})")


def config_for(bootstrap, work):
    return f"""
kafka:
  bootstrap_servers: {bootstrap}
  request_timeout: 3s
collectors:
  host:
    enabled: false
  brokers:
    enabled: false
  groups:
    enabled: false
events:
  enabled: true
  replication_factor: 3
  cluster_name: itest
  node_name: probe-a
  spool:
    dir: {work}/spool
probe:
  enabled: true
  interval: 1s
  timeout: 4s
  replication_factor: 3
  failing_intervals: {FAILING_INTERVALS}
"""


def normal_operation(agent):
    def all_seen():
        got = received_by_broker(agent)
        return all(got.get(b, 0) >= 5 for b in BROKERS) and got
    got = wait_until(all_seen, 120, 0.5, "5 probe messages back from every broker")
    check(bool(got), f"every broker's probe messages come back: {got}")
    m = agent.metrics()
    for family in ("produce", "end_to_end", "commit"):
        counts = per_broker(m, f"kafka_sentinel_probe_{family}_latency_seconds_count")
        check(all(counts.get(b, 0) > 0 for b in BROKERS),
              f"{family} latency observed for every broker: {counts}")
    covered = per_broker(m, "kafka_sentinel_probe_broker_covered")
    check(covered == {1: 1, 2: 1, 3: 1}, f"every broker covered: {covered}")
    topic = [v for _, v in series(m, "kafka_sentinel_probe_topic_partitions")]
    check(topic == [3], f"the probe topic has a partition per broker: {topic}")
    check_no_loss(agent, "normal operation")
    check_families_documented(agent.metrics_text())


def broker_stopped(kafka, agent):
    before = received_by_broker(agent)
    cycles_at_stop = probe_cycles(agent)
    kafka.stop_node(3)
    fired = wait_until(lambda: has_logged(agent, "firing", "probe.failing", "broker/3"), 90, 0.2,
                       "probe.failing for broker/3")
    cycles = probe_cycles(agent) - cycles_at_stop
    check(bool(fired) and cycles <= CYCLES_TO_FIRE,
          f"stop node 3: probe.failing fires for broker/3 within {CYCLES_TO_FIRE} probe cycles "
          f"(took {cycles})")
    later = wait_until(lambda: (lambda r: all(r.get(b, 0) >= before.get(b, 0) + 5 for b in (1, 2))
                                and r)(received_by_broker(agent)), 60, 0.5, "brokers 1, 2 probed")
    check(bool(later), f"brokers 1 and 2 keep answering the probe: {before} -> {later}")
    m = agent.metrics()
    probed = per_broker(m, "kafka_sentinel_probe_broker_partitions")
    check(probed.get(3, 0) == 0 and probed.get(1, 0) + probed.get(2, 0) == 3,
          f"broker 3's partition is re-led and still probed: {probed}")
    for b in (1, 2):
        check(not has_logged(agent, "firing", "probe.failing", f"broker/{b}"),
              f"no probe.failing for broker/{b} while node 3 is down")


def broker_started(kafka, agent):
    before = received_by_broker(agent).get(3, 0)
    kafka.start_node(3)
    resolved = wait_until(lambda: has_logged(agent, "resolved", "probe.failing", "broker/3"),
                          120, 0.5, "probe.failing resolved for broker/3")
    check(bool(resolved), "start node 3: probe.failing resolves for broker/3")
    after = received_by_broker(agent).get(3, 0)
    check(after > before, f"broker 3 answers the probe again ({before} -> {after} messages)")


def agent_restart(agent):
    code, _ = agent.stop()
    check(code == 0, f"the agent stops cleanly (exit {code})")
    agent.start()
    got = wait_until(lambda: (lambda r: all(r.get(b, 0) >= 8 for b in BROKERS) and r)(
        received_by_broker(agent)), 120, 0.5, "8 probe messages per broker after the restart")
    check(bool(got), f"after a restart every broker answers again: {got}")
    check_no_loss(agent, "after an agent restart (timeout passed twice)")


def sidecar_config(bootstrap, work, broker):
    return f"""
kafka:
  bootstrap_servers: {bootstrap}
  request_timeout: 3s
collectors:
  host:
    enabled: false
  brokers:
    enabled: false
  groups:
    enabled: false
fleet:
  enabled: true
  node_name: sidecar-{broker}
  broker_id: {broker}
  session_timeout: 6s
probe:
  enabled: true
  interval: 1s
  timeout: 4s
"""


def probed_partitions(agent):
    """{partition: leader} of the partitions this agent probed in its last cycles (messages
    sent to them grow)."""
    return {int(l["partition"]): int(l["broker"]) for l, v in
            series(agent.metrics(), "kafka_sentinel_probe_messages_received_total") if v > 0}


def fleet_sidecars(kafka, work):
    sidecars = {b: Agent(sidecar_config(kafka.bootstrap, work, b), name=f"sidecar-{b}",
                         workdir=work).start() for b in BROKERS}
    try:
        def own_only():
            got = {b: probed_partitions(a) for b, a in sidecars.items()}
            return all(len(p) == 1 and set(p.values()) == {b} for b, p in got.items()) and got
        got = wait_until(own_only, 120, 0.5, "each sidecar probing its own broker's partition")
        check(bool(got), f"fleet: each sidecar probes only its own broker's partition: {got}")
        parts = [p for probed in (got or {}).values() for p in probed]
        check(sorted(parts) == [0, 1, 2], f"fleet: every partition probed exactly once: {parts}")
        kafka.stop_node(2)

        def taken_over():
            probed = {b: per_broker(sidecars[b].metrics(), "kafka_sentinel_probe_broker_partitions")
                      for b in BROKERS}
            return (probed[1].get(1, 0) + probed[3].get(3, 0) == 3 and
                    probed[2].get(2, 1) == 0 and probed)
        probed = wait_until(taken_over, 60, 0.5, "broker 2's partition probed by another sidecar")
        check(bool(probed), f"fleet, node 2 stopped: sidecars 1 and 3 probe all three partitions, "
              f"sidecar 2 probes none: {probed}")
        covered = per_broker(sidecars[2].metrics(), "kafka_sentinel_probe_broker_covered")
        check(covered == {2: 0}, f"fleet: sidecar 2 reports broker 2 uncovered: {covered}")
    finally:
        for a in sidecars.values():
            a.stop()


def main():
    kafka = KafkaCluster(nodes=3, props=["leader.imbalance.check.interval.seconds=5",
                                         "leader.imbalance.per.broker.percentage=0"]).up()
    work = tempfile.mkdtemp(prefix="ks-probe-")
    agent = Agent(config_for(kafka.bootstrap, work), name="probe", workdir=work).start()
    try:
        normal_operation(agent)
        broker_stopped(kafka, agent)
        broker_started(kafka, agent)
        agent_restart(agent)
        agent.stop()
        fleet_sidecars(kafka, work)
    finally:
        log(agent.log_tail(15))
        agent.stop()
        kafka.down()
    finish()


if __name__ == "__main__":
    main()

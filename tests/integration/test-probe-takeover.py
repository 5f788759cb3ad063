"""The probe's takeover in a fleet, on a real 3-node Kafka (KRaft, combined nodes): three
sidecars with fleet.broker_id 1, 2 and 3 (fleet.session_timeout 4 s, probe every second).

1. Each sidecar probes only the partition its own broker leads: every partition is probed,
   none by two agents (the partitions each agent ever sent to), none adopted.
2. SIGKILL the sidecar of broker 2 (by PID) while broker 2 serves: once its member has left
   the fleet's group (the session timeout) and stayed gone for the adoption hold (one more),
   the fleet's leader adopts broker 2 (kafka_sentinel_probe_adopted_broker{broker="2"}) and
   probes its partition: its end-to-end latency series for broker 2 keep growing; over the
   same stretch each partition is sent to by exactly one live sidecar.
3. Start the sidecar of broker 2 again: the leader drops broker 2 (the gauge goes) and from
   then on only the sidecar of broker 2 sends to its partition (logged: how long broker 2
   went unprobed in between, while the new sidecar's probe consumer rejoined its group).
Every wait watches a series; none is a fixed sleep. Takes about 60 s (most of it Kafka
starting); see the log for the measured takeover time.
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from ksharness import temp_dir, Agent, KafkaCluster, check, finish, log, series, value, wait_until  # noqa: E402
from ksprobe import BROKERS, per_broker, probe_config  # noqa: E402

SESSION_TIMEOUT_S = 4
PROBE = {"interval": "1s", "timeout": "4s", "replication_factor": 3}
KILLED = 2


def sidecar_config(bootstrap, broker):
    return probe_config(bootstrap, PROBE, sections=f"""fleet:
  enabled: true
  node_name: sidecar-{broker}
  broker_id: {broker}
  session_timeout: {SESSION_TIMEOUT_S}s
""")


def sent(agent):
    """{partition: messages sent} of this agent (a partition it never sent to is absent)."""
    out = {}
    for labels, v in series(agent.metrics(), "kafka_sentinel_probe_messages_sent_total"):
        if v > 0:
            out[int(labels["partition"])] = out.get(int(labels["partition"]), 0) + v
    return out


def sent_growth(agents, before):
    """{broker of the agent: partitions it sent to since `before` ({broker: sent()})}."""
    now = {b: sent(a) for b, a in agents.items()}
    return {b: sorted(p for p, n in now[b].items() if n > before[b].get(p, 0)) for b in agents}


def adopted(agent):
    return sorted(int(l["broker"]) for l, v in
                  series(agent.metrics(), "kafka_sentinel_probe_adopted_broker") if v == 1)


def is_leader(agent):
    return value(agent.metrics(), "kafka_sentinel_fleet_role", role="leader") == 1


def e2e_count(agent, broker):
    return per_broker(agent.metrics(),
                      "kafka_sentinel_probe_end_to_end_latency_seconds_count").get(broker, 0)


def check_each_partition_once(growth, what):
    parts = [p for ps in growth.values() for p in ps]
    check(sorted(parts) == [0, 1, 2], f"{what}: each partition sent to by exactly one agent: {growth}")


def own_only(sidecars):
    """Each sidecar has probed (ever) only its own broker's partition, 3 messages back."""
    partitions = {b: per_broker(a.metrics(), "kafka_sentinel_probe_broker_partitions")
                  for b, a in sidecars.items()}
    ok = all(partitions[b] == {b: 1} and e2e_count(a, b) >= 3 for b, a in sidecars.items())
    return ok and partitions


def main():
    # (Kafka refuses a session timeout under group.min.session.timeout.ms, 6 s by default)
    kafka = KafkaCluster(nodes=3, props=["group.min.session.timeout.ms=1000"]).up()
    work = temp_dir(prefix="ks-takeover-")
    sidecars = {b: Agent(sidecar_config(kafka.bootstrap, b), name=f"sidecar-{b}",
                         workdir=work).start() for b in BROKERS}
    started = time.monotonic()
    try:
        got = wait_until(lambda: own_only(sidecars), 120, 0.5, "each sidecar probing its own broker")
        check(bool(got), f"each sidecar answers for its own broker, one partition each: {got}")
        ever = {b: sorted(sent(a)) for b, a in sidecars.items()}
        check_each_partition_once(ever, "fleet start (every message so far)")
        check(all(adopted(a) == [] for a in sidecars.values()), "no broker adopted while every "
              "sidecar lives")
        partition_of = {b: ps[0] for b, ps in ever.items() if ps}
        log(f"settled after {time.monotonic() - started:.1f}s: partition of each broker {partition_of}")

        # 2. The sidecar of broker 2 dies; broker 2 keeps serving.
        survivors = {b: a for b, a in sidecars.items() if b != KILLED}
        killed_at = time.monotonic()
        sidecars[KILLED].kill()  # SIGKILL by its PID: it never leaves the group itself
        log(f"killed sidecar-{KILLED} (pid {sidecars[KILLED].proc.pid})")

        def adopter():
            for b, a in survivors.items():
                if adopted(a) == [KILLED]:
                    return b
            return None
        taker = wait_until(adopter, 90, 0.2, f"a survivor adopting broker {KILLED}")
        took = time.monotonic() - killed_at
        check(taker is not None, f"a surviving sidecar adopts broker {KILLED} "
              f"(sidecar-{taker}, {took:.1f}s after the kill; session timeout {SESSION_TIMEOUT_S}s)")
        if taker is None:
            finish()  # exits 1 (after the cleanup below)
        check(is_leader(survivors[taker]), f"sidecar-{taker}, which adopted it, is the fleet's leader")
        other = next(b for b in survivors if b != taker)
        check(adopted(survivors[other]) == [], f"sidecar-{other} (not the leader) adopts nothing")
        before = {b: sent(a) for b, a in survivors.items()}
        count0 = e2e_count(survivors[taker], KILLED)
        grown = wait_until(lambda: e2e_count(survivors[taker], KILLED) >= count0 + 5, 60, 0.5,
                           f"broker {KILLED}'s latencies at sidecar-{taker}")
        log(f"5 more of broker {KILLED}'s messages back at sidecar-{taker} "
            f"{time.monotonic() - killed_at:.1f}s after the kill")
        check(bool(grown), f"sidecar-{taker}'s end-to-end latency series for broker {KILLED} keep "
              f"growing ({count0} -> {e2e_count(survivors[taker], KILLED)})")
        growth = sent_growth(survivors, before)
        check_each_partition_once(growth, f"sidecar-{KILLED} dead")
        check(partition_of.get(KILLED) in growth[taker],
              f"sidecar-{taker} sends to broker {KILLED}'s partition {partition_of.get(KILLED)}")
        covered = per_broker(survivors[taker].metrics(), "kafka_sentinel_probe_broker_covered")
        check(covered == {taker: 1, KILLED: 1}, f"sidecar-{taker} reports both brokers covered: {covered}")

        # 3. The sidecar of broker 2 comes back: the leader gives broker 2 up.
        back_at = time.monotonic()
        sidecars[KILLED].start()
        dropped = wait_until(lambda: adopted(survivors[taker]) == [], 90, 0.2,
                             f"sidecar-{taker} dropping broker {KILLED}")
        log(f"sidecar-{taker} dropped broker {KILLED} {time.monotonic() - back_at:.1f}s after "
            f"sidecar-{KILLED} started")
        check(dropped is not None, f"sidecar-{taker} gives broker {KILLED} up once its sidecar is back")
        dropped_at = time.monotonic()
        before = {b: sent(a) for b, a in sidecars.items()}
        wait_until(lambda: e2e_count(sidecars[KILLED], KILLED) > 0, 90, 0.2,
                   f"sidecar-{KILLED}'s first message back")
        # (its probe consumer rejoins its group once the killed run's session, 10 s, is over)
        log(f"broker {KILLED} unprobed for {time.monotonic() - dropped_at:.1f}s between the "
            f"leader giving it up and sidecar-{KILLED}'s first message back")
        count0 = e2e_count(sidecars[KILLED], KILLED)
        check(wait_until(lambda: e2e_count(sidecars[KILLED], KILLED) >= count0 + 5, 90, 0.5,
                         f"sidecar-{KILLED} probing again") is not None,
              f"sidecar-{KILLED} probes its broker again")
        check_each_partition_once(sent_growth(sidecars, before), f"sidecar-{KILLED} back")
        log(f"took {time.monotonic() - started:.1f}s after the agents started")
    finally:
        for b, a in sidecars.items():
            log(f"sidecar-{b}:\n" + a.log_tail(8))
            a.stop()
        kafka.down()
    finish()


if __name__ == "__main__":
    main()

"""Burrow-like lag status on a real Kafka: a scripted group goes OK -> WARN -> STALL -> STOP ->
REWIND and kafka_consumergroup_partition_status / kafka_consumergroup_status follow.

Collector interval 1 s, window 5 commits, source auto (the __consumer_offsets stream): the
status is judged on the group's real commits (docs/lag.md "On real commits": STALL on a
window of commits of one offset, STOP/STALL after longer than the window spans without a
commit, WARN after 5 commits of growing lag).
A steady producer writes 40 msgs/s to a one-partition topic throughout; the group's consumer
is swapped to drive each state:
  OK      a consumer that keeps up;
  WARN    a consumer limited to 8 msgs/s (commits every 500 ms, lag grows);
  STALL   a consumer that stays in the group but never processes (--lag-seconds 100000);
  STOP    no consumer at all (the group is Empty);
  REWIND  kafka-consumer-groups --reset-offsets --to-earliest.
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from ksharness import (Agent, KafkaCluster, check, finish, log, value,  # noqa: E402
                       wait_for_cycles, wait_until)
from ksloadgen import loadgen, start_loadgen, stop, stop_all  # noqa: E402

TOPIC, GROUP = "status-topic", "status-group"
CODES = {0: "NOTFOUND", 1: "OK", 2: "WARN", 3: "ERR", 4: "STOP", 5: "STALL", 6: "REWIND"}


def statuses(agent):
    m = agent.metrics()
    part = value(m, "kafka_consumergroup_partition_status", consumergroup=GROUP, topic=TOPIC,
                 partition=0)
    group = value(m, "kafka_consumergroup_status", consumergroup=GROUP)
    members = value(m, "kafka_consumergroup_members", consumergroup=GROUP)
    return (None if part is None else int(part)), (None if group is None else int(group)), members


def reach(agent, want_partition, want_group, timeout, what):
    seen = []

    def probe():
        s = statuses(agent)
        if not seen or seen[-1] != s[:2]:
            seen.append(s[:2])
        return s[0] == want_partition and s[1] == want_group

    started = time.monotonic()
    ok = wait_until(probe, timeout, 0.5, what)
    log(f"{what}: statuses seen {[(CODES.get(p), CODES.get(g)) for p, g in seen]} "
        f"in {time.monotonic() - started:.1f}s")
    return check(bool(ok), f"{what}: partition {CODES[want_partition]}, group {CODES[want_group]}")


def main():
    kafka = KafkaCluster(nodes=1).up()
    b = kafka.bootstrap
    loadgen("create-topics", "--bootstrap", b, "--topics", f"{TOPIC}:1:1", timeout=60)
    start_loadgen("produce", "--bootstrap", b, "--topics", TOPIC, "--rate", "40",
                  "--duration", "300", "--status-interval", "0")
    agent = Agent(f"""
kafka:
  bootstrap_servers: "{b}"
collectors:
  host:
    enabled: false
  groups:
    interval: 1s
    status_window_commits: 5
""").start()
    agent_started = time.monotonic()

    try:
        consumer = start_loadgen("consume", "--bootstrap", b, "--group", GROUP, "--topics", TOPIC,
                                 "--commit-interval-ms", "300", "--status-interval", "0")
        reach(agent, 1, 1, 40, "a consumer keeping up")
        check(wait_for_cycles(agent, "groups", 3, 60) is not None, "3 more groups cycles run")
        s = statuses(agent)
        check(s[0] == 1 and s[2] == 1, f"stays OK with one member, 3 cycles later ({s})")

        stop(consumer)
        consumer = start_loadgen("consume", "--bootstrap", b, "--group", GROUP, "--topics", TOPIC,
                                 "--rate", "8", "--commit-interval-ms", "500",
                                 "--status-interval", "0")
        reach(agent, 2, 2, 40, "a consumer slower than the producer")

        stop(consumer)
        consumer = start_loadgen("consume", "--bootstrap", b, "--group", GROUP, "--topics", TOPIC,
                                 "--lag-seconds", "100000", "--commit-interval-ms", "500",
                                 "--status-interval", "0")
        reach(agent, 5, 3, 40, "a member that stopped making progress")
        check(statuses(agent)[2] == 1, "STALL while the group has its member")

        stop(consumer)
        reach(agent, 4, 3, 30, "no consumer at all")
        check(statuses(agent)[2] == 0, "STOP with no member")

        kafka.tool("kafka-consumer-groups", "--bootstrap-server", b, "--reset-offsets",
                   "--group", GROUP, "--topic", TOPIC, "--to-earliest", "--execute")
        reach(agent, 6, 3, 20, "offsets reset to the earliest")
        m = agent.metrics()
        lag_seconds = value(m, "kafka_consumergroup_lag_seconds", consumergroup=GROUP, topic=TOPIC,
                            partition=0)
        log(f"after the rewind: lag {value(m, 'kafka_consumergroup_lag', consumergroup=GROUP, topic=TOPIC, partition=0)}, "
            f"lag_seconds {lag_seconds}")
        # The rewound offset is older than the agent's history: bounded by what is known.
        uptime = time.monotonic() - agent_started
        check(lag_seconds is not None and 0 < lag_seconds <= uptime + 2,
              f"rewound lag_seconds ({lag_seconds}) bounded by the agent's uptime ({uptime:.0f}s), "
              "not extrapolated")
        check(value(m, "kafka_consumergroup_lag_seconds_lower_bound_partitions",
                    consumergroup=GROUP) == 1, "and flagged as a lower bound")
    finally:
        stop_all()
    agent.stop()
    finish()


if __name__ == "__main__":
    main()

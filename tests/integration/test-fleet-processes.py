"""A fleet of three agents (separate processes) on one real 3-node Kafka (docs/fleet.md).

The agents join one consumer group on the coordination topic; the owner of partition 0 is
the leader (cluster-wide series), the consumer groups are sharded by partition ownership.
Throughout, a monitor scrapes the three agents in rounds (every ~0.3 s) and records every
cluster-wide series (any kafka_* family) that two agents export in the same round AND again
in the next round: a real duplicate lasts a whole collection cycle, a scrape round that
straddles a handover does not.
1. All three up: each cluster-wide series is exported by exactly one agent; the groups are
   spread over at least two agents, each exported exactly once; every agent exports its own
   host metrics with its node label.
2. SIGKILL the leader: another agent exports the cluster series within two collection
   intervals of the kill, and the dead agent's groups are exported again, exactly once.
3. SIGTERM the new leader (graceful): the last agent takes over at once (well within one
   interval: the group is left, not timed out).
4. Both started again: still each series exactly once, and every agent holds a role.
The monitor's verdict: no duplicate at any time.
5. Health events (every agent publishes into one topic): each of the 16 lagging groups fired
   group.lag_messages exactly once through all the takeovers above (the new owner of a shard
   continues the old owner's conditions from the topic instead of firing them again); then
   every group catches up and each condition resolves exactly once; for every condition in
   the topic, firing and resolved alternate (never two firings or two resolves in a row).
"""
import os
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from ksharness import (BUILD_DIR, Agent, KafkaCluster, check, check_families_documented,  # noqa: E402
                       finish, log, parse_metrics, series, wait_until)
from ksevents import read_topic, short  # noqa: E402

LOADGEN = os.path.join(BUILD_DIR, "tools", "kafka-sentinel-loadgen")
INTERVAL_S = 3
SESSION_S = 3
GROUPS = [f"fleet-g{i:02d}" for i in range(16)]
TOPIC = "fleet-data"


def loadgen(*args, timeout=90):
    r = subprocess.run([LOADGEN, *args], capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError(f"loadgen {' '.join(args)} failed ({r.returncode}):\n{r.stderr[-2000:]}")
    return r.stdout


WORK = os.path.join("/tmp", f"ks-fleet-{os.getpid()}")


def agent_config(bootstrap, node):
    # The spool lives with the node: an agent restarted on it finds its undelivered events.
    spool = os.path.join(WORK, node, "spool")
    return f"""
kafka:
  bootstrap_servers: "{bootstrap}"
  request_timeout: 5s
collectors:
  host: {{interval: {INTERVAL_S}s}}
  brokers: {{interval: {INTERVAL_S}s}}
  groups:
    interval: {INTERVAL_S}s
    groups: {{include: ["fleet-g.*"]}}
fleet:
  enabled: true
  session_timeout: {SESSION_S}s
  partitions: 12
  replication_factor: 3
  node_name: {node}
events:
  enabled: true
  partitions: 3
  replication_factor: 3
  cluster_name: fleet-itest
  node_name: {node}
  spool: {{dir: {spool}}}
  hysteresis: {{fire_cycles: 2, resolve_cycles: 2}}
  groups: {{lag_messages: 50, states: []}}
"""


def cluster_series(metrics):
    """{(family, labels)} of the cluster-wide series in one scrape."""
    out = set()
    for family, samples in metrics.items():
        if family.startswith("kafka_") and not family.startswith("kafka_sentinel_"):
            for labels in samples:
                out.add((family, labels))
    return out


def scrape(agent):
    try:
        if not agent.alive():
            return None
        return parse_metrics(agent.metrics_text(timeout=3))
    except Exception:
        return None


class DuplicateMonitor(threading.Thread):
    def __init__(self, agents):
        super().__init__(daemon=True)
        self.agents = agents  # list, replaced entries allowed (restarts)
        self.stop_event = threading.Event()
        self.rounds = 0
        self.confirmed = []   # (time, series, agents)
        self.previous = {}

    def run(self):
        while not self.stop_event.is_set():
            exporters = {}
            for i, agent in enumerate(list(self.agents)):
                m = scrape(agent)
                if m is None:
                    continue
                for s in cluster_series(m):
                    exporters.setdefault(s, set()).add(i)
            dups = {s: a for s, a in exporters.items() if len(a) > 1}
            for s, a in dups.items():
                before = self.previous.get(s, set())
                if len(a & before) > 1:
                    self.confirmed.append((time.strftime("%H:%M:%S"), s, sorted(a & before)))
            self.previous = dups
            self.rounds += 1
            time.sleep(0.3)


def owners(agents, family, label=None):
    """{label value or family: [agent indexes exporting it]} from one scrape of each."""
    out = {}
    for i, agent in enumerate(agents):
        m = scrape(agent)
        if m is None:
            continue
        for labels, _ in series(m, family):
            key = dict(labels).get(label) if label else family
            out.setdefault(key, []).append(i)
    return out


def owned(agent):
    return sum(v for _, v in series(scrape(agent) or {}, "kafka_sentinel_fleet_owned_partitions"))


def leader_of(agents):
    o = owners(agents, "kafka_brokers")
    return o.get("kafka_brokers", [])


def groups_exactly_once(agents):
    o = owners(agents, "kafka_consumergroup_current_offset_sum", "consumergroup")
    ok = all(len(o.get(g, [])) == 1 for g in GROUPS)
    return o if ok else None


def main():
    kafka = KafkaCluster(nodes=3, props=["group.min.session.timeout.ms=1000"]).up()
    b = kafka.bootstrap
    loadgen("create-topics", "--bootstrap", b, "--topics", f"{TOPIC}:4:3")
    loadgen("produce", "--bootstrap", b, "--topics", TOPIC, "--count", "400")
    ends = {int(p): int(o) for p, o in (line.split(":")[-2:] for line in kafka.tool(
        "kafka-get-offsets", "--bootstrap-server", b, "--topic", TOPIC).split())}
    for g in GROUPS:
        loadgen("commit", "--bootstrap", b, "--group", g, "--topic", TOPIC,
                "--offsets", "0:10,1:10,2:10,3:10")

    agents = [Agent(agent_config(b, f"a{i}"), name=f"a{i}") for i in range(3)]
    for a in agents:
        a.start()
    monitor = DuplicateMonitor(agents)
    monitor.start()

    # 1. Steady state: every agent a member with partitions (the topic has 12).
    check(wait_until(lambda: all(owned(a) > 0 for a in agents), 90, 0.5,
                     "every agent owning partitions") is not None,
          "all three agents own partitions of the coordination topic")
    parts = [sum(v for _, v in series(scrape(a) or {}, "kafka_sentinel_fleet_partitions"))
             for a in agents]
    check(parts == [12, 12, 12], f"the coordination topic has the configured 12 partitions: {parts}")
    leader = wait_until(lambda: len(leader_of(agents)) == 1 and leader_of(agents), 90, 0.5,
                        "one agent exporting kafka_brokers")
    check(leader is not None, "exactly one agent exports the cluster series (kafka_brokers)")
    placement = wait_until(lambda: groups_exactly_once(agents), 60, 0.5,
                           "every group exported exactly once")
    check(placement is not None, f"each of the {len(GROUPS)} groups exported by exactly one agent")
    if placement:
        spread = {i for g in GROUPS for i in placement[g]}
        check(len(spread) >= 2, f"groups spread over several agents (agents {sorted(spread)})")
    for i, a in enumerate(agents):
        m = scrape(a) or {}
        check(len(series(m, "node_load1", node=f"a{i}")) == 1,
              f"agent a{i} exports its own host metrics labelled node=a{i}")
    # Every lagging group's condition fires before the takeovers, so they have to hand it on.
    fired = wait_until(
        lambda: len({e["subject"] for _, e in read_topic(kafka, timeout_ms=4000)
                     if lag_event(e) and e["data"]["state"] == "firing"}) >= len(GROUPS),
        60, 1, "group.lag_messages fired for every group")
    check(bool(fired), f"group.lag_messages fired for all {len(GROUPS)} groups before the takeovers")
    roles = {}
    for i, a in enumerate(agents):
        m = scrape(a) or {}
        roles[i] = sum(v for _, v in series(m, "kafka_sentinel_fleet_role", role="leader"))
    check(sum(roles.values()) == 1, f"one kafka_sentinel_fleet_role{{role=leader}} = 1: {roles}")
    text = agents[leader[0]].metrics_text() if leader else ""
    check_families_documented(text)

    # 2. SIGKILL the leader.
    if leader:
        old = leader[0]
        killed_at = time.monotonic()
        agents[old].proc.send_signal(signal.SIGKILL)
        agents[old].proc.wait(10)
        survivors = [a for i, a in enumerate(agents) if i != old]
        new = wait_until(lambda: leader_of(survivors), 4 * INTERVAL_S + 10, 0.1,
                         "a new leader after SIGKILL")
        took = time.monotonic() - killed_at
        log(f"takeover after SIGKILL: {took:.1f}s (session {SESSION_S}s, interval {INTERVAL_S}s)")
        check(new is not None and took <= 2 * INTERVAL_S,
              f"another agent exports the cluster series {took:.1f}s after SIGKILL of the leader "
              f"(bound: two intervals, {2 * INTERVAL_S}s)")
        placement = wait_until(lambda: groups_exactly_once(survivors), 4 * INTERVAL_S, 0.2,
                               "every group exported exactly once by the survivors")
        took_groups = time.monotonic() - killed_at
        log(f"groups exported again {took_groups:.1f}s after SIGKILL")
        check(placement is not None and took_groups <= 2 * INTERVAL_S + 1,
              f"every group exported exactly once again {took_groups:.1f}s after the kill")

        # 3. SIGTERM the new leader: a graceful handover.
        if new:
            second = survivors[new[0]]
            last = [a for a in survivors if a is not second]
            stopped_at = time.monotonic()
            code, _ = second.stop(signal.SIGTERM)
            check(code == 0, f"SIGTERM: the leader exits 0 (got {code})")
            got = wait_until(lambda: leader_of(last), 2 * INTERVAL_S + 10, 0.1,
                             "the last agent leads after SIGTERM")
            took = time.monotonic() - stopped_at
            log(f"takeover after SIGTERM: {took:.1f}s")
            check(got is not None and took <= INTERVAL_S,
                  f"graceful stop hands over at once: {took:.1f}s (bound: one interval)")
            placement = wait_until(lambda: groups_exactly_once(last), 3 * INTERVAL_S, 0.2,
                                   "every group exported by the last agent")
            check(placement is not None, "the last agent exports every group, once")

    # 4. All three back.
    for i, a in enumerate(agents):
        if not a.alive():
            fresh = Agent(agent_config(b, f"a{i}"), name=f"a{i}-again")
            fresh.start()
            agents[i] = fresh
            monitor.agents[i] = fresh
    settled = wait_until(
        lambda: len(leader_of(agents)) == 1 and groups_exactly_once(agents) and all(
            owned(a) > 0 for a in agents) and sum(owned(a) for a in agents) == 12,
        60, 0.5, "all three back, each with partitions")
    check(settled is not None, "all three back: exactly one leader, every group once, every agent "
                               "owns partitions")
    time.sleep(4 * INTERVAL_S)  # let the monitor watch the settled fleet for a while
    monitor.stop_event.set()
    monitor.join(10)
    log(f"duplicate monitor: {monitor.rounds} rounds")
    check(monitor.rounds > 20, f"the duplicate monitor ran ({monitor.rounds} rounds)")
    check(not monitor.confirmed,
          f"no cluster-wide series exported by two agents at once "
          f"({len(monitor.confirmed)} found, first: {monitor.confirmed[:3]})")
    # 5. Events: every group caught up, then count what the topic holds.
    for g in GROUPS:
        loadgen("commit", "--bootstrap", b, "--group", g, "--topic", TOPIC,
                "--offsets", ",".join(f"{p}:{ends[p]}" for p in range(4)))
    resolved = wait_until(
        lambda: (lambda ev: ev if sum(1 for e in ev if lag_event(e) and
                                      e["data"]["state"] == "resolved") >= len(GROUPS) else None)(
            [e for _, e in read_topic(kafka, timeout_ms=4000)]),
        12 * INTERVAL_S, 1, "every group's lag condition resolved")
    events = resolved or [e for _, e in read_topic(kafka)]
    check_events_exactly_once(events)
    for a in agents:
        code, took = a.stop(signal.SIGTERM)
        check(code == 0, f"{os.path.basename(a.config_path)}: SIGTERM exits 0 in {took:.1f}s")
    kafka.down()
    finish()


def lag_event(e):
    return short(e) == "group.lag_messages"


def check_events_exactly_once(events):
    """Each lagging group: one firing, one resolved; every condition alternates."""
    by_condition = {}
    for e in events:  # per partition in offset order; one subject is in one partition
        data = e.get("data") or {}
        key = (short(e), e.get("subject"), data.get("condition", ""))
        by_condition.setdefault(key, []).append((data.get("state"), e.get("source"), e.get("id")))
    for key, seq in sorted(by_condition.items()):
        log(f"  {key[0]} {key[1]} {key[2]}: " +
            " ".join(f"{state}@{source.rsplit('/', 1)[-1]}" for state, source, _ in seq))
    not_alternating = {k: [s for s, _, _ in seq] for k, seq in by_condition.items()
                       if any(seq[i][0] == seq[i + 1][0] for i in range(len(seq) - 1))
                       or (seq and seq[0][0] != "firing")}
    check(not not_alternating,
          f"every condition in the topic alternates firing/resolved, starting with firing, "
          f"across the takeovers ({len(by_condition)} conditions; not: {not_alternating})")
    lag = {k[1]: [s for s, _, _ in seq] for k, seq in by_condition.items() if k[0] == "group.lag_messages"}
    expected = {f"group/{g}/topic/{TOPIC}" for g in GROUPS}
    wrong = {subject: states for subject, states in lag.items() if states != ["firing", "resolved"]}
    check(set(lag) == expected and not wrong,
          f"each of the {len(GROUPS)} lagging groups fired once and resolved once, whoever owned "
          f"it meanwhile (missing: {sorted(expected - set(lag))}; otherwise: {wrong})")
    ids = [i for seq in by_condition.values() for _, _, i in seq]
    check(len(ids) == len(set(ids)), f"no event id twice in the topic ({len(ids)} events)")
    cluster = [k for k in by_condition if k[0].startswith(("broker.", "cluster.", "topic."))]
    check(not cluster, f"no cluster event on a healthy cluster through the takeovers ({cluster})")


if __name__ == "__main__":
    main()

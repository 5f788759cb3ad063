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
   The stream is the groups' source, so a group's shard is its __consumer_offsets
   partition: the two survivors read disjoint offsets partitions that cover all of them;
   after the SIGTERM the last agent reads every one, having read the taken-over ones from
   their beginning, and never exports a group whose offsets partition it has not read to
   its end (checked at every scrape while it takes over).
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
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from ksevents import read_topic, short  # noqa: E402
from ksfleet import (GROUPS, INTERVAL_S, SESSION_S, TOPIC, DuplicateMonitor,  # noqa: E402
                     agent_config, check_alternation, check_no_cluster_events, event_sequences,
                     gauge, groups_before_caught_up, offsets_partitions_read,
                     sigkill_takeover, split_of_offsets_partitions, states_of)
from ksfleet import groups_exactly_once as groups_once_by  # noqa: E402
from ksfleet import leader_of as leader_by  # noqa: E402
from ksloadgen import loadgen  # noqa: E402
from ksharness import (Agent, KafkaCluster, check, check_families_documented,  # noqa: E402
                       finish, log, parse_metrics, series, temp_dir, wait_for_cycles, wait_until)

# The spool lives with the node: an agent restarted on it finds its undelivered events.
WORK = temp_dir("ks-fleet-")


def config_for(bootstrap, node):
    return agent_config(bootstrap, node, os.path.join(WORK, node, "spool"), "fleet-itest")


def scrape(agent):
    try:
        if not agent.alive():
            return None
        return parse_metrics(agent.metrics_text(timeout=3))
    except Exception:
        return None


def owned(agent):
    return gauge(scrape(agent), "kafka_sentinel_fleet_owned_partitions")


def leader_of(agents):
    return leader_by(agents, scrape)


def groups_exactly_once(agents):
    return groups_once_by(agents, scrape)


def lag_event(e):
    return short(e) == "group.lag_messages"


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

    agents = [Agent(config_for(b, f"a{i}"), name=f"a{i}") for i in range(3)]
    for a in agents:
        a.start()
    monitor = DuplicateMonitor(agents, scrape)
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
        180, 1, "group.lag_messages fired for every group")
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
        survivors = [a for i, a in enumerate(agents) if i != old]
        new = sigkill_takeover(agents[old].proc, survivors, scrape)
        check_offsets_split(survivors, offsets_count(kafka))

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
            early = []  # (group, scrape) exported before its offsets partition was read

            def last_has_every_group():
                m = scrape(last[0])
                early.extend(groups_before_caught_up(m, offsets_count(kafka)))
                return groups_exactly_once(last)
            placement = wait_until(last_has_every_group, 3 * INTERVAL_S, 0.2,
                                   "every group exported by the last agent")
            check(placement is not None, "the last agent exports every group, once")
            check_offsets_split(last, offsets_count(kafka))
            check(not early, f"no group exported before its offsets partition was read to its "
                             f"end by the agent taking it over ({sorted(set(early))[:5]})")

    # 4. All three back.
    for i, a in enumerate(agents):
        if not a.alive():
            fresh = Agent(config_for(b, f"a{i}"), name=f"a{i}-again")
            fresh.start()
            agents[i] = fresh  # the monitor watches this list
    settled = wait_until(
        lambda: len(leader_of(agents)) == 1 and groups_exactly_once(agents) and all(
            owned(a) > 0 for a in agents) and sum(owned(a) for a in agents) == 12,
        60, 0.5, "all three back, each with partitions")
    check(settled is not None, "all three back: exactly one leader, every group once, every agent "
                               "owns partitions")
    # Let the monitor watch the settled fleet for a while: 4 groups cycles of every agent.
    check(wait_for_cycles(agents, "groups", 4, 20 * INTERVAL_S, scrape=scrape) is not None,
          "every agent runs 4 more groups cycles in the settled fleet")
    monitor.verdict()

    # 5. Events: every group caught up, then count what the topic holds.
    for g in GROUPS:
        loadgen("commit", "--bootstrap", b, "--group", g, "--topic", TOPIC,
                "--offsets", ",".join(f"{p}:{ends[p]}" for p in range(4)))
    resolved = wait_until(
        lambda: (lambda ev: ev if sum(1 for _, e in ev if lag_event(e) and
                                      e["data"]["state"] == "resolved") >= len(GROUPS) else None)(
            read_topic(kafka, timeout_ms=4000)),
        12 * INTERVAL_S, 1, "every group's lag condition resolved")
    check_events_exactly_once(resolved or read_topic(kafka))
    for a in agents:
        code, took = a.stop(signal.SIGTERM)
        check(code == 0, f"{os.path.basename(a.config_path)}: SIGTERM exits 0 in {took:.1f}s")
    kafka.down()
    finish()


_OFFSETS_COUNT = []


def offsets_count(kafka):
    """__consumer_offsets' partition count (asked once)."""
    if not _OFFSETS_COUNT:
        text = kafka.tool("kafka-topics", "--bootstrap-server", kafka.bootstrap, "--describe",
                          "--topic", "__consumer_offsets")
        _OFFSETS_COUNT.append(sum(1 for line in text.splitlines() if "Partition:" in line))
    return _OFFSETS_COUNT[0]


def check_offsets_split(members, partitions):
    """The members read all `partitions` offsets partitions, each exactly once, all caught
    up, and each exports exactly the listed groups of the partitions it reads."""
    split = wait_until(lambda: split_of_offsets_partitions(members, scrape, partitions),
                       3 * INTERVAL_S, 0.2, "the offsets partitions split among the agents")
    reads = split or [offsets_partitions_read(scrape(m)) for m in members]
    log(f"offsets partitions read: {[sorted(r) for r in reads]} (of {partitions})")
    check(split is not None, f"{len(members)} agent(s) read the {partitions} __consumer_offsets "
                             f"partitions with no overlap and full coverage, all caught up: "
                             f"{[sorted(r) for r in reads]}")
    bad = [os.path.basename(m.config_path) for m in members
           if groups_before_caught_up(scrape(m), partitions)]
    check(not bad, f"each agent exports only groups of the offsets partitions it read ({bad})")


def check_events_exactly_once(events):
    """Each lagging group: one firing, one resolved; every condition alternates."""
    seqs = event_sequences(events)
    check_alternation(seqs)
    wrong = {g: states_of(seqs, ("group.lag_messages", f"group/{g}/topic/{TOPIC}", "", ""))
             for g in GROUPS}
    wrong = {g: states for g, states in wrong.items() if states != ["firing", "resolved"]}
    check(not wrong, f"each of the {len(GROUPS)} lagging groups fired once and resolved once, "
                     f"whoever owned it meanwhile (otherwise: {wrong})")
    empty = {g: states_of(seqs, ("group.state", f"group/{g}", "Empty", "")) for g in GROUPS}
    empty = {g: states for g, states in empty.items() if states != ["firing"]}
    check(not empty, f"each group, Empty throughout, fired group.state Empty once and never "
                     f"resolved it (otherwise: {empty})")
    check_no_cluster_events(seqs)


if __name__ == "__main__":
    main()

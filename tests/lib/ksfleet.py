"""Helpers of the fleet integration tests (test-fleet-processes.py, test-fleet-netns.py):
the agents' configuration, who exports what, a monitor of duplicate exports, and the checks
of the health events the fleet published (Python standard library only)."""
import signal
import threading
import time

from ksevents import short
from ksharness import check, log, series, wait_until

GROUPS = [f"fleet-g{i:02d}" for i in range(16)]
TOPIC = "fleet-data"
INTERVAL_S = 3
SESSION_S = 3


def agent_config(bootstrap, node, spool, cluster_name):
    """A fleet agent with health events (every lagging fleet-gNN group fires lag_messages)."""
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
  cluster_name: {cluster_name}
  node_name: {node}
  spool: {{dir: {spool}}}
  hysteresis: {{fire_cycles: 2, resolve_cycles: 2}}
  groups: {{lag_messages: 50}}
"""


def cluster_series(metrics):
    """{(family, labels)} of the cluster-wide and group series in one scrape."""
    out = set()
    for family, samples in metrics.items():
        if family.startswith("kafka_") and not family.startswith("kafka_sentinel_"):
            for labels in samples:
                out.add((family, labels))
    return out


def gauge(metrics, family, **match):
    return sum(v for _, v in series(metrics or {}, family, **match))


class DuplicateMonitor(threading.Thread):
    """Scrapes the members in rounds (every ~0.3 s) and records every cluster-wide series
    that two members export in one round AND again in the next: a real duplicate lasts a
    whole collection cycle, a round that straddles a handover does not. Members are
    identified by their position in `members` (a list the test may update on restarts);
    `scrape(member)` returns parsed metrics or None."""

    def __init__(self, members, scrape):
        super().__init__(daemon=True)
        self.members = members
        self.scrape = scrape
        self.stop_event = threading.Event()
        self.rounds = 0
        self.confirmed = []   # (time, series, members)
        self.previous = {}

    def run(self):
        while not self.stop_event.is_set():
            exporters = {}
            for i, member in enumerate(list(self.members)):
                m = self.scrape(member)
                if m is None:
                    continue
                for s in cluster_series(m):
                    exporters.setdefault(s, set()).add(i)
            dups = {s: a for s, a in exporters.items() if len(a) > 1}
            for s, a in dups.items():
                both = a & self.previous.get(s, set())
                if len(both) > 1:
                    self.confirmed.append((time.strftime("%H:%M:%S"), s, sorted(both)))
            self.previous = dups
            self.rounds += 1
            time.sleep(0.3)

    def verdict(self):
        self.stop_event.set()
        self.join(10)
        log(f"duplicate monitor: {self.rounds} rounds")
        check(self.rounds > 20, f"the duplicate monitor ran ({self.rounds} rounds)")
        check(not self.confirmed,
              f"no cluster-wide or group series exported by two agents at once "
              f"({len(self.confirmed)} found, first: {self.confirmed[:3]})")


def owners(members, scrape, family, label=None):
    """{label value (or the family): [member positions exporting it]}, one scrape each."""
    out = {}
    for i, member in enumerate(members):
        for labels, _ in series(scrape(member) or {}, family):
            key = dict(labels).get(label) if label else family
            out.setdefault(key, []).append(i)
    return out


def leader_of(members, scrape):
    return owners(members, scrape, "kafka_brokers").get("kafka_brokers", [])


def groups_exactly_once(members, scrape):
    o = owners(members, scrape, "kafka_consumergroup_current_offset_sum", "consumergroup")
    return o if all(len(o.get(g, [])) == 1 for g in GROUPS) else None


def sigkill_takeover(proc, survivors, scrape):
    """SIGKILLs the leader's process and checks that the survivors take its work over within
    two collection intervals: the cluster series, then every group exactly once. Returns
    the new leader's position in `survivors` ([i]), or None."""
    # The bound is two intervals (the session timeout expires, the survivor rejoins, commits
    # its lease and runs its collectors at once) plus twice the slowest cycle the survivors
    # themselves measured last: on an idle machine a cycle takes milliseconds and the bound
    # is two intervals; on a saturated one a cycle takes seconds, and so does the takeover's.
    slowest = slowest_cycle(survivors, scrape)
    bound = 2 * INTERVAL_S + 2 * slowest
    killed_at = time.monotonic()
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    new = wait_until(lambda: leader_of(survivors, scrape), 2 * bound + 10, 0.1,
                     "a new leader after SIGKILL")
    took = time.monotonic() - killed_at
    log(f"takeover after SIGKILL: {took:.1f}s (session {SESSION_S}s, interval {INTERVAL_S}s, "
        f"slowest cycle before {slowest:.2f}s)")
    check(new is not None and took <= bound,
          f"another agent exports the cluster series {took:.1f}s after SIGKILL of the leader "
          f"(bound: two intervals + two of the slowest cycles, {bound:.1f}s)")
    placement = wait_until(lambda: groups_exactly_once(survivors, scrape), 2 * bound, 0.2,
                           "every group exported exactly once by the survivors")
    took_groups = time.monotonic() - killed_at
    log(f"groups exported again {took_groups:.1f}s after SIGKILL")
    check(placement is not None and took_groups <= bound + 1,
          f"every group exported exactly once again {took_groups:.1f}s after the kill "
          f"(bound {bound + 1:.1f}s)")
    return new


def slowest_cycle(members, scrape):
    """The longest last cycle of the brokers and groups collectors the members report
    (kafka_sentinel_collector_duration_seconds): how slow the machine is right now."""
    durations = [v for m in members for c in ("brokers", "groups")
                 for _, v in series(scrape(m) or {}, "kafka_sentinel_collector_duration_seconds",
                                    collector=c)]
    return max(durations, default=0.0)


def event_sequences(events):
    """{condition: [(state, node, id, since, time)]} of the events read back from the topic
    ([(key, event)], per partition in offset order: one subject is in one partition), with
    redeliveries (an id already seen) dropped. A condition is (type, subject, condition), plus
    the source node for host.* and agent.* (their subjects do not name the agent)."""
    seen, seqs = set(), {}
    for _, ev in events:
        if ev.get("id") in seen:
            continue
        seen.add(ev.get("id"))
        t, data = short(ev), ev.get("data") or {}
        node = ev.get("source", "").rsplit("/", 1)[-1]
        per_agent = t.startswith(("host.", "agent."))
        key = (t, ev.get("subject", ""), data.get("condition", ""), node if per_agent else "")
        seqs.setdefault(key, []).append((data.get("state", "?"), node, ev.get("id", "")[:8],
                                         data.get("since", ""), ev.get("time", "")))
    log(f"events topic: {len(events)} messages, {len(seen)} distinct ids")
    for key, seq in sorted(seqs.items()):
        log(f"  {key[0]} {key[1]} {key[2]}: " + " ".join(f"{s}@{n}" for s, n, *_ in seq))
    return seqs


def states_of(seqs, condition):
    return [s for s, *_ in seqs.get(condition, [])]


def check_alternation(seqs):
    """Per condition, firing and resolved alternate, starting with firing: a takeover neither
    fires a condition again nor resolves it twice."""
    bad = {}
    for key, seq in seqs.items():
        states = [s for s, *_ in seq]
        if any(s != ("firing" if i % 2 == 0 else "resolved") for i, s in enumerate(states)):
            bad[key] = seq
    for key, seq in sorted(bad.items()):
        log(f"  not alternating: {key}: " +
            "; ".join(f"{s} by {n} id={i} since={si} time={tm}" for s, n, i, si, tm in seq))
    check(not bad, f"per condition, firing and resolved alternate starting with firing across "
                   f"the takeovers ({len(seqs)} conditions; not: {sorted(bad)[:6]})")


def check_no_cluster_events(seqs):
    cluster = [k for k in seqs if k[0].split(".")[0] in ("cluster", "broker", "topic")]
    check(not cluster, f"no cluster event on a healthy cluster through the takeovers ({cluster})")


def offsets_partition(group, partitions):
    """Kafka's __consumer_offsets partition of `group`: Utils.abs(String.hashCode) % n, the
    hash over UTF-16 code units in 32-bit arithmetic (Utils.abs(INT_MIN) = 0)."""
    units = group.encode("utf-16-be")
    h = 0
    for i in range(0, len(units), 2):
        h = (31 * h + int.from_bytes(units[i:i + 2], "big")) & 0xFFFFFFFF
    h = h - (1 << 32) if h >= (1 << 31) else h
    return (0 if h == -(1 << 31) else abs(h)) % partitions


def offsets_partitions_read(metrics):
    """{offsets partition: caught up (bool)} that one agent's stream reads."""
    return {int(labels["partition"]): v == 1 for labels, v in
            series(metrics or {}, "kafka_sentinel_groups_offsets_partition_caught_up")}


def groups_exported(metrics):
    return {labels["consumergroup"] for labels, _ in
            series(metrics or {}, "kafka_consumergroup_current_offset_sum")}


def split_of_offsets_partitions(members, scrape, partitions):
    """The offsets partitions each member reads, when they split all `partitions` with no
    overlap and every one is caught up; else None."""
    reads = [offsets_partitions_read(scrape(m)) for m in members]
    everyone = [p for r in reads for p in r]
    if sorted(everyone) != list(range(partitions)):
        return None
    return reads if all(all(r.values()) for r in reads) else None


def groups_before_caught_up(metrics, partitions):
    """Groups one scrape exports although their offsets partition is not read to its end
    (or not read at all) by that agent: must always be empty."""
    read = offsets_partitions_read(metrics)
    return sorted(g for g in groups_exported(metrics)
                  if not read.get(offsets_partition(g, partitions), False))


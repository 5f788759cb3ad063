"""Consumer-group offsets and lag on a real Kafka, compared with Kafka's own tool.

Dozens of groups over several topics get known committed offsets through real Kafka clients
(the project's loadgen, kafka-consumer-groups --reset-offsets, Kafka's console consumer).
With the cluster quiet, for EVERY partition the agent's kafka_consumergroup_current_offset
and kafka_consumergroup_lag must equal what `kafka-consumer-groups --describe --all-groups`
prints, and no series may exist that the tool does not show. Then: a partition without a
commit is counted, not exported; DeleteRecords (which moves the log-start offset exactly as
retention does) turns unread messages into kafka_consumergroup_lag_expired_messages; a
deleted group disappears from /metrics.

Every check runs on two agents side by side, one per collectors.groups.source (the
__consumer_offsets stream and the admin API), on the same cluster: both must equal the tool,
and the stream's cycles must send no DescribeGroups or OffsetFetch while the admin API's do.
KS_GROUPS_SOURCES (comma-separated) narrows the sources.
"""
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from ksharness import (Agent, KafkaCluster, check, finish, log,  # noqa: E402
                       promtool_check_metrics_silent, series, value, wait_for_cycles,
                       wait_until)
from kskafkatools import describe_groups, get_offsets  # noqa: E402
from ksloadgen import loadgen  # noqa: E402

TOPICS = {"grp-a": 6, "grp-b": 4, "grp-c": 3, "grp-d": 1}
GROUPS = 40  # committed by loadgen: g-00 .. g-39
SOURCES = os.environ.get("KS_GROUPS_SOURCES", "offsets_topic,admin_api").split(",")


def plan_commits(hw):
    """Group i commits on one or two topics, offsets spread over [0, high watermark]."""
    names = sorted(TOPICS)
    plan = {}
    for i in range(GROUPS):
        group = f"g-{i:02d}"
        topics = [names[i % 4]] if i % 3 == 0 else [names[i % 4], names[(i + 1) % 4]]
        for topic in topics:
            offsets = {}
            for p in range(TOPICS[topic]):
                top = hw[(topic, p)]
                if i % 5 == 0:
                    offsets[p] = top  # caught up
                elif i % 7 == 0 and p == 0 and TOPICS[topic] > 1:
                    continue  # no commit on partition 0: counted, not exported
                else:
                    offsets[p] = (i * 37 + p * 11) % (top + 1)
            plan[(group, topic)] = offsets
    return plan


def main():
    kafka = KafkaCluster(nodes=1).up()
    b = kafka.bootstrap
    loadgen("create-topics", "--bootstrap", b, "--topics",
            ",".join(f"{t}:{n}:1" for t, n in TOPICS.items()), timeout=60)
    loadgen("produce", "--bootstrap", b, "--topics", ",".join(TOPICS), "--count", "4000",
            "--rate", "0", "--key-space", "997", timeout=120)
    hw = get_offsets(kafka, "grp-.*")
    check(all(hw[(t, p)] > 0 for t, n in TOPICS.items() for p in range(n)),
          f"every partition has messages ({len(hw)} partitions)")

    started = time.monotonic()
    plan = plan_commits(hw)

    def commit(item):
        (group, topic), offsets = item
        spec = ",".join(f"{p}:{o}" for p, o in sorted(offsets.items()))
        # attempts: the first commits of a new cluster can race the creation of
        # __consumer_offsets ("Not coordinator", "load in progress").
        loadgen("commit", "--bootstrap", b, "--group", group, "--topic", topic, "--offsets", spec,
                timeout=60, attempts=10)

    first = next(iter(plan.items()))
    commit(first)  # alone first: it waits out the creation of __consumer_offsets
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(commit, plan.items()))
    # Kafka's own clients too: reset-offsets (the Java admin client) for four groups at once,
    # and the console consumer (a real group member, auto-commit on close).
    kafka.tool("kafka-consumer-groups", "--bootstrap-server", b, "--reset-offsets",
               *[x for i in range(4) for x in ("--group", f"r-{i}")],
               "--topic", "grp-b:0,1,3", "--to-offset", "3", "--execute")
    kafka.tool("kafka-console-consumer", "--bootstrap-server", b, "--topic", "grp-c",
               "--group", "console-1", "--from-beginning", "--max-messages", "25",
               "--timeout-ms", "20000", check=False, timeout=60)
    # Retention: a group at offset 5 of grp-d, then the log start moves to 40.
    loadgen("commit", "--bootstrap", b, "--group", "x-expired", "--topic", "grp-d",
            "--offsets", "0:5", timeout=60, attempts=10)
    log(f"committed {len(plan)} (group, topic) offset sets in {time.monotonic() - started:.1f}s")

    expected_groups = GROUPS + 4 + 1 + 1
    agents = {source: Agent(f"""
kafka:
  bootstrap_servers: "{b}"
collectors:
  host:
    node_metrics: false
  groups:
    interval: 1s
    source: {source}
""", name=f"agent-{source}").start() for source in SOURCES}
    for source, agent in agents.items():
        check_equal_to_tool(kafka, agent, source, plan, expected_groups)
    hw_d = hw[("grp-d", 0)]
    check_retention_and_deletion(kafka, agents, hw_d, expected_groups)
    for agent in agents.values():
        agent.stop()
    finish()


def monitored_metrics(agent, expected_groups):
    def monitored():
        m = agent.metrics()
        return m if value(m, "kafka_sentinel_groups_monitored") == expected_groups else None
    return wait_until(monitored, 60, 0.5, "all groups monitored")


def check_requests(metrics, source):
    """The stream sends no request per group; the admin API one DescribeGroups and one
    OffsetFetch per group."""
    requests = {d["request"]: v for d, v in series(metrics, "kafka_sentinel_groups_cycle_requests")}
    groups = value(metrics, "kafka_sentinel_groups_monitored")
    check(value(metrics, "kafka_sentinel_groups_source", source=source) == 1,
          f"[{source}] kafka_sentinel_groups_source says {source}")
    if source == "offsets_topic":
        check(requests.get("DescribeGroups") == 0 and requests.get("OffsetFetch") == 0,
              f"[{source}] a cycle sends no DescribeGroups or OffsetFetch ({requests})")
        decoded = {d["kind"]: v for d, v in series(metrics, "kafka_sentinel_groups_offsets_records_total")}
        check(decoded.get("offset_commit", 0) > 0 and decoded.get("unknown") == 0 and
              decoded.get("malformed") == 0,
              f"[{source}] records decoded, none unknown or malformed ({decoded})")
    else:
        check(requests.get("DescribeGroups") == groups and requests.get("OffsetFetch") == groups,
              f"[{source}] one DescribeGroups and one OffsetFetch per group ({requests}, {groups} groups)")


def check_equal_to_tool(kafka, agent, source, plan, expected_groups):
    check(monitored_metrics(agent, expected_groups) is not None,
          f"[{source}] agent monitors all {expected_groups} groups")
    # One more full cycle of a quiet cluster: the second cycle completed from now started
    # after now.
    check(wait_for_cycles(agent, "groups", 2, 60) is not None, f"[{source}] 2 more groups cycles run")
    described = describe_groups(kafka, "--all-groups")
    metrics = agent.metrics()
    check_requests(metrics, source)

    # Every partition the tool shows, the agent shows identically; no extra series.
    mismatches = []
    committed_rows = 0
    for (group, topic, partition), (current, _, lag) in sorted(described.items()):
        labels = dict(consumergroup=group, topic=topic, partition=partition)
        got_offset = value(metrics, "kafka_consumergroup_current_offset", **labels)
        got_lag = value(metrics, "kafka_consumergroup_lag", **labels)
        if current is None:
            if got_offset is not None or got_lag is not None:
                mismatches.append((group, topic, partition, "no commit, but a series"))
            continue
        committed_rows += 1
        if got_offset != current or got_lag != lag:
            mismatches.append((group, topic, partition, f"tool {current}/{lag}",
                               f"agent {got_offset}/{got_lag}"))
    check(not mismatches, f"[{source}] current offset and lag equal kafka-consumer-groups --describe for all "
                          f"{committed_rows} committed partitions (mismatches: {mismatches[:5]})")
    agent_rows = {(d["consumergroup"], d["topic"], int(d["partition"]))
                  for d, _ in series(metrics, "kafka_consumergroup_current_offset")}
    tool_rows = {k for k, v in described.items() if v[0] is not None}
    check(agent_rows == tool_rows,
          f"[{source}] same partitions as the tool ({len(agent_rows)} vs {len(tool_rows)}; "
          f"only agent: {sorted(agent_rows - tool_rows)[:3]}, only tool: {sorted(tool_rows - agent_rows)[:3]})")
    check(committed_rows >= 150, f"dozens of groups over many partitions ({committed_rows} rows)")

    # Sums per (group, topic), kafka_exporter style.
    bad_sums = []
    for (group, topic), offsets in plan.items():
        rows = [(p, described[(group, topic, p)]) for p in offsets]
        if value(metrics, "kafka_consumergroup_current_offset_sum", consumergroup=group,
                 topic=topic) != sum(r[0] for _, r in rows):
            bad_sums.append((group, topic, "offset"))
        if value(metrics, "kafka_consumergroup_lag_sum", consumergroup=group,
                 topic=topic) != sum(r[2] for _, r in rows):
            bad_sums.append((group, topic, "lag"))
    check(not bad_sums, f"current_offset_sum and lag_sum per group and topic ({bad_sums[:5]})")
    # The whole body, every group, cluster, host-ratio and self family included: promtool
    # prints nothing (no node_* families here, so not even node_exporter's CamelCase lints).
    body = agent.metrics_text()
    check("kafka_sentinel_host_memory_available_ratio " in body and "\nnode_" not in body,
          "host collector on with node_metrics: false: its ratios, no node_* family")
    promtool_check_metrics_silent(body)

    # Caught up means lag in seconds exactly 0; groups are Empty with 0 members.
    caught_up = [(d, v) for d, v in series(metrics, "kafka_consumergroup_lag_seconds")
                 if value(metrics, "kafka_consumergroup_lag", **d) == 0]
    check(caught_up and all(v == 0 for _, v in caught_up),
          f"lag_seconds is exactly 0 on all {len(caught_up)} caught-up partitions")
    check(value(metrics, "kafka_consumergroup_members", consumergroup="g-01") == 0 and
          value(metrics, "kafka_consumergroup_info", consumergroup="g-01", state="Empty") == 1,
          "a group without members: members 0, state Empty")

    # g-07 has no commit on partition 0 of its first topic: counted, not exported.
    check(value(metrics, "kafka_consumergroup_uncommitted_partitions", consumergroup="g-07") == 1,
          "a partition without a commit is counted in kafka_consumergroup_uncommitted_partitions")
    check(value(metrics, "kafka_consumergroup_uncommitted_partitions", consumergroup="r-0") == 1,
          "reset-offsets group: grp-b partition 2 uncommitted")
    check(series(metrics, "kafka_consumergroup_current_offset", consumergroup="console-1"),
          "a group committed by Kafka's console consumer is reported")


def check_retention_and_deletion(kafka, agents, hw_d, expected_groups):
    b = kafka.bootstrap
    agent = next(iter(agents.values()))
    # Retention deleting unread messages.
    path = os.path.join(agent.workdir, "delete.json")
    with open(path, "w") as f:
        f.write('{"partitions":[{"topic":"grp-d","partition":0,"offset":40}],"version":1}')
    kafka.tool("kafka-delete-records", "--bootstrap-server", b, "--offset-json-file", path)
    tool_lag = describe_groups(kafka, "--all-groups")[("x-expired", "grp-d", 0)][2]
    for source, agent in agents.items():
        expired = wait_until(
            lambda: value(agent.metrics(), "kafka_consumergroup_lag_expired_messages",
                          consumergroup="x-expired", topic="grp-d", partition=0), 15, 0.5,
            "expired messages")
        check(expired == 35,
              f"[{source}] DeleteRecords to 40 over a commit at 5: 35 expired messages ({expired})")
        metrics = agent.metrics()
        lag = value(metrics, "kafka_consumergroup_lag", consumergroup="x-expired", topic="grp-d",
                    partition=0)
        check(lag == hw_d - 40, f"[{source}] lag counts only messages that still exist: "
                                f"{lag} == {hw_d} - 40")
        check(lag + expired == tool_lag,
              f"[{source}] lag + expired equals the tool's lag, which counts deleted messages "
              f"({tool_lag})")

    # A deleted group vanishes at the next cycle.
    kafka.tool("kafka-consumer-groups", "--bootstrap-server", b, "--delete", "--group", "g-11")
    for source, agent in agents.items():
        gone = wait_until(
            lambda: not any(name.startswith("kafka_consumergroup") and
                            series(m, name, consumergroup="g-11")
                            for m in [agent.metrics()] for name in m), 10, 0.5, "g-11 gone")
        check(gone, f"[{source}] a deleted group disappears from /metrics")
        check(wait_until(lambda: value(agent.metrics(), "kafka_sentinel_groups_monitored") ==
                         expected_groups - 1, 10, 0.5, "monitored - 1"),
              f"[{source}] monitored groups drop by one")

        errors = agent.metrics()
        offsets_errors = value(errors, "kafka_sentinel_groups_errors_total", kind="offsets")
        describe_errors = value(errors, "kafka_sentinel_groups_errors_total", kind="describe")
        # A cycle may list g-11 just before the delete and describe it just after: that group
        # vanished, which is counted on its own, never as an error.
        check(offsets_errors == 0 and describe_errors == 0,
              f"[{source}] no describe or offsets errors on a healthy cluster (offsets "
              f"{offsets_errors}, describe {describe_errors}, vanished "
              f"{value(errors, 'kafka_sentinel_groups_vanished_total')})")


if __name__ == "__main__":
    main()

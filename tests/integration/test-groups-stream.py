"""Consumer groups from the __consumer_offsets stream (collectors.groups.source: offsets_topic)
on a real Kafka, compared with Kafka's own tool after each thing that changes the stream.

One 1-node cluster, groups committed by loadgen and one live consumer group. The agent in
stream mode must equal `kafka-consumer-groups --describe --all-groups` (current offset and
lag of every partition, no other series) at start and after: a new commit, an offset reset
(--reset-offsets --execute), a group deletion (--delete), a topic deletion (Kafka writes
tombstones for its offsets), commits on a compacted topic, and a broker restart (the reader
reconnects and goes on). /readyz names the source. Then the agent is restarted with the admin
API on the same, unchanged workload: the kafka_consumergroup_* series that do not depend on
the agent's own history (offsets, lag, sums, members, state, uncommitted partitions) are
identical. ~60-90 s on a busy 2-core machine.
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from ksharness import (Agent, KafkaCluster, check, finish, http_get, log,  # noqa: E402
                       series, value, wait_until)
from kskafkatools import describe_groups  # noqa: E402
from ksloadgen import loadgen, start_loadgen, stop  # noqa: E402

TOPICS = {"s-a": 4, "s-b": 2}
COMPACTED = "s-c"
GROUPS = [f"s-g-{i}" for i in range(8)]
# Families that depend only on Kafka's state, not on the agent's own history.
STATE_FAMILIES = ["kafka_consumergroup_current_offset", "kafka_consumergroup_lag",
                  "kafka_consumergroup_current_offset_sum", "kafka_consumergroup_lag_sum",
                  "kafka_consumergroup_members", "kafka_consumergroup_info",
                  "kafka_consumergroup_uncommitted_partitions",
                  "kafka_consumergroup_lag_expired_messages"]


def agent_config(bootstrap, source):
    return f"""
kafka:
  bootstrap_servers: "{bootstrap}"
collectors:
  host:
    enabled: false
  brokers:
    enabled: false
  groups:
    interval: 1s
    source: {source}
"""


def setup(kafka):
    b = kafka.bootstrap
    loadgen("create-topics", "--bootstrap", b, "--topics",
            ",".join(f"{t}:{n}:1" for t, n in TOPICS.items()), timeout=60)
    kafka.tool("kafka-topics", "--bootstrap-server", b, "--create", "--topic", COMPACTED,
               "--partitions", "2", "--config", "cleanup.policy=compact",
               "--config", "segment.ms=1000", "--config", "min.cleanable.dirty.ratio=0.01")
    loadgen("produce", "--bootstrap", b, "--topics", ",".join([*TOPICS, COMPACTED]), "--count",
            "1500", "--rate", "0", "--key-space", "20", timeout=120)
    for i, group in enumerate(GROUPS):
        topic = ["s-a", "s-b", COMPACTED][i % 3]
        n = TOPICS.get(topic, 2)
        # Below every partition's end (~125 messages each at least): the tool prints a
        # negative lag for a commit past the end, where the agent reports 0.
        offsets = ",".join(f"{p}:{(i * 31 + p * 7) % 60}" for p in range(n))
        loadgen("commit", "--bootstrap", b, "--group", group, "--topic", topic, "--offsets",
                offsets, timeout=60, attempts=10)
    # A live member: consumes s-a to its end, then stays in the group (Stable, assigned).
    live = start_loadgen("consume", "--bootstrap", b, "--group", "s-live", "--topics", "s-a",
                         "--from", "earliest", name="live consumer")
    check(wait_until(lambda: describe_groups(kafka, "--group", "s-live").get(("s-live", "s-a", 0),
                                                                            (None, 0, 1))[2] == 0,
                     60, 1, "live consumer caught up"), "the live consumer caught up")
    return live


def equal_to_tool(kafka, agent, what):
    """Every committed partition the tool shows, the agent shows identically, and no other."""
    def compare():
        described = describe_groups(kafka, "--all-groups")
        m = agent.metrics()
        tool = {k: (v[0], v[2]) for k, v in described.items() if v[0] is not None}
        got = {(d["consumergroup"], d["topic"], int(d["partition"])):
               (v, value(m, "kafka_consumergroup_lag", **d))
               for d, v in series(m, "kafka_consumergroup_current_offset")}
        return (tool == got, tool, got)
    result = wait_until(lambda: compare()[0] or None, 20, 1, what)
    if not result:
        _, tool, got = compare()
        diff = sorted(set(tool.items()) ^ set(got.items()))[:6]
        check(False, f"{what}: agent equals kafka-consumer-groups (differences: {diff})")
        return
    check(True, f"{what}: agent equals kafka-consumer-groups")


def state_series(agent):
    m = agent.metrics()
    return {(name, tuple(sorted(d.items()))): v for name in STATE_FAMILIES
            for d, v in series(m, name)}


def main():
    kafka = KafkaCluster(nodes=1).up()
    b = kafka.bootstrap
    live = setup(kafka)
    agent = Agent(agent_config(b, "offsets_topic"), name="stream").start()
    check(wait_until(lambda: http_get(agent.url + "/readyz")[0] == 200, 60, 0.5, "ready"),
          "stream agent ready once the stream is read")
    ready = json.loads(http_get(agent.url + "/readyz")[1])
    check(ready["collectors"]["groups"].get("note") == "source offsets_topic",
          f"/readyz names the source ({ready['collectors']['groups']})")
    equal_to_tool(kafka, agent, "at start")
    m = agent.metrics()
    check(value(m, "kafka_consumergroup_members", consumergroup="s-live") == 1 and
          value(m, "kafka_consumergroup_info", consumergroup="s-live", state="Stable") is not None,
          "the live group: one member, Stable, from its metadata record")

    loadgen("commit", "--bootstrap", b, "--group", "s-g-0", "--topic", "s-a", "--offsets",
            "0:50,1:45", timeout=60, attempts=5)
    equal_to_tool(kafka, agent, "after a commit")
    kafka.tool("kafka-consumer-groups", "--bootstrap-server", b, "--reset-offsets", "--group",
               "s-g-3", "--topic", "s-a", "--to-offset", "2", "--execute")
    equal_to_tool(kafka, agent, "after --reset-offsets --execute")
    kafka.tool("kafka-consumer-groups", "--bootstrap-server", b, "--delete", "--group", "s-g-6")
    equal_to_tool(kafka, agent, "after --delete of a group")
    check(not series(agent.metrics(), "kafka_consumergroup_info", consumergroup="s-g-6"),
          "the deleted group has no series left")
    kafka.tool("kafka-topics", "--bootstrap-server", b, "--delete", "--topic", "s-b")
    equal_to_tool(kafka, agent, "after deleting topic s-b")
    check(not series(agent.metrics(), "kafka_consumergroup_current_offset", topic="s-b"),
          "no series of the deleted topic")
    check(series(agent.metrics(), "kafka_consumergroup_current_offset", topic=COMPACTED),
          "commits on the compacted topic are reported (and equal the tool, above)")

    kafka.stop_node(1)
    kafka.start_node(1)
    loadgen("commit", "--bootstrap", b, "--group", "s-g-1", "--topic", "s-a",
            "--offsets", "2:57", timeout=90, attempts=20)
    equal_to_tool(kafka, agent, "after a broker restart and a commit")
    m = agent.metrics()
    check(value(m, "kafka_sentinel_groups_offsets_records_total", kind="unknown") == 0 and
          value(m, "kafka_sentinel_groups_offsets_records_total", kind="malformed") == 0,
          "no unknown or malformed record in a real Kafka 3.9 stream")
    check(wait_until(lambda: value(agent.metrics(), "kafka_consumergroup_members",
                                   consumergroup="s-live") == 1, 60, 1, "live member back"),
          "the live consumer is a member again after the restart")

    # The same workload, the other source: identical state series.
    wait_until(lambda: describe_groups(kafka, "--group", "s-live").get(("s-live", "s-a", 0),
                                                                      (None, 0, 1))[2] == 0,
               60, 1, "live consumer caught up again")
    equal_to_tool(kafka, agent, "before switching")
    # After the restart the live consumer may rejoin as a second member while the first one's
    # session runs out (PreparingRebalance, 2 members): a state the admin agent started next
    # would never see again. The view is taken once the group has settled.
    def settled():
        m = agent.metrics()
        return (value(m, "kafka_consumergroup_members", consumergroup="s-live") == 1 and
                value(m, "kafka_consumergroup_info", consumergroup="s-live",
                      state="Stable") is not None) or None
    check(wait_until(settled, 90, 1, "live group Stable with one member"),
          "the live group is Stable with one member again before switching")
    stream_view = state_series(agent)
    agent.stop()
    admin = Agent(agent_config(b, "admin_api"), name="admin").start()
    check(wait_until(lambda: http_get(admin.url + "/readyz")[0] == 200, 60, 0.5, "admin ready"),
          "admin agent ready")
    same = wait_until(lambda: state_series(admin) == stream_view or None, 20, 1, "same series")
    if not same:
        diff = sorted(set(state_series(admin).items()) ^ set(stream_view.items()))[:6]
        log(f"differences: {diff}")
    check(same, f"admin_api gives the same {len(stream_view)} state series as offsets_topic")
    check(value(admin.metrics(), "kafka_sentinel_groups_source", source="admin_api") == 1,
          "the admin agent says admin_api")
    admin.stop()
    stop(live)
    finish()


if __name__ == "__main__":
    main()

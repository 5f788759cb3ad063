"""Health events on a real 3-node Kafka: every type fired and resolved by a real scenario, and
read back from the events topic with Kafka's console consumer (and `kafka-sentinel events`).

Scenarios (the agent collects every second; hysteresis 2 cycles):
1. brokers: stop node 3: broker.down, topic.under_replicated (RF 3 topics),
   topic.under_min_isr (min.insync.replicas 3), topic.partitions_offline (an RF 1 topic);
   start it again: all resolve.
2. host: a procfs root the test controls goes busy and short of memory (host.cpu_high,
   host.memory_pressure), then calm; its /proc/stat disappears for a while
   (agent.collector_failing for the host collector), then comes back.
3. groups: group ev-lagging commits offset 0 of a topic with 200 messages: lag above the
   default threshold (group.lag_messages), lag in seconds above 4 s (group.lag_seconds), no
   member (group.state Empty), lag and no progress without a consumer (group.lag_status
   STOP); kafka-delete-records removes unread messages (group.messages_expired). A real
   consumer then catches up and stays a while: everything resolves. Per-group overrides:
   ev-strict (lag_messages 5, lag_seconds 2 s) fires both with lag 20, and resolves when it
   commits; ev-loose (lag_messages default 50, lag_seconds 1 h) fires neither.
cluster.unreachable is fired and resolved in test-events-outage.py (every node stopped).
Also: nothing fires at startup on a healthy cluster; the events topic is created with the
configured partitions and replication factor; `kafka-sentinel events --follow --type GLOB`
prints new events as they come and exits 0 on SIGINT; every events metric family is exposed
and documented in docs/metrics.md.
Finally: every event is a valid CloudEvent keyed by its subject, every firing is followed
by its resolved event (same key, so same partition, in order), and each id is unique.
"""
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from ksharness import (temp_dir, AGENT, SOURCE_DIR, Agent, KafkaCluster, check,  # noqa: E402
                       check_families_documented, finish, log, series, value, wait_until)
from ksevents import (EVENTS_TOPIC, FakeProcfs, check_cloudevent, has_logged,  # noqa: E402
                      logged_events, read_topic, short, topic_ready_logged)
from ksloadgen import loadgen, start_loadgen, stop  # noqa: E402


def main():
    kafka = KafkaCluster(nodes=3).up()
    B = kafka.bootstrap
    loadgen("create-topics", "--bootstrap", B, "--topics", "ev-rf3:3:3,ev-lag:2:3,ev-small:1:3")
    loadgen("create-topics", "--bootstrap", B, "--topics", "ev-minisr:3:3", "--config",
            "min.insync.replicas=3")
    loadgen("create-topics", "--bootstrap", B, "--topics", "ev-rf1:3:1")

    work = temp_dir(prefix="ks-events-types-")
    procfs = FakeProcfs(os.path.join(work, "proc")).start()
    config = f"""
kafka:
  bootstrap_servers: {B}
  request_timeout: 3s
collectors:
  host:
    interval: 1s
    procfs: {procfs.root}
  brokers:
    interval: 1s
    topics:
      include: ["ev-.*"]
  groups:
    interval: 1s
    status_window_commits: 2
    groups:
      include: ["ev-.*"]
events:
  enabled: true
  partitions: 3
  replication_factor: 3
  cluster_name: itest
  node_name: node-a
  spool:
    dir: {work}/spool
  hysteresis:
    fire_cycles: 2
    resolve_cycles: 2
  groups:
    lag_messages: 50
    lag_seconds: 4s
    states: [Empty]
    overrides:
      - group: "ev-strict"
        lag_messages: 5
        lag_seconds: 2s
      - group: "ev-loose"
        lag_seconds: 1h
  host:
    cpu_utilization: 0.8
    memory_available: 0.2
    cycles: 2
  agent:
    collector_failure_cycles: 2
"""
    # Before any agent ran: no events topic. The reader (the CLI here; a fleet agent taking
    # over a role too) must tell a missing topic from an unreachable cluster.
    cfg = os.path.join(work, "before-any-event.yaml")
    with open(cfg, "w") as f:
        f.write(config)
    r = subprocess.run([AGENT, "events", "--config", cfg], capture_output=True, text=True,
                       timeout=60)
    check(r.returncode == 1 and "no event published yet" in r.stderr and
          "cannot reach" not in r.stderr,
          f"events before the topic exists: a missing topic, not an unreachable cluster "
          f"(exit {r.returncode}: {r.stderr.strip()[:200]})")
    agent = Agent(config, name="events-types", workdir=work).start()

    def wait_logged(state, short_type, subject, timeout=60):
        ok = wait_until(lambda: has_logged(agent, state, short_type, subject), timeout, 0.5,
                        f"{state} {short_type} {subject}")
        return check(bool(ok), f"{state} {short_type} {subject}")

    check(wait_until(lambda: value(agent.metrics(), "kafka_sentinel_events_spool_depth") == 0 and
                     topic_ready_logged(agent), 60, 0.5, "topic created"),
          f"the agent creates {EVENTS_TOPIC}")
    described = kafka.tool("kafka-topics", "--bootstrap-server", B, "--describe", "--topic",
                           EVENTS_TOPIC)
    check(re.search(r"PartitionCount:\s*3\b", described) and
          re.search(r"ReplicationFactor:\s*3\b", described),
          f"{EVENTS_TOPIC} has events.partitions 3 and events.replication_factor 3")

    # Startup on a healthy cluster, before any collector has a history: nothing to report
    # (no broker.down for brokers not seen yet, no lag, CPU or memory event).
    check(wait_until(lambda: all((value(agent.metrics(), "kafka_sentinel_collector_runs_total",
                                        collector=c) or 0) >= 4
                                 for c in ("brokers", "groups", "host")), 60, 0.5,
                     "four cycles of every collector"), "every collector ran four cycles")
    check(logged_events(agent) == [],
          f"no event at startup on a healthy cluster: {logged_events(agent)[:5]}")

    # --- 1. a broker down and back. First, while no consumer group exists: librdkafka 2.0.2
    # crashes (NULL rkcg in rd_kafka_handle_OffsetFetch, librdkafka issue #5040) when a
    # ListConsumerGroupOffsets answer says NOT_COORDINATOR, which the stop of a group's
    # coordinator causes; that is the groups collector's to work around, not this test's.
    log("stopping node 3")
    kafka.stop_node(3)
    wait_logged("firing", "broker.down", "broker/3")
    wait_logged("firing", "topic.under_replicated", "topic/ev-rf3")
    wait_logged("firing", "topic.under_min_isr", "topic/ev-minisr")
    wait_logged("firing", "topic.partitions_offline", "topic/ev-rf1")
    per_partition = [e for e in logged_events(agent)
                     if e[1] == "topic.under_replicated" and e[0] == "firing"]
    check(len(per_partition) <= 4,
          f"one under_replicated event per topic, not per partition ({len(per_partition)})")
    log("starting node 3")
    kafka.start_node(3)
    wait_logged("resolved", "broker.down", "broker/3", timeout=120)
    wait_logged("resolved", "topic.under_replicated", "topic/ev-rf3", timeout=120)
    wait_logged("resolved", "topic.under_min_isr", "topic/ev-minisr", timeout=120)
    wait_logged("resolved", "topic.partitions_offline", "topic/ev-rf1", timeout=120)

    # --- 2. host and the agent's own collectors, watched by `kafka-sentinel events --follow`.
    follow_path = os.path.join(work, "follow.out")
    follow_out = open(follow_path, "w")
    follow = subprocess.Popen([AGENT, "events", "--config", agent.config_path, "--follow",
                               "--type", "host.*"], stdout=follow_out, stderr=subprocess.STDOUT)

    def followed(state, short_type):
        return [l for l in open(follow_path).read().splitlines()
                if f" {state} " in l and f" {short_type} " in l]

    log("host: busy and short of memory")
    procfs.busy = True
    procfs.memory_tight = True
    wait_logged("firing", "host.cpu_high", "host/node-a")
    wait_logged("firing", "host.memory_pressure", "host/node-a")
    procfs.busy = False
    procfs.memory_tight = False
    wait_logged("resolved", "host.cpu_high", "host/node-a")
    wait_logged("resolved", "host.memory_pressure", "host/node-a")
    try:
        check(wait_until(lambda: followed("FIRING", "host.cpu_high") and
                         followed("RESOLVED", "host.cpu_high") and
                         followed("RESOLVED", "host.memory_pressure"), 30, 0.5,
                         "followed host events"),
              "`kafka-sentinel events --follow --type host.*` prints the host events as they "
              "are published")
        follow.send_signal(signal.SIGINT)
        code = follow.wait(10)
    except subprocess.TimeoutExpired:
        code = None
    finally:
        if follow.poll() is None:
            follow.kill()
            follow.wait(5)
        follow_out.close()
    lines = [l for l in open(follow_path).read().splitlines() if l.strip()]
    check(code == 0 and len(lines) == 4 and all(" host." in l for l in lines),
          f"--follow printed only the 4 host events and exited 0 on SIGINT ({code}): {lines}")
    log("host: /proc/stat missing")
    procfs.stat_missing = True
    wait_logged("firing", "agent.collector_failing", "collector/host")
    procfs.stat_missing = False
    wait_logged("resolved", "agent.collector_failing", "collector/host")

    # --- 3. consumer groups.
    loadgen("produce", "--bootstrap", B, "--topics", "ev-lag", "--count", "200", "--rate", "0",
            "--status-interval", "0")
    loadgen("produce", "--bootstrap", B, "--topics", "ev-small", "--count", "20", "--rate", "0",
            "--status-interval", "0")
    loadgen("commit", "--bootstrap", B, "--group", "ev-lagging", "--topic", "ev-lag",
            "--offsets", "0:0,1:0")
    for group in ("ev-strict", "ev-loose"):
        loadgen("commit", "--bootstrap", B, "--group", group, "--topic", "ev-small",
                "--offsets", "0:0")
    wait_logged("firing", "group.lag_messages", "group/ev-lagging/topic/ev-lag")
    wait_logged("firing", "group.state", "group/ev-lagging")
    wait_logged("firing", "group.lag_seconds", "group/ev-lagging/topic/ev-lag")
    wait_logged("firing", "group.lag_status", "group/ev-lagging")
    wait_logged("firing", "group.lag_messages", "group/ev-strict/topic/ev-small")
    check(not has_logged(agent, "firing", "group.lag_messages", "group/ev-loose/topic/ev-small"),
          "ev-loose (default threshold 50) does not fire with lag 20; ev-strict (override 5) does")
    wait_logged("firing", "group.lag_seconds", "group/ev-strict/topic/ev-small")
    log("deleting unread records of ev-lag")
    offsets = os.path.join(work, "delete.json")
    with open(offsets, "w") as f:
        f.write('{"partitions": [{"topic": "ev-lag", "partition": 0, "offset": 30},'
                ' {"topic": "ev-lag", "partition": 1, "offset": 30}], "version": 1}')
    kafka.tool("kafka-delete-records", "--bootstrap-server", B, "--offset-json-file", offsets)
    wait_logged("firing", "group.messages_expired", "group/ev-lagging/topic/ev-lag")

    log("a real consumer catches up")
    consumer = start_loadgen("consume", "--bootstrap", B, "--group", "ev-lagging",
                             "--topics", "ev-lag", "--duration", "60", "--from", "earliest",
                             "--commit-interval-ms", "300")
    try:
        wait_logged("resolved", "group.lag_messages", "group/ev-lagging/topic/ev-lag")
        wait_logged("resolved", "group.lag_seconds", "group/ev-lagging/topic/ev-lag")
        wait_logged("resolved", "group.messages_expired", "group/ev-lagging/topic/ev-lag")
        wait_logged("resolved", "group.lag_status", "group/ev-lagging")
        wait_logged("resolved", "group.state", "group/ev-lagging")
    finally:
        stop(consumer, timeout=15)
    # By now ev-loose has lagged for far more than the default 4 s: only its override of
    # 1 h keeps group.lag_seconds from firing.
    check(not has_logged(agent, "firing", "group.lag_seconds", "group/ev-loose/topic/ev-small"),
          "ev-loose (lag_seconds override 1h) does not fire group.lag_seconds")
    loadgen("commit", "--bootstrap", B, "--group", "ev-strict", "--topic", "ev-small",
            "--offsets", "0:20")
    wait_logged("resolved", "group.lag_messages", "group/ev-strict/topic/ev-small")
    wait_logged("resolved", "group.lag_seconds", "group/ev-strict/topic/ev-small")

    # --- Everything reaches Kafka.
    check(wait_until(lambda: value(agent.metrics(), "kafka_sentinel_events_spool_depth") == 0,
                     60, 0.5, "spool drained"), "the spool drains")
    logged_before = {i for *_, i in logged_events(agent)}

    def counted(result):
        return sum(v for _, v in series(agent.metrics(), "kafka_sentinel_events_total",
                                        result=result))

    delivered_before = counted("delivered")
    topic = read_topic(kafka)
    delivered_after = counted("delivered")
    logged_after = {i for *_, i in logged_events(agent)}
    if os.environ.get("KS_EVENTS_DUMP"):  # examples for docs/events.md
        import json
        with open(os.environ["KS_EVENTS_DUMP"], "w") as f:
            for _, e in topic:
                f.write(json.dumps(e) + "\n")
    log(f"{len(logged_before)} events logged, {len(topic)} read back from {EVENTS_TOPIC}")
    ids = [e["id"] for _, e in topic]
    check(len(ids) == len(set(ids)), "every event id is in the topic once")
    check(logged_before <= set(ids) <= logged_after,
          f"the topic holds exactly the events the agent emitted (missing: "
          f"{sorted(logged_before - set(ids))[:5]}, unknown: {sorted(set(ids) - logged_after)[:5]})")
    problems = [(key, p) for key, e in topic for p in check_cloudevent(e, key)]
    check(not problems, f"every event is a valid CloudEvent keyed by its subject: {problems[:5]}")
    types = {(short(e), e["data"]["state"]) for _, e in topic}
    expected = ["host.cpu_high", "host.memory_pressure", "agent.collector_failing",
                "group.lag_messages", "group.lag_seconds", "group.state", "group.lag_status",
                "group.messages_expired", "broker.down", "topic.under_replicated",
                "topic.under_min_isr", "topic.partitions_offline"]
    for t in expected:
        check((t, "firing") in types and (t, "resolved") in types,
              f"{t}: firing and resolved read back from Kafka")
    with open(os.path.join(SOURCE_DIR, "docs", "events.md")) as f:
        documented = set(re.findall(r"^### `([a-z_.]+)`", f.read(), re.M))
    undocumented = sorted(({short(e) for _, e in topic} | {"cluster.unreachable"}) - documented)
    check(not undocumented, f"every event type has its section in docs/events.md: {undocumented}")
    # Per condition, in topic order: firing, resolved, firing, ... and each resolved names
    # the id of its firing.
    by_condition = {}
    for key, e in topic:
        cond = (e["type"], key, e["data"].get("condition", ""))
        by_condition.setdefault(cond, []).append(e)
    bad = []
    for cond, events in by_condition.items():
        for i, e in enumerate(events):
            want = "firing" if i % 2 == 0 else "resolved"
            if e["data"]["state"] != want:
                bad.append((cond, i, e["data"]["state"]))
            if want == "resolved" and e["data"].get("firing_id") != events[i - 1]["id"]:
                bad.append((cond, i, "firing_id"))
    check(not bad, f"per condition, firing and resolved alternate in Kafka's order: {bad[:5]}")
    # The thresholds crossed, as read back: the default and each group's override.
    lag_seconds_limits = {e["subject"]: e["data"]["thresholds"].get("lag_seconds")
                          for _, e in topic if short(e) == "group.lag_seconds"}
    check(lag_seconds_limits.get("group/ev-lagging/topic/ev-lag") == 4 and
          lag_seconds_limits.get("group/ev-strict/topic/ev-small") == 2,
          f"group.lag_seconds carries the default (4) and the override (2): {lag_seconds_limits}")

    # The events metrics: exposed, counting what reached Kafka, and documented.
    text = agent.metrics_text()
    m = agent.metrics()
    families = ["kafka_sentinel_events_total", "kafka_sentinel_events_spool_depth",
                "kafka_sentinel_events_spool_bytes",
                "kafka_sentinel_events_delivery_latency_seconds",
                "kafka_sentinel_events_delivery_errors_total",
                "kafka_sentinel_events_spool_discarded_bytes_total"]
    check(all(f"# TYPE {f} " in text for f in families), "every events metric family is exposed")
    # Events may still come (ev-lagging is Empty again since its consumer left): compare
    # what was delivered before and after the topic was read.
    check(delivered_before <= len(topic) <= delivered_after,
          f"kafka_sentinel_events_total{{result=delivered}} counts what is in the topic "
          f"({delivered_before} <= {len(topic)} <= {delivered_after})")
    check(wait_until(lambda: counted("spooled") == counted("delivered") and
                     value(agent.metrics(), "kafka_sentinel_events_spool_bytes") == 0, 30, 0.5,
                     "spooled = delivered"),
          "every spooled event is counted delivered, and the spool bytes are back to 0")
    check(value(m, "kafka_sentinel_events_total", type="broker.down", state="firing",
                result="delivered") == 1, "counted by short type and state")
    check(wait_until(lambda: value(agent.metrics(),
                                   "kafka_sentinel_events_delivery_latency_seconds_count") ==
                     counted("delivered"), 10, 0.5, "latency count"),
          "a delivery latency is observed per delivered event")
    check_families_documented(text)
    example = next((e for _, e in topic if short(e) == "broker.down"), None)
    if example:
        check(example["source"] == "/kafka-sentinel/itest/node-a", "source names cluster and node")
        check(example["data"]["observed"].get("broker") == 3, "observed values are included")

    # The CLI reads the same topic.
    r = subprocess.run([AGENT, "events", "--config", agent.config_path, "--type", "broker.*"],
                       capture_output=True, text=True, timeout=120)
    lines = [l for l in r.stdout.splitlines() if l.strip()]
    broker3 = [l for l in lines if " broker/3 " in l]
    check(r.returncode == 0 and all(" broker.down " in l for l in lines) and len(broker3) == 2 and
          " FIRING " in broker3[0] and " RESOLVED " in broker3[1],
          f"`kafka-sentinel events --type broker.*` prints the broker events, readably: {lines}")
    r = subprocess.run([AGENT, "events", "--config", agent.config_path, "--json"],
                       capture_output=True, text=True, timeout=120)
    check(r.returncode == 0 and len(r.stdout.splitlines()) == len(topic),
          "`kafka-sentinel events --json` prints every event")

    code, took = agent.stop()
    check(code == 0, f"agent exits 0 on SIGTERM (got {code} after {took:.1f}s)")
    check(took < 5.5, f"and stops within 5 s ({took:.1f}s)")
    procfs.stop()
    kafka.down()
    finish()


if __name__ == "__main__":
    main()

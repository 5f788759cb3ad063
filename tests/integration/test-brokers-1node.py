"""Broker collector on a real 1-node Kafka, compared with Kafka's own tools.

The agent starts before Kafka: /readyz must answer 503 (and kafka_up 0) until the first
successful metadata cycle, then 200. Topics are created with known partition counts, a known
number of messages is produced, DeleteRecords moves one partition's log-start offset; then,
for EVERY partition, the agent's current/oldest offsets must equal kafka-get-offsets
(GetOffsetShell) --time -1 / -2, and no other partition may be exported. Also: brokers,
cluster id, topic filters (excluded and internal topics), min.insync.replicas, and
kafka_topic_messages_in_per_second while a producer runs at a known rate, then 0.
"""
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from ksharness import (Agent, KafkaCluster, check, finish, http_get, log,  # noqa: E402
                       series, value, wait_until)
from kskafkatools import get_offsets, partition_values  # noqa: E402
from ksloadgen import loadgen, start_loadgen  # noqa: E402

TOPICS = {"bk-orders": 6, "bk-payments": 3, "bk-empty": 2}
EXCLUDED = "bk-ignored"  # matches the exclude regex of the config
MESSAGES = 3000          # produced round-robin over bk-orders and bk-payments
INTERVAL_S = 1


def main():
    kafka = KafkaCluster(nodes=1)
    bootstrap = kafka.node_address(1)  # known before the cluster runs
    config = f"""
log:
  level: info
kafka:
  bootstrap_servers: {bootstrap}
  request_timeout: 3s
collectors:
  host:
    enabled: false
  groups:
    enabled: false
  brokers:
    interval: {INTERVAL_S}s
    topics:
      exclude: ["bk-ignored.*"]
"""
    agent = Agent(config, name="brokers-1node").start()

    # --- before Kafka exists: not ready, kafka_up 0, /metrics answers.
    # Wait for what is checked: a brokers cycle has failed (under load the first one ends
    # later than a few intervals after start; kafka_up is only known after it).
    failed_cycle = wait_until(
        lambda: (value(agent.metrics(), "kafka_sentinel_collector_errors_total",
                       collector="brokers") or 0) >= 1, 60, 0.5, "a failed brokers cycle")
    check(failed_cycle is not None, "a brokers cycle fails while the cluster is unreachable")
    status, body, _ = http_get(agent.url + "/readyz")
    check(status == 503, f"/readyz is 503 before the first successful metadata cycle (got {status})")
    m = agent.metrics()
    check(value(m, "kafka_up") == 0, "kafka_up is 0 while the cluster is unreachable")
    check(not series(m, "kafka_topic_partition_current_offset"), "no offsets while unreachable")

    kafka.up()
    check(wait_until(lambda: http_get(agent.url + "/readyz")[0] == 200, 60, 0.5,
                     "/readyz 200") is not None,
          "/readyz turns 200 after Kafka comes up (first successful metadata cycle)")
    m = agent.metrics()
    check(value(m, "kafka_up") == 1, "kafka_up is 1 once the cluster answers")

    # --- topics with known partition counts, messages, a moved log-start offset.
    specs = ",".join(f"{t}:{n}:1" for t, n in TOPICS.items()) + f",{EXCLUDED}:1:1"
    loadgen("create-topics", "--bootstrap", kafka.bootstrap, "--topics", specs,
            "--config", "min.insync.replicas=1", timeout=90)
    out = loadgen("produce", "--bootstrap", kafka.bootstrap, "--topics",
                  "bk-orders,bk-payments", "--count", str(MESSAGES), "--rate", "0",
                  "--key-space", "97", "--status-interval", "0", timeout=90)
    log(out.strip())
    highs = get_offsets(kafka, "bk-.*", -1)
    check(sum(highs.values()) == MESSAGES,
          f"Kafka holds the {MESSAGES} produced messages (sum of end offsets {sum(highs.values())})")
    # DeleteRecords on the fullest partition: its oldest offset moves to half its end.
    fullest = max((k for k in highs if k[0] == "bk-orders"), key=lambda k: highs[k])
    cut = highs[fullest] // 2
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump({"version": 1, "partitions": [
            {"topic": fullest[0], "partition": fullest[1], "offset": cut}]}, f)
    kafka.tool("kafka-delete-records", "--bootstrap-server", kafka.bootstrap,
               "--offset-json-file", f.name)
    highs = get_offsets(kafka, "bk-.*", -1)
    lows = get_offsets(kafka, "bk-.*", -2)
    check(lows[fullest] == cut, f"Kafka's oldest offset of {fullest} is {cut} after DeleteRecords")
    expected_keys = {(t, p) for t, n in TOPICS.items() for p in range(n)}
    check(set(highs) == expected_keys | {(EXCLUDED, 0)}, "GetOffsetShell lists every partition")

    # --- the agent's view equals Kafka's, for every partition (after its next cycle).
    def agent_matches():
        m = agent.metrics()
        cur = partition_values(m, "kafka_topic_partition_current_offset")
        old = partition_values(m, "kafka_topic_partition_oldest_offset")
        want_cur = {k: v for k, v in highs.items() if k[0] != EXCLUDED}
        want_old = {k: v for k, v in lows.items() if k[0] != EXCLUDED}
        return m if cur == want_cur and old == want_old else None
    m = wait_until(agent_matches, 15, 0.5, "agent offsets equal GetOffsetShell")
    check(m is not None, "current and oldest offsets of every partition equal kafka-get-offsets "
          "--time -1 / -2, and no other partition is exported")
    if m is None:
        m = agent.metrics()
        log(f"agent current: {partition_values(m, 'kafka_topic_partition_current_offset')}")
        log(f"kafka current: {highs}")
        log(f"agent oldest: {partition_values(m, 'kafka_topic_partition_oldest_offset')}")
        log(f"kafka oldest: {lows}")

    # --- topology, filters, cluster (topic configs are read alongside, maybe a cycle later).
    wait_until(lambda: all(value(agent.metrics(), "kafka_topic_min_insync_replicas", topic=t) == 1
                           for t in TOPICS), 15, 0.5, "min.insync.replicas")
    m = agent.metrics()
    for topic, n in TOPICS.items():
        check(value(m, "kafka_topic_partitions", topic=topic) == n,
              f"kafka_topic_partitions{{topic={topic}}} is {n}")
        check(value(m, "kafka_topic_min_insync_replicas", topic=topic) == 1,
              f"kafka_topic_min_insync_replicas{{topic={topic}}} is 1")
    exported_topics = {labels["topic"] for labels, _ in series(m, "kafka_topic_partitions")}
    check(EXCLUDED not in exported_topics, "a topic matching topics.exclude is not exported")
    check(not any(t.startswith("__") for t in exported_topics), "internal topics are not exported")
    check(value(m, "kafka_brokers") == 1, "kafka_brokers is 1")
    check(value(m, "kafka_broker_info", id=1, address=bootstrap) == 1,
          f"kafka_broker_info{{id=1,address={bootstrap}}} is 1")
    check(value(m, "kafka_broker_up", id=1, address=bootstrap) == 1, "kafka_broker_up is 1")
    check(value(m, "kafka_cluster_controller_id") == 1, "kafka_cluster_controller_id is 1")
    cluster_id = kafka.tool("kafka-cluster", "cluster-id", "--bootstrap-server",
                            kafka.bootstrap).strip().split()[-1]
    check(value(m, "kafka_cluster_info", cluster_id=cluster_id) == 1,
          f"kafka_cluster_info carries Kafka's cluster id {cluster_id}")
    for family in ("kafka_topic_partition_leader", "kafka_topic_partition_replicas",
                   "kafka_topic_partition_in_sync_replica",
                   "kafka_topic_partition_leader_is_preferred"):
        rows = series(m, family)
        check(len(rows) == len(expected_keys) and all(v == 1 for _, v in rows),
              f"{family} is 1 for every partition")
    for family in ("kafka_topic_partition_under_replicated_partition",
                   "kafka_topic_partition_offline", "kafka_topic_partition_under_min_isr"):
        rows = series(m, family)
        check(len(rows) == len(expected_keys) and all(v == 0 for _, v in rows),
              f"{family} is 0 for every partition")
    check(value(m, "kafka_broker_partitions", id=1) == len(expected_keys) and
          value(m, "kafka_broker_leader_partitions", id=1) == len(expected_keys),
          "broker 1 hosts and leads every monitored partition")

    # --- messages in per second while a producer runs at a known rate, then 0.
    rate = 200
    producer = start_loadgen("produce", "--bootstrap", kafka.bootstrap, "--topics",
                             "bk-payments", "--rate", str(rate), "--duration", "10",
                             "--status-interval", "0")
    seen = []
    deadline = time.monotonic() + 20
    while producer.poll() is None and time.monotonic() < deadline:
        v = value(agent.metrics(), "kafka_topic_messages_in_per_second", topic="bk-payments")
        if v is not None:
            seen.append(v)
        time.sleep(0.5)
    if producer.poll() is None:
        producer.kill()
    producer.wait(10)
    steady = sorted(seen)[len(seen) // 2] if seen else None
    check(steady is not None and 0.7 * rate <= steady <= 1.3 * rate,
          f"kafka_topic_messages_in_per_second{{topic=bk-payments}} tracks the producer's {rate}/s "
          f"(median {steady}, samples {[round(x) for x in seen]})")
    check(wait_until(lambda: value(agent.metrics(), "kafka_topic_messages_in_per_second",
                                   topic="bk-payments") == 0, 10, 0.5, "rate 0") is not None,
          "kafka_topic_messages_in_per_second drops to 0 when the producer stops")
    m = agent.metrics()
    check(value(m, "kafka_topic_messages_in_per_second", topic="bk-empty") == 0,
          "an idle topic has a rate of 0")

    code, took = agent.stop()
    check(code == 0, f"agent exits 0 on SIGTERM (got {code} after {took:.1f}s)")
    kafka.down()
    finish()


if __name__ == "__main__":
    main()

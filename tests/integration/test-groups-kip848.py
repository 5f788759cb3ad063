"""A KIP-848 (consumer protocol) group on a real Kafka 3.9 is reported from its offsets.

librdkafka 2.0.2 describes groups with the classic DescribeGroups API, which Kafka 3.9
answers with state Dead and no members for a consumer-protocol group (4.x answers
GROUP_ID_NOT_FOUND). The agent must not drop the group nor call it dead: its offsets and lag
are reported, its state comes from ListGroups, members are absent (unknown), and the failed
description is counted.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from ksharness import Agent, KafkaCluster, check, finish, log, series, value, wait_until  # noqa: E402
from kskafkatools import describe_groups  # noqa: E402
from ksloadgen import loadgen  # noqa: E402


class NewProtocolCluster(KafkaCluster):
    """A one-node cluster whose group coordinator also speaks the KIP-848 protocol."""

    def up(self):
        import atexit
        atexit.register(self.down)
        r = self._run("up", "--nodes", "1", "--dir", self.dir, "--port-base", str(self.port_base),
                      "--prop", "group.coordinator.rebalance.protocols=classic,consumer",
                      timeout=300)
        self.bootstrap = r.stdout.strip().splitlines()[-1]
        log(f"kafka up: {self.bootstrap}")
        return self


def main():
    kafka = NewProtocolCluster().up()
    b = kafka.bootstrap
    loadgen("create-topics", "--bootstrap", b, "--topics", "kip848:2:1", timeout=60)
    loadgen("produce", "--bootstrap", b, "--topics", "kip848", "--count", "100", "--rate", "0",
            timeout=60)
    kafka.tool("kafka-console-consumer", "--bootstrap-server", b, "--topic", "kip848",
               "--group", "new-protocol", "--from-beginning", "--max-messages", "30",
               "--consumer-property", "group.protocol=consumer", "--timeout-ms", "20000",
               timeout=90)
    tool = {partition: (current, lag) for (group, _, partition), (current, _, lag)
            in describe_groups(kafka, "--group", "new-protocol").items()
            if group == "new-protocol" and current is not None}
    check(tool, f"the group committed offsets ({tool})")

    for source in ("admin_api", "offsets_topic"):
        check_source(b, source, tool)
    finish()


def check_source(b, source, tool):
    """admin_api: DescribeGroups cannot describe the group (members unknown, an error counted).
    offsets_topic: its KIP-848 records give its members (none once the consumer left), and
    nothing fails."""
    agent = Agent(f"""
kafka:
  bootstrap_servers: "{b}"
collectors:
  host:
    enabled: false
  groups:
    interval: 1s
    source: {source}
""", name=f"agent-{source}").start()
    m = wait_until(lambda: (lambda m: m if series(m, "kafka_consumergroup_current_offset",
                                                  consumergroup="new-protocol") else None)(
        agent.metrics()), 20, 0.5, "the KIP-848 group in /metrics")
    check(m is not None, f"[{source}] a KIP-848 group is reported, not dropped")
    if m:
        got = {int(d["partition"]): (v, value(m, "kafka_consumergroup_lag", **d))
               for d, v in series(m, "kafka_consumergroup_current_offset",
                                  consumergroup="new-protocol")}
        check(got == {p: (float(o), float(lag)) for p, (o, lag) in tool.items()},
              f"[{source}] offsets and lag equal kafka-consumer-groups --describe ({got} vs {tool})")
        info = series(m, "kafka_consumergroup_info", consumergroup="new-protocol")
        log(f"info: {info}")
        check(len(info) == 1 and info[0][0]["state"] in ("Empty", "Stable"),
              f"[{source}] its state comes from ListGroups, not DescribeGroups' Dead")
        members = value(m, "kafka_consumergroup_members", consumergroup="new-protocol")
        errors = value(m, "kafka_sentinel_groups_cycle_errors", kind="describe")
        if source == "admin_api":
            check(members is None, "members unknown: no series")
            check(errors == 1, "the failed description is counted")
        else:
            check(members == 0, f"[{source}] members from its records: 0 once it left ({members})")
            check(errors == 0, f"[{source}] nothing fails ({errors})")
            check(value(m, "kafka_sentinel_groups_offsets_records_total", kind="consumer_group") > 0,
                  f"[{source}] its KIP-848 records were decoded")
    agent.stop()


if __name__ == "__main__":
    main()

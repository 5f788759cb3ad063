"""Kafka's own command-line tools, read into the shapes the integration tests compare the
agent's series with (Python standard library only).

The tools run through KafkaCluster.tool (scripts/kafka-cluster.sh tool NAME ...), against the
test's cluster.
"""
from ksharness import series


def get_offsets(kafka, topic_partitions, time_spec=-1):
    """{(topic, partition): offset} from `kafka-get-offsets` (GetOffsetShell) for the
    partitions of the topics matching `topic_partitions` (a regex, e.g. "bk-.*"); `time_spec`
    -1 is the end (high watermark), -2 the log start. (As a super user on a secured cluster.)"""
    out = kafka.tool("kafka-get-offsets", "--bootstrap-server", kafka.bootstrap,
                     "--topic-partitions", topic_partitions, "--time", str(time_spec),
                     *kafka.admin)
    offsets = {}
    for line in out.split():
        topic, partition, offset = line.rsplit(":", 2)
        offsets[(topic, int(partition))] = int(offset)
    return offsets


def describe_groups(kafka, *selection, timeout=120, bootstrap=None, command_config=None):
    """{(group, topic, partition): (current offset or None, log end offset, lag or None)} from
    the table `kafka-consumer-groups --describe SELECTION` prints (SELECTION: "--all-groups",
    or "--group", NAME, ...). None where the tool prints "-" (no committed offset; no log end
    offset, e.g. for a deleted topic).
    `bootstrap` and `command_config` (a Java client properties file): how the tool connects
    (default: the cluster's bootstrap, as a super user when secured)."""
    config = ["--command-config", command_config] if command_config else kafka.admin
    out = kafka.tool("kafka-consumer-groups", "--bootstrap-server", bootstrap or kafka.bootstrap,
                     "--describe", *selection, *config, timeout=timeout)
    rows = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) < 6 or f[0] == "GROUP" or not f[2].isdigit():
            continue
        current = None if f[3] == "-" else int(f[3])
        lag = None if f[5] == "-" else int(f[5])
        rows[(f[0], f[1], int(f[2]))] = (current, None if f[4] == "-" else int(f[4]), lag)
    return rows


def partition_values(metrics, family):
    """{(topic, partition): value} of a partition-level family of the agent's /metrics, keyed
    as get_offsets keys Kafka's."""
    return {(labels["topic"], int(labels["partition"])): v for labels, v in series(metrics, family)}

"""Shared set-up of the load-during-faults and soak benches (Python standard library only):
a 3-node local Kafka with 2,000 consumer groups x 10 partitions (committed offsets, made with
bench_groups_cycle --setup: AlterConsumerGroupOffsets, 100 calls in flight), and the real
agent with its normal config (config/kafka-sentinel.yaml; only the listen address and the
bootstrap servers are overridden by flags). Everything started here is stopped by PID on
exit (tests/lib/ksharness.py)."""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "lib"))
from ksharness import (BUILD_DIR, SOURCE_DIR, Agent, KafkaCluster, free_port, log,  # noqa: E402,F401
                       value, wait_until)

GROUPS = int(os.environ.get("BENCH_GROUPS", "2000"))
PARTITIONS = 10
TOPICS = max(1, GROUPS // 10)  # group i commits on topic i mod TOPICS, every partition
PREFIX = "lbench"
NORMAL_CONFIG = os.path.join(SOURCE_DIR, "config", "kafka-sentinel.yaml")


def cluster_with_groups():
    """A 3-node cluster with GROUPS groups x PARTITIONS partitions of committed offsets."""
    kafka = KafkaCluster(nodes=3).up()
    started = time.monotonic()
    subprocess.run([os.path.join(BUILD_DIR, "bench", "bench_groups_cycle"), "--bootstrap",
                    kafka.bootstrap, "--setup", str(GROUPS), "--topics", str(TOPICS),
                    "--partitions", str(PARTITIONS), "--prefix", PREFIX],
                   check=True, timeout=1200, stdout=subprocess.DEVNULL)
    log(f"{GROUPS} groups x {PARTITIONS} partitions on {TOPICS} topics set up in "
        f"{time.monotonic() - started:.0f}s")
    return kafka


def agent_with_normal_config(kafka, name="bench"):
    """The agent with config/kafka-sentinel.yaml (every collector every 15 s), started and
    waited for until it monitors every group (bounded: 10 minutes)."""
    with open(NORMAL_CONFIG) as f:
        config = f.read()
    agent = Agent(config, name=name, extra_args=["--bootstrap-servers", kafka.bootstrap,
                                                 "--log-level", "warn"]).start()
    ok = wait_until(lambda: (value(agent.metrics(timeout=30), "kafka_sentinel_groups_monitored")
                             or 0) >= GROUPS, 600, 2, f"{GROUPS} groups monitored")
    if not ok:
        raise RuntimeError(f"the agent did not monitor {GROUPS} groups; log:\n{agent.log_tail()}")
    return agent


def proc_status(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return None


def proc_cpu_seconds(pid):
    """utime + stime of the whole process (every thread), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))

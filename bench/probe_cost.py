"""What the end-to-end probe costs (issue 14, item 7): two agents side by side on a local
3-node Kafka, the same config (the host collector only, every 15 s) except that one runs the
probe at probe.interval 1 s (a partition per broker: 3 messages a second). Over
BENCH_PROBE_SECONDS (default 60, after a 15 s warm-up) it prints each agent's CPU (share of
one core) and RSS, their difference (the probe's cost; targets: under 1% of one core, under
5 MB), and the probe's bytes per second to Kafka (kafka_sentinel_probe_sent_bytes_total:
message keys and values; the consumer reads the same back). Figures only: nothing asserted.
Everything started here is stopped by PID on exit."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from ksbench import Agent, KafkaCluster, log, proc_cpu_seconds, proc_status, value  # noqa: E402

SECONDS = int(os.environ.get("BENCH_PROBE_SECONDS", "60"))
WARMUP_S = 15


def config(bootstrap, probe):
    return f"""
kafka:
  bootstrap_servers: {bootstrap}
collectors:
  brokers:
    enabled: false
  groups:
    enabled: false
probe:
  enabled: {"true" if probe else "false"}
  interval: 1s
"""


def sample(agent):
    pid = agent.proc.pid
    sent = value(agent.metrics(), "kafka_sentinel_probe_sent_bytes_total") or 0
    return time.monotonic(), proc_cpu_seconds(pid), proc_status(pid, "VmRSS") / 1024, sent


def main():
    kafka = KafkaCluster(nodes=3).up()
    try:
        agents = {name: Agent(config(kafka.bootstrap, name == "probe"), name=f"bench-{name}",
                              extra_args=["--log-level", "warn"]).start()
                  for name in ("baseline", "probe")}
        time.sleep(WARMUP_S)  # topic creation, group join, first messages (a bench, not a test)
        start = {n: sample(a) for n, a in agents.items()}
        time.sleep(SECONDS)
        end = {n: sample(a) for n, a in agents.items()}
        cpu, rss = {}, {}
        for n in agents:
            elapsed = end[n][0] - start[n][0]
            cpu[n] = 100 * (end[n][1] - start[n][1]) / elapsed
            rss[n] = end[n][2]
            print(f"{n:9s} CPU {cpu[n]:5.2f}% of one core, RSS {rss[n]:6.1f} MB", flush=True)
        bytes_s = (end["probe"][3] - start["probe"][3]) / (end["probe"][0] - start["probe"][0])
        print(f"probe     +{cpu['probe'] - cpu['baseline']:.2f}% of one core, "
              f"+{rss['probe'] - rss['baseline']:.1f} MB RSS (targets: < 1%, < 5 MB); "
              f"{bytes_s:.0f} B/s produced (and read back) over {SECONDS} s", flush=True)
        for a in agents.values():
            a.stop()
    finally:
        kafka.down()


if __name__ == "__main__":
    main()

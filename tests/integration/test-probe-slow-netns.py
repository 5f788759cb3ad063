"""A slow broker, seen by the end-to-end probe (issue 14): a real 3-node Kafka and the agent
in one network namespace this test creates (named ksp-<pid>; the host's network is never
touched), where `tc netem` delays every packet broker 3 sends from its client port on the
namespace's loopback (a u32 filter on the source port: the agent's produce and fetch answers
from broker 3, nothing of brokers 1 and 2, nor the controllers' traffic).
1. Before: every broker's probe p99 is known and none is slow.
2. netem delay DELAY_MS on broker 3: broker 3's p99 end-to-end latency rises by at least the
   delay (measured from the p99 before), probe.slow fires for broker/3 and for no other
   broker, and brokers 1 and 2 stay under the threshold (DELAY_MS / 2).
3. The delay removed: probe.slow resolves for broker/3.
The probe runs every 0.5 s with probe.slow_window 10 (judged from 10 messages), so each
phase waits for a handful of seconds, not for the default 100 messages.
Needs root, `ip netns`, `tc` (Debian's iproute2) and a kernel with the netem qdisc: otherwise
it exits 77 (ctest: skipped). (The machine it was written on runs a VM kernel without
sch_netem: there it skips.)
Takes about a minute (most of it Kafka starting).
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ksharness import (BUILD_DIR, Agent, KafkaCluster, check, finish, log,  # noqa: E402
                       series, wait_until)
from ksevents import has_logged  # noqa: E402

SKIP = 77
DELAY_MS = 300
INNER_LIMIT_S = 300


def p99_by_broker(agent):
    return {int(l["broker"]): v for l, v in
            series(agent.metrics(), "kafka_sentinel_probe_broker_end_to_end_p99_seconds")}


def tc(*args):
    subprocess.run(["tc", *args], check=True, capture_output=True, timeout=30)


def delay_port(port, delay_ms):
    """Packets from `port` on lo go to a netem band; everything else as before."""
    tc("qdisc", "add", "dev", "lo", "root", "handle", "1:", "prio", "bands", "4", "priomap",
       *"1 2 2 2 1 2 0 0 1 1 1 1 1 1 1 1".split())
    tc("qdisc", "add", "dev", "lo", "parent", "1:4", "handle", "40:", "netem", "delay",
       f"{delay_ms}ms")
    tc("filter", "add", "dev", "lo", "parent", "1:0", "protocol", "ip", "prio", "1", "u32",
       "match", "ip", "sport", str(port), "0xffff", "flowid", "1:4")


def inner():
    kafka = KafkaCluster(nodes=3).up()
    work = tempfile.mkdtemp(prefix="ks-probe-slow-")
    agent = Agent(f"""
kafka:
  bootstrap_servers: {kafka.bootstrap}
  request_timeout: 3s
collectors:
  host:
    enabled: false
  brokers:
    enabled: false
  groups:
    enabled: false
events:
  enabled: true
  cluster_name: itest
  node_name: probe-slow
  spool:
    dir: {work}/spool
probe:
  enabled: true
  interval: 500ms
  timeout: 5s
  slow_threshold: {DELAY_MS // 2}ms
  slow_window: 10
  failing_intervals: 3
""", name="probe-slow", workdir=work).start()
    try:
        # The first messages of a run are slower (connections, group join): the window of
        # 10 is waited for to hold only steady ones.
        before = wait_until(lambda: (lambda p: len(p) == 3 and all(
            v < DELAY_MS / 2000 for v in p.values()) and p)(p99_by_broker(agent)), 120, 0.5,
            "every broker's p99 under the threshold")
        check(bool(before), f"before: every broker's p99 known and under the threshold: {before}")
        port = int(kafka.node_address(3).rsplit(":", 1)[1])
        delay_port(port, DELAY_MS)
        log(f"netem: {DELAY_MS} ms on packets from broker 3 (port {port})")
        fired = wait_until(lambda: has_logged(agent, "firing", "probe.slow", "broker/3"), 60, 0.5,
                           "probe.slow for broker/3")
        check(bool(fired), "delayed: probe.slow fires for broker/3")
        during = p99_by_broker(agent)
        rise = during.get(3, 0) - (before or {}).get(3, 0)
        check(rise >= DELAY_MS / 1000, f"broker 3's p99 rose by at least the delay: +{rise:.3f} s "
              f"({during})")
        check(all(during.get(b, 1) < DELAY_MS / 2000 for b in (1, 2)),
              f"brokers 1 and 2 stay under the threshold: {during}")
        check(not any(has_logged(agent, "firing", "probe.slow", f"broker/{b}") for b in (1, 2)),
              "no probe.slow for broker/1 or broker/2")
        tc("qdisc", "del", "dev", "lo", "root")
        resolved = wait_until(lambda: has_logged(agent, "resolved", "probe.slow", "broker/3"), 60,
                              0.5, "probe.slow resolved for broker/3")
        check(bool(resolved), f"delay removed: probe.slow resolves for broker/3 ({p99_by_broker(agent)})")
    finally:
        log(agent.log_tail(10))
        agent.stop()
        kafka.down()
    finish()


def outer():
    if os.geteuid() != 0:
        print("SKIP: needs root (network namespaces, tc)", flush=True)
        sys.exit(SKIP)
    if shutil.which("ip") is None or shutil.which("tc") is None:
        print("SKIP: `ip` or `tc` (iproute2) not found", flush=True)
        sys.exit(SKIP)
    ns = f"ksp-{os.getpid()}"
    if subprocess.run(["ip", "netns", "add", ns], capture_output=True).returncode != 0:
        print("SKIP: cannot create a network namespace", flush=True)
        sys.exit(SKIP)
    code = 1
    try:
        subprocess.run(["ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"], check=True)
        # A kernel without sch_netem (some VM kernels) cannot delay anything: skipped.
        if subprocess.run(["ip", "netns", "exec", ns, "tc", "qdisc", "add", "dev", "lo", "root",
                           "netem", "delay", "1ms"], capture_output=True).returncode != 0:
            print("SKIP: the kernel has no netem qdisc (sch_netem)", flush=True)
            code = SKIP
            return
        subprocess.run(["ip", "netns", "exec", ns, "tc", "qdisc", "del", "dev", "lo", "root"],
                       check=True)
        env = {**os.environ, "KS_BUILD_DIR": BUILD_DIR, "PYTHONUNBUFFERED": "1"}
        child = subprocess.Popen(["ip", "netns", "exec", ns, sys.executable,
                                  os.path.abspath(__file__), "--inside"], env=env)
        try:
            code = child.wait(INNER_LIMIT_S)
        except subprocess.TimeoutExpired:
            print("the test overran its limit: SIGTERM", flush=True)
            child.send_signal(signal.SIGTERM)
            child.wait(60)
            code = 1
    finally:
        # What the inner process left (it stops Kafka and the agent itself): killed by PID.
        pids = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True).stdout
        for p in pids.split():
            try:
                os.kill(int(p), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        sys.exit(code)


if __name__ == "__main__":
    if sys.argv[1:] == ["--inside"]:
        inner()
    else:
        outer()

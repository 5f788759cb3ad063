"""Lifecycle of the real binary: /healthz, /readyz (503 naming a collector that never
succeeded, with its last error; 200 once every collector has), no spinning while a source is
broken or Kafka is unreachable, and SIGTERM / SIGINT stop it cleanly (exit 0) within 5 s,
also while Kafka calls are in flight. (/readyz 200 with the Kafka collectors on: the
integration tests.)"""
import json
import os
import signal
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from ksharness import (AGENT, Agent, FIXTURES, base_config, check, collector_runs,  # noqa: E402
                       finish, http_get, value, wait_for_cycles, wait_until)

# A host whose /proc/stat is truncated: the host collector fails on every cycle.
broken = f"""
kafka:
  bootstrap_servers: 127.0.0.1:1
collectors:
  host:
    interval: 1s
    procfs: {FIXTURES}/procfs/truncated-stat
  brokers:
    enabled: false
  groups:
    enabled: false
"""
agent = Agent(broken, name="broken-host").start()
status, body, _ = http_get(agent.url + "/healthz")
check(status == 200 and body == "ok\n", "/healthz is 200 while alive")
status, body, _ = http_get(agent.url + "/")
check(status == 200 and "/metrics" in body and "/readyz" in body, "index lists the endpoints")

m = wait_until(lambda: (lambda m: m if value(m, "kafka_sentinel_collector_errors_total",
                                             collector="host") else None)(agent.metrics()),
               15, 0.3, "a failed host cycle")
check(m is not None and value(m, "kafka_sentinel_collector_success", collector="host") == 0,
      "a failing collector shows kafka_sentinel_collector_success 0")
check(m is not None and value(m, "node_load1") is None, "a failed parse publishes no garbage metric")
status, body, _ = http_get(agent.url + "/readyz")
check(status == 503, f"/readyz is 503 while a collector never succeeded (got {status})")
ready = json.loads(body)
missing = {entry["collector"]: entry["last_error"] for entry in ready["not_ready"]}
check("host" in missing and "stat" in missing["host"],
      f"/readyz names the collector and its last error: {missing}")

# It must not spin while its source is broken: CPU time over a window of 5 host cycles (~5 s
# at 1 s each; longer on a busy machine, where a busy loop would use even more) stays small
# (a busy loop would use ~5 s of CPU; this is CPU time, not a wall-clock assertion).
cpu_before = value(agent.metrics(), "process_cpu_seconds_total")
after = wait_for_cycles(agent, "host", 5, 60)
cpu_after = value(after, "process_cpu_seconds_total") if after else None
check(cpu_before is not None and cpu_after is not None and cpu_after - cpu_before < 1.0,
      f"no spinning: {None if cpu_after is None else cpu_after - cpu_before} CPU s in 5 host cycles")
code, took = agent.stop(signal.SIGTERM, timeout=10)
check(code == 0 and took < 5, f"SIGTERM: exit code {code} after {took:.2f} s (want 0 within 5 s)")

healthy = f"""
kafka:
  bootstrap_servers: 127.0.0.1:1
collectors:
  host:
    interval: 1s
    procfs: {FIXTURES}/procfs/normal
  brokers:
    enabled: false
  groups:
    enabled: false
"""
agent2 = Agent(healthy, name="healthy-host").start()
ok = wait_until(lambda: http_get(agent2.url + "/readyz")[0] == 200, 15, 0.3, "/readyz 200")
check(ok is not None, "/readyz turns 200 once every collector has succeeded")
code, took = agent2.stop(signal.SIGINT, timeout=10)
check(code == 0 and took < 5, f"SIGINT: exit code {code} after {took:.2f} s (want 0 within 5 s)")

# Kafka unreachable: the Kafka collectors fail, the host collector is unaffected.
config = base_config()

agent3 = Agent(config, name="no-kafka").start()


def readyz(agent):
    status, body, _ = http_get(agent.url + "/readyz")
    return status, {e["collector"]: e["last_error"] for e in json.loads(body)["not_ready"]}


def names_refusal(agent):
    status, missing = readyz(agent)
    return (status, missing) if all("Connection refused" in missing.get(c, "")
                                    for c in ("brokers", "groups")) else None


# Before the first Kafka cycle ends (it waits up to kafka.request_timeout, 10 s here),
# /readyz already says why: librdkafka's last failure, not only "no cycle finished yet".
status, early = wait_until(lambda: names_refusal(agent3), 30, 0.1,
                           "/readyz naming the connection failure") or readyz(agent3)
runs = {c: collector_runs(agent3.metrics(), c) for c in ("brokers", "groups")}
check(status == 503 and all("Connection refused" in early.get(c, "") for c in ("brokers", "groups")),
      f"/readyz during the first cycle names the connection failure: {early}")
check(runs == {"brokers": 0, "groups": 0},
      f"(that /readyz was read before the first Kafka cycle ended: cycles run {runs})")

m = wait_until(lambda: (lambda m: m if value(m, "node_load1") is not None else None)(agent3.metrics()),
               15, 0.3, "host metrics")
check(m is not None, "host metrics are served with Kafka unreachable")
check(m is not None and value(m, "kafka_sentinel_collector_success", collector="host") == 1,
      "host collector succeeds")

# It must not spin while Kafka is unreachable: CPU time over a window of 5 host cycles stays
# small (a busy loop would use ~5 s of CPU here; this is CPU time, not a wall-clock assertion).
cpu_before = value(agent3.metrics(), "process_cpu_seconds_total")
after = wait_for_cycles(agent3, "host", 5, 60)
cpu_after = value(after, "process_cpu_seconds_total") if after else None
check(cpu_before is not None and cpu_after is not None and cpu_after - cpu_before < 1.0,
      f"no spinning with Kafka unreachable: {cpu_after - cpu_before if cpu_after else None} CPU s "
      f"in 5 host cycles")

# Once a Kafka cycle has failed (not only begun), /readyz still says 503 and why.
failed = wait_until(lambda: all(collector_runs(agent3.metrics(), c) >= 1 for c in ("brokers", "groups")),
                    60, 0.2, "a finished brokers and groups cycle")
check(failed is not None, "the brokers and groups collectors finish a (failed) cycle")
status, missing = readyz(agent3)
check(status == 503, f"/readyz is 503 with Kafka unreachable (got {status})")
check("brokers" in missing and "groups" in missing,
      f"/readyz names the brokers and groups collectors as not ready: {missing}")
check("host" not in missing, "/readyz does not name the host collector")
check(all(missing.values()), f"/readyz gives each missing collector's last error: {missing}")

check(agent3.alive(), "still running")

# A second agent on the same port must fail, not share it: cpp-httplib's default socket
# options (SO_REUSEPORT) would let it bind and the kernel would split scrapes between them.
clash = Agent(config, name="port-clash")  # for its config file; started by hand below
r = subprocess.run([AGENT, "run", "--config", clash.config_path,
                    "--listen", f"127.0.0.1:{agent3.port}"],
                   capture_output=True, text=True, timeout=30)
check(r.returncode != 0 and f"cannot listen on 127.0.0.1:{agent3.port}" in (r.stdout + r.stderr),
      f"a second agent on a port in use exits with an error (exit {r.returncode}): "
      f"{(r.stdout + r.stderr).strip()[-200:]}")
check(http_get(agent3.url + "/healthz")[0] == 200, "the first agent still serves its port")


def stops_cleanly(agent, sig, what):
    """Exit 0 within 5 s, every thread joined (no collector given up on)."""
    code, took = agent.stop(sig, timeout=15)
    check(code == 0 and took < 5,
          f"{what}: exit code {code} after {took:.2f} s (want 0 within 5 s)")
    tail = agent.log_tail(200)
    check("did not stop in time" not in tail and "stopped" in tail,
          f"{what}: every thread joined (no collector left running)\n{tail[-600:]}")


stops_cleanly(agent3, signal.SIGTERM, "SIGTERM, Kafka unreachable for a while")


def kafka_calls_under_way(agent, what, first_cycle=True):
    """Waits until the agent's Kafka clients have had a connection refused (their calls are
    under way); with `first_cycle`, checks that the first brokers cycle has not ended yet (with
    the fleet on, a brokers cycle without the leader's role sends nothing and ends at once)."""
    refused = wait_until(lambda: (value(agent.metrics(), "kafka_sentinel_kafka_failures_total",
                                        cause="connection_refused") or 0) >= 1,
                         30, 0.1, f"{what}: a refused connection")
    runs = collector_runs(agent.metrics(), "brokers")
    check(refused is not None and (runs == 0 or not first_cycle),
          f"{what}: signalled while Kafka calls are in flight (refused connections seen: "
          f"{refused is not None}; brokers cycles finished: {runs})")

# Signals during the first Kafka cycle, Kafka unreachable (request_timeout 10 s): the agent
# must not wait for librdkafka's timeouts, with the fleet or the events on either.
agent4 = Agent(config, name="sigint").start()
kafka_calls_under_way(agent4, "SIGINT")
stops_cleanly(agent4, signal.SIGINT, "SIGINT during the first Kafka cycle")

with_fleet = Agent(config + "fleet:\n  enabled: true\n", name="fleet-no-kafka").start()
kafka_calls_under_way(with_fleet, "fleet on", first_cycle=False)
stops_cleanly(with_fleet, signal.SIGTERM, "SIGTERM, fleet on, Kafka unreachable")

spool = os.path.join(with_fleet.workdir, "spool")
with_events = Agent(config + f"events:\n  enabled: true\n  spool:\n    dir: {spool}\n",
                    name="events-no-kafka").start()
kafka_calls_under_way(with_events, "events on")
stops_cleanly(with_events, signal.SIGTERM, "SIGTERM, events on, Kafka unreachable")
finish()

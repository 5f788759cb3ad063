"""Lifecycle of the real binary: /healthz, /readyz (503 naming a collector that never
succeeded, with its last error; 200 once every collector has), no spinning while a source is
broken or Kafka is unreachable, and SIGTERM / SIGINT stop it cleanly (exit 0) within 5 s,
also while Kafka calls are in flight. (/readyz 200 with the Kafka collectors on: the
integration tests.)"""
import json
import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from ksharness import Agent, FIXTURES, check, finish, http_get, value, wait_until  # noqa: E402

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

# It must not spin while its source is broken: CPU time over a 5 s window stays small
# (a busy loop would use ~5 s of CPU; this is CPU time, not a wall-clock assertion).
cpu_before = value(agent.metrics(), "process_cpu_seconds_total")
time.sleep(5)
cpu_after = value(agent.metrics(), "process_cpu_seconds_total")
check(cpu_before is not None and cpu_after is not None and cpu_after - cpu_before < 1.0,
      f"no spinning: {None if cpu_after is None else cpu_after - cpu_before} CPU s in 5 s")
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
config = """
kafka:
  bootstrap_servers: 127.0.0.1:1
collectors:
  host:
    interval: 1s
  brokers:
    interval: 1s
  groups:
    interval: 1s
"""

agent3 = Agent(config, name="no-kafka").start()

m = wait_until(lambda: (lambda m: m if value(m, "node_load1") is not None else None)(agent3.metrics()),
               15, 0.3, "host metrics")
check(m is not None, "host metrics are served with Kafka unreachable")
check(m is not None and value(m, "kafka_sentinel_collector_success", collector="host") == 1,
      "host collector succeeds")

time.sleep(3)
status, body, _ = http_get(agent3.url + "/readyz")
check(status == 503, f"/readyz is 503 with Kafka unreachable (got {status})")
ready = json.loads(body)
missing = {entry["collector"]: entry["last_error"] for entry in ready["not_ready"]}
check("brokers" in missing and "groups" in missing,
      f"/readyz names the brokers and groups collectors as not ready: {missing}")
check("host" not in missing, "/readyz does not name the host collector")
check(all(missing.values()), f"/readyz gives each missing collector's last error: {missing}")

# It must not spin while Kafka is unreachable: CPU time over a 5 s window stays small
# (a busy loop would use ~5 s of CPU here; this is CPU time, not a wall-clock assertion).
cpu_before = value(agent3.metrics(), "process_cpu_seconds_total")
time.sleep(5)
cpu_after = value(agent3.metrics(), "process_cpu_seconds_total")
check(cpu_before is not None and cpu_after is not None and cpu_after - cpu_before < 1.0,
      f"no spinning with Kafka unreachable: {cpu_after - cpu_before if cpu_after else None} CPU s in 5 s")
check(agent3.alive(), "still running")

code, took = agent3.stop(signal.SIGTERM, timeout=10)
check(code == 0 and took < 5, f"SIGTERM: exit code {code} after {took:.2f} s (want 0 within 5 s)")

agent4 = Agent(config, name="sigint").start()
time.sleep(1.5)
code, took = agent4.stop(signal.SIGINT, timeout=10)
check(code == 0 and took < 5, f"SIGINT: exit code {code} after {took:.2f} s (want 0 within 5 s)")
finish()

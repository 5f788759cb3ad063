"""A full health-event spool drops its oldest events, and never silently: each one is logged
(by id) and counted in kafka_sentinel_events_total{result="dropped"}; the newest are kept,
also across a restart.

No Kafka is needed: the agent points at a port nobody listens on, so nothing can be
delivered. A procfs root the test controls flips between busy and idle every second; with
host hysteresis 1 every flip is an event (host.cpu_high firing or resolved), far more than
the spool's 10.
"""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from ksharness import (temp_dir, Agent, check, finish, log, series, value, wait_for_cycles,  # noqa: E402
                       wait_until)
from ksevents import FakeProcfs, logged_events  # noqa: E402

MAX_EVENTS = 10
_DROPPED = re.compile(r"spool full \(10 events / \d+ bytes\): dropped the oldest undelivered "
                      r"event ([0-9a-f]{32}) \((firing|resolved) host\.cpu_high host/node-a\)")


def dropped_in_log(agent):
    with open(agent.log_path, errors="replace") as f:
        return [m.group(1) for m in _DROPPED.finditer(f.read())]


def counted(agent, result):
    return sum(v for _, v in series(agent.metrics(), "kafka_sentinel_events_total", result=result))


def main():
    work = temp_dir(prefix="ks-events-spool-full-")
    procfs = FakeProcfs(os.path.join(work, "proc")).start()
    config = f"""
kafka:
  bootstrap_servers: 127.0.0.1:1
  request_timeout: 1s
collectors:
  host:
    interval: 200ms
    procfs: {procfs.root}
  brokers:
    enabled: false
  groups:
    enabled: false
events:
  enabled: true
  cluster_name: offline
  node_name: node-a
  spool:
    dir: {work}/spool
    max_events: {MAX_EVENTS}
  host:
    cpu_utilization: 0.8
    memory_available: 0
    cycles: 1
"""
    agent = Agent(config, name="spool-full", workdir=work).start()
    try:
        # Each flip is an event (host.cpu_high firing, then resolved): flip, then wait for it.
        for _ in range(MAX_EVENTS + 5):
            before = len(logged_events(agent))
            procfs.busy = not procfs.busy
            if not wait_until(lambda: len(logged_events(agent)) > before, 20, 0.1,
                              f"the event of a flip to {'busy' if procfs.busy else 'idle'}"):
                break
        logged = [i for *_, i in logged_events(agent)]
        log(f"{len(logged)} events emitted")
        check(len(logged) >= MAX_EVENTS + 5, f"more events than the spool holds ({len(logged)})")
        check(wait_until(lambda: agent.metrics() and
                         value(agent.metrics(), "kafka_sentinel_events_spool_depth") == MAX_EVENTS,
                         10, 0.2, "a full spool"), f"the spool holds {MAX_EVENTS} events, no more")
        procfs.busy = False
        # The last flip's event, if any, is spooled: a few host cycles see the idle CPU.
        check(wait_for_cycles(agent, "host", 3, 30) is not None, "3 more host cycles run")
        logged = [i for *_, i in logged_events(agent)]
        dropped = dropped_in_log(agent)
        check(dropped == logged[:len(dropped)] and len(dropped) == len(logged) - MAX_EVENTS,
              f"the oldest are dropped, each logged by id ({len(dropped)} of {len(logged)})")
        check(counted(agent, "dropped") == len(dropped) and
              counted(agent, "spooled") == len(logged),
              f"kafka_sentinel_events_total counts them: spooled {counted(agent, 'spooled')}, "
              f"dropped {counted(agent, 'dropped')}")
        check(counted(agent, "delivered") == 0, "nothing was delivered (no Kafka)")
        code, _ = agent.stop()
        check(code == 0, f"the agent exits 0 on SIGTERM ({code})")

        procfs.stop()  # no new event after the restart
        agent = Agent(config, name="spool-full", workdir=work).start()
        check(wait_until(lambda: value(agent.metrics(), "kafka_sentinel_events_spool_depth") ==
                         MAX_EVENTS, 10, 0.2, "spool reopened"),
              f"after a restart the {MAX_EVENTS} newest events are still pending")
        code, _ = agent.stop()
        check(code == 0, f"the restarted agent exits 0 on SIGTERM ({code})")
    finally:
        agent.kill()
        procfs.stop()
    finish()


if __name__ == "__main__":
    main()

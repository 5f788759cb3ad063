"""Logging as configured: log.format json gives one JSON object per line (time, level,
msg), also for librdkafka's lines and messages with quotes; --log-level overrides the
file's level in both directions. Kafka unreachable, so that warnings are logged."""
import json
import os
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from ksharness import Agent, base_config, check, finish, log, wait_for_cycles  # noqa: E402

BASE = base_config(request_timeout="1s")


def run(config, name, cycles=3, extra_args=()):
    """The agent's log lines after `cycles` (failed) brokers cycles and a SIGTERM."""
    agent = Agent(config, name=name, extra_args=extra_args).start()
    check(wait_for_cycles(agent, "brokers", cycles, 60) is not None,
          f"{name}: {cycles} brokers cycles run")
    code, _ = agent.stop(signal.SIGTERM)
    check(code == 0, f"{name}: exit 0 (got {code})")
    with open(agent.log_path, errors="replace") as f:
        return [line.rstrip("\n") for line in f if line.strip()]


# JSON lines: every line is an object with the three fields, levels as spdlog names them.
lines = run(BASE + "log:\n  format: json\n  level: debug\n", "json")
parsed, broken = [], []
for line in lines:
    try:
        parsed.append(json.loads(line))
    except ValueError:
        broken.append(line)
check(not broken and len(parsed) >= 5, f"{len(parsed)} lines, every one a JSON object "
                                      f"(not JSON: {broken[:3]})")
check(all({"time", "level", "msg"} <= set(p) for p in parsed),
      "each has time, level and msg")
levels = {p.get("level") for p in parsed}
check({"info", "warning", "debug"} <= levels, f"debug, info and warning lines ({sorted(levels)})")
check(any("librdkafka" in p.get("msg", "") for p in parsed),
      "librdkafka's lines are JSON too")
check(any(p.get("msg", "").startswith("collector brokers failed") for p in parsed),
      "the failing collector's warning is there")

# --log-level overrides the file: warn hides info, debug shows debug.
quiet = run(BASE + "log:\n  level: debug\n", "quiet", extra_args=("--log-level", "warn"))
log(f"--log-level warn: {len(quiet)} lines")
check(quiet and not [l for l in quiet if " info " in l[:40] or " debug " in l[:40]],
      f"--log-level warn over a file's debug: no info or debug line ({quiet[:2]})")
check(any(" warning " in l[:40] for l in quiet), "--log-level warn still logs warnings")
loud = run(BASE + "log:\n  level: error\n", "loud", extra_args=("--log-level", "debug"))
check(any(" debug " in l[:40] for l in loud) and any(" info " in l[:40] for l in loud),
      f"--log-level debug over a file's error: debug and info lines ({len(loud)} lines)")
finish()

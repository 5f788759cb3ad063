"""The project's load generator (kafka-sentinel-loadgen) for the integration tests (Python
standard library only).

`loadgen` runs a one-shot command (create-topics, produce --count, commit) and returns its
stdout, or raises with the tail of its stderr. `start_loadgen` runs a long-lived one (produce
at a rate, consume) in the background, its output discarded, and `stop` ends it: SIGTERM,
then SIGKILL if it has not exited in time. Every process `start_loadgen` started is stopped
by PID when the test ends (`stop_all`, also registered with atexit), whatever happens.
"""
import atexit
import os
import signal
import subprocess
import time

from ksharness import BUILD_DIR, log

LOADGEN = os.path.join(BUILD_DIR, "tools", "kafka-sentinel-loadgen")

_started = []


def loadgen(*args, timeout=120, attempts=1, retry_delay=1):
    """Runs `kafka-sentinel-loadgen ARGS...` to completion and returns its stdout.

    `attempts` > 1 retries a failure after `retry_delay` seconds (e.g. the first commits of a
    new cluster race the creation of __consumer_offsets: "Not coordinator", "load in
    progress"). Raises RuntimeError with the exit code and the last 2,000 characters of
    stderr once the last attempt failed."""
    for attempt in range(1, attempts + 1):
        # errors="replace": loadgen echoes names (groups, topics) that may not be UTF-8
        r = subprocess.run([LOADGEN, *args], capture_output=True, text=True, errors="replace",
                           timeout=timeout)
        if r.returncode == 0:
            return r.stdout
        if attempt < attempts:
            log(f"loadgen {args[0]} failed ({r.stderr.strip().splitlines()[-1:]}); retrying")
            time.sleep(retry_delay)
    raise RuntimeError(f"loadgen {' '.join(args)} failed ({r.returncode}):\n{r.stderr[-2000:]}")


def start_loadgen(*args, name=None):
    """Starts `kafka-sentinel-loadgen ARGS...` in the background (stdout and stderr
    discarded) and returns its Popen; `name` is kept as `ks_name` for the test's messages."""
    p = subprocess.Popen([LOADGEN, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    p.ks_name = name or args[0]
    if not _started:
        atexit.register(stop_all)
    _started.append(p)
    return p


def stop(p, timeout=20):
    """Stops a process (a loadgen or any other Popen): SIGTERM, then SIGKILL after
    `timeout` seconds. Does nothing when it has exited already."""
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)


def stop_all():
    """Stops every loadgen `start_loadgen` started, the last started first."""
    for p in reversed(_started):
        stop(p)

"""Helpers of the health-event integration tests (Python standard library only).

Events are read back from Kafka with Kafka's own console consumer, and from the agent's log
(one "event firing|resolved TYPE SUBJECT [SEVERITY] id=ID: SUMMARY" line per event spooled).
"""
import json
import os
import re
import shutil
import threading

from ksharness import FIXTURES, log

EVENTS_TOPIC = "kafka-sentinel-health"
PREFIX = "io.kafka-sentinel."

def topic_ready_logged(agent, topic=EVENTS_TOPIC):
    """Whether the agent logged that it created the events topic, or found it there after a
    create of its own that failed (on a busy machine CreateTopics may time out at the client
    while the broker carries it out)."""
    with open(agent.log_path, errors="replace") as f:
        text = f.read()
    return f"created topic {topic} " in text or f"topic {topic} is there now" in text


_LOG_EVENT = re.compile(
    r"event (firing|resolved) (\S+) (.+?) \[(\w+)\] id=([0-9a-f]{32}): (.*)$")


def logged_events(agent):
    """[(state, short type, subject, id)] in the order the agent spooled them (every run)."""
    out = []
    try:
        with open(agent.log_path, errors="replace") as f:
            for line in f:
                m = _LOG_EVENT.search(line.rstrip("\n"))
                if m:
                    out.append((m.group(1), m.group(2), m.group(3), m.group(5)))
    except OSError:
        pass
    return out


def has_logged(agent, state, short_type, subject=None, since=0):
    """Whether the agent logged such an event; `since`: among its events after the first
    `since` (len(logged_events(agent)) taken earlier)."""
    return any(s == state and t == short_type and (subject is None or subj == subject)
               for s, t, subj, _ in logged_events(agent)[since:])


def read_topic(kafka, topic=EVENTS_TOPIC, timeout_ms=15000):
    """[(key, event dict)] of the whole topic, read with kafka-console-consumer (per
    partition in offset order; partitions one after the other)."""
    out = kafka.tool("kafka-console-consumer", "--bootstrap-server", kafka.bootstrap,
                     "--topic", topic, "--from-beginning", "--property", "print.key=true",
                     "--property", "print.partition=true", "--timeout-ms", str(timeout_ms),
                     *consumer_config(kafka), timeout=180, check=False)
    events = []
    for line in out.splitlines():
        parts = line.split("\t", 2)
        if len(parts) != 3 or not parts[0].startswith("Partition:"):
            continue
        try:
            events.append((parts[1], json.loads(parts[2])))
        except ValueError:
            log(f"not JSON in {topic}: {line[:200]!r}")
    return events


def consumer_config(kafka):
    """kafka-console-consumer's arguments to read as a super user (a secured cluster)."""
    return ["--consumer.config", kafka.env["ADMIN_PROPERTIES"]] if kafka.admin else []


def short(event):
    t = event.get("type", "")
    return t[len(PREFIX):] if t.startswith(PREFIX) else t


def check_cloudevent(event, key):
    """Problems with one event read back (empty list when it is a valid health event)."""
    problems = []
    for attr in ("specversion", "id", "source", "type", "subject", "time", "datacontenttype"):
        if not isinstance(event.get(attr), str) or not event.get(attr):
            problems.append(f"missing {attr}")
    if event.get("specversion") != "1.0":
        problems.append("specversion is not 1.0")
    if event.get("datacontenttype") != "application/json":
        problems.append("datacontenttype is not application/json")
    if not str(event.get("type", "")).startswith(PREFIX):
        problems.append(f"type {event.get('type')} lacks the prefix")
    if event.get("subject") != key:
        problems.append(f"key {key!r} is not the subject {event.get('subject')!r}")
    data = event.get("data") or {}
    if data.get("state") not in ("firing", "resolved"):
        problems.append("data.state")
    if data.get("severity") not in ("info", "warning", "critical"):
        problems.append("data.severity")
    for field in ("summary", "since", "observed", "thresholds"):
        if field not in data:
            problems.append(f"data.{field} missing")
    if not re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", event.get("time", "")):
        problems.append(f"time {event.get('time')!r} is not RFC 3339 UTC")
    return problems


class FakeProcfs:
    """A procfs root the test controls: CPU busy or idle, memory tight or plenty, /proc/stat
    present or missing. A thread advances the CPU counters every 0.2 s."""

    def __init__(self, root):
        self.root = root
        shutil.copytree(os.path.join(FIXTURES, "procfs", "normal"), root)
        self.busy = False
        self.memory_tight = False
        self.stat_missing = False
        self.user = 1000.0
        self.idle = 1000.0
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self._write()

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.stop_event.set()
        self.thread.join(5)

    def _replace(self, name, text):
        path = os.path.join(self.root, name)
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, path)

    def _write(self):
        # USER_HZ ticks: 20 per 0.2 s per CPU, busy = 95% user.
        self.user += 19 if self.busy else 1
        self.idle += 1 if self.busy else 19
        u, i = int(self.user), int(self.idle)
        stat = (f"cpu  {u} 0 0 {i} 0 0 0 0 0 0\n"
                f"cpu0 {u} 0 0 {i} 0 0 0 0 0 0\n"
                "intr 1 0\nctxt 1\nbtime 1700000000\nprocesses 1\nprocs_running 1\n"
                "procs_blocked 0\n")
        if self.stat_missing:
            try:
                os.remove(os.path.join(self.root, "stat"))
            except FileNotFoundError:
                pass
        else:
            self._replace("stat", stat)
        available = 400000 if self.memory_tight else 6000000
        self._replace("meminfo", f"MemTotal:        8000000 kB\nMemFree:          100000 kB\n"
                                 f"MemAvailable:    {available} kB\nBuffers:          100000 kB\n"
                                 f"Cached:          1000000 kB\n")

    def _run(self):
        while not self.stop_event.wait(0.2):
            self._write()


def coordinator_partition(group, partitions=10):
    """The __consumer_offsets partition of a group (Kafka: abs(hashCode) % partitions)."""
    h = 0
    for ch in group:
        h = (31 * h + ord(ch)) & 0xFFFFFFFF
    return (h & 0x7FFFFFFF) % partitions


def offsets_topic_leaders(kafka):
    """{partition: leader node id} of __consumer_offsets (which must exist)."""
    out = kafka.tool("kafka-topics", "--bootstrap-server", kafka.bootstrap, "--describe",
                     "--topic", "__consumer_offsets")
    return {int(m.group(1)): int(m.group(2))
            for m in re.finditer(r"Partition:\s*(\d+)\s+Leader:\s*(-?\d+)", out)}

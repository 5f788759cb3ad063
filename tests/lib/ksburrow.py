"""Burrow's v3 API side by side with the agent's (Python standard library only).

`Burrow` runs a real Burrow binary (its path from KS_BURROW_BIN) against a Kafka cluster,
with its cluster module named like the agent's `burrow.cluster`; stopped by PID. `shape_diff`
compares two JSON bodies by shape: the same keys, the same JSON type for every value (a
number is a number: Go writes a float32 1.0 as 1), null wherever Burrow may write null for an
object (its pointers), arrays compared element by element against Burrow's first element.
"""
import atexit
import os
import subprocess
import tempfile

from ksharness import free_port, http_get, log, wait_until

# The endpoints compared, by name: (path template, whether the body's "topics" object is keyed
# by topic name, i.e. its keys are data, not fields).
ENDPOINTS = {
    "cluster_list": ("/v3/kafka", False),
    "cluster_detail": ("/v3/kafka/{cluster}", False),
    "topic_list": ("/v3/kafka/{cluster}/topic", False),
    "topic_detail": ("/v3/kafka/{cluster}/topic/{topic}", False),
    "topic_consumers": ("/v3/kafka/{cluster}/topic/{topic}/consumers", False),
    "consumer_list": ("/v3/kafka/{cluster}/consumer", False),
    "consumer_detail": ("/v3/kafka/{cluster}/consumer/{group}", True),
    "consumer_status": ("/v3/kafka/{cluster}/consumer/{group}/status", False),
    "consumer_lag": ("/v3/kafka/{cluster}/consumer/{group}/lag", False),
    "unknown_cluster_detail": ("/v3/kafka/no-such-cluster", False),
    "unknown_cluster_consumers": ("/v3/kafka/no-such-cluster/consumer", False),
    "unknown_cluster_topics": ("/v3/kafka/no-such-cluster/topic", False),
    "unknown_topic": ("/v3/kafka/{cluster}/topic/no-such-topic", False),
    "unknown_group_detail": ("/v3/kafka/{cluster}/consumer/no-such-group", False),
    "unknown_group_status": ("/v3/kafka/{cluster}/consumer/no-such-group/status", False),
    "unknown_group_lag": ("/v3/kafka/{cluster}/consumer/no-such-group/lag", False),
    "invalid_path": ("/v3/kafka/{cluster}/consumer/{group}/nonsense", False),
}

STATUSES = {"NOTFOUND", "OK", "WARN", "ERR", "STOP", "STALL", "REWIND"}
GROUP_STATUSES = {"NOTFOUND", "OK", "WARN", "ERR"}


def json_type(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def shape_diff(ours, theirs, path="$", keyed_by_data=()):
    """Differences in shape between `ours` and `theirs` (Burrow's), as readable lines."""
    a, b = json_type(ours), json_type(theirs)
    if a == "null" or b == "null":
        # Burrow's pointers (maxlag, start, end, tls, sasl, offsets entries) are null or an
        # object: either side may be null where the other has an object.
        return [] if {a, b} <= {"null", "object"} else [f"{path}: ours {a}, Burrow's {b}"]
    if a != b:
        return [f"{path}: ours {a}, Burrow's {b}"]
    if a == "array":
        model = next((x for x in theirs if x is not None), None)
        if model is None:
            return []
        return [d for i, x in enumerate(ours) for d in shape_diff(x, model, f"{path}[{i}]",
                                                                  keyed_by_data)]
    if a != "object":
        return []
    if path in keyed_by_data:
        model = next(iter(theirs.values()), None)
        if model is None:
            return []
        return [d for k, x in ours.items() for d in shape_diff(x, model, f"{path}.<{k}>",
                                                               keyed_by_data)]
    diffs = [f"{path}: key {k!r} missing (Burrow has it)" for k in theirs if k not in ours]
    diffs += [f"{path}: key {k!r} not in Burrow's" for k in ours if k not in theirs]
    for k in ours:
        if k in theirs:
            diffs += shape_diff(ours[k], theirs[k], f"{path}.{k}", keyed_by_data)
    return diffs


def status_values_ok(body):
    """Burrow's status codes where they appear: the group's OK/WARN/ERR/NOTFOUND, the
    partitions' OK/WARN/STOP/STALL/REWIND."""
    st = body.get("status") if isinstance(body, dict) else None
    if not isinstance(st, dict):
        return True
    parts = list(st.get("partitions") or []) + ([st["maxlag"]] if st.get("maxlag") else [])
    return st.get("status") in GROUP_STATUSES and all(p["status"] in STATUSES for p in parts)


class Burrow:
    """A real Burrow reading `bootstrap` (cluster and consumer modules named `cluster`),
    keeping `intervals` offsets per partition, serving on a free loopback port."""

    def __init__(self, binary, bootstrap, cluster="local", intervals=3, refresh=1):
        self.binary = binary
        self.dir = tempfile.mkdtemp(prefix="ks-burrow-")
        self.port = free_port()
        servers = ", ".join(f'"{s}"' for s in bootstrap.split(","))
        with open(os.path.join(self.dir, "burrow.toml"), "w") as f:
            f.write(f"""[general]
pidfile="{self.dir}/burrow.pid"
[logging]
level="warn"
[client-profile.test]
client-id="burrow-compat-test"
kafka-version="2.8.0"
[cluster.{cluster}]
class-name="kafka"
servers=[ {servers} ]
client-profile="test"
topic-refresh={refresh}
offset-refresh={refresh}
[consumer.{cluster}]
class-name="kafka"
cluster="{cluster}"
servers=[ {servers} ]
client-profile="test"
[httpserver.default]
address="127.0.0.1:{self.port}"
[storage.default]
class-name="inmemory"
intervals={intervals}
min-distance=0
[evaluator.default]
class-name="caching"
expire-cache=1
""")
        self.proc = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        self.log_file = open(os.path.join(self.dir, "burrow.log"), "ab")
        self.proc = subprocess.Popen([self.binary, "--config-dir", self.dir],
                                     stdout=self.log_file, stderr=subprocess.STDOUT)
        atexit.register(self.stop)
        if not wait_until(lambda: self.proc.poll() is None
                          and http_get(self.url + "/burrow/admin")[0] == 200, 30, 0.2,
                          "Burrow's /burrow/admin"):
            raise RuntimeError(f"Burrow did not start; see {self.dir}/burrow.log")
        log(f"burrow up: {self.url}")
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

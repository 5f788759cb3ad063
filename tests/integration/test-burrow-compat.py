"""Burrow's v3 API, compared with a real Burrow on the same Kafka and the same groups.

A 1-node Kafka; a producer writes 30 msgs/s to a 3-partition topic; `burrow-lagging` consumes
6 msgs/s (its lag grows; a first commit on every partition), `burrow-keeping-up` keeps up. The agent (burrow.cluster: local) and
a real Burrow (KS_BURROW_BIN, e.g. /work/peers/bin/burrow, 1.9.5) both read the cluster; once
both have evaluated the lagging group (its 3 partitions, a full window of commits on one), every
endpoint of tests/lib/ksburrow.py ENDPOINTS is asked of both and compared: HTTP status,
Content-Type, `error` and `message`, the body's shape (keys and JSON types, recursively),
status codes among Burrow's, and the facts both must agree on (the groups, the topic's
partitions, the group's topics and partition count, each partition's owner and client_id).

Exits 77 (skipped) when KS_BURROW_BIN is not set: without Burrow, the same comparison runs
against the bodies recorded from Burrow in tests/fixtures/burrow/ (unit test [burrow]).
`--record DIR` writes Burrow's bodies there (how those fixtures were made). ~60 s.
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from ksburrow import ENDPOINTS, Burrow, shape_diff, status_values_ok  # noqa: E402
from ksharness import Agent, KafkaCluster, agent_yaml, check, finish, http_get, log, wait_until  # noqa: E402
from ksloadgen import loadgen, start_loadgen, stop_all  # noqa: E402

TOPIC, LAGGING, KEEPING_UP, CLUSTER = "burrow-topic", "burrow-lagging", "burrow-keeping-up", "local"


def get_json(base, path):
    status, body, headers = http_get(base + path)
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = None
    return status, parsed, body, headers.get("Content-Type", "")


def evaluated(base):
    """The lagging group on its 3 partitions, with lag, and a commit window on some."""
    status, body, _, _ = get_json(base, f"/v3/kafka/{CLUSTER}/consumer/{LAGGING}/lag")
    st = body["status"] if status == 200 else {}
    return (st.get("partition_count") == 3 and st.get("totallag", 0) > 0
            and any(p["complete"] == 1 and p["end"] for p in st.get("partitions", [])))


def compare(name, agent_url, burrow_url, record_dir):
    template, keyed = ENDPOINTS[name]
    path = template.format(cluster=CLUSTER, topic=TOPIC, group=LAGGING)
    ours, theirs = get_json(agent_url, path), get_json(burrow_url, path)
    if record_dir:
        with open(os.path.join(record_dir, f"{name}.json"), "w") as f:
            json.dump({"path": path, "status": theirs[0], "content_type": theirs[3],
                       "body": theirs[1] if theirs[1] is not None else theirs[2]}, f, indent=1)
            f.write("\n")
    check(ours[0] == theirs[0], f"{name} {path}: HTTP {ours[0]} (Burrow {theirs[0]})")
    check(ours[3].split(";")[0] == theirs[3].split(";")[0],
          f"{name}: Content-Type {ours[3]!r} (Burrow {theirs[3]!r})")
    if theirs[1] is None or ours[1] is None:
        check(ours[2].strip() == theirs[2].strip(), f"{name}: the same plain body")
        return ours[1], theirs[1]
    diffs = shape_diff(ours[1], theirs[1], keyed_by_data=("$.topics",) if keyed else ())
    check(not diffs, f"{name}: the same shape" + "".join(f"\n    {d}" for d in diffs))
    for key in ("error", "message"):
        check(ours[1].get(key) == theirs[1].get(key),
              f"{name}: {key} {ours[1].get(key)!r} (Burrow {theirs[1].get(key)!r})")
    if "request" in theirs[1]:
        check(ours[1].get("request", {}).get("url") == path, f"{name}: request.url is the path")
    check(status_values_ok(ours[1]) and status_values_ok(theirs[1]), f"{name}: status codes")
    return ours[1], theirs[1]


def same_facts(bodies):
    ours, theirs = bodies["consumer_list"]
    # Burrow also lists its own consumer group (burrow-<cluster>).
    check(set(ours["consumers"]) == {LAGGING, KEEPING_UP} <= set(theirs["consumers"]),
          f"the same groups (ours {sorted(ours['consumers'])}, Burrow's {sorted(theirs['consumers'])})")
    ours, theirs = bodies["topic_list"]
    check(TOPIC in ours["topics"] and set(ours["topics"]) <= set(theirs["topics"]),
          f"our topics {ours['topics']} among Burrow's")
    ours, theirs = bodies["topic_detail"]
    check(len(ours["offsets"]) == len(theirs["offsets"]) == 3, "3 partition offsets in both")
    ours, theirs = bodies["consumer_detail"]
    check(list(ours["topics"]) == list(theirs["topics"]) == [TOPIC]
          and len(ours["topics"][TOPIC]) == len(theirs["topics"][TOPIC]) == 3,
          "the group's topic and its 3 partitions in both")
    ours, theirs = bodies["consumer_lag"]
    o, t = ours["status"], theirs["status"]
    check(o["partition_count"] == t["partition_count"] == 3 and len(o["partitions"]) == 3,
          "/lag: 3 partitions in both")
    check(o["totallag"] > 0 and t["totallag"] > 0 and o["maxlag"]["current_lag"] > 0,
          f"/lag: both see the lag (ours {o['totallag']}, Burrow's {t['totallag']})")
    members = {(p["topic"], p["partition"]): (p["owner"], p["client_id"]) for p in o["partitions"]}
    theirs_members = {(p["topic"], p["partition"]): (p["owner"], p["client_id"]) for p in t["partitions"]}
    check(members == theirs_members and all(all(m) for m in members.values()),
          f"/lag: the same owner and client_id per partition (ours {members}, Burrow's {theirs_members})")
    log(f"group status: ours {o['status']}, Burrow's {t['status']}; partitions ours "
        f"{[p['status'] for p in o['partitions']]}, Burrow's {[p['status'] for p in t['partitions']]}")


def main():
    binary = os.environ.get("KS_BURROW_BIN", "")
    if not binary or not os.access(binary, os.X_OK):
        print("SKIPPED: set KS_BURROW_BIN to a Burrow binary (e.g. /work/peers/bin/burrow) to "
              "compare with a real Burrow; the recorded bodies are compared by the unit test "
              "[burrow] on every run", flush=True)
        sys.exit(77)
    record_dir = sys.argv[sys.argv.index("--record") + 1] if "--record" in sys.argv else None
    kafka = KafkaCluster(nodes=1).up()
    b = kafka.bootstrap
    loadgen("create-topics", "--bootstrap", b, "--topics", f"{TOPIC}:3:1", timeout=60)
    start_loadgen("produce", "--bootstrap", b, "--topics", TOPIC, "--rate", "30",
                  "--duration", "300", "--status-interval", "0")
    # A commit on every partition first: a slow consumer otherwise works through one
    # partition's fetched batch at a time and leaves the others without a commit.
    loadgen("commit", "--bootstrap", b, "--group", LAGGING, "--topic", TOPIC,
            "--offsets", "0:0,1:0,2:0", attempts=10)
    for group, rate in ((LAGGING, "6"), (KEEPING_UP, "1000")):
        start_loadgen("consume", "--bootstrap", b, "--group", group, "--topics", TOPIC,
                      "--rate", rate, "--commit-interval-ms", "500", "--status-interval", "0",
                      "--property", "max.partition.fetch.bytes=256")
    agent = Agent(agent_yaml(b, groups=["status_window_commits: 3"],
                             more=f"burrow:\n  cluster: {CLUSTER}\n")).start()
    burrow = None
    try:
        started = time.monotonic()
        ready = wait_until(lambda: evaluated(agent.url), 90, 0.5, "the agent to evaluate the group")
        check(bool(ready), f"the agent evaluates the group after {time.monotonic() - started:.1f}s")
        # Burrow gives up at startup while __consumer_offsets has no leaders yet: started once
        # the groups commit (their offsets partitions are led).
        burrow = Burrow(binary, b, cluster=CLUSTER, intervals=3).start()
        started = time.monotonic()
        ready = wait_until(lambda: evaluated(burrow.url) and evaluated(agent.url), 90, 0.5,
                           "Burrow to evaluate the group")
        check(bool(ready), f"Burrow evaluates the group after {time.monotonic() - started:.1f}s")
        if record_dir:
            os.makedirs(record_dir, exist_ok=True)
        bodies = {name: compare(name, agent.url, burrow.url, record_dir) for name in ENDPOINTS}
        same_facts(bodies)
    finally:
        if burrow:
            burrow.stop()
        stop_all()
    agent.stop()
    finish()


if __name__ == "__main__":
    main()

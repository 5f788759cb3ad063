"""The JSON API and the `lag` and `status` commands on a real Kafka (docs/api.md).

One 1-node cluster; topic api-t (3 partitions, 600 messages); group api-lagging committed
behind the end (no live member: Empty, lag > events threshold) and group api-done at the end.
Checked:
  - /api/v1/groups/api-lagging: current offset, log end offset and lag of every partition
    equal `kafka-consumer-groups --describe`; every answer has snapshot_age_seconds;
  - `kafka-sentinel lag --group api-lagging` prints the same numbers, its --json is the API's
    JSON, `lag --all --sort lag` puts the highest lag first; exit codes (a group in ERR: 1);
  - unknown group/topic: 404 with a JSON error; malformed topic name and parameter: 400;
  - /api/v1/cluster, topics, agents and events (the lagging group's lag condition fires);
  - a fleet of two agents: each group is answered by its owner, the other answers 404
    naming the owner and its URL; `lag --url A --url B` follows it, so does `lag --url A`
    alone (one hop to the owner's URL); /api/v1/agents lists both with their URLs;
  - `status` exits 0 while the broker is up, 1 once it is stopped (cluster unreachable),
    `lag` and `status` exit 3 once the agent is stopped;
  - an agent with TLS (client certificate required) and basic auth: `lag` and `status` with
    --user, --password-file, --cacert, --cert, --key answer as the plain agent's; without
    credentials, with a wrong password, without --cacert, without a client certificate and
    with http:// each fail with exit 3 and say which.
With KS_API_EXAMPLES=DIR, every endpoint's answer is written there (docs/api.md's examples).
~40-70 s on a busy 2-core machine (most of it Kafka's start and its tools' JVMs).
"""
import json
import os
import subprocess
import sys
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from ksharness import (temp_dir, AGENT, Agent, KafkaCluster, agent_yaml, check, finish, http_get, log,  # noqa: E402
                       wait_until)
from kskafkatools import describe_groups  # noqa: E402
from kstls import make_pki, start_secured, write_web_config  # noqa: E402
from ksloadgen import loadgen  # noqa: E402

TOPIC, LAGGING, DONE = "api-t", "api-lagging", "api-done"
FLEET_GROUPS = [f"api-f{i}" for i in range(8)]
COMMITTED = {0: 10, 1: 25, 2: 40}


def agent_config(bootstrap, work):
    return agent_yaml(bootstrap, more=f"""
events:
  enabled: true
  partitions: 1
  replication_factor: 1
  node_name: api-node
  spool:
    dir: {work}/spool
  hysteresis:
    fire_cycles: 2
    resolve_cycles: 2
  groups:
    lag_messages: 50
""")


def api(agent, path):
    status, body, _ = http_get(agent.url + path)
    try:
        return status, json.loads(body)
    except ValueError:
        return status, None


def cli(*args):
    r = subprocess.run([AGENT, *args], capture_output=True, text=True, timeout=30)
    return r.returncode, r.stdout, r.stderr


def save_example(name, text):
    folder = os.environ.get("KS_API_EXAMPLES")
    if folder:
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, name), "w") as f:
            f.write(text)


def table_rows(text):
    """{(group, topic, partition): (current, log end, lag)} of the lag command's table."""
    rows = {}
    for line in text.splitlines()[1:]:
        f = line.split()
        rows[(f[0], f[1], int(f[2]))] = tuple(None if v == "-" else int(v) for v in f[3:6])
    return rows


def api_rows(group_json):
    return {(group_json["group"], t["topic"], p["partition"]):
            (p["current_offset"], p["log_end_offset"], p["lag"])
            for t in group_json["topics"] for p in t["partitions"]}


def setup(kafka):
    b = kafka.bootstrap
    loadgen("create-topics", "--bootstrap", b, "--topics", f"{TOPIC}:3:1", timeout=60)
    loadgen("produce", "--bootstrap", b, "--topics", TOPIC, "--count", "600", "--rate", "0",
            timeout=120)
    ends = {p: e for (t, p), e in
            __import__("kskafkatools").get_offsets(kafka, TOPIC).items()}
    loadgen("commit", "--bootstrap", b, "--group", LAGGING, "--topic", TOPIC, "--offsets",
            ",".join(f"{p}:{o}" for p, o in COMMITTED.items()), timeout=60, attempts=10)
    loadgen("commit", "--bootstrap", b, "--group", DONE, "--topic", TOPIC, "--offsets",
            ",".join(f"{p}:{e}" for p, e in ends.items()), timeout=60, attempts=10)
    for group in FLEET_GROUPS:
        loadgen("commit", "--bootstrap", b, "--group", group, "--topic", TOPIC, "--offsets", "0:5",
                timeout=60, attempts=10)
    return ends


def fleet_config(bootstrap, node):
    return agent_yaml(bootstrap, kafka=["request_timeout: 5s"], more=f"""
fleet:
  enabled: true
  session_timeout: 6s
  partitions: 4
  replication_factor: 1
  node_name: {node}
""")


def check_fleet(kafka):
    """Two agents share the groups: each answers for its own and points at the other.
    api-b listens on port 0: the URL it advertises has the port the kernel picked."""
    agents = {n: Agent(fleet_config(kafka.bootstrap, n), name=n, port=0 if n == "api-b" else None).start()
              for n in ("api-a", "api-b")}
    a, b = agents["api-a"], agents["api-b"]

    def both_known():
        listed = (api(a, "/api/v1/agents")[1] or {}).get("agents", [])
        return len(listed) == 2 and all(x.get("fleet", {}).get("assigned_partitions") for x in listed)
    check(wait_until(lambda: both_known() or None, 60, 0.5, "fleet of two described"),
          "/api/v1/agents lists both agents of the fleet with their partitions")
    save_example("agents-fleet.json", json.dumps(api(a, "/api/v1/agents")[1], indent=2))
    everything = [LAGGING, DONE, *FLEET_GROUPS]

    def answers():
        got = {}
        for g in everything:
            sa, ja = api(a, f"/api/v1/groups/{g}")
            sb, jb = api(b, f"/api/v1/groups/{g}")
            got[g] = (sa, sb, (ja or {}).get("owner"), (jb or {}).get("owner"))
        return got
    # Each group: 200 from exactly one agent, a 404 naming that agent from the other.
    def consistent():
        got = answers()
        ok = all((sa, sb) in ((200, 404), (404, 200)) and
                 ((oa or {}).get("node") == "api-b" if sa == 404 else (ob or {}).get("node") == "api-a")
                 for sa, sb, oa, ob in got.values())
        # and its URL (fleet.advertised_url, by default from http.listen: 127.0.0.1 here, and
        # the port bound: api-b's was picked by the kernel)
        ok = ok and all((oa or {}).get("url") == b.url if sa == 404 else (ob or {}).get("url") == a.url
                        for sa, sb, oa, ob in got.values())
        return got if ok else None
    got = wait_until(consistent, 60, 1, "each group answered by its owner")
    check(got is not None, f"each group: 200 from its owner, 404 naming the owner and its URL from the other "
          f"({got or answers()})")
    listed = {x["node"]: x.get("url") for x in (api(a, "/api/v1/agents")[1] or {}).get("agents", [])}
    check(listed == {"api-a": a.url, "api-b": b.url}, f"/api/v1/agents gives each agent's URL ({listed})")
    if got:
        on_b = [g for g, v in got.items() if v[1] == 200]
        check(on_b and len(on_b) < len(everything), f"the groups are shared ({len(on_b)} on api-b)")
        foreign = on_b[0] if on_b else LAGGING
        save_example("error-not-owned.json", json.dumps(api(a, f"/api/v1/groups/{foreign}")[1], indent=2))
        code, out, err = cli("lag", "--url", a.url, "--url", b.url, "--group", foreign)
        check(code in (0, 1) and out.startswith("GROUP") and foreign in out and "api-b" in err,
              f"lag --group follows the pointer to the owner ({code}: {err.strip()})")
        code, single, err = cli("lag", "--url", a.url, "--group", foreign)
        check(code in (0, 1) and table_rows(single) == table_rows(out) and f"following to {b.url}" in err,
              f"lag --group with one --url follows the owner's URL, one hop ({code}: {err.strip()})")
        code, out, err = cli("lag", "--url", a.url, "--url", b.url, "--all")
        # The fleet's own coordination group is a group too: left out here.
        ours = [line for line in out.splitlines()[1:] if line.startswith("api-")]
        groups = {line.split()[0] for line in ours}
        rows = len(ours)
        check(groups == set(everything) and rows == 6 + len(FLEET_GROUPS),
              f"lag --all over both agents: every group once ({rows} rows:\n{out})")
    for agent in agents.values():
        agent.stop()


def check_lag(kafka, agent, ends):
    ready = wait_until(lambda: (api(agent, f"/api/v1/groups/{LAGGING}")[1] or {}).get("lag") ==
                       sum(ends[p] - o for p, o in COMMITTED.items()) or None, 60, 0.5, "lag known")
    check(ready, "the API has the lagging group's lag")
    status, group = api(agent, f"/api/v1/groups/{LAGGING}")
    tool = {k: v for k, v in describe_groups(kafka, "--group", LAGGING).items()}
    check(status == 200 and api_rows(group) == tool,
          f"API lag equals kafka-consumer-groups --describe ({api_rows(group)} vs {tool})")
    check(isinstance(group.get("snapshot_age_seconds"), (int, float)) and
          0 <= group["snapshot_age_seconds"] < 30, f"snapshot age {group.get('snapshot_age_seconds')}")
    save_example("group.json", json.dumps(group, indent=2))

    code, table, err = cli("lag", "--url", agent.url, "--group", LAGGING)
    check(code in (0, 1) and table_rows(table) == api_rows(group),
          f"lag --group table equals the API (exit {code}): {table_rows(table)}")
    code_json, out_json, _ = cli("lag", "--url", agent.url, "--group", LAGGING, "--json")
    shown = json.loads(out_json)
    # The exit code follows the status of the snapshot the command read. The group's status
    # may change between two requests (its evaluation window fills as cycles pass: on a busy
    # machine the API said OK and the command, a moment later, ERR), so the --json run is
    # judged on its own answer and the table's run on the statuses seen just before and after.
    exit_for = lambda status: 1 if status == "ERR" else 0  # noqa: E731
    check(code_json == exit_for(shown["status"]),
          f"lag --json exits {code_json} for a group in {shown['status']}")
    check(code in (exit_for(group["status"]), exit_for(shown["status"])),
          f"lag exits {code} for a group in {group['status']} (before) / {shown['status']} (after)")
    check(api_rows(shown) == api_rows(group) and shown["group"] == LAGGING,
          "lag --json gives the API's JSON, the same numbers as the table")
    code_all, table_all, err_all = cli("lag", "--url", agent.url, "--all", "--sort", "lag")
    lags = [r[2] for r in table_rows(table_all).values()]
    first = table_all.splitlines()[1].split()
    check(int(first[5]) == max(lags) and len(lags) == 6 + len(FLEET_GROUPS) and
          len(table_all.splitlines()) == 1 + len(lags),
          f"lag --all --sort lag: one row per partition, highest lag first ({first})")
    save_example("lag-table.txt", table_all + err_all)
    check(all(len(line) <= 120 for line in table_all.splitlines()), "the table fits 120 columns")


def check_errors(agent):
    status, body = api(agent, "/api/v1/groups/no-such-group")
    check(status == 404 and body and body["group"] == "no-such-group" and "error" in body,
          f"unknown group: 404 with a JSON error ({status} {body})")
    save_example("error-404.json", json.dumps(body, indent=2))
    status, body = api(agent, "/api/v1/topics/no-such-topic")
    check(status == 404 and body and body["topic"] == "no-such-topic", f"unknown topic: 404 ({status})")
    status, body = api(agent, "/api/v1/topics/" + urllib.parse.quote("bad name!"))
    check(status == 400 and body and "not a valid Kafka topic name" in body["error"],
          f"malformed topic name: 400 ({status} {body})")
    status, body = api(agent, "/api/v1/groups?partitions=maybe")
    check(status == 400 and body and "partitions" in body["error"], f"bad parameter: 400 ({status})")
    save_example("error-400.json", json.dumps(body, indent=2))
    status, body = api(agent, "/api/v1/groups/" + "%00" * 10)
    check(status == 400 and body is not None, f"NUL in the path: 400 ({status})")


def check_other_endpoints(agent, kafka):
    status, cluster = api(agent, "/api/v1/cluster")
    check(status == 200 and cluster["up"] and cluster["brokers_up"] == 1 and
          cluster["brokers"][0]["port"] == int(kafka.bootstrap.rsplit(":", 1)[1]),
          f"/api/v1/cluster: up, one broker up ({status})")
    save_example("cluster.json", json.dumps(cluster, indent=2))
    status, topics = api(agent, "/api/v1/topics")
    names = [t["topic"] for t in topics["topics"]] if topics else []
    check(status == 200 and TOPIC in names, f"/api/v1/topics lists {TOPIC}")
    save_example("topics.json", json.dumps(topics, indent=2))
    status, topic = api(agent, f"/api/v1/topics/{TOPIC}")
    check(status == 200 and len(topic["partitions"]) == 3 and topic["partitions"][0]["isr"] == [1],
          "/api/v1/topics/{topic}: 3 partitions with leader and ISR")
    save_example("topic.json", json.dumps(topic, indent=2))
    status, groups = api(agent, "/api/v1/groups")
    check(status == 200 and {g["group"] for g in groups["groups"]} >= {LAGGING, DONE},
          "/api/v1/groups lists both groups")
    save_example("groups.json", json.dumps(groups, indent=2))
    status, agents = api(agent, "/api/v1/agents")
    check(status == 200 and agents["agents"][0]["node"] and agents["agents"][0]["leader"],
          "/api/v1/agents: this agent, leader of itself")
    save_example("agents.json", json.dumps(agents, indent=2))
    fired = wait_until(lambda: any(e["subject"].startswith(f"group/{LAGGING}") for e in
                                   (api(agent, "/api/v1/events")[1] or {}).get("firing", [])) or None,
                       30, 0.5, "a lag condition firing")
    check(fired, "/api/v1/events: the lagging group's condition is firing")
    save_example("events.json", json.dumps(api(agent, "/api/v1/events")[1], indent=2))


def check_status(agent, kafka):
    # The groups here committed once and have no consumer: judged on their commits (stream
    # source), the lagging ones are STOP after a few cycles, a critical condition (Burrow's
    # rule), which alone makes the answer unhealthy. So: exit 1 exactly when a critical
    # condition fires, each named on stderr; the broker counts as up either way.
    firing = (api(agent, "/api/v1/events")[1] or {}).get("firing", [])
    critical = [e["summary"] for e in firing if e.get("severity") == "critical"]
    code, out, err = cli("status", "--url", agent.url)
    check(code == (1 if critical else 0) and "1/1 brokers up" in out and
          all(f"unhealthy: {c}" in err for c in critical) and "broker 1 down" not in err,
          f"status: broker up, exit {code} with {len(critical)} critical conditions named ({err})")
    check(f"group {LAGGING} on topic {TOPIC}: lag" in out, "status lists the firing lag condition")
    save_example("status.txt", out)
    kafka.stop_node(1)
    down = wait_until(lambda: (api(agent, "/api/v1/cluster")[1] or {}).get("up") is False or None,
                      60, 0.5, "cluster seen down")
    check(down, "the API says the cluster is down once its broker is stopped")
    code, out, err = cli("status", "--url", agent.url)
    check(code == 1 and "unhealthy" in err, f"status exits 1 when unhealthy ({code}: {err.strip()})")
    save_example("status-down.txt", out + err)
    agent.stop()
    code_lag, _, err_lag = cli("lag", "--url", agent.url)
    code_status, _, _ = cli("status", "--url", agent.url)
    check(code_lag == 3 and code_status == 3 and agent.url in err_lag,
          f"agent stopped: lag and status exit 3 ({code_lag}, {code_status}: {err_lag.strip()})")


def check_secured(kafka, agent):
    work = temp_dir(prefix="ks-api-tls-")
    files = make_pki(work)
    user, password = "operator", "tr0ub4dor&3 secret"
    with open(os.path.join(work, "password"), "w") as f:
        f.write(password + "\n")
    config = agent_config(kafka.bootstrap, work).replace("events:\n  enabled: true", "events:\n  enabled: false")
    secured = start_secured(Agent(config, name="api-tls", workdir=work,
                                  extra_args=["--web.config.file", write_web_config(work, user, password)]), work)
    url = f"https://127.0.0.1:{secured.port}"
    tls = ["--cacert", files["ca.crt"], "--cert", files["client.crt"], "--key", files["client.key"]]
    access = ["--user", user, "--password-file", os.path.join(work, "password"), *tls]
    answered = wait_until(lambda: (lambda r: r if r[0] in (0, 1) else None)(
        cli("lag", "--group", LAGGING, "--url", url, *access)), 60, 0.5, "lag over TLS")
    plain = cli("lag", "--group", LAGGING, "--url", agent.url)
    check(answered is not None and table_rows(answered[1]) == table_rows(plain[1]),
          f"lag over TLS + basic auth with the flags: the plain agent's table ({answered and answered[2]})")
    code, out, err = cli("status", "--url", url, *access)
    check(code in (0, 1) and "1/1 brokers up" in out, f"status over TLS + basic auth: answered ({code}: {err})")
    failures = {
        "no credentials": ([*tls], "requires credentials"),
        "wrong password": (["--user", user, "--password-file", "/dev/null", *tls],
                           f"rejected the credentials of user '{user}'"),
        "no --cacert": ([*access[:4], *tls[2:]], "certificate was not verified"),
        "no client certificate": ([*access[:6]], "client certificate, --cert and --key"),
    }
    for what, (args, said) in failures.items():
        code, _, err = cli("lag", "--group", LAGGING, "--url", url, *args)
        check(code == 3 and said in err, f"lag, {what}: exit 3 saying \"{said}\" ({code}: {err.strip()})")
    code, _, err = cli("status", "--url", f"http://127.0.0.1:{secured.port}", *access)
    check(code == 3 and "https://" in err, f"status with http:// on the TLS port: exit 3, says https:// ({err.strip()})")
    secured.stop()


def main():
    kafka = KafkaCluster(nodes=1).up()
    ends = setup(kafka)
    work = temp_dir(prefix="ks-api-")
    agent = Agent(agent_config(kafka.bootstrap, work), name="api", workdir=work).start()
    check(wait_until(lambda: http_get(agent.url + "/readyz")[0] == 200, 60, 0.5, "ready"),
          "agent ready")
    check_lag(kafka, agent, ends)
    check_errors(agent)
    check_other_endpoints(agent, kafka)
    check_fleet(kafka)
    check_secured(kafka, agent)
    check_status(agent, kafka)
    log("done")
    finish()


if __name__ == "__main__":
    main()

"""Every capability over each security mode, on one secured 1-node Kafka (docs/security.md).

kafka-cluster.sh --security sasl_ssl: a SASL_SSL listener (SCRAM-SHA-512 and PLAIN users) and
a mutual-TLS listener, with the StandardAuthorizer on. Three agents run at once, their configs
identical but for `kafka.properties` (SCRAM-SHA-512, PLAIN, mutual TLS), credentials and
certificate paths read from the environment through ${VAR}; three more, the same with the
fleet and health events on. Over each mode:
- broker health: the agent is ready and sees the broker up;
- consumer-group lag: every series equals what kafka-consumer-groups --describe prints when
  run with that agent's own credentials, and no partition is missing;
- the fleet: the three fleet agents form ONE fleet (group coordination through each mode):
  each owns a shard of the groups, one leads;
- events: `kafka-sentinel events`, run with each agent's config, reads back the events of
  all three agents;
- no password appears in any log, /metrics, /readyz or event.
Takes 2.7 minutes on a heavily loaded 2-core machine (half of it the cluster's start).
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from ksharness import (AGENT, Agent, KafkaCluster, check, finish, http_get, log,  # noqa: E402
                       series, value, wait_until)
from kskafkatools import describe_groups  # noqa: E402
from ksloadgen import loadgen  # noqa: E402
from kssecurity import (admin_loadgen_properties, bootstrap_of, java_properties,  # noqa: E402
                        kafka_section, leaks, mode_env, secrets_of)

MODES = ("scram", "plain", "mtls")
TOPIC = "sec-data"
GROUPS = [f"sec-g{i}" for i in range(6)]


def agent_config(mode, workdir):
    return kafka_section(mode) + f"""collectors:
  host: {{interval: 2s, node_metrics: false}}
  brokers: {{interval: 2s}}
  groups:
    interval: 2s
    groups: {{include: ["sec-.*"]}}
fleet:
  enabled: true
  session_timeout: 6s
  partitions: 3
  replication_factor: 1
  node_name: {mode}
events:
  enabled: true
  partitions: 1
  replication_factor: 1
  cluster_name: sec
  node_name: {mode}
  spool: {{dir: {workdir}/spool-{mode}}}
  hysteresis: {{fire_cycles: 1, resolve_cycles: 1}}
  host: {{memory_available: 1, cycles: 1}}
"""


def setup_data(kafka):
    admin = admin_loadgen_properties(kafka)
    b = kafka.bootstrap
    loadgen("create-topics", "--bootstrap", b, "--topics", f"{TOPIC}:3:1", *admin, timeout=90)
    loadgen("produce", "--bootstrap", b, "--topics", TOPIC, "--count", "600", "--rate", "0",
            *admin, timeout=120)
    for i, group in enumerate(GROUPS):
        spec = ",".join(f"{p}:{(i * 31 + p * 7) % 150}" for p in range(3))
        loadgen("commit", "--bootstrap", b, "--group", group, "--topic", TOPIC, "--offsets", spec,
                *admin, timeout=60, attempts=10)


def solo_config():
    return """collectors:
  host: {enabled: false}
  brokers: {interval: 2s}
  groups:
    interval: 2s
    groups: {include: ["sec-.*"]}
"""


def check_lag(kafka, agents, workdir):
    """Each agent's group series equal the tool's, run with that agent's credentials."""
    def describe(mode):
        props = java_properties(kafka, mode, os.path.join(workdir, f"{mode}.properties"))
        # Our groups by name: --all-groups would also describe the fleet's own group, which
        # is not a consumer group, and the tool gives up on it.
        # --timeout: the tool's 5 s default is short for a cold JVM's first TLS handshake
        # on a busy machine ("Timed out waiting to send the call").
        selection = [x for g in GROUPS for x in ("--group", g)] + ["--timeout", "60000"]
        rows = wait_until(lambda: describe_groups(kafka, *selection,
                                                  bootstrap=bootstrap_of(kafka, mode),
                                                  command_config=props),
                          90, 2, f"kafka-consumer-groups over {mode}")
        return mode, rows or {}
    described = dict(map(describe, MODES))
    log(f"kafka-consumer-groups rows per mode: { {m: len(d) for m, d in described.items()} }")
    for mode in MODES:
        metrics = agents[mode].metrics()
        rows = {(d["consumergroup"], d["topic"], int(d["partition"])): v
                for d, v in series(metrics, "kafka_consumergroup_lag")}
        tool = {k: v[2] for k, v in described[mode].items() if v[0] is not None and k[0] in GROUPS}
        wrong = [(k, rows.get(k), lag) for k, lag in tool.items() if rows.get(k) != lag]
        check(len(tool) == 3 * len(GROUPS) and not wrong and set(rows) == set(tool),
              f"{mode}: {len(rows)} lag series equal kafka-consumer-groups run with its own "
              f"credentials ({len(tool)} rows; wrong: {wrong[:3]})")


def events_read_back(agent, env):
    r = subprocess.run([AGENT, "events", "--json", "--config", agent.config_path],
                       capture_output=True, text=True, timeout=90, env={**os.environ, **env})
    subjects = set()
    for line in r.stdout.splitlines():
        try:
            subjects.add(json.loads(line).get("subject"))
        except ValueError:
            pass
    return subjects, r.stdout + r.stderr


def main():
    kafka = KafkaCluster(nodes=1, security="sasl_ssl").up()
    setup_data(kafka)
    workdir = kafka.dir
    envs = {mode: mode_env(kafka, mode) for mode in MODES}
    solos = {mode: Agent(kafka_section(mode) + solo_config(), name=f"solo-{mode}",
                         env=envs[mode]).start() for mode in MODES}
    agents = {mode: Agent(agent_config(mode, workdir), name=mode, env=envs[mode]).start()
              for mode in MODES}

    for mode, agent in solos.items():
        ready = wait_until(lambda: http_get(agent.url + "/readyz")[0] == 200, 90, 1,
                           f"{mode} ready")
        check(ready, f"{mode}: /readyz 200 (brokers and groups collected over {mode})")
        m = agent.metrics()
        check(value(m, "kafka_brokers") == 1 and value(m, "kafka_broker_up", id="1") == 1,
              f"{mode}: broker health: kafka_brokers 1, kafka_broker_up 1")
    wait_until(lambda: all(value(solos[m].metrics(), "kafka_sentinel_groups_monitored") ==
                           len(GROUPS) for m in MODES), 30, 1, "groups monitored")
    check_lag(kafka, solos, workdir)

    def fleet_settled():
        scrapes = [agents[m].metrics() for m in MODES]
        owned = [value(s, "kafka_sentinel_fleet_owned_partitions") or 0 for s in scrapes]
        leaders = sum(value(s, "kafka_sentinel_fleet_role", role="leader") or 0 for s in scrapes)
        members = [value(s, "kafka_sentinel_fleet_members") for s in scrapes]
        return (owned, leaders, members) if (sum(owned) == 3 and min(owned) >= 1 and leaders == 1
                                             and members == [3, 3, 3]) else None
    settled = wait_until(fleet_settled, 90, 1, "one fleet of three")
    check(settled, f"one fleet of three agents (one per mode): each owns a shard, one leader "
                   f"({settled})")

    subjects = {f"host/{m}" for m in MODES}
    outputs = {}
    for mode in MODES:
        got = wait_until(lambda: subjects <= events_read_back(agents[mode], envs[mode])[0], 60, 2,
                         f"events read back over {mode}")
        seen, outputs[mode] = events_read_back(agents[mode], envs[mode])
        check(got, f"{mode}: `kafka-sentinel events` reads back the host events every agent "
                   f"produced ({sorted(s for s in seen if s)})")

    everyone = {**{f"solo-{m}": a for m, a in solos.items()}, **agents}
    texts = {f"{n} /metrics": a.metrics_text() for n, a in everyone.items()}
    texts.update({f"{n} /readyz": http_get(a.url + "/readyz")[1] for n, a in everyone.items()})
    texts.update({f"{m} events": outputs[m] for m in MODES})
    for name, agent in everyone.items():
        agent.stop()
        with open(agent.log_path, errors="replace") as f:
            texts[f"{name} log"] = f.read()
    found = leaks(texts, secrets_of(kafka))
    check(not found, f"no password in any log, /metrics, /readyz or event ({found})")
    log(f"agents' logs: {[agents[m].log_path for m in MODES]}")
    finish()


if __name__ == "__main__":
    main()

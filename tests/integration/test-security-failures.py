"""Secured-cluster failures are clear, counted, survived and safe; an ACL-limited user sees
what it may (docs/security.md).

One 1-node kafka-cluster.sh --security sasl_ssl cluster. Agents started at once, each with
one thing wrong:
  wrong SCRAM password, unknown SCRAM user, wrong PLAIN password -> "authentication failed"
  a CA that did not sign the broker's certificate            -> "certificate verify failed"
  an expired client certificate, one from another CA, none  -> "client certificate rejected"
  a client certificate with another certificate's key        -> "client certificate invalid"
  PLAINTEXT against the SASL_SSL port                        -> "security protocol mismatch"
Each keeps running, answers /readyz 503 naming the cause in words, counts it in
kafka_sentinel_kafka_failures_total{cause}. The wrong-password agent (health events on) logs
the failure once however many cycles fail, fires agent.collector_failing, and recovers by
itself once the user's password is set to the one it uses (kafka-configs --alter
--add-config SCRAM-SHA-512=...): /readyz 200, both events read back from Kafka.
The ACL-limited user may describe one topic and two groups, one of which committed on a topic
it may not describe, and nothing else (no Describe on the cluster, no Create/Write on the
events topic): the agent exports the group and topic it may see and nothing of the rest,
logs why its health events cannot be delivered (topic authorization failed) and counts it,
keeps them in its spool, and stays up and ready. It may not read __consumer_offsets either:
with collectors.groups.source auto (the default) it falls back to the admin API and says so
(kafka_sentinel_groups_source, /readyz's note, one log line); a second agent of that user
with source offsets_topic does not fall back: its groups collector fails naming the refusal.
No password appears in a log, /readyz, /metrics, an event or `check-config`'s output.
Takes 3 minutes on a heavily loaded 2-core machine (about half of it the cluster's start).
"""
import json
import os
import secrets
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from ksharness import (AGENT, Agent, KafkaCluster, check, finish, http_get, log,  # noqa: E402
                       series, value, wait_until)
from ksevents import read_topic, short  # noqa: E402
from ksloadgen import loadgen  # noqa: E402
from kssecurity import (MODE_PROPERTIES, admin_loadgen_properties, kafka_section,  # noqa: E402
                        leaks, mode_env, secrets_of)

COLLECTORS = """collectors:
  host: {enabled: false}
  brokers: {interval: 1s}
  groups: {interval: 1s}
"""


def failure_cases(kafka):
    """{name: (kafka properties, env, words /readyz must say, metric cause)}."""
    e = kafka.env
    tls_props = dict(MODE_PROPERTIES["mtls"])
    plain_env = mode_env(kafka, "plain", password="not-" + e["PLAIN_PASSWORD"][:8])
    return {
        "unknown-user": (MODE_PROPERTIES["scram"], mode_env(kafka, "scram", username="nobody"),
                         "authentication failed", "authentication_failed"),
        "plain-password": (MODE_PROPERTIES["plain"], plain_env,
                           "authentication failed", "authentication_failed"),
        "untrusted-broker": (MODE_PROPERTIES["scram"],
                             {**mode_env(kafka, "scram"), "KAFKA_CA": e["TLS_ROGUE_CA"]},
                             "certificate verify failed", "certificate_verify_failed"),
        "expired-cert": (tls_props, {**mode_env(kafka, "mtls"),
                                     "KAFKA_CERT": e["TLS_EXPIRED_CLIENT_CERT"],
                                     "KAFKA_KEY": e["TLS_EXPIRED_CLIENT_KEY"]},
                         "client certificate rejected", "client_certificate_rejected"),
        "foreign-cert": (tls_props, {**mode_env(kafka, "mtls"),
                                     "KAFKA_CERT": e["TLS_ROGUE_CLIENT_CERT"],
                                     "KAFKA_KEY": e["TLS_ROGUE_CLIENT_KEY"]},
                         "client certificate rejected", "client_certificate_rejected"),
        "no-cert": ({"security.protocol": "SSL", "ssl.ca.location": "${KAFKA_CA}"},
                    mode_env(kafka, "mtls"), "client certificate rejected",
                    "client_certificate_rejected"),
        "mismatched-key": (tls_props, {**mode_env(kafka, "mtls"),
                                       "KAFKA_KEY": e["TLS_ROGUE_CLIENT_KEY"]},
                           "client certificate invalid", "client_certificate_invalid"),
        "plaintext-client": ({"security.protocol": "PLAINTEXT"}, mode_env(kafka, "scram"),
                             "security protocol mismatch", "security_protocol_mismatch"),
    }


def readyz_says(agent, words):
    status, body, _ = http_get(agent.url + "/readyz")
    return (status, body) if status == 503 and words in body else None


def set_acls(kafka):
    """The limited user: Describe on topic acl-ok and on groups acl-g-ok and acl-g-mixed (whose
    offsets are on acl-denied); nothing on acl-g-hidden, the cluster or the events topic.
    (OffsetFetch needs Describe on the group and on the topic, not Read.)"""
    user = f"User:{kafka.env['LIMITED_USER']}"
    acl = ["kafka-acls", "--bootstrap-server", kafka.bootstrap, *kafka.admin, "--add",
           "--allow-principal", user]
    kafka.tool(*acl, "--operation", "Describe", "--topic", "acl-ok")
    kafka.tool(*acl, "--operation", "Describe", "--group", "acl-g-ok", "--group", "acl-g-mixed")


def setup_acl_data(kafka):
    admin = admin_loadgen_properties(kafka)
    b = kafka.bootstrap
    loadgen("create-topics", "--bootstrap", b, "--topics", "acl-ok:2:1,acl-denied:2:1", *admin,
            timeout=90)
    loadgen("produce", "--bootstrap", b, "--topics", "acl-ok,acl-denied", "--count", "200",
            "--rate", "0", *admin, timeout=90)
    for group, topic in (("acl-g-ok", "acl-ok"), ("acl-g-mixed", "acl-denied"),
                         ("acl-g-hidden", "acl-denied")):
        loadgen("commit", "--bootstrap", b, "--group", group, "--topic", topic,
                "--offsets", "0:10,1:20", *admin, timeout=60, attempts=10)
    set_acls(kafka)


def check_acl_agent(agent):
    def exported():
        m = agent.metrics()
        return m if series(m, "kafka_consumergroup_lag", consumergroup="acl-g-ok") else None
    m = wait_until(exported, 60, 1, "limited user's group lag")
    check(m is not None, "ACL-limited user: lag of the group it may describe (acl-g-ok)")
    m = m or {}
    topics = {d["topic"] for d, _ in series(m, "kafka_topic_partitions")}
    check("acl-ok" in topics and "acl-denied" not in topics,
          f"ACL-limited user: the topic it may describe, not the other ({sorted(topics)})")
    groups = {d["consumergroup"] for d, _ in series(m, "kafka_consumergroup_lag")}
    check(groups == {"acl-g-ok"},
          f"ACL-limited user: no lag of a hidden group or on a hidden topic ({sorted(groups)})")
    delivery_errors = wait_until(lambda: value(agent.metrics(),
                                               "kafka_sentinel_events_delivery_errors_total"),
                                 60, 1, "events delivery refused")
    with open(agent.log_path, errors="replace") as f:
        text = f.read()
    check(delivery_errors and "Topic authorization failed" in text,
          f"ACL-limited user: events it may not write are refused, logged as such and counted "
          f"({delivery_errors} failed delivery rounds)")
    check(agent.alive() and http_get(agent.url + "/readyz")[0] == 200,
          "ACL-limited user: the agent keeps running, ready")
    check_auto_fell_back(agent, m)


def readyz_groups(agent):
    """The groups collector's entry of /readyz (its JSON body, whatever the status)."""
    try:
        return json.loads(http_get(agent.url + "/readyz")[1]).get("collectors", {}).get("groups", {})
    except ValueError:
        return {}


def check_auto_fell_back(agent, m):
    """collectors.groups.source auto (the default): the limited user may not read
    __consumer_offsets, so the agent uses the admin API instead, and says so."""
    stream = value(m, "kafka_sentinel_groups_source", source="offsets_topic")
    admin = value(m, "kafka_sentinel_groups_source", source="admin_api")
    check(admin == 1 and stream == 0,
          f"ACL-limited user, source auto: kafka_sentinel_groups_source says admin_api "
          f"(admin_api {admin}, offsets_topic {stream})")
    note = readyz_groups(agent).get("note", "")
    check("fell back from offsets_topic" in note and "authorization" in note.lower(),
          f"ACL-limited user, source auto: /readyz's groups note says why it fell back ({note!r})")
    with open(agent.log_path, errors="replace") as f:
        lines = [l for l in f if "fell back from offsets_topic" in l]
    check(len(lines) == 1, f"ACL-limited user, source auto: the fallback logged once ({len(lines)})")


def check_stream_refused(agent):
    """collectors.groups.source offsets_topic, the same limited user: no fallback; the groups
    collector fails, naming the topic and the refusal, and the rest of the agent goes on."""
    def failing():
        entry = readyz_groups(agent)
        return entry if entry.get("errors", 0) >= 2 else None
    entry = wait_until(failing, 60, 1, "offsets_topic agent: groups collector failing") or {}
    error = entry.get("last_error", "")
    check("__consumer_offsets" in error and "authorization" in error.lower(),
          f"ACL-limited user, source offsets_topic: the groups collector fails naming the topic "
          f"and the refusal ({error!r})")
    m = agent.metrics()
    check(not series(m, "kafka_consumergroup_lag") and
          value(m, "kafka_sentinel_groups_source", source="admin_api") != 1,
          "ACL-limited user, source offsets_topic: no lag and no silent switch to the admin API")
    check(agent.alive() and series(m, "kafka_topic_partitions"),
          "ACL-limited user, source offsets_topic: the agent keeps running, its brokers "
          "collector exports the topic it may describe")


def wrong_password_agent(kafka, wrong):
    spool = os.path.join(kafka.dir, "spool-wrong")
    config = kafka_section("scram", request_timeout="5s") + COLLECTORS + f"""events:
  enabled: true
  partitions: 1
  replication_factor: 1
  cluster_name: sec
  node_name: wrong-password
  spool: {{dir: {spool}}}
  agent: {{collector_failure_cycles: 2}}
"""
    return Agent(config, name="wrong-password", env=mode_env(kafka, "scram", password=wrong))


def check_once_per_change(agent):
    """Many failed cycles of the brokers collector, one log line about them."""
    m = agent.metrics()
    errors = value(m, "kafka_sentinel_collector_errors_total", collector="brokers") or 0
    with open(agent.log_path, errors="replace") as f:
        lines = [l for l in f if "collector brokers failed:" in l]
    check(errors >= 3 and len(lines) == 1,
          f"wrong password: {errors:.0f} failed cycles, {len(lines)} log line about them")


def fix_password(kafka, new_password):
    kafka.tool("kafka-configs", "--bootstrap-server", kafka.bootstrap, *kafka.admin, "--alter",
               "--entity-type", "users", "--entity-name", kafka.env["SCRAM_USER"],
               "--add-config", f"SCRAM-SHA-512=[password={new_password}]")


def check_config_output(agent, env):
    r = subprocess.run([AGENT, "check-config", agent.config_path], capture_output=True,
                       text=True, timeout=30, env={**os.environ, **env})
    bad = agent.config_path + ".bad.yaml"
    with open(agent.config_path) as f, open(bad, "w") as g:
        # An invalid property next to the password: the report names it, never the password.
        g.write(f.read().replace("    sasl.mechanism:", "    sasl.mechanism.typo: x\n    sasl.mechanism:"))
    r2 = subprocess.run([AGENT, "check-config", bad], capture_output=True, text=True, timeout=30,
                        env={**os.environ, **env})
    check(r.returncode == 0 and r2.returncode == 2 and "sasl.mechanism.typo" in r2.stderr,
          f"check-config: valid config 0, a bad property 2 naming it ({r2.stderr.strip()[:200]})")
    return r.stdout + r.stderr + r2.stdout + r2.stderr


def main():
    kafka = KafkaCluster(nodes=1, security="sasl_ssl").up()
    wrong = "wrong-" + secrets.token_hex(12)
    all_secrets = secrets_of(kafka) + [wrong]
    cases = failure_cases(kafka)
    agents = {name: Agent(kafka_section(None, props, "5s") + COLLECTORS, name=name, env=env).start()
              for name, (props, env, _, _) in cases.items()}
    wrong_agent = wrong_password_agent(kafka, wrong).start()
    setup_acl_data(kafka)
    events = f"""events:
  enabled: true
  partitions: 1
  replication_factor: 1
  spool: {{dir: {os.path.join(kafka.dir, "spool-limited")}}}
  host: {{memory_available: 1, cycles: 1}}
"""
    limited = Agent(kafka_section("scram") + COLLECTORS.replace("host: {enabled: false}",
                                                                "host: {interval: 1s}") + events,
                    name="limited",
                    env=mode_env(kafka, "scram", username=kafka.env["LIMITED_USER"],
                                 password=kafka.env["LIMITED_PASSWORD"])).start()
    strict = Agent(kafka_section("scram") +
                   COLLECTORS.replace("groups: {interval: 1s}",
                                      "groups: {interval: 1s, source: offsets_topic}"),
                   name="limited-stream",
                   env=mode_env(kafka, "scram", username=kafka.env["LIMITED_USER"],
                                password=kafka.env["LIMITED_PASSWORD"])).start()
    texts = {}

    for name, (_, _, words, cause) in cases.items():
        agent = agents[name]
        said = wait_until(lambda: readyz_says(agent, words), 60, 1, f"{name}: /readyz")
        check(said, f"{name}: /readyz 503 says \"{words}\" ({(said or ('', ''))[1][:300]})")
        counted = value(agent.metrics(), "kafka_sentinel_kafka_failures_total", cause=cause)
        check(counted and counted > 0, f"{name}: kafka_sentinel_kafka_failures_total{{cause="
                                       f"\"{cause}\"}} counts it ({counted})")
        check(agent.alive(), f"{name}: the agent keeps running")

    said = wait_until(lambda: readyz_says(wrong_agent, "authentication failed"), 60, 1,
                      "wrong password: /readyz")
    check(said, "wrong password: /readyz 503 says \"authentication failed\"")
    fired = wait_until(lambda: "event firing agent.collector_failing" in open(
        wrong_agent.log_path, errors="replace").read(), 60, 1, "collector_failing fired")
    check(fired, "wrong password: agent.collector_failing fires (spooled while Kafka refuses us)")
    wait_until(lambda: (value(wrong_agent.metrics(), "kafka_sentinel_collector_errors_total",
                              collector="brokers") or 0) >= 3, 60, 1, "three failed cycles")
    check_once_per_change(wrong_agent)
    texts["check-config"] = check_config_output(wrong_agent, wrong_agent.env)

    check_acl_agent(limited)
    check_stream_refused(strict)

    for name, agent in {**agents, "wrong-password": wrong_agent}.items():
        texts[f"{name} /readyz"] = http_get(agent.url + "/readyz")[1]
        texts[f"{name} /metrics"] = agent.metrics_text()

    fix_password(kafka, wrong)
    ready = wait_until(lambda: http_get(wrong_agent.url + "/readyz")[0] == 200, 90, 1,
                       "recovery after the password is fixed")
    check(ready, "wrong password: recovers by itself once the broker has that password")
    def both_events():
        seen = [(short(e), e.get("data", {}).get("state")) for _, e in read_topic(kafka)
                if e.get("subject") == "collector/brokers"]
        return seen if len(seen) >= 2 else None
    seen = wait_until(both_events, 90, 3, "collector_failing firing and resolved in Kafka")
    check(seen and ("agent.collector_failing", "firing") in seen and
          ("agent.collector_failing", "resolved") in seen,
          f"agent.collector_failing firing then resolved, read back from Kafka ({seen})")
    texts["events topic"] = "\n".join(str(e) for _, e in read_topic(kafka))

    for name, agent in {**agents, "wrong-password": wrong_agent, "limited": limited,
                        "limited-stream": strict}.items():
        agent.stop()
        with open(agent.log_path, errors="replace") as f:
            texts[f"{name} log"] = f.read()
    found = leaks(texts, all_secrets)
    check(not found, f"no password in any log, /readyz, /metrics, event or check-config output "
                     f"({found})")
    log(f"logs in {os.path.dirname(wrong_agent.log_path)}")
    finish()


if __name__ == "__main__":
    main()

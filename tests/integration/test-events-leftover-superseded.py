"""A restarted fleet agent does not send leftover events another agent has superseded.

An agent killed before Kafka acknowledged its last events finds them in its spool when it
starts again and delivers them. In a fleet their conditions may have been taken over
meanwhile by another agent, which published its own events for them (test-fleet-netns
under stress-ng: the killed leader's group.lag_messages firing, spooled an instant before
the SIGKILL, was delivered by its restarted process after the new owner had fired the same
condition: the condition fired twice in the topic).

Here, on a real one-node Kafka: agent a fires group.lag_messages for group lo-g and stops.
Agent b's spool is written as its previous run would have left it (the file format of
docs/events.md), with two undelivered events: the same condition firing, observed 30 s
before a's, and a firing for group lo-other, which nobody published. b starts in the same
fleet: it must drop the first (counted as superseded, logged) and deliver the second, so
that lo-g's condition is still in the topic once.
"""
import binascii
import datetime
import json
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from ksevents import read_topic, short  # noqa: E402
from ksharness import temp_dir, Agent, KafkaCluster, check, finish, log, value, wait_until  # noqa: E402
from ksloadgen import loadgen  # noqa: E402

GROUP, OTHER, TOPIC = "lo-g", "lo-other", "lo-t"


def config(bootstrap, node, spool):
    return f"""
kafka:
  bootstrap_servers: "{bootstrap}"
collectors:
  host: {{interval: 2s}}
  brokers: {{interval: 2s}}
  groups:
    interval: 2s
    groups: {{include: ["lo-.*"]}}
fleet:
  enabled: true
  session_timeout: 6s
  node_name: {node}
events:
  enabled: true
  cluster_name: leftover
  node_name: {node}
  spool: {{dir: {spool}}}
  hysteresis: {{fire_cycles: 1, resolve_cycles: 2}}
  groups: {{lag_messages: 50, states: []}}
"""


def lag_firings(kafka, group):
    return [e for _, e in read_topic(kafka, timeout_ms=5000)
            if short(e) == "group.lag_messages" and e.get("subject", "").startswith(f"group/{group}/")
            and (e.get("data") or {}).get("state") == "firing"]


def crc(data):
    return binascii.crc32(data) & 0xFFFFFFFF


def spool_file(records):
    """events.spool as docs/events.md describes it: header, then one framed record each."""
    header = b"KSSPOOL1" + struct.pack("<Q", len(records) + 1)
    out = header + struct.pack("<I", crc(header))
    for seq, (key, value) in enumerate(records, start=1):
        body = struct.pack("<I", len(key)) + key + value
        checked = struct.pack("<IQ", len(body), seq) + body
        out += struct.pack("<I", 0x3152534B) + checked[:12] + struct.pack("<I", crc(checked)) + body
    return out


def leftover(template, group, seconds_earlier, node, tag):
    event = json.loads(json.dumps(template))
    event["id"] = (tag * 32)[:32]
    event["subject"] = f"group/{group}/topic/{TOPIC}"
    event["source"] = event["source"].rsplit("/", 1)[0] + "/" + node
    when = datetime.datetime.fromisoformat(event["time"].replace("Z", "+00:00"))
    event["time"] = (when - datetime.timedelta(seconds=seconds_earlier)).strftime(
        "%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return event["subject"].encode(), json.dumps(event).encode()


def main():
    kafka = KafkaCluster().up()
    b = kafka.bootstrap
    work = temp_dir(prefix="ks-leftover-")
    loadgen("create-topics", "--bootstrap", b, "--topics", f"{TOPIC}:1:1", timeout=60)
    loadgen("produce", "--bootstrap", b, "--topics", TOPIC, "--count", "100", "--rate", "0",
            timeout=60)
    loadgen("commit", "--bootstrap", b, "--group", GROUP, "--topic", TOPIC, "--offsets", "0:0",
            "--timeout", "20", attempts=10, retry_delay=2)

    a = Agent(config(b, "a", os.path.join(work, "spool-a")), name="a", workdir=work).start()
    fired = wait_until(lambda: lag_firings(kafka, GROUP), 180, 1, "a's firing in the topic")
    check(bool(fired) and len(fired) == 1, f"agent a fired {GROUP}'s lag condition once ({len(fired or [])})")
    a.stop()
    if not fired:
        finish()
        return
    template = fired[0]

    spool_b = os.path.join(work, "spool-b")
    os.makedirs(spool_b)
    with open(os.path.join(spool_b, "events.spool"), "wb") as f:
        f.write(spool_file([leftover(template, GROUP, 30, "b", "b1"),
                            leftover(template, OTHER, 0, "b", "b2")]))
    with open(os.path.join(spool_b, "events.acks"), "wb") as f:
        f.write(b"KSACKS01")

    agent_b = Agent(config(b, "b", spool_b), name="b", workdir=work).start()

    def superseded():
        return value(agent_b.metrics(), "kafka_sentinel_events_total", type="group.lag_messages",
                     state="firing", result="superseded") or 0

    check(wait_until(lambda: superseded() == 1 and
                     value(agent_b.metrics(), "kafka_sentinel_events_spool_depth") == 0, 180, 1,
                     "b's leftovers handled"),
          f"b counts one leftover superseded ({superseded()}) and empties its spool")
    with open(agent_b.log_path, errors="replace") as f:
        text = f.read()
    check(f"not sending firing group.lag_messages group/{GROUP}/topic/{TOPIC} (id={'b1' * 16})" in text,
          "b logs the leftover it does not send, with its id")
    firings = lag_firings(kafka, GROUP)
    check([e["id"] for e in firings] == [template["id"]],
          f"{GROUP}'s lag condition fired once in the topic, by a ({[e['id'][:8] for e in firings]})")
    others = lag_firings(kafka, OTHER)
    check([e["id"] for e in others] == ["b2" * 16],
          f"b's leftover for {OTHER}, news to the topic, is delivered ({[e['id'][:8] for e in others]})")
    agent_b.stop()
    log(f"work dir {work}")
    finish()


if __name__ == "__main__":
    main()

"""A corrupt or truncated spool file is survived: the damage is detected and reported, the
intact events are kept and delivered, the agent still starts.

On a real 1-node Kafka: the node is stopped, so the agent spools the outage's events; the
agent is killed with SIGKILL; the spool file is then damaged as a power loss would (its last
record cut in half) and by a flipped byte inside another record. Restarted, the agent logs
what it lost, counts the discarded bytes, keeps a copy of the damaged file, and keeps
running; once Kafka is back, exactly the intact events reach the topic, once each.
"""
import glob
import os
import struct
import sys
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from ksharness import (temp_dir, Agent, KafkaCluster, base_config, check, finish, http_get, log,  # noqa: E402
                       value, wait_for_cycles, wait_until)
from ksevents import EVENTS_TOPIC, has_logged, read_topic, topic_ready_logged  # noqa: E402

RECORD_MAGIC = 0x3152534B


def spool_records(path):
    """[(offset, size, seq, key, value)] of the intact records of a spool file."""
    data = open(path, "rb").read()
    out, pos = [], 20  # header
    while pos + 20 <= len(data):
        magic, length, seq, crc = struct.unpack_from("<IIQI", data, pos)
        body = data[pos + 20:pos + 20 + length]
        if magic != RECORD_MAGIC or len(body) != length:
            break
        if zlib.crc32(data[pos + 4:pos + 16] + body) & 0xFFFFFFFF != crc:
            break
        key_len = struct.unpack_from("<I", body, 0)[0]
        out.append((pos, 20 + length, seq, body[4:4 + key_len].decode(),
                    body[4 + key_len:].decode()))
        pos += 20 + length
    return out


def acked_seqs(path):
    """Sequence numbers acknowledged (or dropped) in an events.acks file."""
    data = open(path, "rb").read()
    out = set()
    for pos in range(8, len(data) - 23, 24):
        kind, seq = struct.unpack_from("<IQ", data, pos)
        if kind in (2, 3):
            out.add(seq)
    return out


def main():
    import json
    kafka = KafkaCluster(nodes=1).up()
    work = temp_dir(prefix="ks-events-corrupt-")
    spool = os.path.join(work, "spool")
    config = base_config(kafka.bootstrap, "2s", host=False) + f"""
events:
  enabled: true
  partitions: 1
  replication_factor: 1
  node_name: node-a
  spool:
    dir: {spool}
  hysteresis:
    fire_cycles: 1
    resolve_cycles: 1
  agent:
    collector_failure_cycles: 2
"""
    agent = Agent(config, name="events-corrupt", workdir=work).start()

    def depth(a):
        return value(a.metrics(), "kafka_sentinel_events_spool_depth")
    check(wait_until(lambda: topic_ready_logged(agent), 60, 0.5,
                     "events topic"), f"the agent creates {EVENTS_TOPIC}")
    # A few healthy cycles (and any start-up blip delivered).
    check(wait_for_cycles(agent, "brokers", 2, 60) is not None and
          wait_for_cycles(agent, "groups", 2, 60) is not None and
          wait_until(lambda: depth(agent) == 0, 60, 0.5, "an empty spool") is not None,
          "healthy cycles run, the spool is empty before the outage")
    kafka.stop_node(1)
    check(wait_until(lambda: has_logged(agent, "firing", "agent.collector_failing",
                                        "collector/groups") and
                     has_logged(agent, "firing", "agent.collector_failing", "collector/brokers"),
                     60, 0.5, "outage events"), "the outage's events are logged")
    # Logged as they are spooled; the spool depth (every event not acknowledged) says when
    # the spool file holds them all.
    check(wait_until(lambda: depth(agent) >= 4, 60, 0.5, "4 events in the spool") is not None,
          f"the outage's events are spooled ({depth(agent)})")
    agent.proc.kill()
    agent.proc.wait(10)

    path = os.path.join(spool, "events.spool")
    acked = acked_seqs(os.path.join(spool, "events.acks"))
    records = [r for r in spool_records(path) if r[2] not in acked]
    log(f"{len(records)} records in the spool: {[r[3] for r in records]}")
    check(len(records) >= 4, f"at least 4 events in the spool ({len(records)})")
    ids = [json.loads(r[4])["id"] for r in records]
    # Damage: a flipped byte inside the second record, the last record cut in half.
    data = bytearray(open(path, "rb").read())
    second, last = records[1], records[-1]
    data[second[0] + second[1] - 5] ^= 0x20
    del data[last[0] + last[1] // 2:]
    open(path, "wb").write(bytes(data))
    lost = {ids[1], ids[-1]}
    kept = [i for i in ids if i not in lost]

    agent = Agent(config, name="events-corrupt-2", workdir=work).start()
    check(http_get(agent.url + "/healthz")[0] == 200, "the agent starts on a damaged spool")
    # /healthz answers before the events pipeline has read its spool (a busy machine shows
    # it); the pipeline logs this line once the spool is recovered and counted.
    check(wait_until(lambda: "events: publishing to topic" in open(agent.log_path).read(), 60,
                     0.2, "the events pipeline started") is not None,
          "the events pipeline starts on the damaged spool")
    text = open(agent.log_path).read()
    check("damaged region" in text and "intact record(s) kept" in text,
          "the damage is logged, with what was kept")
    check("cut short" in text, "the truncated last record is reported")
    m = agent.metrics()
    discarded = value(m, "kafka_sentinel_events_spool_discarded_bytes_total")
    check(discarded is not None and discarded > 0,
          f"kafka_sentinel_events_spool_discarded_bytes_total counts the damage ({discarded})")
    d = value(m, "kafka_sentinel_events_spool_depth")
    check(d is not None and d >= len(kept), f"the {len(kept)} intact events are kept ({d})")
    check(len(glob.glob(os.path.join(spool, "events.spool.damaged-*"))) == 1,
          "a copy of the damaged file is kept beside the spool")

    kafka.start_node(1)
    check(wait_until(lambda: value(agent.metrics(), "kafka_sentinel_events_spool_depth") == 0,
                     120, 1, "spool drained") is not None, "the spool drains once Kafka is back")
    topic_ids = [e["id"] for _, e in read_topic(kafka)]
    check(all(topic_ids.count(i) == 1 for i in kept),
          "every intact event is delivered exactly once")
    check(not any(i in topic_ids for i in lost), "the damaged events are not (they were reported)")
    code, took = agent.stop()
    check(code == 0, f"agent exits 0 on SIGTERM (got {code} after {took:.1f}s)")
    kafka.down()
    finish()


if __name__ == "__main__":
    main()

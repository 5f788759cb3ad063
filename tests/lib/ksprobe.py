"""Helpers of the end-to-end probe's integration tests (Python standard library only): the
probe agent's config, its per-broker series, and a 3-node cluster with one slow broker.
"""
from ksharness import KafkaCluster, check, log, series
from ksproxy import DelayProxy

BROKERS = (1, 2, 3)


def probe_config(bootstrap, probe, sections="", collectors=None, kafka=""):
    """A config with the probe on: `probe` {option: value} (probe.enabled added), `sections`
    other top-level sections as YAML text, `collectors` {name: YAML lines} (each collector
    not given is off), `kafka` extra lines of the kafka: section."""
    collectors = collectors or {}
    lines = ["kafka:", f"  bootstrap_servers: \"{bootstrap}\"", "  request_timeout: 3s"]
    lines += [f"  {l}" for l in kafka.splitlines() if l.strip()]
    lines.append("collectors:")
    for name in ("host", "brokers", "groups"):
        lines.append(f"  {name}:")
        body = collectors.get(name, "enabled: false")
        lines += [f"    {l}" for l in body.splitlines() if l.strip()]
    lines += ["probe:", "  enabled: true"] + [f"  {k}: {v}" for k, v in probe.items()]
    return "\n".join(lines) + "\n" + sections


def events_section(work, node, replication_factor=None):
    rf = f"  replication_factor: {replication_factor}\n" if replication_factor else ""
    return (f"events:\n  enabled: true\n{rf}  cluster_name: itest\n  node_name: {node}\n"
            f"  spool:\n    dir: {work}/spool-{node}\n")


def per_broker(metrics, name):
    """{broker id: value summed over the broker's partitions} of family `name`."""
    out = {}
    for labels, v in series(metrics, name):
        b = int(labels["broker"])
        out[b] = out.get(b, 0) + v
    return out


def probe_cycles(agent):
    return sum(v for labels, v in series(agent.metrics(), "kafka_sentinel_collector_runs_total")
               if labels.get("collector") == "probe")


def received_by_broker(agent):
    return per_broker(agent.metrics(), "kafka_sentinel_probe_messages_received_total")


def p99_by_broker(agent):
    """Each broker's p99 of its recent end-to-end latencies (what probe.slow judges)."""
    return {int(l["broker"]): v for l, v in
            series(agent.metrics(), "kafka_sentinel_probe_broker_end_to_end_p99_seconds")}


def check_no_loss(agent, what):
    m = agent.metrics()
    for family in ("lost", "duplicated", "out_of_order"):
        counts = per_broker(m, f"kafka_sentinel_probe_messages_{family}_total")
        check(sum(counts.values()) == 0, f"{what}: no message {family.replace('_', ' ')} ({counts})")


def latency_totals(metrics, kind):
    """{broker: (sum, count)} of histogram kafka_sentinel_probe_<kind>_latency_seconds."""
    name = f"kafka_sentinel_probe_{kind}_latency_seconds"
    sums, counts = per_broker(metrics, name + "_sum"), per_broker(metrics, name + "_count")
    return {b: (sums.get(b, 0.0), counts[b]) for b in counts}


def mean_latencies(before, after, kind):
    """{broker: mean latency (s)} of the observations between two /metrics snapshots (none
    for a broker without new observations)."""
    b0, b1 = latency_totals(before, kind), latency_totals(after, kind)
    out = {}
    for b, (s1, c1) in b1.items():
        s0, c0 = b0.get(b, (0.0, 0))
        if c1 > c0:
            out[b] = (s1 - s0) / (c1 - c0)
    return out


def bucket_counts(metrics, kind):
    """{broker: {le bound (float): observations <= le}} of histogram
    kafka_sentinel_probe_<kind>_latency_seconds, summed over the broker's partitions."""
    out = {}
    for labels, v in series(metrics, f"kafka_sentinel_probe_{kind}_latency_seconds_bucket"):
        per = out.setdefault(int(labels["broker"]), {})
        le = float(labels["le"])  # "+Inf" reads as inf
        per[le] = per.get(le, 0) + v
    return out


def median_buckets(before, after, kind):
    """{broker: (lower, upper] bound of the bucket holding the median} of the observations
    between two /metrics snapshots (none for a broker without new observations)."""
    b0, b1 = bucket_counts(before, kind), bucket_counts(after, kind)
    out = {}
    for b, counts in b1.items():
        delta = sorted((le, n - b0.get(b, {}).get(le, 0)) for le, n in counts.items())
        total = delta[-1][1] if delta else 0
        lower = 0.0
        for le, n in delta:
            if total > 0 and n >= total / 2:
                out[b] = (lower, le)
                break
            lower = le
    return out


def slow_node_cluster(slow_node, nodes=3, props=()):
    """A Kafka cluster whose node `slow_node` advertises a DelayProxy's port on its client
    listener (delay 0 until set_delay()); its controller listener stays direct. Returns
    (kafka, proxy, bootstrap of the other nodes' own ports)."""
    kafka = KafkaCluster(nodes=nodes, props=props)
    proxy = DelayProxy(kafka.port_base + slow_node - 1).start()
    kafka.advertise = {slow_node: proxy.port}
    kafka.up()
    direct = ",".join(kafka.node_address(k) for k in range(1, nodes + 1) if k != slow_node)
    log(f"node {slow_node} advertised through the delaying proxy on port {proxy.port}")
    return kafka, proxy, direct

"""The harness's `promtool check metrics` accepts exactly one documented lint: node_exporter's
CamelCase node_memory_ names. Any other lint, also kafka_exporter's _sum names declared as
gauges (the agent declares them untyped, which promtool does not lint), still fails. No Kafka,
no agent: promtool only."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from ksharness import check, finish, log, promtool_unexpected_lints  # noqa: E402


def family(name, sample, kind="gauge", help_text="Some help."):
    return f"# HELP {name} {help_text}\n# TYPE {name} {kind}\n{sample}\n"


def lints(text):
    other, rc = promtool_unexpected_lints(text)
    log(f"promtool exit {rc}, unexpected: {other}")
    return other


NODE_MEMORY = family("node_memory_MemTotal_bytes", "node_memory_MemTotal_bytes 1024")
# kafka_exporter's two per-topic sums, as the agent writes them (exporters/prometheus/group_metrics.cpp).
SUMS_UNTYPED = (
    family("kafka_consumergroup_current_offset_sum",
           'kafka_consumergroup_current_offset_sum{consumergroup="g",topic="t"} 7', "untyped") +
    family("kafka_consumergroup_lag_sum",
           'kafka_consumergroup_lag_sum{consumergroup="g",topic="t"} 3', "untyped"))

check(lints(family("kafka_brokers", "kafka_brokers 1")) == [], "a clean exposition passes")
check(lints(NODE_MEMORY) == [], "node_memory_ CamelCase is the accepted lint")
check(lints(SUMS_UNTYPED) == [], "kafka_exporter's _sum names declared untyped: promtool is silent")

other = lints(family("kafka_consumergroup_lag_sum",
                     'kafka_consumergroup_lag_sum{consumergroup="g",topic="t"} 3'))
check(len(other) == 1 and other[0].startswith("kafka_consumergroup_lag_sum ") and "_sum" in other[0],
      "the same _sum family declared as a gauge fails (no exemption for it)")
other = lints(family("node_cpuSeconds_total", 'node_cpuSeconds_total{cpu="0"} 1', "counter"))
check(other != [], "CamelCase outside node_memory_ still fails")
other = lints("# TYPE node_memory_MemTotal_bytes gauge\nnode_memory_MemTotal_bytes 1\n")
check(other != [] and any("help" in line.lower() for line in other),
      "another lint on an accepted family (no HELP) still fails")
other = lints("# HELP kafka_events_published Events.\n# TYPE kafka_events_published counter\n"
              "kafka_events_published 1\n")
check(other != [], "any other lint (a counter without _total) still fails")
finish()

"""The harness's `promtool check metrics` accepts exactly the documented lints: kafka_exporter's
two _sum gauges (kafka_consumergroup_current_offset_sum, kafka_consumergroup_lag_sum) and
node_exporter's CamelCase node_memory_ names. Any other lint, also a _sum on any other family
or another lint on those families, still fails. No Kafka, no agent: promtool only."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from ksharness import check, finish, log, promtool_unexpected_lints  # noqa: E402


def gauge(name, sample, help_text="Some help."):
    return f"# HELP {name} {help_text}\n# TYPE {name} gauge\n{sample}\n"


KAFKA_EXPORTER_SUMS = (
    gauge("kafka_consumergroup_current_offset_sum",
          'kafka_consumergroup_current_offset_sum{consumergroup="g",topic="t"} 7') +
    gauge("kafka_consumergroup_lag_sum",
          'kafka_consumergroup_lag_sum{consumergroup="g",topic="t"} 3') +
    gauge("node_memory_MemTotal_bytes", "node_memory_MemTotal_bytes 1024"))


def lints(text):
    other, rc = promtool_unexpected_lints(text)
    log(f"promtool exit {rc}, unexpected: {other}")
    return other


check(lints(gauge("kafka_brokers", "kafka_brokers 1")) == [], "a clean exposition passes")
check(lints(KAFKA_EXPORTER_SUMS) == [],
      "kafka_exporter's _sum gauges and node_memory_ CamelCase are the accepted lints")

other = lints(KAFKA_EXPORTER_SUMS + gauge("kafka_consumergroup_foo_sum",
                                          'kafka_consumergroup_foo_sum{consumergroup="g"} 1'))
check(len(other) == 1 and other[0].startswith("kafka_consumergroup_foo_sum "),
      "a _sum gauge of any other family still fails")
other = lints(gauge("kafka_consumergroup_lag_sum_total",
                    'kafka_consumergroup_lag_sum_total{consumergroup="g",topic="t"} 1'))
check(other != [], "a name merely starting with an accepted family is not accepted")
other = lints("# TYPE kafka_consumergroup_lag_sum gauge\n"
              'kafka_consumergroup_lag_sum{consumergroup="g",topic="t"} 3\n')
check(other != [] and any("help" in line.lower() for line in other),
      "another lint on an accepted family (no HELP) still fails")
other = lints("# HELP kafka_events_published Events.\n# TYPE kafka_events_published counter\n"
              "kafka_events_published 1\n")
check(other != [], "any other lint (a counter without _total) still fails")
finish()

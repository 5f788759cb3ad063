#!/usr/bin/env python3
"""Generates kafka-sentinel's Grafana dashboards (dashboards/*.json) from this one source.

    python3 dashboards/generate.py            # rewrite dashboards/*.json
    python3 dashboards/generate.py --check    # exit 1 if a JSON file differs from the source

The JSON files are committed, so Grafana provisions them as they are; this script exists so
that every panel follows the same conventions (tests/e2e/test-alert-rules.sh checks that
the committed files are what this script writes):

- every panel and query uses the data source variable `${datasource}`; `cluster`, `job` and
  `instance` are template variables, nothing is hard-coded;
- cluster-wide series (brokers, topics, groups) are exported once per sidecar agent, so they
  are aggregated with max/min BY their business labels (topic, partition, consumergroup,
  broker id), never summed across instances: a second agent or a replaced one does not
  double anything;
- `cluster` is added by Prometheus from the scrape config (docs/dashboards.md).

Python standard library only. Edit the panels here, run the script, commit both.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA_VERSION = 39  # Grafana 10.4 / 11.x; newer Grafana migrates on load
DS = {"type": "prometheus", "uid": "${datasource}"}

# Label matchers every query carries.
S = 'cluster=~"$cluster", job=~"$job", instance=~"$instance"'
T = S + ', topic=~"$topic"'
GG = S + ', consumergroup=~"$consumergroup"'
G = GG + ', topic=~"$topic"'


# ----------------------------------------------------------------------------- variables

def datasource_var():
    return {"name": "datasource", "label": "Data source", "type": "datasource",
            "query": "prometheus", "current": {}, "hide": 0, "includeAll": False,
            "multi": False, "options": [], "refresh": 1, "regex": "", "skipUrlSync": False}


def query_var(name, label, query, all_value=".*", multi=True):
    v = {"name": name, "label": label, "type": "query", "datasource": DS,
         "definition": query,
         "query": {"qryType": 1, "query": query,
                   "refId": "PrometheusVariableQueryEditor-VariableQuery"},
         "current": {}, "hide": 0, "includeAll": True, "multi": multi, "options": [],
         "refresh": 2, "regex": "", "skipUrlSync": False, "sort": 1}
    if all_value is not None:
        v["allValue"] = all_value
    return v


def common_vars():
    return [
        datasource_var(),
        query_var("cluster", "Cluster", "label_values(kafka_sentinel_build_info, cluster)"),
        # No allValue: "All" means the jobs that export kafka_sentinel_build_info, so `up`
        # and process_* of other jobs stay out.
        query_var("job", "Job",
                  'label_values(kafka_sentinel_build_info{cluster=~"$cluster"}, job)',
                  all_value=None),
        query_var("instance", "Agent",
                  'label_values(kafka_sentinel_build_info{cluster=~"$cluster", job=~"$job"}, instance)'),
    ]


def topic_var():
    return query_var("topic", "Topic",
                     'label_values(kafka_topic_partitions{cluster=~"$cluster", job=~"$job"}, topic)')


def group_var():
    return query_var("consumergroup", "Consumer group",
                     'label_values(kafka_consumergroup_info{cluster=~"$cluster", job=~"$job"}, consumergroup)')


# ----------------------------------------------------------------------------- panels

def target(expr, legend="__auto", instant=False, fmt=None, ref="A"):
    t = {"datasource": DS, "editorMode": "code", "expr": expr, "legendFormat": legend,
         "range": not instant, "instant": instant, "refId": ref}
    if fmt:
        t["format"] = fmt
    return t


def thresholds(*steps):
    """steps: ("green", None), ("red", 1), ..."""
    return {"mode": "absolute",
            "steps": [{"color": c, "value": v} for c, v in steps]}


GREEN = (("green", None),)
BAD_ABOVE_0 = (("green", None), ("red", 1))
WARN_ABOVE_0 = (("green", None), ("orange", 1))


def panel(kind, title, description, targets, w, h, unit="short", steps=GREEN,
          mappings=None, options=None, custom=None, overrides=None, transformations=None,
          decimals=None, min_=None, max_=None):
    defaults = {"unit": unit, "thresholds": thresholds(*steps), "mappings": mappings or [],
                "color": {"mode": "palette-classic" if kind == "timeseries" else "thresholds"}}
    if custom is not None:
        defaults["custom"] = custom
    if decimals is not None:
        defaults["decimals"] = decimals
    if min_ is not None:
        defaults["min"] = min_
    if max_ is not None:
        defaults["max"] = max_
    p = {"type": kind, "title": title, "description": description, "datasource": DS,
         "targets": [dict(t, refId=chr(ord("A") + i)) for i, t in enumerate(targets)],
         "fieldConfig": {"defaults": defaults, "overrides": overrides or []},
         "options": options or {}, "_size": (w, h)}
    if transformations:
        p["transformations"] = transformations
    return p


def timeseries(title, description, targets, w=12, h=8, unit="short", stack=False, **kw):
    custom = {"drawStyle": "line", "lineWidth": 1, "fillOpacity": 10, "showPoints": "never",
              "spanNulls": False, "axisSoftMin": 0,
              "stacking": {"mode": "normal" if stack else "none", "group": "A"}}
    options = {"legend": {"displayMode": "table", "placement": "right", "showLegend": True,
                          "calcs": ["lastNotNull", "max"]},
               "tooltip": {"mode": "multi", "sort": "desc"}}
    return panel("timeseries", title, description, targets, w, h, unit=unit, custom=custom,
                 options=options, **kw)


def stat(title, description, expr, w=4, h=4, unit="short", steps=GREEN, mappings=None,
         legend="{{cluster}}", **kw):
    options = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
               "colorMode": "background", "graphMode": "area", "justifyMode": "auto",
               "orientation": "auto", "textMode": "auto", "wideLayout": True,
               "showPercentChange": False}
    return panel("stat", title, description, [target(expr, legend)], w, h, unit=unit,
                 steps=steps, mappings=mappings, options=options, **kw)


def bargauge(title, description, expr, legend, w=12, h=8, unit="short", steps=GREEN, **kw):
    options = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
               "displayMode": "gradient", "orientation": "horizontal", "showUnfilled": True,
               "valueMode": "color", "namePlacement": "auto", "sizing": "auto",
               "minVizHeight": 16, "minVizWidth": 8, "maxVizHeight": 300}
    return panel("bargauge", title, description, [target(expr, legend, instant=True)], w, h,
                 unit=unit, steps=steps, options=options, **kw)


def state_timeline(title, description, expr, legend, w=12, h=8, mappings=None,
                   steps=GREEN, **kw):
    options = {"mergeValues": True, "showValue": "auto", "alignValue": "left",
               "rowHeight": 0.9, "legend": {"displayMode": "list", "placement": "bottom",
                                            "showLegend": True},
               "tooltip": {"mode": "single", "sort": "none"}}
    custom = {"fillOpacity": 80, "lineWidth": 0}
    return panel("state-timeline", title, description, [target(expr, legend)], w, h,
                 mappings=mappings, steps=steps, options=options, custom=custom, **kw)


def table(title, description, exprs, w=24, h=8, join_by=None, rename=None, hide=(),
          mappings=None, unit="short", steps=GREEN, **kw):
    """exprs: [(expr, column name)]; instant queries, one value column each."""
    targets = [target(e, "__auto", instant=True, fmt="table") for e, _ in exprs]
    names = {}
    for i, (_, column) in enumerate(exprs):
        names["Value" if len(exprs) == 1 else f"Value #{chr(ord('A') + i)}"] = column
    names.update(rename or {})
    exclude = {"Time": True}
    for i in range(len(exprs)):
        exclude[f"Time {i + 1}"] = True
    for i, (_, column) in enumerate(exprs):   # organize matches the original field names
        if column in hide:
            exclude["Value" if len(exprs) == 1 else f"Value #{chr(ord('A') + i)}"] = True
    transformations = []
    if len(exprs) > 1:
        if join_by:
            transformations.append({"id": "joinByField",
                                    "options": {"byField": join_by, "mode": "outer"}})
        else:
            transformations.append({"id": "merge", "options": {}})
    transformations.append({"id": "organize", "options": {
        "excludeByName": exclude, "indexByName": {}, "renameByName": names}})
    options = {"showHeader": True, "cellHeight": "sm",
               "footer": {"show": False, "reducer": ["sum"], "countRows": False, "fields": ""}}
    custom = {"align": "auto", "cellOptions": {"type": "auto"}, "inspect": False}
    p = panel("table", title, description, targets, w, h, unit=unit, steps=steps,
              mappings=mappings, options=options, custom=custom,
              transformations=transformations, **kw)
    return p


def row(title):
    return {"type": "row", "title": title, "collapsed": False, "panels": [], "_size": (24, 1)}


def value_map(pairs):
    """[(value, text, color)] -> a Grafana value mapping."""
    return [{"type": "value", "options": {
        str(v): {"text": t, "color": c, "index": i} for i, (v, t, c) in enumerate(pairs)}}]


UP_MAP = value_map([(0, "DOWN", "red"), (1, "UP", "green")])
REACHABLE_MAP = value_map([(0, "Unreachable", "red"), (1, "Reachable", "green")])
OK_MAP = value_map([(0, "FAILING", "red"), (1, "OK", "green")])
ROLE_MAP = value_map([(0, "-", "transparent"), (1, "HOLDS", "green")])
LEASE_MAP = value_map([(0, "NO LEASE", "red"), (1, "VALID", "green")])
GROUP_STATUS_MAP = value_map([(0, "NOTFOUND", "text"), (1, "OK", "green"), (2, "WARN", "yellow"),
                              (3, "ERR", "red")])
PARTITION_STATUS_MAP = value_map([(1, "OK", "green"), (2, "WARN", "yellow"), (4, "STOP", "red"),
                                  (5, "STALL", "red"), (6, "REWIND", "orange")])


def override_by_regex(regex, props):
    return {"matcher": {"id": "byRegexp", "options": regex},
            "properties": [{"id": k, "value": v} for k, v in props.items()]}


# ----------------------------------------------------------------------------- dashboards

def cluster_overview():
    panels = [
        row("Cluster health"),
        stat("Cluster reachable", "1 while at least one agent gets metadata from the cluster "
             "(max of kafka_up over the agents).",
             f"max by (cluster) (kafka_up{{{S}}})", mappings=REACHABLE_MAP,
             steps=(("red", None), ("green", 1))),
        stat("Agents reaching Kafka", "Agents whose last metadata request succeeded, of all "
             "agents reporting on the cluster.",
             f"sum by (cluster) (kafka_up{{{S}}})", steps=GREEN),
        stat("Brokers up", "Live brokers in the cluster metadata (kafka_brokers).",
             f"max by (cluster) (kafka_brokers{{{S}}})"),
        stat("Brokers down", "Brokers seen before and now out of the metadata or not "
             "answering, according to every agent (kafka_broker_up 0; kept for "
             "collectors.brokers.broker_down_retention).",
             f"sum by (cluster) (1 - max by (cluster, id) (kafka_broker_up{{{S}}}))",
             steps=BAD_ABOVE_0),
        stat("Expected brokers", "collectors.brokers.expected_brokers (no data when not "
             "configured).", f"max by (cluster) (kafka_brokers_expected{{{S}}})"),
        stat("Controller (metadata)", "Controller id from the metadata. On KRaft clusters "
             "Kafka answers with a random alive broker by design: do not read changes as "
             "elections.", f"max by (cluster) (kafka_cluster_controller_id{{{S}}})",
             legend="broker", decimals=0),
        stat("Offline partitions", "Partitions without a leader: neither writable nor "
             "readable.", f"max by (cluster) (kafka_cluster_offline_partitions{{{S}}})",
             steps=BAD_ABOVE_0),
        stat("Under min ISR", "Partitions with fewer in-sync replicas than "
             "min.insync.replicas (or offline): acks=all producers fail.",
             f"max by (cluster) (kafka_cluster_under_min_isr_partitions{{{S}}})",
             steps=BAD_ABOVE_0),
        stat("Under-replicated", "Partitions whose ISR is smaller than their replica set.",
             f"max by (cluster) (kafka_cluster_under_replicated_partitions{{{S}}})",
             steps=WARN_ABOVE_0),
        stat("Topics", "Monitored topics.",
             f"count by (cluster) (max by (cluster, topic) (kafka_topic_partitions{{{S}}}))"),
        stat("Partitions", "Partitions of the monitored topics.",
             f"sum by (cluster) (max by (cluster, topic) (kafka_topic_partitions{{{S}}}))"),
        stat("Messages in /s", "Messages appended per second over all monitored topics.",
             f"sum by (cluster) (max by (cluster, topic) (kafka_topic_messages_in_per_second{{{S}}}))",
             decimals=1),

        row("Brokers"),
        state_timeline("Broker up", "Each broker as seen by the agents: UP if any agent sees "
                       "it up (max over the agents).",
                       f"max by (id, address) (kafka_broker_up{{{S}}})",
                       "broker {{id}} {{address}}", mappings=UP_MAP,
                       steps=(("red", None), ("green", 1))),
        timeseries("Brokers", "Live brokers and, when configured, the expected count.",
                   [target(f"max by (cluster) (kafka_brokers{{{S}}})", "live {{cluster}}"),
                    target(f"max by (cluster) (kafka_brokers_expected{{{S}}})",
                           "expected {{cluster}}")], decimals=0),
        timeseries("Partition replicas per broker", "Replicas of the monitored topics each "
                   "broker hosts.",
                   [target(f"max by (id) (kafka_broker_partitions{{{S}}})", "broker {{id}}")],
                   decimals=0),
        timeseries("Partition leaders per broker", "Partitions each broker leads: an uneven "
                   "spread means an uneven load.",
                   [target(f"max by (id) (kafka_broker_leader_partitions{{{S}}})",
                           "broker {{id}}")], decimals=0),
        table("Brokers", "Brokers in the metadata (and brokers down, kept for "
              "broker_down_retention).",
              [(f"max by (id, address) (kafka_broker_up{{{S}}})", "up"),
               (f"max by (id) (kafka_broker_partitions{{{S}}})", "replicas"),
               (f"max by (id) (kafka_broker_leader_partitions{{{S}}})", "leaders")],
              w=12, join_by="id", mappings=UP_MAP),
        timeseries("Partitions not led by their preferred replica", "Per topic; a preferred "
                   "leader election (kafka-leader-election) moves them back.",
                   [target(f"sum by (topic) (1 - max by (topic, partition) "
                           f"(kafka_topic_partition_leader_is_preferred{{{T}}}))", "{{topic}}")],
                   decimals=0),

        row("Partition health"),
        timeseries("Offline, under min ISR and under-replicated partitions", "Cluster totals.",
                   [target(f"max by (cluster) (kafka_cluster_offline_partitions{{{S}}})",
                           "offline {{cluster}}"),
                    target(f"max by (cluster) (kafka_cluster_under_min_isr_partitions{{{S}}})",
                           "under min ISR {{cluster}}"),
                    target(f"max by (cluster) (kafka_cluster_under_replicated_partitions{{{S}}})",
                           "under-replicated {{cluster}}")], decimals=0),
        table("Unhealthy partitions", "Partitions offline, under min ISR or under-replicated "
              "now (empty while all is well).",
              [(f"max by (topic, partition) (kafka_topic_partition_offline{{{T}}}) == 1",
                "offline"),
               (f"max by (topic, partition) (kafka_topic_partition_under_min_isr{{{T}}}) == 1",
                "under min ISR"),
               (f"max by (topic, partition) "
                f"(kafka_topic_partition_under_replicated_partition{{{T}}}) == 1",
                "under-replicated")], w=12),
        timeseries("Lowest in-sync replicas vs min.insync.replicas", "Per topic: the smallest "
                   "ISR of its partitions, and its min.insync.replicas.",
                   [target(f"min by (topic) (kafka_topic_partition_in_sync_replica{{{T}}})",
                           "ISR {{topic}}"),
                    target(f"max by (topic) (kafka_topic_min_insync_replicas{{{T}}})",
                           "min.insync.replicas {{topic}}")], w=24, decimals=0,
                   overrides=[override_by_regex("min\\.insync.*", {
                       "custom.lineStyle": {"fill": "dash", "dash": [10, 10]}})]),

        row("Topics"),
        timeseries("Messages in per topic", "Messages appended per second, from the increase "
                   "of the partitions' end offsets between collection cycles.",
                   [target(f"max by (topic) (kafka_topic_messages_in_per_second{{{T}}})",
                           "{{topic}}")], unit="short", stack=True),
        timeseries("Messages in per topic (from scraped offsets)", "The same, computed by "
                   "Prometheus from kafka_topic_partition_current_offset (as kafka_exporter "
                   "dashboards do), deduplicated across agents.",
                   [target(f"sum by (topic) (max by (topic, partition) "
                           f"(rate(kafka_topic_partition_current_offset{{{T}}}[$__rate_interval])))",
                           "{{topic}}")], stack=True),
        timeseries("Messages retained per topic", "End offset minus log-start offset, summed "
                   "over the partitions.",
                   [target(f"sum by (topic) (max by (topic, partition) "
                           f"(kafka_topic_partition_current_offset{{{T}}} - "
                           f"kafka_topic_partition_oldest_offset{{{T}}}))", "{{topic}}")]),
        table("Topics", "Partitions, replication factor, min.insync.replicas and rate.",
              [(f"max by (topic) (kafka_topic_partitions{{{T}}})", "partitions"),
               (f"max by (topic) (kafka_topic_partition_replicas{{{T}}})", "replicas"),
               (f"max by (topic) (kafka_topic_min_insync_replicas{{{T}}})",
                "min.insync.replicas"),
               (f"max by (topic) (kafka_topic_messages_in_per_second{{{T}}})", "messages/s")],
              w=12, join_by="topic"),
    ] + probe_row()
    return dashboard("ks-kafka-cluster", "Kafka cluster overview",
                     "Brokers, controller, partition health and throughput of Kafka clusters "
                     "monitored by kafka-sentinel.",
                     common_vars() + [topic_var()], panels)


def probe_row():
    """The end-to-end probe (probe.enabled): per broker, what a client sees."""
    lat = "kafka_sentinel_probe_end_to_end_latency_seconds_bucket"
    return [
        row("End-to-end probe (probe.enabled)"),
        timeseries("Probe end-to-end latency per broker (p50, p99)", "From produce to "
                   "consumed back, for the probe partitions each broker leads.",
                   [target(f"histogram_quantile(0.99, sum by (broker, le) "
                           f"(rate({lat}{{{S}}}[$__rate_interval])))", "p99 broker {{broker}}"),
                    target(f"histogram_quantile(0.5, sum by (broker, le) "
                           f"(rate({lat}{{{S}}}[$__rate_interval])))", "p50 broker {{broker}}")],
                   unit="s"),
        timeseries("Probe produce and commit latency per broker (p99)", "Send to "
                   "acknowledgement (probe.acks), and the probe consumer's offset commits.",
                   [target(f"histogram_quantile(0.99, sum by (broker, le) (rate("
                           f"kafka_sentinel_probe_produce_latency_seconds_bucket{{{S}}}"
                           f"[$__rate_interval])))", "produce broker {{broker}}"),
                    target(f"histogram_quantile(0.99, sum by (broker, le) (rate("
                           f"kafka_sentinel_probe_commit_latency_seconds_bucket{{{S}}}"
                           f"[$__rate_interval])))", "commit broker {{broker}}")],
                   unit="s"),
        panel("heatmap", "Probe end-to-end latency heatmap", "Probe messages per latency "
              "bucket over time, all brokers.",
              [dict(target(f"sum by (le) (increase({lat}{{{S}}}[$__rate_interval]))",
                           "{{le}}"), format="heatmap")], 8, 8, unit="s",
              options={"calculate": False, "yAxis": {"unit": "s"},
                       "cellGap": 1, "color": {"mode": "scheme", "scheme": "Oranges"}}),
        timeseries("Probe messages lost, duplicated, out of order", "Per broker: messages not "
                   "consumed back within probe.timeout, consumed twice, or after a later one.",
                   [target(f"sum by (broker) (increase(kafka_sentinel_probe_messages_lost_total"
                           f"{{{S}}}[$__rate_interval]))", "lost broker {{broker}}"),
                    target(f"sum by (broker) (increase("
                           f"kafka_sentinel_probe_messages_duplicated_total{{{S}}}"
                           f"[$__rate_interval]))", "duplicated broker {{broker}}"),
                    target(f"sum by (broker) (increase("
                           f"kafka_sentinel_probe_messages_out_of_order_total{{{S}}}"
                           f"[$__rate_interval]))", "out of order broker {{broker}}")],
                   w=8, decimals=0),
        state_timeline("Probe health per broker", "FAILING: the broker led no probed "
                       "partition, or its messages were lost or refused, in the last probe "
                       "interval.",
                       f"max by (broker) (kafka_sentinel_probe_broker_failing{{{S}}})",
                       "broker {{broker}}", w=8,
                       mappings=value_map([(0, "OK", "green"), (1, "FAILING", "red")]),
                       steps=(("green", None), ("red", 1))),
    ] + client_view_panels()


def client_view_panels():
    """What the agent's own Kafka clients see of each broker (librdkafka's statistics,
    kafka.statistics_interval): the request/response clients only (brokers+groups, the one
    the two collectors share; brokers or groups alone), whose round trips are not long
    polls."""
    rtt = f'kafka_sentinel_client_broker_rtt_seconds{{{S}, client=~"brokers|groups|brokers[+]groups"'
    return [
        timeseries("Client round trip per broker (p99, avg)", "Request to response of the "
                   "agent's brokers and groups clients, per broker id, the slowest agent and "
                   "client (librdkafka's statistics). A p99 at the maximum means at least 1% "
                   "of the round trips took longer than 0.5 s.",
                   [target(f'max by (broker_id) ({rtt}, stat="p99"}})',
                           "p99 broker {{broker_id}}"),
                    target(f'max by (broker_id) ({rtt}, stat="avg"}})',
                           "avg broker {{broker_id}}")], unit="s"),
        timeseries("Client request timeouts and disconnects per broker", "Requests of the "
                   "agent's clients that timed out, and connections lost or closed, per broker "
                   "id (every client of the agent).",
                   [target(f"sum by (broker_id) (increase("
                           f"kafka_sentinel_client_broker_request_timeouts_total{{{S}}}"
                           f"[$__rate_interval]))", "timeouts broker {{broker_id}}"),
                    target(f"sum by (broker_id) (increase("
                           f"kafka_sentinel_client_broker_disconnects_total{{{S}}}"
                           f"[$__rate_interval]))", "disconnects broker {{broker_id}}")],
                   decimals=0),
    ]


def consumer_groups():
    panels = [
        row("Overview"),
        stat("Consumer groups", "Monitored groups.",
             f"count by (cluster) (max by (cluster, consumergroup) (kafka_consumergroup_info{{{GG}}}))"),
        stat("Groups in ERR", "Groups with a partition STOP, STALL or REWIND (status 3).",
             f"sum by (cluster) (max by (cluster, consumergroup) (kafka_consumergroup_status{{{GG}}}) >= bool 3)",
             steps=BAD_ABOVE_0),
        stat("Groups in WARN", "Groups whose lag keeps growing over the status window.",
             f"sum by (cluster) (max by (cluster, consumergroup) (kafka_consumergroup_status{{{GG}}}) == bool 2)",
             steps=WARN_ABOVE_0),
        stat("Total lag", "Unconsumed messages over all groups and topics.",
             f"sum by (cluster) (max by (cluster, consumergroup, topic) (kafka_consumergroup_lag_sum{{{G}}}))"),
        stat("Worst lag", "Age of the oldest unconsumed message of any group.",
             f"max by (cluster) (kafka_consumergroup_max_lag_seconds{{{GG}}})", unit="s"),
        stat("Messages lost to retention", "Messages deleted by retention before their group "
             "consumed them, now (empty while none).",
             f"sum by (cluster) (max by (cluster, consumergroup, topic) "
             f"(kafka_consumergroup_lag_expired_messages_sum{{{G}}}))", steps=BAD_ABOVE_0),

        row("Lag"),
        timeseries("Lag per group and topic (messages)", "kafka_consumergroup_lag_sum: "
                   "unconsumed messages per group and topic.",
                   [target(f"max by (consumergroup, topic) (kafka_consumergroup_lag_sum{{{G}}})",
                           "{{consumergroup}} / {{topic}}")]),
        timeseries("Lag per group and topic (seconds)", "Age of the oldest unconsumed message "
                   "(its partition's worst), from the history of end offsets.",
                   [target(f"max by (consumergroup, topic) (kafka_consumergroup_lag_seconds_max{{{G}}})",
                           "{{consumergroup}} / {{topic}}")], unit="s"),
        bargauge("Top 10 lagging groups (messages)", "Lag summed over the group's topics.",
                 f"topk(10, max by (cluster, consumergroup) (sum by (cluster, instance, consumergroup) "
                 f"(kafka_consumergroup_lag_sum{{{G}}})))", "{{consumergroup}}",
                 steps=(("green", None), ("orange", 1000), ("red", 10000))),
        bargauge("Top 10 lagging groups (seconds)", "The group's oldest unconsumed message.",
                 f"topk(10, max by (cluster, consumergroup) (kafka_consumergroup_max_lag_seconds{{{GG}}}))",
                 "{{consumergroup}}", unit="s",
                 steps=(("green", None), ("orange", 60), ("red", 300))),
        table("Lag per group and topic", "Sum of the committed offsets, lag (total and worst "
              "partition), lag in seconds and status of the worst partition. Per-topic "
              "figures, so the same with collectors.groups.granularity partition or topic.",
              [(f"max by (consumergroup, topic) (kafka_consumergroup_current_offset_sum{{{G}}})",
                "committed offsets"),
               (f"max by (consumergroup, topic) (kafka_consumergroup_lag_sum{{{G}}})", "lag"),
               (f"max by (consumergroup, topic) (kafka_consumergroup_lag_max{{{G}}})",
                "worst partition lag"),
               (f"max by (consumergroup, topic) (kafka_consumergroup_lag_seconds_max{{{G}}})",
                "lag seconds"),
               (f"max by (consumergroup, topic) (kafka_consumergroup_partition_status_max{{{G}}})",
                "worst status")], h=10,
              overrides=[{"matcher": {"id": "byName", "options": "worst status"},
                          "properties": [{"id": "mappings", "value": PARTITION_STATUS_MAP}]}]),

        row("Status, members and state"),
        state_timeline("Group status", "Burrow-compatible: OK, WARN (lag growing), ERR (a "
                       "partition STOP, STALL or REWIND).",
                       f"max by (consumergroup) (kafka_consumergroup_status{{{GG}}})",
                       "{{consumergroup}}", mappings=GROUP_STATUS_MAP),
        table("Partitions not OK", "Partitions per group, topic and status WARN, STOP (no "
              "consumer), STALL (consumer not progressing) or REWIND (empty while all are OK).",
              [(f'max by (consumergroup, topic, status) '
                f'(kafka_consumergroup_status_partitions{{{G}, status!="OK"}})',
                "partitions")], w=12),
        table("Members and state", "Group state (Stable, Empty, PreparingRebalance, ...), "
              "partition assignor and member count.",
              [(f"max by (consumergroup, state, protocol) (kafka_consumergroup_info{{{GG}}})", "info"),
               (f"max by (consumergroup) (kafka_consumergroup_members{{{GG}}})", "members")],
              w=12, join_by="consumergroup", hide=("info",)),
        timeseries("Members per group", "Consumers in each group.",
                   [target(f"max by (consumergroup) (kafka_consumergroup_members{{{GG}}})",
                           "{{consumergroup}}")], decimals=0),

        row("Throughput and catching up"),
        timeseries("Consumption vs production", "Messages per second each group commits on a "
                   "topic, against the topic's produce rate (dashed).",
                   [target(f"max by (consumergroup, topic) "
                           f"(kafka_consumergroup_consumed_messages_per_second{{{G}}})",
                           "consumed {{consumergroup}} / {{topic}}"),
                    target(f"max by (topic) (kafka_topic_messages_in_per_second{{{T}}})",
                           "produced {{topic}}")],
                   overrides=[override_by_regex("produced .*", {
                       "custom.lineStyle": {"fill": "dash", "dash": [10, 10]}})]),
        timeseries("Time to catch up", "Estimated time until the lag reaches 0 at the current "
                   "rates; 0 when caught up, no value when not catching up.",
                   [target(f"max by (consumergroup, topic) (kafka_consumergroup_catch_up_seconds{{{G}}})",
                           "{{consumergroup}} / {{topic}}")], unit="s"),
        timeseries("Messages lost to retention", "Messages retention deleted before the group "
                   "consumed them (log-start offset minus committed offset).",
                   [target(f"max by (consumergroup, topic) "
                           f"(kafka_consumergroup_lag_expired_messages_sum{{{G}}})",
                           "{{consumergroup}} / {{topic}}")], steps=BAD_ABOVE_0),
        timeseries("Partitions without lag figures", "Partitions with no committed offset (no "
                   "lag series), and with lag whose age is unknown or only a lower bound.",
                   [target(f"max by (consumergroup) (kafka_consumergroup_uncommitted_partitions{{{GG}}})",
                           "no commit {{consumergroup}}"),
                    target(f"max by (consumergroup) "
                           f"(kafka_consumergroup_lag_seconds_unknown_partitions{{{GG}}})",
                           "age unknown {{consumergroup}}"),
                    target(f"max by (consumergroup) "
                           f"(kafka_consumergroup_lag_seconds_lower_bound_partitions{{{GG}}})",
                           "age lower bound {{consumergroup}}")], decimals=0),
    ]
    return dashboard("ks-kafka-consumer-groups", "Kafka consumer groups",
                     "Lag in messages and seconds, status, members, consumption against "
                     "production and time to catch up, per consumer group and topic.",
                     common_vars() + [group_var(), topic_var()], panels)


def nodes():
    per_node = 'on (cluster, job, instance) group_left ()'
    cpus = f'count by (cluster, job, instance) (node_cpu_seconds_total{{{S}, mode="idle"}})'
    panels = [
        row("CPU"),
        timeseries("CPU busy", "Fraction of all CPUs' time not idle or iowait, between the "
                   "agent's last two host cycles.",
                   [target(f"kafka_sentinel_host_cpu_utilization_ratio{{{S}}}", "{{instance}}")],
                   unit="percentunit", max_=1,
                   steps=(("green", None), ("orange", 0.75), ("red", 0.9))),
        timeseries("CPU by mode", "Share of the node's CPU time per mode (idle left out).",
                   [target(f"sum by (cluster, job, instance, mode) "
                           f"(rate(node_cpu_seconds_total{{{S}, mode!=\"idle\"}}[$__rate_interval])) "
                           f"/ {per_node} {cpus}", "{{instance}} {{mode}}")],
                   unit="percentunit", stack=True),
        timeseries("Load average", "Runnable plus uninterruptible tasks, 1/5/15-minute "
                   "averages.",
                   [target(f"node_load1{{{S}}}", "{{instance}} 1m"),
                    target(f"node_load5{{{S}}}", "{{instance}} 5m"),
                    target(f"node_load15{{{S}}}", "{{instance}} 15m")]),
        timeseries("Load per CPU", "1-minute load divided by the CPU count: above 1 means "
                   "tasks wait for a CPU.",
                   [target(f"node_load1{{{S}}} / on (cluster, job, instance) {cpus}",
                           "{{instance}}")],
                   steps=(("green", None), ("orange", 1), ("red", 2))),

        row("Memory"),
        timeseries("Memory available", "MemAvailable / MemTotal: what new work can use "
                   "without swapping.",
                   [target(f"kafka_sentinel_host_memory_available_ratio{{{S}}}", "{{instance}}")],
                   unit="percentunit", max_=1,
                   steps=(("red", None), ("orange", 0.1), ("green", 0.2))),
        timeseries("Memory use", "Used (total minus available) and page cache, in which "
                   "Kafka keeps recent log segments.",
                   [target(f"node_memory_MemTotal_bytes{{{S}}} - node_memory_MemAvailable_bytes{{{S}}}",
                           "{{instance}} used"),
                    target(f"node_memory_Cached_bytes{{{S}}}", "{{instance}} page cache"),
                    target(f"node_memory_MemTotal_bytes{{{S}}}", "{{instance}} total")],
                   unit="bytes"),
        timeseries("Swap used", "A broker that swaps stalls; any growth is worth a look.",
                   [target(f"node_memory_SwapTotal_bytes{{{S}}} - node_memory_SwapFree_bytes{{{S}}}",
                           "{{instance}}")], unit="bytes"),

        row("Pressure (PSI)"),
        timeseries("CPU pressure", "Share of time at least one task waited for a CPU.",
                   [target(f"rate(node_pressure_cpu_waiting_seconds_total{{{S}}}[$__rate_interval])",
                           "{{instance}} waiting")], unit="percentunit", w=8),
        timeseries("Memory pressure", "Share of time tasks waited for memory (some) or all "
                   "stalled on it (full).",
                   [target(f"rate(node_pressure_memory_waiting_seconds_total{{{S}}}[$__rate_interval])",
                           "{{instance}} waiting"),
                    target(f"rate(node_pressure_memory_stalled_seconds_total{{{S}}}[$__rate_interval])",
                           "{{instance}} stalled")], unit="percentunit", w=8),
        timeseries("IO pressure", "Share of time tasks waited for IO (some) or all stalled on "
                   "it (full).",
                   [target(f"rate(node_pressure_io_waiting_seconds_total{{{S}}}[$__rate_interval])",
                           "{{instance}} waiting"),
                    target(f"rate(node_pressure_io_stalled_seconds_total{{{S}}}[$__rate_interval])",
                           "{{instance}} stalled")], unit="percentunit", w=8),
    ]
    return dashboard("ks-kafka-nodes", "Kafka nodes",
                     "CPU, memory, load and pressure of the node of each kafka-sentinel "
                     "sidecar (node_exporter-compatible series).",
                     common_vars(), panels)


def agent_health():
    panels = [
        row("Agents"),
        stat("Agents up", "Agents Prometheus scrapes successfully.", f"sum(up{{{S}}})",
             legend="up", steps=(("red", None), ("green", 1))),
        stat("Agents down", "Agents Prometheus fails to scrape.", f"sum(1 - up{{{S}}})",
             legend="down", steps=BAD_ABOVE_0),
        stat("Collectors failing", "Collectors whose last cycle failed.",
             f"sum(1 - kafka_sentinel_collector_success{{{S}}})", legend="failing",
             steps=BAD_ABOVE_0),
        stat("Events spooled", "Health events waiting in the agents' on-disk spool "
             "(Kafka unreachable).", f"sum(kafka_sentinel_events_spool_depth{{{S}}})",
             legend="spooled", steps=WARN_ABOVE_0),
        table("Agents", "Build and uptime of each agent.",
              [(f"max by (instance, version, revision, librdkafka_version) "
                f"(kafka_sentinel_build_info{{{S}}})", "build"),
               (f"max by (instance) (time() - process_start_time_seconds{{{S}}})", "uptime")],
              w=8, join_by="instance", hide=("build",),
              overrides=[{"matcher": {"id": "byName", "options": "uptime"},
                          "properties": [{"id": "unit", "value": "s"}]}]),
        state_timeline("Scrape up", "Prometheus's scrape of each agent.",
                       f"up{{{S}}}", "{{instance}}", mappings=UP_MAP, w=24, h=6,
                       steps=(("red", None), ("green", 1))),

        row("Fleet (fleet.enabled: one agent per Kafka node)"),
        stat("Fleet leaders", "Agents holding the leader role (the cluster-wide work) under a "
             "valid lease: exactly 1 in a healthy fleet. 0 = nobody exports the cluster-wide "
             "series (KafkaSentinelFleetNoLeader).",
             f"sum by (cluster) (kafka_sentinel_fleet_role{{{S}, role=\"leader\"}})",
             steps=(("red", None), ("green", 1), ("red", 2)), decimals=0),
        stat("Fleet agents", "Agents with the fleet enabled that Prometheus scrapes.",
             f"count by (cluster) (kafka_sentinel_fleet_info{{{S}}})", decimals=0),
        stat("Unowned group shards", "Partitions of the coordination topic (shards of the "
             "consumer groups) no agent owns under a valid lease: their groups are not "
             "monitored until a rebalance gives them out (seconds).",
             f"max by (cluster) (kafka_sentinel_fleet_partitions{{{S}}}) - "
             f"sum by (cluster) (kafka_sentinel_fleet_owned_partitions{{{S}}})",
             steps=WARN_ABOVE_0, decimals=0),
        table("Fleet members", "Each fleet agent's node, local broker, coordination group "
              "and state (starting, joining, member, stopped).",
              [(f"max by (instance, node, broker_id, group, state) "
                f"(kafka_sentinel_fleet_info{{{S}}})", "info")],
              w=12, hide=("info",)),
        state_timeline("Fleet roles", "Who does what: the leader (broker metadata, cluster "
                       "series and events) and the group shards, per agent. A failover shows "
                       "as the role moving from one agent to another.",
                       f"kafka_sentinel_fleet_role{{{S}}}", "{{instance}} {{role}}",
                       mappings=ROLE_MAP, steps=(("transparent", None), ("green", 1))),
        state_timeline("Fleet lease", "Whether the group coordinator accepted each agent's "
                       "last lease renewal in time. NO LEASE while owning shards: the agent is "
                       "cut off and exports no cluster-wide series.",
                       f"kafka_sentinel_fleet_lease_valid{{{S}}}", "{{instance}}",
                       mappings=LEASE_MAP, steps=(("red", None), ("green", 1))),
        timeseries("Group shards per agent", "Partitions of the coordination topic each agent "
                   "owns (its share of the consumer groups), and the total.",
                   [target(f"kafka_sentinel_fleet_owned_partitions{{{S}}}", "{{instance}}"),
                    target(f"max by (cluster) (kafka_sentinel_fleet_partitions{{{S}}})",
                           "shards")], decimals=0),
        timeseries("Rebalances and lease expirations", "Changes of each agent's assignment "
                   "(assigned, revoked, lost) and leases that lapsed, per interval.",
                   [target(f"sum by (instance, event) (increase(kafka_sentinel_fleet_rebalances_total{{{S}}}[$__rate_interval]))",
                           "{{instance}} {{event}}"),
                    target(f"increase(kafka_sentinel_fleet_lease_expirations_total{{{S}}}[$__rate_interval])",
                           "{{instance}} lease expired")], decimals=0),

        row("Collectors"),
        state_timeline("Collector success", "Each collector's last cycle: OK or FAILING.",
                       f"kafka_sentinel_collector_success{{{S}}}", "{{instance}} {{collector}}",
                       mappings=OK_MAP, steps=(("red", None), ("green", 1))),
        timeseries("Collector cycle duration", "How long each collector's last cycle took.",
                   [target(f"kafka_sentinel_collector_duration_seconds{{{S}}}",
                           "{{instance}} {{collector}}")], unit="s"),
        timeseries("Collector errors", "Failed cycles per second.",
                   [target(f"sum by (instance, collector) "
                           f"(rate(kafka_sentinel_collector_errors_total{{{S}}}[$__rate_interval]))",
                           "{{instance}} {{collector}}")], unit="short"),
        timeseries("Time since last success", "Age of each collector's last successful cycle: "
                   "a hung cycle shows here first.",
                   [target(f"time() - kafka_sentinel_collector_last_success_timestamp_seconds{{{S}}}",
                           "{{instance}} {{collector}}")], unit="s"),
        timeseries("Kafka client errors", "Errors per second reported by the broker "
                   "collector's Kafka client, shared with the groups collector (connections "
                   "refused, all brokers down, ...).",
                   [target(f"rate(kafka_sentinel_kafka_client_errors_total{{{S}}}[$__rate_interval])",
                           "{{instance}}")]),
        timeseries("ListOffsets failures per broker", "Failed or timed-out offset requests "
                   "per second, per broker.",
                   [target(f"sum by (instance, id) (rate(kafka_sentinel_broker_offset_request_failures_total{{{S}}}[$__rate_interval]))",
                           "{{instance}} broker {{id}}")]),
        timeseries("Groups cycle stages", "Wall time of each stage of the last consumer-group "
                   "cycle.",
                   [target(f"kafka_sentinel_groups_stage_seconds{{{S}}}",
                           "{{instance}} {{stage}}")], unit="s", stack=True),
        timeseries("Groups listed and monitored", "Consumer groups Kafka listed and the agent "
                   "monitors (after include/exclude), and the last cycle's failures.",
                   [target(f"kafka_sentinel_groups_listed{{{S}}}", "{{instance}} listed"),
                    target(f"kafka_sentinel_groups_monitored{{{S}}}", "{{instance}} monitored"),
                    target(f"kafka_sentinel_groups_cycle_errors{{{S}}}",
                           "{{instance}} errors {{kind}}")], decimals=0),

        row("Health events"),
        timeseries("Events published", "Health events per second by outcome: spooled (written "
                   "to the on-disk spool), delivered (acknowledged by Kafka), dropped.",
                   [target(f"sum by (instance, result) (rate(kafka_sentinel_events_total{{{S}}}[$__rate_interval]))",
                           "{{instance}} {{result}}")]),
        timeseries("Event spool depth", "Events waiting in the on-disk spool until Kafka "
                   "takes them.",
                   [target(f"kafka_sentinel_events_spool_depth{{{S}}}", "{{instance}}")],
                   steps=WARN_ABOVE_0),

        row("Resources and /metrics"),
        timeseries("Agent CPU", "CPU seconds per second used by each agent.",
                   [target(f"rate(process_cpu_seconds_total{{{S}}}[$__rate_interval])",
                           "{{instance}}")], unit="percentunit", w=8),
        timeseries("Agent memory", "Resident memory of each agent.",
                   [target(f"process_resident_memory_bytes{{{S}}}", "{{instance}}")],
                   unit="bytes", w=8),
        timeseries("Open file descriptors", "Per agent.",
                   [target(f"process_open_fds{{{S}}}", "{{instance}}")], w=8, decimals=0),
        timeseries("/metrics render and scrape", "Time to render the cached body (once per "
                   "snapshot) and Prometheus's scrape duration.",
                   [target(f"kafka_sentinel_metrics_render_duration_seconds{{{S}}}",
                           "{{instance}} render"),
                    target(f"scrape_duration_seconds{{{S}}}", "{{instance}} scrape")],
                   unit="s", w=8),
        timeseries("Series exported", "Samples in the /metrics body.",
                   [target(f"kafka_sentinel_metrics_series{{{S}}}", "{{instance}}")], w=8),
        timeseries("/metrics body size", "Uncompressed.",
                   [target(f"kafka_sentinel_metrics_body_bytes{{{S}}}", "{{instance}}")],
                   unit="bytes", w=8),
    ]
    return dashboard("ks-agent-health", "kafka-sentinel agents",
                     "Health of the kafka-sentinel agents: scrapes, collectors' success and "
                     "duration, health events and spool, resources.",
                     common_vars(), panels)


# ----------------------------------------------------------------------------- assembly

def layout(panels):
    """Assigns ids and gridPos left to right, wrapping at 24 columns."""
    x = y = row_h = 0
    next_id = 1
    for p in panels:
        w, h = p.pop("_size")
        if p["type"] == "row" or x + w > 24:
            y += row_h
            x = row_h = 0
        p["gridPos"] = {"h": h, "w": w, "x": x, "y": y}
        p["id"] = next_id
        next_id += 1
        if p["type"] == "row":
            y += 1
            continue
        x += w
        row_h = max(row_h, h)
    return panels


def dashboard(uid, title, description, variables, panels):
    return {
        "annotations": {"list": [{
            "builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"},
            "enable": True, "hide": True, "iconColor": "rgba(0, 211, 255, 1)",
            "name": "Annotations & Alerts", "type": "dashboard"}]},
        "description": description,
        "editable": True,
        "fiscalYearStartMonth": 0,
        "graphTooltip": 1,
        "id": None,
        "links": [{"asDropdown": True, "icon": "external link", "includeVars": True,
                   "keepTime": True, "tags": ["kafka-sentinel"], "targetBlank": False,
                   "title": "kafka-sentinel dashboards", "type": "dashboards"}],
        "panels": layout(panels),
        "refresh": "30s",
        "schemaVersion": SCHEMA_VERSION,
        "tags": ["kafka", "kafka-sentinel"],
        "templating": {"list": variables},
        "time": {"from": "now-1h", "to": "now"},
        "timepicker": {},
        "timezone": "browser",
        "title": title,
        "uid": uid,
        "version": 1,
        "weekStart": "",
    }


DASHBOARDS = {
    "kafka-cluster-overview.json": cluster_overview,
    "kafka-consumer-groups.json": consumer_groups,
    "kafka-nodes.json": nodes,
    "kafka-sentinel-agents.json": agent_health,
}


def render(builder):
    return json.dumps(builder(), indent=2, sort_keys=False) + "\n"


def main(argv):
    check = "--check" in argv
    stale = []
    for name, builder in DASHBOARDS.items():
        path = os.path.join(HERE, name)
        text = render(builder)
        if check:
            try:
                with open(path) as f:
                    current = f.read()
            except OSError:
                current = None
            if current != text:
                stale.append(name)
        else:
            with open(path, "w") as f:
                f.write(text)
    if check:
        if stale:
            print(f"generate.py --check: out of date: {', '.join(stale)} "
                  "(run python3 dashboards/generate.py)", file=sys.stderr)
            return 1
        return 0
    print(f"generate.py: wrote {len(DASHBOARDS)} dashboards to {HERE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

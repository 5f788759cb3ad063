"""Reads kafka-sentinel's dashboards and alert rules for the tests (static and on Prometheus).

- panel_queries(): every query of every dashboard panel, named "dashboard / panel [refId]";
- alert_rules(): every alerting rule of alerts/*.rules.yml;
- substitute(): the dashboards' template variables replaced by concrete values;
- metric_names(): the metric names a PromQL expression selects (no parser: strings, label
  matchers, ranges and grouping clauses are blanked, then identifiers not followed by "("
  and not PromQL keywords are metric names).

Needs PyYAML for the rule files (Debian: python3-yaml, in scripts/install-deps.sh).
"""
import glob
import json
import os
import re

SOURCE_DIR = os.environ.get("KS_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
DASHBOARD_DIR = os.path.join(SOURCE_DIR, "dashboards")
ALERTS_DIR = os.path.join(SOURCE_DIR, "alerts")

# Series Prometheus makes itself for every target, and the threshold overrides (recording
# rules a user may add: absent by default, on purpose).
PROMETHEUS_MADE = {"up", "scrape_duration_seconds", "scrape_samples_scraped",
                   "scrape_samples_post_metric_relabeling", "scrape_series_added"}
THRESHOLD_PREFIX = "kafka_sentinel:threshold_"

# Default values for the dashboards' template variables in tests.
DEFAULT_VARIABLES = {
    "cluster": ".*", "job": ".*", "instance": ".*", "consumergroup": ".*", "topic": ".*",
    "__rate_interval": "30s", "__interval": "5s", "__range": "5m",
}

_KEYWORDS = {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left",
             "group_right", "bool", "offset", "inf", "nan", "atan2", "start", "end"}


def dashboard_files():
    return sorted(glob.glob(os.path.join(DASHBOARD_DIR, "*.json")))


def load_dashboards():
    """[(path, dashboard)]; raises ValueError naming the file on invalid JSON."""
    out = []
    for path in dashboard_files():
        with open(path) as f:
            try:
                out.append((path, json.load(f)))
            except json.JSONDecodeError as e:
                raise ValueError(f"{os.path.basename(path)}: invalid JSON: {e}") from None
    return out


def all_panels(dashboard):
    """Panels, including those nested in collapsed rows."""
    for p in dashboard.get("panels", []):
        yield p
        for q in p.get("panels", []) or []:
            yield q


def panel_queries(dashboards=None):
    """[(name, expr)]: name = 'Dashboard title / Panel title [refId]'."""
    out = []
    for _, d in dashboards or load_dashboards():
        for p in all_panels(d):
            if p.get("type") == "row":
                continue
            for t in p.get("targets", []):
                name = f"{d['title']} / {p.get('title')} [{t.get('refId')}]"
                out.append((name, t.get("expr", "")))
    return out


def substitute(expr, values=None):
    """Replaces $var, ${var} and [[var]] by concrete values (DEFAULT_VARIABLES + values)."""
    v = dict(DEFAULT_VARIABLES)
    v.update(values or {})

    def repl(m):
        name = m.group(1) or m.group(2) or m.group(3)
        if name not in v:
            raise KeyError(f"no test value for template variable ${name}")
        return v[name]
    return re.sub(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]", repl, expr)


def rule_files():
    return sorted(glob.glob(os.path.join(ALERTS_DIR, "*.rules.yml")))


def alert_rules(files=None):
    """[(path, group name, rule)] of every alerting rule."""
    import yaml  # python3-yaml
    out = []
    for path in files or rule_files():
        with open(path) as f:
            doc = yaml.safe_load(f)
        for g in doc.get("groups", []):
            for r in g.get("rules", []):
                if "alert" in r:
                    out.append((path, g["name"], r))
    return out


def metric_names(expr):
    """Metric names selected by a PromQL expression."""
    s = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`', '""', expr)
    s = re.sub(r"#[^\n]*", " ", s)                 # comments
    s = re.sub(r"\{[^}]*\}", " ", s)               # label matchers
    s = re.sub(r"\[[^\]]*\]", " ", s)              # ranges, subqueries
    s = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", s)
    names = set()
    for m in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", s):
        token = m.group(0)
        if token in _KEYWORDS:
            continue
        if m.start() > 0 and (s[m.start() - 1].isdigit() or s[m.start() - 1] == "."):
            continue                               # 1e3, 0.5 and the like
        rest = s[m.end():].lstrip()
        if rest.startswith("("):
            continue                               # function or aggregation
        names.add(token)
    return names


def is_agent_metric(name):
    """False for names the agent is not expected to export (Prometheus-made, thresholds)."""
    return name not in PROMETHEUS_MADE and not name.startswith(THRESHOLD_PREFIX)

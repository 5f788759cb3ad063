"""Shared harness for end-to-end and integration tests (Python standard library only).

Starts the real agent binary and (through scripts/kafka-cluster.sh) a real local Kafka,
scrapes /metrics and parses the text format. Every wait is bounded; every process started
here is stopped by PID when the test ends, whatever happens.
"""
import atexit
import gzip
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

SOURCE_DIR = os.environ.get("KS_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD_DIR = os.environ.get("KS_BUILD_DIR") or os.path.join(SOURCE_DIR, "build")
AGENT = os.path.join(BUILD_DIR, "agent", "kafka-sentinel")
KAFKA_SCRIPT = os.path.join(SOURCE_DIR, "scripts", "kafka-cluster.sh")
FIXTURES = os.path.join(SOURCE_DIR, "tests", "fixtures")

_failures = []
_passes = 0


def sanitized_build():
    """The sanitizers the build under test was made with (KS_SANITIZE in its CMake cache,
    e.g. "address,undefined"), or "" for a plain build. Under a sanitizer's runtime the
    agent's memory and time are not what they are in production: a test says which of its
    bounds it cannot hold there, and skips only those."""
    try:
        with open(os.path.join(BUILD_DIR, "CMakeCache.txt")) as f:
            for line in f:
                if line.startswith("KS_SANITIZE:"):
                    return line.split("=", 1)[1].strip()
    except OSError:
        pass
    return ""


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def check(condition, what):
    """Records one assertion; the test goes on so that one run shows every failure."""
    global _passes
    if condition:
        _passes += 1
        log(f"ok: {what}")
    else:
        _failures.append(what)
        log(f"FAIL: {what}")
    return condition


def finish():
    """Prints the closing line and exits non-zero when any check failed."""
    print(f"{_passes} passed, {len(_failures)} failed", flush=True)
    for f in _failures:
        print(f"  failed: {f}", flush=True)
    sys.exit(1 if _failures else 0)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def base_config(bootstrap="127.0.0.1:1", request_timeout=None, host=True, interval="1s"):
    """The kafka: and collectors: sections of a test agent's config: every collector every
    `interval`, the host collector off with host=False. Append other sections (events:,
    fleet:) to it. The default bootstrap address answers nothing: Kafka unreachable."""
    timeout = f"  request_timeout: {request_timeout}\n" if request_timeout else ""
    host_section = f"    interval: {interval}\n" if host else "    enabled: false\n"
    return (f"kafka:\n  bootstrap_servers: \"{bootstrap}\"\n{timeout}"
            f"collectors:\n  host:\n{host_section}"
            f"  brokers:\n    interval: {interval}\n  groups:\n    interval: {interval}\n")


def free_port_block(count, start=20000, end=32000, host="127.0.0.1", offsets=(0, 100)):
    """A base port P such that P+O..P+O+count-1 are free now (on `host`) for every O of
    `offsets` (brokers at 0, controllers at 100, a sasl_ssl cluster's mutual-TLS listener at
    200).

    Below Linux's ephemeral range (32768-60999 by default): tests stop and restart nodes,
    and while a node is down any outgoing connection on the machine may be given its port
    as a local port, so the node cannot bind it again ("Address already in use")."""
    import random
    for _ in range(200):
        base = random.randrange(start, end, 10)
        ports = [base + o + i for o in offsets for i in range(count)]
        ok = True
        for p in ports:
            with socket.socket() as s:
                try:
                    s.bind((host, p))
                except OSError:
                    ok = False
                    break
        if ok:
            return base
    raise RuntimeError("no free port block")


def wait_until(predicate, timeout, interval=0.5, what="condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except Exception as e:  # a failed probe is just "not yet"
            last = e
        time.sleep(interval)
    log(f"timed out after {timeout}s waiting for {what} (last: {last!r})")
    return None


def http_get(url, timeout=5, headers=None):
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            body = r.read()
            if r.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            return r.status, body.decode(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), dict(e.headers)


_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text):
    """{name: {frozenset(labels.items()): value}} from the text format."""
    out = {}
    # "\n" only: the text format's line end; a label value may hold a raw "\r" (or another
    # character str.splitlines() would break at), which needs no escape
    for line in text.split("\n"):
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        if not m:
            raise ValueError(f"unparsable metrics line: {line!r}")
        labels = {}
        if m.group(3):
            for k, v in _LABEL.findall(m.group(3)):
                labels[k] = v.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")
        out.setdefault(m.group(1), {})[frozenset(labels.items())] = float(m.group(4))
    return out


def series(metrics, name, **match):
    """[(labels dict, value)] of family `name` whose labels include `match`."""
    rows = []
    for key, value in metrics.get(name, {}).items():
        labels = dict(key)
        if all(labels.get(k) == str(v) for k, v in match.items()):
            rows.append((labels, value))
    return rows


def value(metrics, name, **match):
    rows = series(metrics, name, **match)
    return rows[0][1] if len(rows) == 1 else None


def collector_runs(metrics, collector):
    """kafka_sentinel_collector_runs_total of `collector` (0 before its first cycle ends)."""
    return value(metrics or {}, "kafka_sentinel_collector_runs_total", collector=collector) or 0


def wait_for_cycles(agents, collector, n, timeout=60, scrape=None):
    """Waits until `collector` of each agent (an Agent, or a list of them) has completed `n`
    more cycles than when called (kafka_sentinel_collector_runs_total, failed cycles too): a
    window counted in the agent's own cycles, which stretches on a slow machine where a
    fixed sleep would not. `scrape(agent)`: its parsed metrics (default agent.metrics()).
    Returns the last metrics of each (one, or a list), or None after `timeout` s (logged)."""
    single = not isinstance(agents, (list, tuple))
    members = [agents] if single else list(agents)
    scrape = scrape or (lambda a: a.metrics())
    start = [None] * len(members)  # counted from each agent's first answer

    def grown():
        now = [scrape(a) for a in members]
        for i, m in enumerate(now):
            if start[i] is None and m is not None:
                start[i] = collector_runs(m, collector)
        if all(s is not None and collector_runs(m, collector) >= s + n
               for m, s in zip(now, start)):
            return now[0] if single else now
        return None
    return wait_until(grown, timeout, 0.2, f"{n} more {collector} cycles of {len(members)} agent(s)")


def agent_yaml(bootstrap, kafka=(), groups=(), more=""):
    """An agent's YAML config for a test on a real cluster: `bootstrap`, the host collector
    off, brokers and groups collected every second. `kafka`, `groups`: more "key: value"
    lines under kafka: and collectors.groups:; `more`: further top-level sections (YAML)."""
    lines = ["kafka:", f'  bootstrap_servers: "{bootstrap}"', *(f"  {line}" for line in kafka),
             "collectors:", "  host:", "    enabled: false", "  brokers:", "    interval: 1s",
             "  groups:", "    interval: 1s", *(f"    {line}" for line in groups)]
    return "\n".join(lines) + "\n" + more.lstrip("\n")


_uncaught = []  # exceptions that ended the test (sys.excepthook below)


def _note_uncaught(kind, value, traceback, previous=sys.excepthook):
    _uncaught.append(kind)
    previous(kind, value, traceback)


sys.excepthook = _note_uncaught


def _remove_unless_failed(path):
    if _failures or _uncaught:
        print(f"kept for the failure: {path}", flush=True)
    else:
        shutil.rmtree(path, ignore_errors=True)


def temp_dir(prefix):
    """A new temporary directory, removed when the test ends, kept when it failed (a check
    failed or an exception ended it) or with KS_KEEP_WORKDIRS=1. Registered before the
    agents that use it start, its removal runs after they are killed (atexit is last-in,
    first-out)."""
    path = tempfile.mkdtemp(prefix=prefix)
    if not os.environ.get("KS_KEEP_WORKDIRS"):
        atexit.register(_remove_unless_failed, path)
    return path


class Agent:
    """The real kafka-sentinel binary, started with a config file written for the test.

    `wrap`: a command prefix that execs the agent (e.g. `ip netns exec NS`: the PID stays the
    agent's); `listen_host`: the address it listens on (--listen); `host`: the address the
    test reaches it at; `port`: its port (default: one free on 127.0.0.1 here; 0: the agent
    listens on port 0 and the port the kernel picked is read from its log); `env`:
    variables added to its environment (what `${VAR}` in its config reads)."""

    def __init__(self, config_text, name="agent", workdir=None, extra_args=(), wrap=(),
                 listen_host="127.0.0.1", host="127.0.0.1", port=None, env=None):
        # Its config and log, gone with the test (a suite run made ~600 of them); the log's
        # tail is in every failure's message.
        self.workdir = workdir or temp_dir("ks-agent-")
        self.port = free_port() if port is None else port
        self.wrap = list(wrap)
        self.listen_host = listen_host
        self.host = host
        self.config_path = os.path.join(self.workdir, f"{name}.yaml")
        with open(self.config_path, "w") as f:
            f.write(config_text)
        self.log_path = os.path.join(self.workdir, f"{name}.log")
        self.extra_args = list(extra_args)
        self.env = {**os.environ, **(env or {})}
        self.proc = None

    @property
    def url(self):
        return f"http://{self.host}:{self.port}"

    def start(self):
        self.log_file = open(self.log_path, "ab")
        log_start = self.log_file.tell()
        self.proc = subprocess.Popen(
            [*self.wrap, AGENT, "run", "--config", self.config_path,
             "--listen", f"{self.listen_host}:{self.port}", *self.extra_args],
            stdout=self.log_file, stderr=subprocess.STDOUT, env=self.env)
        atexit.register(self.kill)
        if self.port == 0 and not wait_until(lambda: self.alive() and self._bound_port(log_start), 20, 0.1,
                                             "agent's bound port in its log"):
            raise RuntimeError(f"agent did not say its port; log:\n{self.log_tail()}")
        if not wait_until(lambda: self.alive() and http_get(self.url + "/healthz")[0] == 200,
                          20, 0.1, "agent /healthz"):
            raise RuntimeError(f"agent did not start; log:\n{self.log_tail()}")
        return self

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def _bound_port(self, log_start):
        """With `--listen HOST:0`: the port from the agent's "serving http://HOST:PORT" line."""
        with open(self.log_path, "rb") as f:
            f.seek(log_start)
            found = re.search(rb"serving https?://\S+?:(\d+)/metrics", f.read())
        if found:
            self.port = int(found.group(1))
        return bool(found)

    def metrics_text(self, timeout=5):
        status, body, _ = http_get(self.url + "/metrics", timeout=timeout)
        if status != 200:
            raise RuntimeError(f"/metrics answered {status}")
        return body

    def metrics(self, timeout=5):
        return parse_metrics(self.metrics_text(timeout))

    def stop(self, sig=signal.SIGTERM, timeout=10):
        """Sends `sig`; returns (exit code, seconds it took) or (None, timeout)."""
        if not self.alive():
            return (self.proc.returncode if self.proc else None, 0)
        started = time.monotonic()
        self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout)
            return code, time.monotonic() - started
        except subprocess.TimeoutExpired:
            return None, timeout

    def kill(self):
        if self.alive():
            self.proc.kill()
            self.proc.wait(10)

    def log_tail(self, lines=40):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""


class KafkaCluster:
    """A real local Apache Kafka (KRaft) through scripts/kafka-cluster.sh; stopped by PID.

    `host`: the IPv4 address the nodes listen on and advertise (kafka-cluster.sh --host), e.g.
    a bridge's address for agents in other network namespaces. `security`: kafka-cluster.sh
    --security (sasl_ssl, ssl); `env` then holds DIR/cluster.env (bootstraps, certificates,
    users and passwords) and `admin` the arguments that give Kafka's tools a super user.
    `advertise`: {node: port} node K advertises host:port on its client listener instead of
    its own port (kafka-cluster.sh --advertise; e.g. a ksproxy.DelayProxy in front of it)."""

    def __init__(self, nodes=1, props=(), host="127.0.0.1", security="plaintext", advertise=None):
        self.nodes = nodes
        self.host = host
        self.security = security
        self.dir = tempfile.mkdtemp(prefix=f"ks-kafka{nodes}-")
        offsets = (0, 100, 200) if security == "sasl_ssl" else (0, 100)
        self.port_base = free_port_block(nodes, host=host, offsets=offsets)
        self.bootstrap = None
        self.env = {}
        self.admin = []
        self.props = list(props)  # broker properties, "key=value" (kafka-cluster.sh --prop)
        self.advertise = dict(advertise or {})

    # How long a node may take to start and register (kafka-cluster.sh's KAFKA_UP_TIMEOUT):
    # the script's 120 s default is short for three JVMs starting at once on a saturated
    # 2-core machine (seen: a restarted node still catching up with the controller after
    # 120 s at load average 90). The wait ends as soon as the node is ready.
    UP_TIMEOUT_S = int(os.environ.get("KAFKA_UP_TIMEOUT", "300"))

    def _run(self, *args, timeout=180, check=True):
        r = subprocess.run(["bash", KAFKA_SCRIPT, *args], capture_output=True, text=True,
                           timeout=timeout,
                           env={**os.environ, "KAFKA_UP_TIMEOUT": str(self.UP_TIMEOUT_S)})
        if check and r.returncode != 0:
            raise RuntimeError(f"kafka-cluster.sh {' '.join(args)} failed ({r.returncode}):\n"
                               f"{r.stdout}\n{r.stderr}")
        return r

    def up(self):
        atexit.register(self.down)
        props = [arg for p in self.props for arg in ("--prop", p)]
        host = ["--host", self.host] if self.host != "127.0.0.1" else []
        security = ["--security", self.security] if self.security != "plaintext" else []
        props += [arg for k, port in self.advertise.items() for arg in ("--advertise", f"{k}={port}")]
        r = self._run("up", "--nodes", str(self.nodes), "--dir", self.dir,
                      "--port-base", str(self.port_base), *host, *security, *props,
                      timeout=self.UP_TIMEOUT_S + 180)
        self.bootstrap = r.stdout.strip().splitlines()[-1]
        with open(os.path.join(self.dir, "cluster.env")) as f:
            self.env = dict(line.rstrip("\n").split("=", 1) for line in f
                            if "=" in line and not line.startswith("#"))
        if self.security != "plaintext":
            self.admin = ["--command-config", self.env["ADMIN_PROPERTIES"]]
        log(f"kafka up: {self.bootstrap}")
        return self

    def node_address(self, k):
        return f"{self.host}:{self.port_base + k - 1}"

    def stop_node(self, k):
        self._run("stop-node", str(k), "--dir", self.dir)

    def kill_node(self, k):
        self._run("kill-node", str(k), "--dir", self.dir)

    def start_node(self, k):
        self._run("start-node", str(k), "--dir", self.dir, timeout=self.UP_TIMEOUT_S + 60)

    def down(self):
        if os.path.isdir(self.dir):
            self._run("down", "--dir", self.dir, "--purge", check=False)

    def tool(self, name, *args, timeout=120, check=True, input=None):
        r = subprocess.run(["bash", KAFKA_SCRIPT, "tool", name, *args], capture_output=True,
                           text=True, timeout=timeout, input=input,
                           env={**os.environ, "KAFKA_CLUSTER_DIR": self.dir})
        if check and r.returncode != 0:
            raise RuntimeError(f"{name} {' '.join(args)} failed ({r.returncode}):\n"
                               f"{r.stdout}\n{r.stderr}")
        return r.stdout


def documented_families(path=None):
    """Metric family names listed in docs/metrics.md (first table column, in backticks)."""
    path = path or os.path.join(SOURCE_DIR, "docs", "metrics.md")
    names = set()
    with open(path) as f:
        for line in f:
            m = re.match(r"^\|\s*`([a-zA-Z_:][a-zA-Z0-9_:]*)`", line)
            if m:
                names.add(m.group(1))
    return names


def exposed_families(text):
    """Family names from the # TYPE lines of an exposition."""
    return {line.split()[2] for line in text.splitlines() if line.startswith("# TYPE ")}


def check_families_documented(text):
    """Every family /metrics exposes must be listed in docs/metrics.md."""
    documented = documented_families()
    # node_memory_* fields vary by kernel: they are documented as a pattern plus the common ones.
    missing = sorted(f for f in exposed_families(text)
                     if f not in documented and not f.startswith("node_memory_"))
    check(not missing, f"every exposed family is in docs/metrics.md (missing: {missing})")


# promtool lints that are known and accepted, for compatibility with node_exporter, whose
# dashboards and alert rules users already run. Nothing else is excused.
#
# node_exporter's own names (node_memory_MemTotal_bytes, ...) are CamelCase, and promtool
# lints every one of them; compatibility with node_exporter dashboards wins, on node_memory_
# names only. With collectors.host.node_metrics: false the agent exports no node_* family and
# promtool must print nothing at all (promtool_check_metrics_silent).
# (kafka_exporter's kafka_consumergroup_{current_offset,lag}_sum are declared untyped, which
# promtool does not lint: no exemption for them any more.)
_NODE_MEMORY_CAMELCASE = re.compile(
    r"^node_memory_\S+ metric names should be written in 'snake_case' not 'camelCase'$")
_ACCEPTED_LINTS = (_NODE_MEMORY_CAMELCASE,)


def promtool_unexpected_lints(text):
    """What `promtool check metrics` says about `text` beyond the accepted lints (a list of
    lines; empty when the exposition passes), and promtool's exit code."""
    r = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                       text=True, timeout=60)
    lines = [l for l in (r.stdout + r.stderr).splitlines() if l.strip()]
    other = [l for l in lines if not any(p.match(l) for p in _ACCEPTED_LINTS)]
    # Exit 3 = lint problems only; any other non-zero exit is an error, reported as such.
    if r.returncode not in (0, 3) or (r.returncode == 3 and not lines):
        other = other or [f"promtool exited {r.returncode}"]
    return other, r.returncode


def promtool_check_metrics(text):
    other, rc = promtool_unexpected_lints(text)
    check(not other,
          f"promtool check metrics: nothing but the accepted lints (node_exporter's CamelCase "
          f"node_memory_ names) (exit {rc}): {other[:20]}")


def promtool_check_metrics_silent(text):
    """`promtool check metrics` prints nothing and exits 0: the issue's acceptance, literally."""
    r = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                       text=True, timeout=60)
    out = (r.stdout + r.stderr).strip()
    check(r.returncode == 0 and out == "",
          f"promtool check metrics prints nothing and exits 0 (exit {r.returncode}): "
          f"{out.splitlines()[:20]}")

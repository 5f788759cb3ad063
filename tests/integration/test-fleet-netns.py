"""A fleet of three agents on three "nodes" with their own network stacks and addresses
(issue 7; docs/fleet.md), on one real 3-node Kafka.

Topology, all in network namespaces this test creates (named ksf-*-<pid>; the host's own
network is never touched):
- "hub": lo, a bridge 10.213.X.1/24 (X from the PID) and the 3-node KRaft cluster listening
  on the bridge address (scripts/kafka-cluster.sh --host). This script runs itself again
  inside the hub (--inside); the outer process only builds and removes the topology.
- three agent namespaces, each joined to the bridge by a veth pair (10.213.X.11..13, default
  route via the hub); agent aI runs there (`ip netns exec`), listening on 0.0.0.0:9464, with
  the fleet and health events enabled (intervals 3 s, session_timeout 3 s).
Throughout, a monitor scrapes the three agents in rounds and records every cluster-wide or
group series (kafka_* but kafka_sentinel_*) exported by two agents in one round AND again in
the next round (as in test-fleet-processes.py: a real duplicate lasts a whole cycle).
1. Each cluster-wide series exported by exactly one agent; every group by exactly one, spread
   over several agents.
2. SIGKILL the leader: another agent exports the cluster series within two intervals.
3. Cut the new leader's node off the network (its veth on the hub side down: Kafka and the
   test's scrapes through the bridge both lose it). Scraped from inside its namespace, it
   stops exporting cluster-wide and group series after about session_timeout / 2 (its lease
   is not renewed); the last agent takes its work over within two intervals, and no series
   is ever exported twice.
4. Reconnect it, restart the killed agent (same node, same spool): all three back, each
   series exactly once.
Health events: the events topic is read back with Kafka's console consumer and every
(type, subject, state) is counted and logged. Checked (after dropping redeliveries, i.e.
events with an id already seen): per condition (type, subject, condition; plus the source
for host.* / agent.*, whose subjects do not name the agent) firing and resolved alternate,
starting with firing; and the conditions this test holds for its whole duration (every
fleet-gNN group is Empty, with lag 360 > 50 on fleet-data; nothing consumes or commits after
the setup) are ONE episode each: exactly one firing and no resolved.

Needs root and `ip netns` (veth, bridge): otherwise it exits 77 (ctest: skipped).
Every process is stopped by PID and the namespaces are removed, also on SIGINT/SIGTERM, on
the time limit, and (parent-death signal) if the outer process is killed.
"""
import ctypes
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ksfleet import (GROUPS, INTERVAL_S, SESSION_S, TOPIC, DuplicateMonitor,  # noqa: E402
                     agent_config, check_alternation, cluster_series, event_sequences, gauge,
                     sigkill_takeover, states_of)
from ksfleet import groups_exactly_once as groups_once_by  # noqa: E402
from ksfleet import leader_of as leader_by  # noqa: E402
from ksloadgen import loadgen  # noqa: E402
from ksharness import (BUILD_DIR, KAFKA_SCRIPT, Agent, KafkaCluster, check,  # noqa: E402
                       finish, http_get, log, parse_metrics, series, wait_for_cycles,
                       wait_until)

SKIP = 77
AGENT_PORT = 9464
INNER_LIMIT_S = 600          # the test itself: 80-100 s on a busy 2-core machine, 300 s under stress-ng
OUTER_GRACE_S = 60           # then SIGTERM to the inner process; cleanup after that
CONSTANT_LAG = 360           # 4 partitions x (100 produced - 10 committed)


# ------------------------------------------------------------------------------ topology
class Topology:
    """The namespaces, bridge and veths of one run. Both processes may call down() (idempotent)."""

    def __init__(self, run_id):
        self.run = run_id
        self.hub = f"ksf-hub-{run_id}"
        self.nodes = [f"ksf-{run_id}-a{i}" for i in range(3)]
        x = run_id % 250 + 2
        self.subnet = f"10.213.{x}.0/24"
        self.hub_addr = f"10.213.{x}.1"
        self.addrs = [f"10.213.{x}.{11 + i}" for i in range(3)]
        self.bridge = "ksfbr0"                           # names inside the hub: no clash
        self.hub_veths = [f"ksfh{i}" for i in range(3)]

    @staticmethod
    def ip(*args, ns=None, check=True):
        r = subprocess.run(["ip", *(["-n", ns] if ns else []), *args], capture_output=True,
                           text=True, timeout=20)
        if check and r.returncode != 0:
            raise RuntimeError(f"ip {' '.join(args)}{' (in ' + ns + ')' if ns else ''} failed: "
                               f"{r.stderr.strip()}")
        return r

    def up(self):
        hub = self.hub
        self.ip("netns", "add", hub)
        self.ip("link", "set", "lo", "up", ns=hub)
        self.ip("link", "add", self.bridge, "type", "bridge", "forward_delay", "0", ns=hub)
        self.ip("addr", "add", f"{self.hub_addr}/24", "dev", self.bridge, ns=hub)
        self.ip("link", "set", self.bridge, "up", ns=hub)
        for ns, addr, veth in zip(self.nodes, self.addrs, self.hub_veths):
            self.ip("netns", "add", ns)
            self.ip("link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns, ns=hub)
            self.ip("link", "set", veth, "master", self.bridge, ns=hub)
            self.ip("link", "set", veth, "up", ns=hub)
            self.ip("link", "set", "lo", "up", ns=ns)
            self.ip("addr", "add", f"{addr}/24", "dev", "eth0", ns=ns)
            self.ip("link", "set", "eth0", "up", ns=ns)
            self.ip("route", "add", "default", "via", self.hub_addr, ns=ns)

    def existing(self):
        r = self.ip("netns", "list", check=False)
        names = {line.split()[0] for line in r.stdout.splitlines() if line.strip()}
        return [n for n in [*self.nodes, self.hub] if n in names]

    def pids_in(self, ns):
        r = self.ip("netns", "pids", ns, check=False)
        return [int(p) for p in r.stdout.split() if p.isdigit()]

    def down(self, in_hub_too):
        """Kills what is left in our namespaces (by PID; never this process) and removes them.
        The veths go with the agent namespaces, the bridge with the hub (once the last process
        in it is gone). in_hub_too=False (the test process, which lives in the hub): leave the
        hub alone."""
        me = os.getpid()
        for ns in self.existing():
            if ns == self.hub and not in_hub_too:
                continue
            victims = []
            for p in self.pids_in(ns):
                if p == me:
                    continue
                try:
                    os.kill(p, signal.SIGKILL)
                    victims.append(p)
                except ProcessLookupError:  # gone since (e.g. the `ip netns pids` itself)
                    pass
            if victims:
                print(f"[netns] {ns}: SIGKILL left-over pids {victims}", flush=True)
            self.ip("netns", "del", ns, check=False)


# ------------------------------------------------------------------------------ outer process
def _skip(why):
    print(f"SKIP: {why}", flush=True)
    sys.exit(SKIP)


def _enter_hub(hub_path):
    """preexec_fn of the inner process: die with the outer one, join the hub's network."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGTERM, 0, 0, 0)           # PR_SET_PDEATHSIG
    fd = os.open(hub_path, os.O_RDONLY)
    if libc.setns(fd, 0x40000000) != 0:              # CLONE_NEWNET
        os._exit(121)
    os.close(fd)


def outer():
    if os.geteuid() != 0:
        _skip("needs root (network namespaces, veth pairs, a bridge)")
    if shutil.which("ip") is None:
        _skip("`ip` (iproute2) not found")
    if not os.path.exists(os.path.join(BUILD_DIR, "agent", "kafka-sentinel")):
        print(f"no agent binary in {BUILD_DIR} (set KS_BUILD_DIR)", flush=True)
        sys.exit(1)
    run_id = os.getpid()
    topo = Topology(run_id)
    inner = None
    code = 1
    skipped = None

    def on_signal(signum, _frame):
        print(f"[netns] signal {signum}: stopping the test", flush=True)
        if inner is not None and inner.poll() is None:
            inner.send_signal(signal.SIGTERM)
        raise KeyboardInterrupt

    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, on_signal)
    workdir = tempfile.mkdtemp(prefix=f"ks-fleet-netns-{run_id}-")
    try:
        try:
            topo.up()
        except (RuntimeError, OSError, subprocess.SubprocessError) as e:
            skipped = f"cannot build the namespace topology ({e})"  # no netns/veth/bridge here
            return
        print(f"[netns] hub {topo.hub} bridge {topo.hub_addr}/24, nodes "
              f"{', '.join(f'{n}={a}' for n, a in zip(topo.nodes, topo.addrs))}; work dir "
              f"{workdir}", flush=True)
        env = {**os.environ, "TMPDIR": workdir, "PYTHONUNBUFFERED": "1"}
        inner = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--inside", str(run_id)], env=env,
            preexec_fn=lambda: _enter_hub(f"/run/netns/{topo.hub}"))
        try:
            code = inner.wait(INNER_LIMIT_S + OUTER_GRACE_S)
        except subprocess.TimeoutExpired:
            print("[netns] the test overran its limit: SIGTERM", flush=True)
            inner.send_signal(signal.SIGTERM)
            try:
                inner.wait(45)
            except subprocess.TimeoutExpired:
                inner.kill()
                inner.wait(10)
            code = 1
    except KeyboardInterrupt:
        if inner is not None:
            try:
                inner.wait(45)
            except subprocess.TimeoutExpired:
                inner.kill()
                inner.wait(10)
        code = 130
    finally:
        for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(s, signal.SIG_IGN)
        # A Kafka the inner process could not stop (it was killed): stop it by its pid files.
        for d in sorted(os.listdir(workdir)) if os.path.isdir(workdir) else []:
            if d.startswith("ks-kafka") and os.path.exists(os.path.join(workdir, d, "cluster.env")):
                subprocess.run(["ip", "netns", "exec", topo.hub, "bash", KAFKA_SCRIPT, "down",
                                "--dir", os.path.join(workdir, d), "--purge"],
                               capture_output=True, timeout=120)
        topo.down(in_hub_too=True)
        left = topo.existing()
        if left:
            print(f"[netns] WARNING: namespaces left: {left}", flush=True)
        if code == 0 or skipped:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"[netns] logs kept in {workdir}", flush=True)
        if skipped:
            _skip(skipped)
    sys.exit(code)


# ------------------------------------------------------------------------------ inner process
class Stop(BaseException):
    """A signal or the time limit (not an Exception: no probe's `except Exception` eats it)."""


class Node:
    """Agent aI on namespace node I: scraped through the bridge, or (while its node is cut
    off) from inside its namespace."""

    def __init__(self, i, topo, bootstrap, work):
        self.i = i
        self.ns = topo.nodes[i]
        self.addr = topo.addrs[i]
        self.veth = topo.hub_veths[i]
        self.bootstrap = bootstrap
        self.work = work
        self.spool = os.path.join(work, f"spool-a{i}")
        self.cut = False
        self.agent = None
        self.starts = 0

    def start(self):
        self.starts += 1
        name = f"a{self.i}" if self.starts == 1 else f"a{self.i}-{self.starts}"
        self.agent = Agent(agent_config(self.bootstrap, f"a{self.i}", self.spool, "netns"), name=name,
                           workdir=self.work, wrap=["ip", "netns", "exec", self.ns],
                           listen_host="0.0.0.0", host=self.addr, port=AGENT_PORT)
        self.agent.start()
        return self

    def alive(self):
        return self.agent is not None and self.agent.alive()

    def text_inside(self, timeout=2):
        """/metrics fetched from inside the node's namespace (127.0.0.1), not via the bridge."""
        url = f"http://127.0.0.1:{AGENT_PORT}/metrics"
        if shutil.which("curl"):
            fetch = ["curl", "-sf", "-m", str(timeout), url]
        else:
            fetch = [sys.executable, "-c", "import sys, urllib.request; sys.stdout.write("
                     f"urllib.request.urlopen({url!r}, timeout={timeout}).read().decode())"]
        r = subprocess.run(["ip", "netns", "exec", self.ns, *fetch],
                           capture_output=True, text=True, timeout=timeout + 5)
        if r.returncode != 0:
            raise RuntimeError(f"curl in {self.ns}: exit {r.returncode}")
        return r.stdout

    def scrape(self):
        try:
            if not self.alive():
                return None
            text = self.text_inside() if self.cut else self.agent.metrics_text(timeout=2)
            return parse_metrics(text)
        except Exception:
            return None


def scrape(node):
    return node.scrape()


def leader_of(nodes):
    return leader_by(nodes, scrape)


def groups_exactly_once(nodes):
    return groups_once_by(nodes, scrape)


def secs(t):
    return "never" if t is None else f"{t:.1f}s"


def owned(node):
    return gauge(node.scrape(), "kafka_sentinel_fleet_owned_partitions")


def logged_firings(nodes):
    """(type, subject) of the firing events the agents logged (spooled), any run."""
    import re
    pat = re.compile(r"event firing (\S+) (\S+) \[")
    out = set()
    for node in nodes:
        try:
            with open(os.path.join(node.work, f"a{node.i}.log"), errors="replace") as f:
                out |= {(m.group(1), m.group(2)) for m in map(pat.search, f) if m}
        except OSError:
            pass
    return out


def analyse_events(events):
    """Alternation per condition, and the conditions held for the whole test: one episode."""
    seqs = event_sequences(events)
    check_alternation(seqs)
    constant = [("group.state", f"group/{g}", "Empty", "") for g in GROUPS] + \
               [("group.lag_messages", f"group/{g}/topic/{TOPIC}", "", "") for g in GROUPS]
    not_one = [(c[0], c[1], states_of(seqs, c)) for c in constant
               if states_of(seqs, c) != ["firing"]]
    check(not not_one,
          f"each of the {len(constant)} conditions held for the whole test (group.state Empty, "
          f"group.lag_messages {CONSTANT_LAG} > 50 of every fleet-gNN) published as one firing "
          f"and no resolved: {len(not_one)} are not ({not_one[:4]})")
    other = [k for k in seqs if k[0].split(".")[0] in ("cluster", "broker", "topic")]
    log(f"cluster/broker/topic events (the brokers stay healthy throughout): {other or 'none'}")


def inner(run_id):
    topo = Topology(run_id)
    outer_pid = os.getppid()
    work = os.environ.get("TMPDIR") or tempfile.mkdtemp()
    kafka = None
    nodes = []
    monitor = None

    def on_signal(signum, _frame):
        raise Stop(f"signal {signum}")

    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGALRM):
        signal.signal(s, on_signal)
    signal.alarm(INNER_LIMIT_S)
    t_start = time.monotonic()
    try:
        kafka = KafkaCluster(nodes=3, props=["group.min.session.timeout.ms=1000"],
                             host=topo.hub_addr).up()
        b = kafka.bootstrap
        check(all(a.startswith(topo.hub_addr + ":") for a in b.split(",")),
              f"Kafka listens on the bridge address: {b}")
        loadgen("create-topics", "--bootstrap", b, "--topics", f"{TOPIC}:4:3")
        loadgen("produce", "--bootstrap", b, "--topics", TOPIC, "--count", "400")
        for g in GROUPS:
            loadgen("commit", "--bootstrap", b, "--group", g, "--topic", TOPIC,
                    "--offsets", "0:10,1:10,2:10,3:10")

        nodes = [Node(i, topo, b, work) for i in range(3)]
        for n in nodes:
            n.start()
        monitor = DuplicateMonitor(nodes, scrape)
        monitor.start()

        # 1. Steady state.
        check(wait_until(lambda: all(owned(n) > 0 for n in nodes), 60, 0.5,
                         "every agent owning partitions") is not None,
              "all three agents (one per namespace) own partitions of the coordination topic")
        leader = wait_until(lambda: len(leader_of(nodes)) == 1 and leader_of(nodes), 60, 0.5,
                            "one agent exporting kafka_brokers")
        check(leader is not None, f"exactly one agent exports the cluster series: {leader}")
        placement = wait_until(lambda: groups_exactly_once(nodes), 60, 0.5,
                               "every group exported exactly once")
        check(placement is not None,
              f"each of the {len(GROUPS)} groups exported by exactly one agent")
        if placement:
            spread = {i for g in GROUPS for i in placement[g]}
            check(len(spread) >= 2, f"groups spread over several agents (agents {sorted(spread)})")
        for n in nodes:
            m = n.scrape() or {}
            check(len(series(m, "node_load1", node=f"a{n.i}")) == 1,
                  f"agent a{n.i} ({n.addr}) exports its own host metrics labelled node=a{n.i}")
        roles = {n.i: gauge(n.scrape(), "kafka_sentinel_fleet_role", role="leader") for n in nodes}
        check(sum(roles.values()) == 1, f"one kafka_sentinel_fleet_role{{role=leader}} = 1: {roles}")
        # Let the first owners publish their group events before anything moves.
        wanted = {(t, s) for g in GROUPS for t, s in
                  (("group.state", f"group/{g}"), ("group.lag_messages", f"group/{g}/topic/{TOPIC}"))}
        fired = wait_until(lambda: wanted <= logged_firings(nodes), 30, 0.5,
                           "the group events of the first owners")
        log(f"first owners spooled {len(wanted & logged_firings(nodes))}/{len(wanted)} group "
            f"firings before the kill ({'all' if fired else 'not all'})")

        # 2. SIGKILL the leader.
        if not leader:
            raise Stop("no leader: cannot go on")
        killed = nodes[leader[0]]
        survivors = [n for n in nodes if n is not killed]
        log(f"SIGKILL the leader a{killed.i} (pid {killed.agent.proc.pid}, {killed.ns})")
        new = sigkill_takeover(killed.agent.proc, survivors, scrape)
        if not new:
            raise Stop("no new leader: cannot go on")

        # 3. Cut the new leader's node off the network.
        cut = survivors[new[0]]  # positions in the list asked
        last = [n for n in survivors if n is not cut]
        m = cut.scrape() or {}
        before = len(cluster_series(m))
        check(before > 0, f"a{cut.i} exports {before} cluster-wide/group series before the cut")
        cut.cut = True                               # the monitor now scrapes it from inside
        log(f"cutting a{cut.i}'s node off: ip link set {cut.veth} down (hub side)")
        cut_at = time.monotonic()
        Topology.ip("link", "set", cut.veth, "down")
        t_drop = t_take = None
        deadline = cut_at + 4 * INTERVAL_S + 10
        while time.monotonic() < deadline and (t_drop is None or t_take is None):
            if t_drop is None:
                mc = cut.scrape()
                if mc is not None and not cluster_series(mc) and \
                        gauge(mc, "kafka_sentinel_fleet_role") == 0:
                    t_drop = time.monotonic() - cut_at
                    log(f"a{cut.i} (cut off) stopped exporting cluster-wide and group series "
                        f"{t_drop:.1f}s after the cut; lease_valid="
                        f"{gauge(mc, 'kafka_sentinel_fleet_lease_valid'):.0f}, "
                        f"lease_expirations_total="
                        f"{gauge(mc, 'kafka_sentinel_fleet_lease_expirations_total'):.0f}")
            if t_take is None and leader_of(last) and groups_exactly_once(last):
                t_take = time.monotonic() - cut_at
                log(f"a{last[0].i} exports the cluster series and every group "
                    f"{t_take:.1f}s after the cut")
            time.sleep(0.1)
        check(t_drop is not None and t_drop <= SESSION_S / 2 + 1,
              f"the cut-off agent drops its roles on its own {secs(t_drop)} after the cut "
              f"(lease: session_timeout / 2 = {SESSION_S / 2}s, +1s for scrape and render)")
        check(t_take is not None and t_take <= 2 * INTERVAL_S,
              f"its work is taken over {secs(t_take)} after the cut (bound: two intervals, "
              f"{2 * INTERVAL_S}s)")
        check(t_drop is not None and t_take is not None and t_drop < t_take,
              f"the cut-off agent stopped before the other took over "
              f"({secs(t_drop)} < {secs(t_take)})")
        try:
            status, _, _ = http_get(cut.agent.url + "/metrics", timeout=2)
            via_bridge = f"answered {status}"
        except Exception as e:
            via_bridge = f"failed ({type(e).__name__})"
        check(via_bridge.startswith("failed"),
              f"while cut off, a scrape of a{cut.i} through the bridge fails: {via_bridge}")
        # Stay cut off for a while: the last agent's evaluator runs on the moved work (3 of its
        # groups cycles), the cut-off agent keeps collecting (2 of its own cycles, counted
        # from inside its namespace), and must not take its roles back meanwhile.
        check(wait_for_cycles(last, "groups", 3, 20 * INTERVAL_S, scrape=scrape) is not None and
              wait_for_cycles(cut, "groups", 2, 20 * INTERVAL_S, scrape=scrape) is not None,
              "the last agent runs 3 groups cycles, the cut-off one 2, while cut off")
        mc = cut.scrape()
        check(mc is not None and not cluster_series(mc),
              f"still cut off {time.monotonic() - cut_at:.0f}s later, a{cut.i} exports no "
              f"cluster-wide/group series (lease_valid "
              f"{gauge(mc, 'kafka_sentinel_fleet_lease_valid') if mc else '?'})")

        # 4. Reconnect it and restart the killed agent.
        log(f"reconnecting a{cut.i}: ip link set {cut.veth} up; restarting a{killed.i}")
        Topology.ip("link", "set", cut.veth, "up")
        cut.cut = False
        back_at = time.monotonic()
        killed.start()
        settled = wait_until(
            lambda: len(leader_of(nodes)) == 1 and groups_exactly_once(nodes) and
            all(owned(n) > 0 for n in nodes) and sum(owned(n) for n in nodes) == 12,
            60, 0.5, "all three back, each with partitions")
        log(f"all three back {time.monotonic() - back_at:.1f}s after the reconnection and restart")
        check(settled is not None, "all three back: exactly one leader, every group once, every "
                                   "agent owns partitions (12 in all)")
        # The monitor watches the settled fleet, events settle: 3 groups cycles of every agent.
        check(wait_for_cycles(nodes, "groups", 3, 20 * INTERVAL_S, scrape=scrape) is not None,
              "every agent runs 3 more groups cycles in the settled fleet")
        monitor.verdict()

        # Health events: every spool delivered, then the topic read back.
        drained = wait_until(lambda: all(
            series(n.scrape() or {}, "kafka_sentinel_events_spool_depth") and
            gauge(n.scrape(), "kafka_sentinel_events_spool_depth") == 0 for n in nodes),
            30, 0.5, "every agent's event spool delivered")
        check(drained is not None, "every agent's event spool is delivered (depth 0)")
        spooled = {n.i: {(dict(l)["type"], dict(l)["state"]): v for l, v in
                         series(n.scrape() or {}, "kafka_sentinel_events_total", result="spooled")}
                   for n in nodes}
        log(f"events spooled per agent (this run of each): {spooled}")
        from ksevents import read_topic
        events = read_topic(kafka, timeout_ms=5000)
        check(len(events) > 0, f"the events topic holds events ({len(events)})")
        analyse_events(events)

        for n in nodes:
            code, took = n.agent.stop(signal.SIGTERM)
            check(code == 0, f"a{n.i}: SIGTERM exits 0 in {took:.1f}s")
    except Stop as e:
        check(False, f"test stopped: {e}")
    except Exception as e:
        check(False, f"test error: {type(e).__name__}: {e}")
        import traceback
        traceback.print_exc()
    finally:
        signal.alarm(0)
        for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGALRM):
            signal.signal(s, signal.SIG_IGN)
        if monitor is not None:
            monitor.stop_event.set()
        for n in nodes:
            if n.alive():
                n.agent.kill()
        if kafka is not None:
            kafka.down()
        # The outer process removes the hub once we are gone; if it is gone itself (we got
        # its death signal), this process removes everything.
        topo.down(in_hub_too=os.getppid() != outer_pid)
        log(f"test took {time.monotonic() - t_start:.0f}s")
    finish()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--inside":
        inner(int(sys.argv[2]))
    else:
        outer()

"""TLS and basic authentication on the agent's HTTP endpoint (issue 13, items 4 and 5), with
a real Prometheus scraping it.

A throwaway CA, server and client certificates are made with openssl in a temporary
directory (never committed). The agent runs host-only with a web config (exporter-toolkit
format) requiring a client certificate signed by that CA (mutual TLS) and basic auth, with
http.healthz_without_auth: true. Checked:
- Prometheus (tls_config + basic_auth) scrapes it: its target is up; a job with a wrong
  password is down with 401; a job without a client certificate is down (handshake refused);
- by hand: right credentials 200 (the JSON API too); wrong password and no credentials 401
  with WWW-Authenticate, on every path but /healthz (/api/v1/ included); /healthz open; no client certificate: no
  HTTP answer (handshake failure); plain HTTP to the TLS port: no HTTP answer;
- the certificate is re-read on change: after the files are replaced, a new connection is
  served the new certificate, without a restart;
- kept-alive scrapes over TLS carry no fixed delay either: their median against a plain
  agent's, in one run (a ratio, printed for the record; the 40 ms floor would be ~100x).
Takes ~20 s."""
import http.client
import os
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from ksharness import (temp_dir, AGENT, Agent, check, finish, free_port, http_get, log,  # noqa: E402
                       wait_until)
from kstls import (CLIENT_EXTENSIONS, SERVER_EXTENSIONS, make_ca, make_certificate,  # noqa: E402
                   write_web_config)

USER, PASSWORD = "prometheus", "correct horse battery staple"
work = temp_dir(prefix="ks-tls-")
procs = []


def der_of(name):
    with open(os.path.join(work, f"{name}.crt")) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


def tls_context(client_cert=True):
    ctx = ssl.create_default_context(cafile=os.path.join(work, "ca.crt"))
    if client_cert:
        ctx.load_cert_chain(os.path.join(work, "client.crt"), os.path.join(work, "client.key"))
    return ctx


def basic(user, password):
    import base64
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def tls_get(port, path, authorization=None, client_cert=True):
    """(status, headers) or (None, error text) when no HTTP answer came."""
    conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=10,
                                       context=tls_context(client_cert))
    try:
        conn.request("GET", path, headers={"Authorization": authorization} if authorization else {})
        response = conn.getresponse()
        response.read()
        return response.status, dict(response.headers)
    except (OSError, http.client.HTTPException) as e:
        return None, f"{type(e).__name__}: {e}"
    finally:
        conn.close()


def served_certificate(port):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with tls_context().wrap_socket(raw, server_hostname="127.0.0.1") as conn:
            return conn.getpeercert(binary_form=True)


def request_seconds(conn, headers, count=40):
    """Seconds each of `count` sequential requests took on one kept-alive connection."""
    times = []
    for _ in range(count):
        started = time.perf_counter()
        conn.request("GET", "/metrics", headers={"Accept-Encoding": "gzip", **headers})
        r = conn.getresponse()
        r.read()
        times.append(time.perf_counter() - started)
    return times



def start_prometheus(agent_port):
    port = free_port()
    ca, crt, key = (os.path.join(work, n) for n in ("ca.crt", "client.crt", "client.key"))
    jobs = {"good": (PASSWORD, True), "wrong-password": ("wrong", True), "no-client-cert": (PASSWORD, False)}
    config = "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n"
    for job, (password, with_cert) in jobs.items():
        cert_lines = f"      cert_file: {crt}\n      key_file: {key}\n" if with_cert else ""
        config += (f"  - job_name: {job}\n    scheme: https\n"
                   f"    tls_config:\n      ca_file: {ca}\n{cert_lines}"
                   f"    basic_auth:\n      username: {USER}\n      password: \"{password}\"\n"
                   f"    static_configs:\n      - targets: [\"127.0.0.1:{agent_port}\"]\n")
    with open(os.path.join(work, "prometheus.yml"), "w") as f:
        f.write(config)
    proc = subprocess.Popen(
        [shutil.which("prometheus"), f"--config.file={work}/prometheus.yml",
         f"--storage.tsdb.path={work}/prometheus-data", f"--web.listen-address=127.0.0.1:{port}",
         "--log.level=warn"],
        stdout=open(os.path.join(work, "prometheus.log"), "ab"), stderr=subprocess.STDOUT)
    procs.append(proc)
    return f"http://127.0.0.1:{port}"


def scraped_targets(prometheus_url):
    """{job: (health, lastError)} once every job has been scraped at least once."""
    import json
    status, body, _ = http_get(prometheus_url + "/api/v1/targets", timeout=5)
    if status != 200:
        return None
    targets = json.loads(body)["data"]["activeTargets"]
    out = {t["labels"]["job"]: (t["health"], t.get("lastError", "")) for t in targets}
    return out if len(out) == 3 and all(h != "unknown" for h, _ in out.values()) else None


def main():
    make_ca(work)
    make_certificate(work, "server", "agent first certificate", SERVER_EXTENSIONS)
    make_certificate(work, "renewed", "agent renewed certificate", SERVER_EXTENSIONS)
    make_certificate(work, "client", "prometheus", CLIENT_EXTENSIONS)
    web_config = write_web_config(work, USER, PASSWORD)
    host_only = ("kafka:\n  bootstrap_servers: 127.0.0.1:1\ncollectors:\n  host:\n    interval: 1s\n"
                 "  brokers:\n    enabled: false\n  groups:\n    enabled: false\n")
    secured = Agent(host_only + "http:\n  healthz_without_auth: true\n", name="secured",
                    extra_args=["--web.config.file", web_config])
    # Agent.start() waits on plain /healthz: start it by hand and wait on TLS.
    secured.log_file = open(secured.log_path, "ab")
    secured.proc = subprocess.Popen(
        [AGENT, "run", "--config", secured.config_path, "--listen", f"127.0.0.1:{secured.port}",
         *secured.extra_args], stdout=secured.log_file, stderr=subprocess.STDOUT)
    procs.append(secured.proc)
    port = secured.port
    up = wait_until(lambda: tls_get(port, "/healthz")[0] == 200, 20, 0.1, "agent over TLS")
    if not check(up is not None, "the agent serves /healthz over TLS"):
        log(secured.log_tail())
        return
    prometheus = start_prometheus(port)

    good = basic(USER, PASSWORD)
    check(tls_get(port, "/metrics", good)[0] == 200, "/metrics: right user and password: 200")
    check(tls_get(port, "/api/v1/", good)[0] == 200, "/api/v1/ (JSON API) over TLS, right credentials: 200")
    for path in ("/metrics", "/readyz", "/", "/no-such-path", "/api/v1/groups", "/api/v1/cluster"):
        for what, header in (("wrong password", basic(USER, "wrong")), ("no credentials", None),
                             ("unknown user", basic("mallory", PASSWORD))):
            status, headers = tls_get(port, path, header)
            check(status == 401 and headers.get("WWW-Authenticate", "").startswith("Basic"),
                  f"{path}, {what}: 401 with WWW-Authenticate (got {status})")
    check(tls_get(port, "/healthz")[0] == 200, "/healthz without credentials: 200 (healthz_without_auth)")
    status, error = tls_get(port, "/metrics", good, client_cert=False)
    check(status is None, f"no client certificate: the handshake is refused, no HTTP answer ({error})")
    status, body, _ = (None, None, None)
    try:
        status, body, _ = http_get(f"http://127.0.0.1:{port}/metrics", timeout=5)
    except (OSError, http.client.HTTPException) as e:
        body = f"{type(e).__name__}: {e}"
    check(status is None, f"plain HTTP to the TLS port: no HTTP answer ({body})")

    targets = wait_until(lambda: scraped_targets(prometheus), 60, 0.5, "prometheus scrapes")
    targets = targets or {}
    log(f"prometheus targets: {targets}")
    check(targets.get("good", ("",))[0] == "up", "Prometheus (tls_config + basic_auth): target up")
    wrong = targets.get("wrong-password", ("", ""))
    check(wrong[0] == "down" and "401" in wrong[1], f"Prometheus, wrong password: down, 401 ({wrong})")
    no_cert = targets.get("no-client-cert", ("", ""))
    check(no_cert[0] == "down" and "401" not in no_cert[1],
          f"Prometheus, no client certificate: down, refused in the handshake ({no_cert})")

    # Certificate renewal: the files are replaced (as a renewal tool does: write, rename).
    check(served_certificate(port) == der_of("server"), "the first certificate is served")
    for ext in ("crt", "key"):
        shutil.copy(os.path.join(work, f"renewed.{ext}"), os.path.join(work, f"new.{ext}"))
        os.replace(os.path.join(work, f"new.{ext}"), os.path.join(work, f"server.{ext}"))
    renewed = wait_until(lambda: served_certificate(port) == der_of("renewed"), 10, 0.2,
                         "the renewed certificate")
    check(renewed is not None, "after the files are replaced, new connections get the renewed "
          "certificate (no restart)")
    check(secured.alive(), "the agent kept running")

    plain = Agent(host_only, name="plain").start()
    to_plain = http.client.HTTPConnection("127.0.0.1", plain.port, timeout=10)
    to_tls = http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=tls_context())
    request_seconds(to_plain, {}, 10)  # past the connections' first requests
    request_seconds(to_tls, {"Authorization": good}, 10)
    plain_s, tls_s = [], []
    for _ in range(4):  # alternating, so that a busy machine slows both alike
        plain_s += request_seconds(to_plain, {}, 15)
        tls_s += request_seconds(to_tls, {"Authorization": good}, 15)
    ratio = statistics.median(tls_s) / statistics.median(plain_s)
    log(f"kept-alive gzip scrapes, median of {len(tls_s)}: plain {statistics.median(plain_s) * 1e3:.3f} ms, "
        f"TLS + basic auth {statistics.median(tls_s) * 1e3:.3f} ms (ratio {ratio:.2f})")
    check(ratio < 20, f"no fixed delay over TLS either: TLS/plain median ratio {ratio:.2f} "
          f"(the 40 ms floor: 100 or more)")


try:
    main()
finally:
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait(10)
    shutil.rmtree(work, ignore_errors=True)
finish()

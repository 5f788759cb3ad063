"""Concurrent scrapes of the real binary while its collectors publish new snapshots: every
answer is complete and correct, and SIGTERM in the middle of them stops the agent cleanly.

The host collector runs every 100 ms and the Kafka collectors (Kafka unreachable) every
200 ms, so the /metrics body is re-rendered many times while eight scrapers ask for it: four
on keep-alive connections (as Prometheus scrapes), four with a new connection per request,
mixing plain and gzip /metrics, /healthz and /readyz. The scrapers stop once the agent has
rendered at least RENDERS new bodies during the run (bounded by a deadline and a request
count). This is also the test the sanitizer builds run for the HTTP server's threads
(scripts/sanitize.sh): a data race or a use-after-free between a render and a scrape shows
there. No Kafka needed; runs in ~5 s (longer under a sanitizer)."""
import gzip
import http.client
import os
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from ksharness import Agent, base_config, check, finish, log, parse_metrics, value, wait_until  # noqa: E402

SCRAPERS = 8
MAX_REQUESTS = 400   # per scraper: the run is bounded even if renders stall
RENDERS = 10         # new bodies rendered while the scrapers run
DEADLINE = 120       # seconds, whatever happens

config = base_config(request_timeout="1s", interval="200ms").replace(
    "  host:\n    interval: 200ms\n", "  host:\n    interval: 100ms\n")
agent = Agent(config, name="concurrency").start()


def fetch(conn, path, gzip_ok):
    """(status, decoded body) over `conn`: one request."""
    headers = {"Accept-Encoding": "gzip"} if gzip_ok else {}
    conn.request("GET", path, headers=headers)
    r = conn.getresponse()
    body = r.read()
    if r.getheader("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    return r.status, body.decode()


def verify(path, status, body):
    """'' when the answer is right for `path`, else what is wrong with it."""
    if path == "/healthz":
        return "" if status == 200 and body == "ok\n" else f"/healthz {status} {body[:80]!r}"
    if path == "/readyz":
        return "" if status in (200, 503) and body else f"/readyz {status} {body[:80]!r}"
    if status != 200:
        return f"/metrics answered {status}"
    try:
        m = parse_metrics(body)
    except ValueError as e:
        return f"/metrics unparsable: {e}"
    # The first and the last families of the page (tests/e2e/golden): a cut body misses one.
    if value(m, "kafka_sentinel_build_info") is None or "process_virtual_memory_bytes" not in m:
        return "/metrics incomplete: build_info or process_virtual_memory_bytes missing"
    return ""


class Scraper(threading.Thread):
    def __init__(self, index, stop, keep_alive):
        super().__init__(daemon=True)
        self.index, self.stop, self.keep_alive = index, stop, keep_alive
        self.requests, self.errors = 0, []

    def run(self):
        paths = ["/metrics", "/metrics", "/healthz", "/readyz"]
        conn = None
        while not self.stop.is_set() and self.requests < MAX_REQUESTS:
            path = paths[(self.requests + self.index) % len(paths)]
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(agent.host, agent.port, timeout=10)
                status, body = fetch(conn, path, gzip_ok=(self.requests % 3 == 0))
                problem = verify(path, status, body)
                if problem:
                    self.errors.append(problem)
            except (OSError, http.client.HTTPException) as e:
                self.errors.append(f"{path}: {type(e).__name__}: {e}")
                conn = None
            self.requests += 1
            if not self.keep_alive and conn is not None:
                conn.close()
                conn = None


def renders():
    return value(agent.metrics(), "kafka_sentinel_metrics_renders_total") or 0


def run_scrapers(stop):
    scrapers = [Scraper(i, stop, keep_alive=(i % 2 == 0)) for i in range(SCRAPERS)]
    for s in scrapers:
        s.start()
    return scrapers


# 1. Concurrent scrapes across many renders.
start_renders = renders()
stop = threading.Event()
scrapers = run_scrapers(stop)
done = wait_until(lambda: renders() >= start_renders + RENDERS
                  or all(not s.is_alive() for s in scrapers), DEADLINE, 0.2,
                  f"{RENDERS} renders during the scrapes")
stop.set()
for s in scrapers:
    s.join(30)
total = sum(s.requests for s in scrapers)
errors = [e for s in scrapers for e in s.errors]
rendered = renders() - start_renders
log(f"{total} requests by {SCRAPERS} scrapers, {rendered} renders meanwhile")
check(rendered >= RENDERS, f"the body was re-rendered during the scrapes ({rendered} renders, "
      f"want at least {RENDERS})")
check(all(not s.is_alive() for s in scrapers), "every scraper finished")
check(total >= SCRAPERS * 4, f"every scraper made requests ({total} in all)")
check(not errors, f"every answer was complete and correct ({len(errors)} wrong: {errors[:5]})")

# 2. SIGTERM while the scrapers are at work: a clean exit 0 within 5 s. (Their requests may
# fail once the server is gone; only the agent's exit matters here.)
stop2 = threading.Event()
scrapers2 = run_scrapers(stop2)
wait_until(lambda: sum(s.requests for s in scrapers2) >= SCRAPERS * 4
           or all(not s.is_alive() for s in scrapers2), 30, 0.05, "scrapes under way")
code, took = agent.stop(signal.SIGTERM, timeout=10)
stop2.set()
for s in scrapers2:
    s.join(30)
check(code == 0 and took < 5,
      f"SIGTERM during concurrent scrapes: exit code {code} after {took:.2f} s (want 0 within 5 s)")
finish()

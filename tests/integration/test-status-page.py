"""The status page at / in a real browser (headless Chromium through the DevTools protocol)
against the agent on a real 3-node Kafka.

A producer writes 30 msgs/s to a 3-partition topic replicated 3 times; `page-lagging`
consumes 3 msgs/s (its lag grows), `page-keeping-up` keeps up. Node 3 is stopped. The page,
refreshing every second, must then show: broker 3 down (the others up), CRITICAL health,
the lagging group on top with a WARN or ERR status and a lag-history chart that grows with
refreshes, the topic under-replicated among the topics with problems, the broker-down condition firing
(events enabled), the endpoint index below; no console message at warning level or above, no uncaught exception, no request
leaving the agent. The same at a phone's width (390 px) with nothing wider than the screen.
`page-keeping-up` fires no lag status STALL or STOP from the agent's start until node 3 is
stopped (the agent's log lists every event it fires): a keeping-up consumer is never STALL,
however late the replicated __consumer_offsets delivers its commits (docs/lag.md "On real
commits"). Stopping node 3 moves group coordinators and offsets-partition leaders, during
which commits can stop for seconds: not checked after it.
Screenshots (laptop and phone) are saved to BUILD_DIR/test-artifacts/status-page/.
~2-3 min (three Kafka nodes start).
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from kschromium import Chromium, chromium_binary, need_websocket  # noqa: E402

need_websocket()

from ksharness import (temp_dir, BUILD_DIR, Agent, KafkaCluster, agent_yaml, check, finish, log,  # noqa: E402
                       value, wait_until)
from ksloadgen import loadgen, start_loadgen, stop_all  # noqa: E402

TOPIC, LAGGING, KEEPING_UP = "page-topic", "page-lagging", "page-keeping-up"
ARTIFACTS = os.path.join(BUILD_DIR, "test-artifacts", "status-page")

# What the page shows, read from its DOM.
READ_PAGE = """(() => {
  const rows = sel => [...document.querySelectorAll(sel + ' tbody tr')].map(
      tr => [...tr.querySelectorAll('td')].map(td => td.textContent.trim()));
  return {
    health: document.getElementById('health').textContent,
    brokers: rows('#brokers'),
    groups: rows('#groups'),
    topics: rows('#topics'),
    charts: [...document.querySelectorAll('#groups svg.spark polyline')].map(
        p => p.getAttribute('points').split(' ').length),
    refreshes: Number(document.body.dataset.refreshes || 0),
    endpointsBelow: document.getElementById('endpoints-section').getBoundingClientRect().top >
                    document.getElementById('groups-section').getBoundingClientRect().top,
    endpoints: document.getElementById('endpoints').textContent,
    conditions: document.getElementById('conditions').textContent,
    overflow: document.documentElement.scrollWidth - window.innerWidth,
  };
})()"""


def page_shows_trouble(browser):
    p = browser.evaluate(READ_PAGE)  # a failure while the page loads is "not yet" for wait_until
    states = {r[0]: r[1] for r in p["brokers"] if len(r) > 1}
    ready = (states.get("3") == "down" and p["groups"] and p["groups"][0][0] == LAGGING
             and p["groups"][0][1] in ("WARN", "ERR") and any(r[0] == TOPIC for r in p["topics"])
             and "broker 3" in p["conditions"])
    return p if ready else None


def check_page(browser, p, label):
    states = {r[0]: r[1] for r in p["brokers"] if len(r) > 1}
    check(states == {"1": "up", "2": "up", "3": "down"}, f"{label}: broker 3 down, 1 and 2 up ({states})")
    check(p["health"] == "CRITICAL", f"{label}: health CRITICAL with a broker down ({p['health']})")
    names = [r[0] for r in p["groups"]]
    check(names[:1] == [LAGGING] and KEEPING_UP in names,
          f"{label}: the lagging group on top ({[r[:4] for r in p['groups']]})")
    check(p["groups"][0][1] in ("WARN", "ERR"), f"{label}: its status {p['groups'][0][1]}")
    topic = next((r for r in p["topics"] if r[0] == TOPIC), None)
    check(topic is not None and topic[3] not in ("0", ""), f"{label}: {TOPIC} under-replicated ({topic})")
    check("broker 3" in p["conditions"], f"{label}: the broker-down condition firing ({p['conditions'][:200]!r})")
    check(p["endpointsBelow"] and "/metrics" in p["endpoints"] and "/v3/kafka" in p["endpoints"],
          f"{label}: the endpoint index below the groups")
    check(p["overflow"] <= 0, f"{label}: nothing wider than the window ({p['overflow']} px over)")


def browser_checks(agent):
    browser = Chromium(width=1280, height=900).start()
    try:
        browser.viewport(1280, 900)
        browser.navigate(agent.url + "/?refresh=1")
        p = browser.wait_for(f"({READ_PAGE.strip()}).refreshes > 0", 30, "a first refresh")
        check(bool(p), "the page refreshed itself from /api/v1")
        p = wait_until(lambda: page_shows_trouble(browser), 90, 1, "the page to show the stopped broker")
        check(bool(p), "the page shows the stopped broker and the lagging group")
        if p:
            first = p["charts"][0]
            grown = wait_until(lambda: browser.evaluate(READ_PAGE)["charts"][0] >= first + 12, 40, 0.5,
                               "the lag history to grow")
            check(bool(grown), f"the lag history chart grows with refreshes (from {first} points)")
            check_page(browser, browser.evaluate(READ_PAGE), "laptop")
        browser.screenshot(os.path.join(ARTIFACTS, "status-page-laptop.png"))
        browser.viewport(390, 844, mobile=True, scale=2)
        browser.navigate(agent.url + "/?refresh=1")
        p = wait_until(lambda: page_shows_trouble(browser), 30, 1, "the page at a phone's width")
        if check(bool(p), "the page at a phone's width shows the same"):
            check_page(browser, p, "phone")
        browser.screenshot(os.path.join(ARTIFACTS, "status-page-phone.png"))
        bad = [c for c in browser.console if c[0] in ("error", "warning", "assert")]
        check(not bad, f"no console errors or warnings ({bad[:5]})")
        check(not browser.exceptions, f"no uncaught exception ({browser.exceptions[:3]})")
        outside = [u for u in browser.requested if not u.startswith(agent.url) and not u.startswith("data:")]
        check(not outside, f"every request goes to the agent ({outside[:5]})")
        check(not browser.failed, f"no failed request ({browser.failed[:5]})")
        log(f"page requests: {len(browser.requested)}, console messages: {len(browser.console)}")
    finally:
        browser.stop()


def check_keeping_up_never_fired(agent):
    prefix = f"event firing group.lag_status group/{KEEPING_UP} "
    with open(agent.log_path, errors="replace") as f:
        fired = [line.strip() for line in f if prefix in line and
                 (line.rstrip().endswith("lag status STALL") or line.rstrip().endswith("lag status STOP"))]
    check(not fired, f"{KEEPING_UP} never fired lag status STALL or STOP ({fired[:3]})")


def main():
    if not chromium_binary():
        print("SKIPPED: chromium is not installed (scripts/install-deps.sh installs it)", flush=True)
        sys.exit(77)
    kafka = KafkaCluster(nodes=3).up()
    b = kafka.bootstrap
    loadgen("create-topics", "--bootstrap", b, "--topics", f"{TOPIC}:3:3", timeout=60)
    start_loadgen("produce", "--bootstrap", b, "--topics", TOPIC, "--rate", "30",
                  "--duration", "400", "--status-interval", "0")
    for group, rate in ((LAGGING, "3"), (KEEPING_UP, "1000")):
        start_loadgen("consume", "--bootstrap", b, "--group", group, "--topics", TOPIC,
                      "--rate", rate, "--commit-interval-ms", "500", "--status-interval", "0")
    spool = temp_dir(prefix="ks-page-spool-")
    agent = Agent(agent_yaml(b, groups=["status_window_commits: 3"], more=f"""
events:
  enabled: true
  spool:
    dir: {spool}
  hysteresis:
    fire_cycles: 1
""")).start()
    try:
        lagging = wait_until(lambda: (value(agent.metrics(), "kafka_consumergroup_status",
                                            consumergroup=LAGGING) or 0) >= 2, 90, 1,
                             "the lagging group WARN or worse")
        check(bool(lagging), "the agent sees the lagging group")
        check_keeping_up_never_fired(agent)
        kafka.stop_node(3)
        down = wait_until(lambda: value(agent.metrics(), "kafka_broker_up", id=3) == 0, 60, 1,
                          "broker 3 down in /metrics")
        check(bool(down), "the agent sees broker 3 down")
        browser_checks(agent)
    finally:
        stop_all()
    agent.stop()
    finish()


if __name__ == "__main__":
    main()

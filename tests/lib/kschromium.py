"""Headless Chromium driven through the DevTools protocol, for tests of the status page.

`Chromium` starts Debian's `chromium` headless with its own throwaway profile and a
DevTools port it picks itself, attaches to its page target over a WebSocket (Debian's
python3-websocket) and records what a test must see: console messages, uncaught
exceptions, failed requests and every URL the page requested. Stopped by PID.

`need_websocket()` re-executes the test under /usr/bin/python3 when the interpreter running it
lacks the websocket module (a pyenv python first on PATH), or exits 77 (skipped) when no
interpreter has it.
"""
import atexit
import base64
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

from ksharness import log, wait_until


def need_websocket():
    try:
        import websocket  # noqa: F401
        return
    except ImportError:
        pass
    system = "/usr/bin/python3"
    if os.path.realpath(sys.executable) != os.path.realpath(system) and os.path.exists(system):
        os.execv(system, [system, *sys.argv])
    print("SKIPPED: python3-websocket is not installed (scripts/install-deps.sh)", flush=True)
    sys.exit(77)


def chromium_binary():
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Chromium:
    def __init__(self, width=1280, height=900):
        self.profile = tempfile.mkdtemp(prefix="ks-chromium-")
        self.width, self.height = width, height
        self.proc = None
        self.ws = None
        self.ids = itertools.count(1)
        self.console = []      # (level, text)
        self.exceptions = []   # text
        self.failed = []       # (url, error)
        self.requested = []    # url

    def start(self):
        import websocket
        binary = chromium_binary()
        if not binary:
            raise RuntimeError("no chromium binary (apt-get install chromium)")
        self.proc = subprocess.Popen(
            [binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--hide-scrollbars", "--mute-audio",
             f"--user-data-dir={self.profile}", "--remote-debugging-port=0",
             "--remote-debugging-address=127.0.0.1", f"--window-size={self.width},{self.height}",
             "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        atexit.register(self.stop)
        port_file = os.path.join(self.profile, "DevToolsActivePort")
        if not wait_until(lambda: os.path.exists(port_file) and open(port_file).read().strip(),
                          60, 0.2, "chromium's DevTools port"):
            raise RuntimeError("chromium did not open its DevTools port")
        port = int(open(port_file).read().split()[0])
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10))
        page = next(t for t in targets if t.get("type") == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30,
                                              suppress_origin=True)
        for domain in ("Page", "Runtime", "Network", "Log"):
            self.call(f"{domain}.enable")
        log(f"chromium up (DevTools on 127.0.0.1:{port})")
        return self

    def _event(self, msg):
        method, p = msg.get("method"), msg.get("params", {})
        if method == "Runtime.consoleAPICalled":
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
            self.console.append((p.get("type"), text))
        elif method == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            self.exceptions.append(d.get("exception", {}).get("description") or d.get("text"))
        elif method == "Log.entryAdded":
            e = p.get("entry", {})
            self.console.append((e.get("level"), f"{e.get('source')}: {e.get('text')} {e.get('url', '')}"))
        elif method == "Network.requestWillBeSent":
            self.requested.append(p.get("request", {}).get("url"))
        elif method == "Network.loadingFailed":
            self.failed.append((p.get("requestId"), p.get("errorText")))

    def call(self, method, **params):
        """Sends one command; returns its result (events meanwhile are recorded)."""
        my_id = next(self.ids)
        self.ws.send(json.dumps({"id": my_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == my_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self._event(msg)

    def evaluate(self, expression):
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"evaluate failed: {r['exceptionDetails'].get('text')}")
        return r.get("result", {}).get("value")

    def viewport(self, width, height, mobile=False, scale=1):
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height,
                  deviceScaleFactor=scale, mobile=mobile)

    def navigate(self, url):
        self.call("Page.navigate", url=url)

    def screenshot(self, path, full_page=True):
        params = {"format": "png", "captureBeyondViewport": full_page}
        if full_page:
            size = self.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
            params["clip"] = {"x": 0, "y": 0, "width": size[0], "height": size[1], "scale": 1}
        data = self.call("Page.captureScreenshot", **params)["data"]
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
        log(f"screenshot: {path}")

    def wait_for(self, expression, timeout, what):
        """Polls a JavaScript expression until it is truthy; returns its value or None."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                last = self.evaluate(expression)
            except RuntimeError as e:  # the page is still loading: not yet
                last = str(e)
                time.sleep(0.3)
                continue
            if last:
                return last
            time.sleep(0.3)
        log(f"timed out after {timeout}s waiting for {what} (last: {last!r})")
        return None

    def stop(self):
        if self.ws:
            try:
                self.ws.close()
            except Exception:
                pass
            self.ws = None
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        shutil.rmtree(self.profile, ignore_errors=True)

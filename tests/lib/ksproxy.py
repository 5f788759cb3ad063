"""A delaying TCP proxy on loopback, to make one broker slow without `tc netem` (Python
standard library only).

DelayProxy(target_port) listens on 127.0.0.1:<free port> and forwards each connection to
127.0.0.1:target_port, holding every chunk of data it reads, in either direction, for
`delay` seconds before writing it on: a link with that much one-way latency (a round trip
takes twice the delay). Chunks are written in the order they were read, each no sooner than
its own read time plus the delay in force when it was read, so data is never reordered and a
steady stream is delayed, not throttled. set_delay() changes the delay at run time (0: a
plain relay; data already held keeps its time).

Bounded: at most `max_connections` at once (more are closed at once), `lifetime` seconds at
most (then it stops by itself), loopback only. It runs an asyncio loop in a daemon thread of
the test process and is stopped with stop() (also at exit).

As a program (for shell tests): `python3 ksproxy.py TARGET_PORT [--delay S] [--lifetime S]`
prints its port on the first line of stdout, then relays until SIGTERM or the lifetime ends.
"""
import argparse
import asyncio
import atexit
import signal
import sys
import ipaddress
import socket
import threading
import time

CHUNK = 65536


class DelayProxy:
    def __init__(self, target_port, host="127.0.0.1", delay=0.0, max_connections=64,
                 lifetime=900):
        if not ipaddress.ip_address(host).is_loopback:
            raise ValueError(f"DelayProxy: {host} is not a loopback address")
        self.host = host
        self.target_port = target_port
        self.delay = float(delay)
        self.max_connections = max_connections
        self.lifetime = lifetime
        self.connections = 0      # accepted so far
        self.open = 0             # open now
        self.bytes = 0            # forwarded, both directions
        self._sock = socket.socket()
        self._sock.bind((host, 0))
        self.port = self._sock.getsockname()[1]
        self._loop = None
        self._stopped = None
        self._thread = None

    def set_delay(self, seconds):
        self.delay = float(seconds)  # read by the loop at each chunk (a float store is atomic)

    def start(self):
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), daemon=True,
                                        name=f"delay-proxy-{self.port}")
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("DelayProxy did not start")
        atexit.register(self.stop)
        return self

    def stop(self):
        if self._loop and self._thread and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stopped.set)
            self._thread.join(10)

    def _run(self, ready):
        self._loop = asyncio.new_event_loop()
        try:
            self._loop.run_until_complete(self._serve(ready))
        finally:
            self._loop.close()

    async def _serve(self, ready):
        self._stopped = asyncio.Event()
        server = await asyncio.start_server(self._client, sock=self._sock)
        ready.set()
        try:
            await asyncio.wait_for(self._stopped.wait(), self.lifetime)
        except asyncio.TimeoutError:
            pass
        server.close()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _client(self, reader, writer):
        if self.open >= self.max_connections:
            writer.close()
            return
        self.connections += 1
        self.open += 1
        try:
            up_reader, up_writer = await asyncio.open_connection(self.host, self.target_port)
        except OSError:  # the broker is not listening (yet, or any more): like a refused connect
            self.open -= 1
            writer.close()
            return
        try:
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer),
                                 return_exceptions=True)
        except asyncio.CancelledError:  # stop(): the connection ends with the proxy
            pass
        finally:
            self.open -= 1
            for w in (writer, up_writer):
                w.close()

    async def _pipe(self, reader, writer):
        """Reads chunks as they come and writes each on at its due time, in order."""
        held = asyncio.Queue()

        async def send():
            while True:
                due, data = await held.get()
                if data is None:
                    break
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                writer.write(data)
                await writer.drain()
                self.bytes += len(data)
            writer.close()

        sender = asyncio.ensure_future(send())
        try:
            while True:
                data = await reader.read(CHUNK)
                if not data:
                    break
                held.put_nowait((time.monotonic() + self.delay, data))
        except OSError:
            pass
        finally:
            held.put_nowait((0, None))
            await asyncio.gather(sender, return_exceptions=True)


def main():
    parser = argparse.ArgumentParser(description="a delaying TCP relay on loopback")
    parser.add_argument("target_port", type=int)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds each way")
    parser.add_argument("--lifetime", type=float, default=900, help="seconds, then it stops")
    args = parser.parse_args()
    proxy = DelayProxy(args.target_port, delay=args.delay, lifetime=args.lifetime).start()
    print(proxy.port, flush=True)
    signal.signal(signal.SIGTERM, lambda *_: proxy.stop())
    while proxy._thread.is_alive():
        proxy._thread.join(1)
    sys.exit(0)


if __name__ == "__main__":
    main()

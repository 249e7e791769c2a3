"""Caddy for the tests of examples/postgrest-auth: ``caddy validate`` and a real ``caddy run``
of the example's Caddyfile in front of a local upstream that records the headers it gets.

Caddy comes from Debian (``apt-get install caddy``, in .ci/setup). Its home, data and config
directories are the test's temp dir, its admin endpoint is off, and it listens, like the
upstream, on a port below 32768 (32768-60999 is the ephemeral range here)."""

from __future__ import annotations

import contextlib
import http.client
import http.server
import json
import os
import random
import shutil
import socket
import subprocess
import threading
import time


def caddy_bin() -> str:
    path = shutil.which("caddy")
    assert path, "caddy is not installed: apt-get install -y caddy (.ci/setup does it)"
    return path


def low_port() -> int:
    """A free TCP port on 127.0.0.1 below the ephemeral range."""
    for _ in range(200):
        port = random.randint(20000, 32000)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError("no free port in 20000-32000")


def _env(home: str, **extra) -> dict:
    env = dict(os.environ, HOME=home, XDG_DATA_HOME=os.path.join(home, "data"),
               XDG_CONFIG_HOME=os.path.join(home, "config"))
    env.update(extra)
    return env


def caddy_validate(caddyfile: str, home: str) -> None:
    os.makedirs(home, exist_ok=True)
    p = subprocess.run([caddy_bin(), "validate", "--config", caddyfile, "--adapter", "caddyfile"],
                       capture_output=True, text=True, env=_env(home), timeout=120)
    assert p.returncode == 0 and "Valid configuration" in p.stdout + p.stderr, p.stdout + p.stderr


class _Recorder(http.server.BaseHTTPRequestHandler):
    seen: list = []

    def do_GET(self):  # noqa: N802
        headers = {}
        for k, v in self.headers.items():
            headers.setdefault(k.lower(), []).append(v)
        self.seen.append(headers)
        body = json.dumps({"ok": True}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def _wait_listening(port: int, proc: subprocess.Popen, log: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"caddy exited {proc.returncode}:\n{open(log).read()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"caddy did not listen on {port}:\n{open(log).read()[-3000:]}")


@contextlib.contextmanager
def caddy_running(caddyfile: str, tmpdir: str, site_port: int, **env):
    """``caddy run`` of ``caddyfile`` with ``env`` (SITE_ADDRESS, POSTGREST_UPSTREAM, …; the
    admin endpoint off), its home in ``tmpdir``, until the block ends; waits until it listens
    on ``site_port``. Yields the path of its log."""
    home = os.path.join(tmpdir, "caddy-home")
    os.makedirs(home, exist_ok=True)
    log = os.path.join(tmpdir, "caddy.log")
    with open(log, "w") as logf:
        proc = subprocess.Popen([caddy_bin(), "run", "--config", caddyfile, "--adapter", "caddyfile"],
                                stdout=logf, stderr=subprocess.STDOUT,
                                env=_env(home, CADDY_ADMIN="off", **env))
    try:
        _wait_listening(site_port, proc, log)
        yield log
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_caddy_with_upstream(caddyfile: str, tmpdir: str, requests: list) -> list:
    """Start the upstream and Caddy, send GET /todos with each dict of request headers through
    Caddy, stop both; returns what the upstream saw for each (lower-case name -> values;
    a header it did not get is absent, so ``.get(name)`` is None)."""
    seen: list = []
    handler = type("Recorder", (_Recorder,), {"seen": seen})
    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", low_port()), handler)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    site_port = low_port()
    try:
        with caddy_running(caddyfile, tmpdir, site_port, SITE_ADDRESS=f"http://127.0.0.1:{site_port}",
                           POSTGREST_UPSTREAM=f"127.0.0.1:{upstream.server_address[1]}") as log:
            for headers in requests:
                conn = http.client.HTTPConnection("127.0.0.1", site_port, timeout=30)
                conn.request("GET", "/todos", headers=headers)
                resp = conn.getresponse()
                resp.read()
                conn.close()
                assert resp.status == 200, (resp.status, open(log).read()[-3000:])
    finally:
        upstream.shutdown()
        upstream.server_close()
    assert len(seen) == len(requests), seen
    return seen

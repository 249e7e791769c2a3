"""The suite's PostgREST stand-in as a real HTTP server, for Caddy and a browser in front of
it (test_auth_browser.py): each HTTP request becomes one request of
``auth_example_support.PostgREST`` (one transaction, SET LOCAL ROLE, request.* settings, the
pre-request function, response.status and response.headers read back), answered with the
status, headers and JSON body PostgREST would send. Only the example's endpoints exist:
POST /rpc/<function> with a JSON object of arguments, GET /todos and POST /todos."""

from __future__ import annotations

import http.server
import json
import re
import threading
from http.cookies import SimpleCookie

from auth_example_support import PostgREST
from cluster import literal

TODOS = "SELECT coalesce(json_agg(t ORDER BY t.id), '[]') FROM api.todos t"


def _query(method: str, path: str, body: dict):
    """(SQL of the main query, default status), or None for an endpoint that does not exist."""
    m = re.fullmatch(r"/rpc/([a-z_]+)", path)
    if method == "POST" and m:
        named = ", ".join(f"{k} => {literal(v if isinstance(v, str) else json.dumps(v))}"
                          for k, v in body.items() if re.fullmatch(r"[a-z_]+", k))
        return f"SELECT api.{m.group(1)}({named})", 200
    if path == "/todos" and method == "GET":
        return TODOS, 200
    if path == "/todos" and method == "POST":
        return (f"WITH t AS (INSERT INTO api.todos (task) VALUES ({literal(str(body.get('task', '')))}) "
                "RETURNING *) SELECT json_agg(t) FROM t"), 201
    return None


class _Handler(http.server.BaseHTTPRequestHandler):
    api: PostgREST
    lock: threading.Lock

    def _answer(self, method: str):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw.strip() else {}
        path = self.path.split("?", 1)[0]
        q = _query(method, path, body if isinstance(body, dict) else {})
        if q is None:
            return self._send(404, [], {"code": "PGRST125", "message": f"no endpoint {path}"})
        cookies = {k: m.value for k, m in SimpleCookie(self.headers.get("Cookie") or "").items()}
        headers = {"authorization": self.headers["Authorization"]} if self.headers.get("Authorization") else {}
        with self.lock:  # one pooled connection: requests take turns
            r = self.api.request(method, path, q[0], cookies=cookies, headers=headers, default_status=q[1])
        self._send(r.status, r.headers, r.body)

    def _send(self, status: int, headers: list, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):  # noqa: N802
        self._answer("GET")

    def do_POST(self):  # noqa: N802
        self._answer("POST")

    def log_message(self, *args):
        pass


def serve(api: PostgREST, port: int) -> http.server.ThreadingHTTPServer:
    """Start the stand-in on 127.0.0.1:port in a thread; ``shutdown()`` stops it."""
    handler = type("PostgRESTHandler", (_Handler,), {"api": api, "lock": threading.Lock()})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server

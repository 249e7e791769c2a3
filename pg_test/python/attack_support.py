"""Shared helpers of the attack suite (pg_test/python/test_attack_*.py).

* ``Session``: one persistent psql process (= one backend) fed through pipes, with a
  sentinel after each statement: concurrent sessions, wall-time measurement, the
  backend's pid (RSS, cancel), and an outcome (output lines, parsed ERROR) per statement.
* ``hs256``: a JWS signed by hand with an arbitrary HMAC key (PyJWT refuses PEM-looking
  HMAC keys, which is exactly what the algorithm-confusion attacks need).
* ``windows``: every n-character window of a secret, to search logs for fragments.
* ``plant_sql``: SQL an attacker runs to plant functions, casts and operators that
  shadow what an extension might call unqualified; each one records that it fired.
* ``setup_db``: the README's migration style (extension in schema ``extensions``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import queue
import subprocess
import threading
import time
from dataclasses import dataclass, field
from typing import Optional

from cluster import PgError, literal

FIRED_MARK = "PLANTED-FIRED"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs256(claims, key, header=None) -> str:
    """An HS256 JWS whose HMAC key is exactly ``key`` (text is UTF-8 encoded)."""
    if isinstance(key, str):
        key = key.encode("utf-8")
    h = b64url(json.dumps(header or {"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    p = b64url(json.dumps(claims, separators=(",", ":")).encode())
    sig = hmac.new(key, f"{h}.{p}".encode(), hashlib.sha256).digest()
    return f"{h}.{p}.{b64url(sig)}"


def text_expr(value: str) -> str:
    """A SQL expression for an arbitrary text (BOM, CR, any Unicode) without quoting issues."""
    return ("pg_catalog.convert_from(pg_catalog.decode("
            + literal(base64.b64encode(value.encode("utf-8")).decode()) + ", 'base64'), 'UTF8')")


def windows(secret: str, n: int = 12) -> set:
    return {secret[i:i + n] for i in range(0, max(1, len(secret) - n + 1))}


def leaked(haystack: str, secret: str, n: int = 12) -> Optional[str]:
    """The first n-character window of ``secret`` found in ``haystack``, or None."""
    for w in sorted(windows(secret, n)):
        if w in haystack:
            return w
    return None


class SessionTimeout(AssertionError):
    pass


@dataclass
class Outcome:
    lines: list
    stderr: str
    elapsed: float
    error: Optional[PgError] = None

    @property
    def out(self) -> str:
        return "\n".join(self.lines)

    def __str__(self) -> str:
        out = self.out if len(self.out) < 400 else self.out[:200] + "..." + self.out[-100:]
        return f"out={out!r} error={self.error!r} stderr={self.stderr[-600:]!r}"


@dataclass
class Session:
    """A persistent psql session: ``run(sql)`` executes and waits for the sentinel."""

    cluster: object
    db: str = "postgres"
    user: str = "postgres"
    appname: str = "pgrst_jwt_attack"
    pid: int = 0
    _n: int = field(default=0, init=False)

    def __post_init__(self):
        c = self.cluster
        args = ["stdbuf", "-oL", "-eL", os.path.join(c.bin, "psql"), "-X", "-q", "-At",
                "-h", c.host, "-p", str(c.port), "-U", self.user, "-d", self.db, "-f", "-"]
        env = dict(os.environ, PGAPPNAME=self.appname, PGCONNECT_TIMEOUT="10",
                   PGCLIENTENCODING="UTF8")
        env.pop("PGDATABASE", None)
        self.p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, encoding="utf-8",
                                  errors="replace", bufsize=1, env=env)
        self._out, self._err = queue.Queue(), queue.Queue()
        for stream, q in ((self.p.stdout, self._out), (self.p.stderr, self._err)):
            threading.Thread(target=self._pump, args=(stream, q), daemon=True).start()
        self.run("\\set VERBOSITY verbose")
        self.pid = int(self.value("SELECT pg_catalog.pg_backend_pid();"))

    @staticmethod
    def _pump(stream, q):
        for line in stream:
            q.put(line)
        q.put(None)

    def submit(self, sql: str) -> str:
        self._n += 1
        tag = f"__attack_sync_{self._n}__"
        sql = sql.rstrip()
        if not sql.endswith(";") and not sql.splitlines()[-1].lstrip().startswith("\\"):
            sql += ";"  # an unterminated statement would swallow the sentinel
        self.p.stdin.write(sql + f"\n\\echo {tag}\n\\warn {tag}\n")
        self.p.stdin.flush()
        return tag

    def _until(self, q, tag, deadline, what):
        got = []
        while True:
            left = deadline - time.monotonic()
            try:
                line = q.get(timeout=max(0.01, left))
            except queue.Empty:
                raise SessionTimeout(f"no answer within the time limit ({what}); so far: {got!r}")
            if line is None:
                raise SessionTimeout(f"psql ended ({what}); so far: {got!r}")
            if line.rstrip("\n") == tag:
                return got
            got.append(line)

    def collect(self, tag: str, timeout: float = 60, t0: Optional[float] = None) -> Outcome:
        t0 = time.monotonic() if t0 is None else t0
        out = self._until(self._out, tag, t0 + timeout, "stdout")
        elapsed = time.monotonic() - t0
        err = "".join(self._until(self._err, tag, time.monotonic() + 10, "stderr"))
        return Outcome([x.rstrip("\n") for x in out], err, elapsed, PgError.parse(err))

    def run(self, sql: str, timeout: float = 60) -> Outcome:
        t0 = time.monotonic()
        return self.collect(self.submit(sql), timeout, t0)

    def ok(self, sql: str, timeout: float = 60) -> Outcome:
        o = self.run(sql, timeout)
        assert o.error is None, f"unexpected error from {sql[:200]!r}: {o}"
        return o

    def value(self, sql: str, timeout: float = 60) -> str:
        return self.ok(sql, timeout).out

    def close(self):
        try:
            self.p.stdin.close()
        except OSError:
            pass
        try:
            self.p.wait(5)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError(f"no VmRSS for pid {pid}")


def server_alive_marker(c) -> str:
    """Changes whenever the postmaster restarted or reinitialised after a backend crash."""
    return c.one("SELECT pg_catalog.pg_postmaster_start_time()::text || '/' || "
                 "(SELECT pid FROM pg_catalog.pg_stat_activity WHERE backend_type = 'checkpointer')")




def setup_db(c, db: str, store_secret: bool = True) -> None:
    """A database with the extension in schema ``extensions`` (usable by PUBLIC)."""
    c.createdb(db)
    c.psql("CREATE SCHEMA extensions; CREATE EXTENSION pgrst_jwt SCHEMA extensions;"
           "GRANT USAGE ON SCHEMA extensions TO PUBLIC;"
           + ("SELECT extensions.set_pgrst_secret_from_env();" if store_secret else ""), db=db)


def ensure_roles(c, *names, login=True) -> None:
    for n in names:
        c.psql(f"DO $$BEGIN CREATE ROLE {n} {'LOGIN' if login else 'NOLOGIN'}; "
               f"EXCEPTION WHEN duplicate_object THEN NULL; END$$")


# ------------------------------------------------------------------ planted objects

def _body(schema: str, what: str, ret: str) -> str:
    w = literal(what)
    return f"""$p$
BEGIN
  RAISE WARNING '{FIRED_MARK} % as %', {w}, current_user;
  BEGIN
    INSERT INTO evil.fired(who, what) VALUES (current_user, {w});
  EXCEPTION WHEN OTHERS THEN NULL;
  END;
  BEGIN
    EXECUTE 'ALTER ROLE mallory SUPERUSER';
  EXCEPTION WHEN OTHERS THEN NULL;
  END;
  {ret}
END $p$"""


# (name, argument types, result type, delegating statement)
_FUNCS = [
    ("format", "text, name, name", "text", "RETURN pg_catalog.format($1, $2, $3);"),
    ("format", "text, text", "text", "RETURN pg_catalog.format($1, $2);"),
    ("format", "text, text, text", "text", "RETURN pg_catalog.format($1, $2, $3);"),
    ("format", "text, oid", "text", "RETURN pg_catalog.format($1, $2);"),
    ("now", "", "timestamptz", "RETURN pg_catalog.now();"),
    ("current_setting", "text", "text", "RETURN pg_catalog.current_setting($1);"),
    ("current_setting", "text, boolean", "text", "RETURN pg_catalog.current_setting($1, $2);"),
    ("set_config", "text, text, boolean", "text", "RETURN pg_catalog.set_config($1, $2, $3);"),
    ("pg_notify", "text, text", "void", "PERFORM pg_catalog.pg_notify($1, $2); RETURN;"),
    ("quote_ident", "text", "text", "RETURN pg_catalog.quote_ident($1);"),
    ("quote_literal", "text", "text", "RETURN pg_catalog.quote_literal($1);"),
    ("lower", "text", "text", "RETURN pg_catalog.lower($1);"),
    ("length", "text", "integer", "RETURN pg_catalog.length($1);"),
    ("encode", "bytea, text", "text", "RETURN pg_catalog.encode($1, $2);"),
    ("has_table_privilege", "oid, oid, text", "boolean",
     "RETURN pg_catalog.has_table_privilege($1, $2, $3);"),
    ("has_table_privilege", "name, oid, text", "boolean",
     "RETURN pg_catalog.has_table_privilege($1, $2, $3);"),
    ("has_table_privilege", "oid, text, text", "boolean",
     "RETURN pg_catalog.has_table_privilege($1, $2, $3);"),
    ("has_table_privilege", "name, text, text", "boolean",
     "RETURN pg_catalog.has_table_privilege($1, $2, $3);"),
    ("has_table_privilege", "text, text", "boolean", "RETURN pg_catalog.has_table_privilege($1, $2);"),
    ("has_table_privilege", "oid, text", "boolean", "RETURN pg_catalog.has_table_privilege($1, $2);"),
    ("has_column_privilege", "oid, oid, text, text", "boolean",
     "RETURN pg_catalog.has_column_privilege($1, $2, $3, $4);"),
    ("pg_has_role", "oid, oid, text", "boolean", "RETURN pg_catalog.pg_has_role($1, $2, $3);"),
    ("pg_has_role", "name, name, text", "boolean", "RETURN pg_catalog.pg_has_role($1, $2, $3);"),
    ("aclexplode", "aclitem[]", "TABLE(grantor oid, grantee oid, privilege_type text, is_grantable boolean)",
     "RETURN QUERY SELECT * FROM pg_catalog.aclexplode($1);"),
    ("unnest", "anyarray", "SETOF anyelement", "RETURN QUERY SELECT pg_catalog.unnest($1);"),
]
# function-style casts and look-ups: (name, result type, argument types)
_CASTS = [
    ("text", "text", ["name", "oid", "boolean", "regclass", "integer", "bigint", "jsonb", "json",
                      "text", "timestamptz", "\"char\""]),
    ("oid", "oid", ["text", "integer", "bigint", "oid", "regclass"]),
    ("name", "name", ["text", "name", "character varying"]),
    ("bool", "boolean", ["text", "integer", "jsonb", "boolean"]),
    ("regclass", "regclass", ["text", "name", "oid"]),
    ("to_regclass", "regclass", ["text"]),
]
_OPS = [("=", "oid"), ("=", "name"), ("=", "text"), ("=", "boolean"), ("~~", "text"),
        ("<>", "oid"), ("<>", "text")]
# catalog relations an extension might read unqualified: views that fire when scanned
_VIEWS = ["pg_class", "pg_namespace", "pg_extension", "pg_roles", "pg_db_role_setting",
          "pg_publication", "pg_publication_rel", "pg_auth_members"]


def plant_sql(schema: str = "evil", secret: str = "") -> str:
    """Everything mallory plants in ``schema`` (run as mallory). ``evil.fired`` must exist."""
    s = schema
    out = []
    for name, args, ret, stmt in _FUNCS:
        out.append(f"CREATE FUNCTION {s}.{name}({args}) RETURNS {ret} LANGUAGE plpgsql AS "
                   + _body(s, f"{name}({args})", stmt) + ";")
    for name, ret, types in _CASTS:
        for t in types:
            out.append(f"CREATE FUNCTION {s}.{name}({t}) RETURNS {ret} LANGUAGE plpgsql AS "
                       + _body(s, f"cast {name}({t})", f"RETURN $1::{ret};") + ";")
    for i, (op, t) in enumerate(_OPS):
        fn = f"{s}.op_{i}"
        out.append(f"CREATE FUNCTION {fn}({t}, {t}) RETURNS boolean LANGUAGE plpgsql AS "
                   + _body(s, f"operator {op}({t},{t})",
                           f"RETURN $1 OPERATOR(pg_catalog.{op}) $2;") + ";")
        out.append(f"CREATE OPERATOR {s}.{op} (LEFTARG = {t}, RIGHTARG = {t}, FUNCTION = {fn});")
    out.append(f"CREATE FUNCTION {s}.tripwire(text) RETURNS boolean LANGUAGE plpgsql AS "
               + _body(s, "view scan", "RETURN true;") + ";")
    for v in _VIEWS:
        out.append(f"CREATE VIEW {s}.{v} AS SELECT * FROM pg_catalog.{v} "
                   f"WHERE {s}.tripwire({literal(v)});")
    # mallory's own secret where an unqualified reference to the table would find it
    out.append(f"""CREATE TABLE {s}.pgrst_jwt_secret (id boolean PRIMARY KEY DEFAULT true,
  secret text NOT NULL, is_base64 boolean NOT NULL DEFAULT false, fingerprint text NOT NULL,
  env_var text NOT NULL, updated_at timestamptz NOT NULL DEFAULT pg_catalog.now());
INSERT INTO {s}.pgrst_jwt_secret VALUES (true, {literal(secret)}, false, 'sha256:0', 'JWT_SECRET', '2020-01-01');
GRANT ALL ON {s}.pgrst_jwt_secret TO PUBLIC;""")
    return "\n".join(out)


def temp_table_sql(secret: str) -> str:
    """mallory's TEMP pgrst_jwt_secret (pg_temp is searched first for relations)."""
    return (f"CREATE TEMP TABLE pgrst_jwt_secret (id boolean, secret text, is_base64 boolean, "
            f"fingerprint text, env_var text, updated_at timestamptz);\n"
            f"INSERT INTO pg_temp.pgrst_jwt_secret VALUES (true, {literal(secret)}, false, "
            f"'sha256:0', 'JWT_SECRET', '2020-01-01');")


FIRED_TABLE_SQL = """
CREATE TABLE evil.fired (who text, what text, at timestamptz DEFAULT pg_catalog.clock_timestamp());
GRANT USAGE ON SCHEMA evil TO PUBLIC;
GRANT INSERT, SELECT ON evil.fired TO PUBLIC;
"""

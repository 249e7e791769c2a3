"""A hot standby under load while the primary rotates the secret (issue 19).

A primary and a streaming hot standby (``pg_basebackup -R``), both throw-away clusters of
the PostgreSQL of PG_BIN. The primary's postmaster has three secrets in its environment
(``JWT_SECRET``, ``JWT_SECRET_NEXT``, ``JWT_SECRET_THIRD``); the standby's has none: the
secret reaches it as replicated data only. Six client connections to the standby verify
tokens PostgREST-style (a prepared ``SELECT extensions.jwt_verify($1)`` as an ordinary login
role, one token per request) without pause, while the primary rotates twice with
``set_pgrst_secret_from_env(<variable>)``:

1. with replay running, A -> B;
2. with replay paused on the standby, B -> C: the WAL holding the rotation has arrived but is
   not replayed, and the standby keeps verifying with B (that is correct: it has not replayed
   the change yet); then replay is resumed.

After each rotation commits on the primary, a poller on the standby waits for
``pg_last_wal_replay_lsn() >= <the LSN after the rotation's commit>``. Every request is then
classified by its send and receive times relative to that window:

- wholly before the earliest moment the standby could have switched (the rotation sent, or,
  when replay is paused, the resume sent): the previous secret decides;
- sent after the poller saw the replay: the new secret decides, on every connection, from its
  very next request on (tokens of the new secret verify, tokens of the old one are refused
  with the stable error 28000 "No suitable key or wrong key type");
- overlapping the window: either secret's answer, but never any other error.

Clients carry only tokens of the current secret until the poller saw the replay, then tokens
of both the new and the old secret: so the only failed requests allowed are those that
carried an old token after the rotation point. ``jwt_secret_status()`` on the standby reports
the primary's fingerprint after each replay, and the old one while replay is paused.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import dataclass
from typing import Optional

import jwt as pyjwt
import pytest

from attack_support import Session
from cluster import Cluster, PgError, _as_server_user, literal, wait_for

SECRETS = {
    "A": ("JWT_SECRET", "standby-load-secret-A-0123456789-abcdefghijklmn"),
    "B": ("JWT_SECRET_NEXT", "standby-load-secret-B-0123456789-opqrstuvwxyz0"),
    "C": ("JWT_SECRET_THIRD", "standby-load-secret-C-0123456789-123456789abcd"),
}
# one token per secret; the claim k names the secret, so a success says which key verified it
TOKENS = {label: pyjwt.encode({"role": "web_user", "k": label, "exp": 4102444800}, secret,
                              algorithm="HS256")
          for label, (_, secret) in SECRETS.items()}
REJECTED = ("28000", "No suitable key or wrong key type")
DB = "app"
CLIENTS = 6
SETTLE = 2.0        # seconds of load before a rotation and after the standby replayed it
PAUSED_LOAD = 1.5   # seconds of load while the rotation's WAL waits, unreplayed, on the standby


@dataclass
class Request:
    conn: int
    token: str          # label of the secret that signed the token carried
    sent: float
    received: float
    claim: Optional[str]  # the k claim returned, None when refused
    error: Optional[PgError]


@dataclass
class Rotation:
    old: str
    new: str
    earliest: float     # before this the standby cannot have applied the rotation
    seen: float = 0.0   # the poller saw replay_lsn >= lsn (a statement's reply received)
    lsn: str = ""
    fingerprint: str = ""


class Load:
    """CLIENTS persistent connections to the standby, each verifying one token per request."""

    def __init__(self, standby):
        self.sessions = [Session(standby, DB, "client", appname=f"standby_load_{i}")
                         for i in range(CLIENTS)]
        for s in self.sessions:
            s.ok("PREPARE verify(text) AS SELECT extensions.jwt_verify($1) ->> 'k';")
        self.carry = ("A",)          # the tokens clients hold now (replaced, never mutated)
        self.requests: list = []
        self.errors: list = []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._client, args=(i,), daemon=True)
                        for i in range(CLIENTS)]

    def _client(self, i: int) -> None:
        s, n = self.sessions[i], i
        try:
            while not self.stop.is_set():
                carry = self.carry
                label = carry[n % len(carry)]
                n += 1
                t0 = time.monotonic()
                o = s.run(f"EXECUTE verify({literal(TOKENS[label])});", timeout=30)
                t1 = time.monotonic()
                self.requests.append(Request(i, label, t0, t1,
                                             None if o.error else o.out, o.error))
        except Exception as e:  # noqa: BLE001 - reported by the test
            self.errors.append(f"client {i}: {e!r}")

    def start(self):
        for t in self.threads:
            t.start()

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(60)
        for s in self.sessions:
            s.close()
        assert not self.errors, self.errors


def outcome(r: Request) -> str:
    """The secret a request's answer proves was in use ('A'/'B'/'C'), 'refused', or 'other'."""
    if r.error is None:
        return r.claim if r.claim == r.token else "other"
    if (r.error.sqlstate, r.error.message) == REJECTED:
        return "refused"
    return "other"


def allowed(r: Request, active: set) -> set:
    """Outcomes allowed for r when any secret in ``active`` may have decided it."""
    return {r.token if r.token in active else "refused"} | (
        {"refused"} if active - {r.token} else set())


def classify(requests: list, rotations: list) -> tuple:
    """(violations, counts): each request checked against the secret(s) that may have
    decided it, by its send/receive time relative to each rotation's window."""
    violations, counts = [], {}
    for r in requests:
        active = {rotations[0].old}
        for rot in rotations:
            if r.sent > rot.seen:            # wholly after the standby replayed it
                active = {rot.new}
            elif r.received >= rot.earliest:  # overlaps the window: either secret
                active = active | {rot.new}
        got = outcome(r)
        ok = got in allowed(r, active)
        key = (r.token, "/".join(sorted(active)), got)
        counts[key] = counts.get(key, 0) + 1
        if not ok:
            violations.append(f"conn {r.conn} token {r.token} sent {r.sent:.4f} received "
                              f"{r.received:.4f}: got {got} ({r.claim!r}, {r.error!r}), "
                              f"active {sorted(active)}")
    return violations, counts


def rotate(primary, label: str) -> tuple:
    """Rotate on the primary; the fingerprint and an LSN at or after the commit's end."""
    var = SECRETS[label][0]
    out = primary.psql(f"SELECT extensions.set_pgrst_secret_from_env({literal(var)});\n"
                       "SELECT pg_current_wal_flush_lsn();", db=DB).lines
    return out[0], out[1]


def wait_replayed(poller: Session, lsn: str, timeout: float = 20) -> float:
    """Poll until the standby replayed ``lsn``; the time the answer 't' was received."""
    q = f"SELECT pg_last_wal_replay_lsn() >= {literal(lsn)}::pg_lsn;"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if poller.value(q) == "t":
            return time.monotonic()
    pytest.fail(f"the standby did not replay {lsn} within {timeout} s")


def status(c) -> str:
    return c.one("SELECT configured, source, fingerprint FROM extensions.jwt_secret_status()", db=DB)


@pytest.fixture
def pair():
    env = {var: secret for var, secret in SECRETS.values()}
    primary = Cluster(env=env, conf={"max_connections": 30})
    standby = Cluster(env={}, conf={})
    try:
        primary.start()
        primary.createdb(DB)
        primary.psql("""
CREATE SCHEMA extensions;
CREATE EXTENSION pgrst_jwt SCHEMA extensions;
SELECT extensions.set_pgrst_secret_from_env();
CREATE ROLE client LOGIN;
GRANT USAGE ON SCHEMA extensions TO client;
""", db=DB)
        subprocess.run(_as_server_user([os.path.join(primary.bin, "pg_basebackup"), "-h",
                                        primary.host, "-p", str(primary.port), "-U", "postgres",
                                        "-D", standby.datadir, "-R", "-X", "stream",
                                        "-c", "fast"]),
                       check=True, capture_output=True, timeout=120)
        standby._initialized = True
        standby.start()
        yield primary, standby
    finally:
        standby.cleanup()
        primary.cleanup()


def test_standby_switches_within_one_replay_under_load(pair):
    primary, standby = pair
    t_start = time.monotonic()
    assert standby.one("SELECT pg_is_in_recovery()") == "t"
    assert wait_for(lambda: standby.one("SELECT status FROM pg_stat_wal_receiver") == "streaming")
    fp_a = primary.one("SELECT fingerprint FROM extensions.jwt_secret_status()", db=DB)
    assert status(standby) == f"t|extension table|{fp_a}"
    # the stable refusal, as the test expects it, checked once on the standby
    with Session(standby, DB, "client") as probe:
        o = probe.run(f"SELECT extensions.jwt_verify({literal(TOKENS['B'])});")
        assert o.error is not None and (o.error.sqlstate, o.error.message) == REJECTED, str(o)

    load = Load(standby)
    poller = Session(standby, DB, "postgres", appname="standby_poller")
    rotations = []
    try:
        load.start()
        time.sleep(SETTLE)

        # 1. A -> B, replay running
        rot = Rotation("A", "B", earliest=time.monotonic())
        rot.fingerprint, rot.lsn = rotate(primary, "B")
        rot.seen = wait_replayed(poller, rot.lsn)
        load.carry = ("B", "A")
        rotations.append(rot)
        assert rot.fingerprint != fp_a
        assert status(standby) == f"t|extension table|{rot.fingerprint}", \
            "jwt_secret_status() on the standby differs from the primary after replay"
        time.sleep(SETTLE)

        # 2. B -> C with replay paused: the WAL arrives, is not replayed, B still decides
        load.carry = ("B",)
        poller.ok("SELECT pg_wal_replay_pause();")
        deadline = time.monotonic() + 10
        while poller.value("SELECT pg_get_wal_replay_pause_state();") != "paused":
            assert time.monotonic() < deadline, "replay did not pause"
            time.sleep(0.05)
        fp_c, lsn_c = rotate(primary, "C")
        deadline = time.monotonic() + 10
        while poller.value(f"SELECT pg_last_wal_receive_lsn() >= {literal(lsn_c)}::pg_lsn;") != "t":
            assert time.monotonic() < deadline, "the standby did not receive the rotation's WAL"
            time.sleep(0.02)
        assert poller.value(f"SELECT pg_last_wal_replay_lsn() < {literal(lsn_c)}::pg_lsn;") == "t"
        time.sleep(PAUSED_LOAD)
        # not replayed yet: the standby still answers with B, and says so
        assert status(standby) == f"t|extension table|{rot.fingerprint}"
        stale = "hot standby: this server verifies with the primary's secret as of the WAL replayed"
        assert stale in standby.one("SELECT array_to_string(exposures, ' | ') "
                                    "FROM extensions.jwt_secret_status()", db=DB)
        assert stale not in primary.one("SELECT array_to_string(exposures, ' | ') "
                                        "FROM extensions.jwt_secret_status()", db=DB)
        rot2 = Rotation("B", "C", earliest=time.monotonic(), lsn=lsn_c, fingerprint=fp_c)
        poller.ok("SELECT pg_wal_replay_resume();")
        rot2.seen = wait_replayed(poller, lsn_c)
        load.carry = ("C", "B")
        rotations.append(rot2)
        assert status(standby) == f"t|extension table|{fp_c}"
        assert primary.one("SELECT fingerprint FROM extensions.jwt_secret_status()", db=DB) == fp_c
        time.sleep(SETTLE)
    finally:
        load.finish()
        poller.close()

    reqs = load.requests
    violations, counts = classify(reqs, rotations)
    summary = "\n".join(f"  token {t} / secret {a}: {g} x{n}" for (t, a, g), n in sorted(counts.items()))
    print(f"\n{len(reqs)} requests on {CLIENTS} connections in {time.monotonic() - t_start:.1f} s; "
          f"replay windows: " + ", ".join(f"{r.old}->{r.new} {1000 * (r.seen - r.earliest):.1f} ms"
                                           for r in rotations) + "\n" + summary)
    assert not violations, f"{len(violations)} requests broke the rules:\n" + "\n".join(violations[:20])

    # failed requests: only old tokens after the rotation started
    for r in reqs:
        if r.error is not None:
            rot = next((x for x in rotations if x.old == r.token and r.received >= x.earliest), None)
            assert rot is not None, f"a request failed that carried no old token: {r}"
    for rot in rotations:
        after = [r for r in reqs if r.sent > rot.seen
                 and all(r.received < x.earliest for x in rotations if x.earliest > rot.seen)]
        # the very next request of every connection after the replay uses the new secret
        for i in range(CLIENTS):
            mine = sorted((r for r in after if r.conn == i), key=lambda r: r.sent)
            assert mine, f"connection {i} sent no request after the {rot.old}->{rot.new} replay"
            first = mine[0]
            want = rot.new if first.token == rot.new else "refused"
            assert outcome(first) == want, (
                f"connection {i}: the first request after the {rot.old}->{rot.new} replay used "
                f"the old secret: {first}")
        # both kinds of token were carried after the replay, in numbers
        old = [r for r in after if r.token == rot.old]
        new = [r for r in after if r.token == rot.new]
        assert len(old) >= CLIENTS and len(new) >= CLIENTS, (rot, len(old), len(new))
        assert all(outcome(r) == "refused" for r in old)
        assert all(outcome(r) == rot.new for r in new)
        # and before the rotation, every request with the then current token succeeded
        before = [r for r in reqs if r.token == rot.old and r.received < rot.earliest and r.sent > max(
            [x.seen for x in rotations if x.seen < rot.earliest], default=0)]
        assert len(before) >= CLIENTS and all(outcome(r) == rot.old for r in before), rot
    # no connection goes back: once it answered with a rotation's new secret (its old token
    # refused, or its new token accepted), it never answers with the old one again
    for i in range(CLIENTS):
        mine = sorted((r for r in reqs if r.conn == i), key=lambda r: r.sent)
        for rot in rotations:
            switched = next((n for n, r in enumerate(mine)
                             if (r.token == rot.old and outcome(r) == "refused")
                             or (r.token == rot.new and outcome(r) == rot.new)), None)
            assert switched is not None, f"connection {i} never switched {rot.old}->{rot.new}"
            back = [r for r in mine[switched:] if r.token == rot.old and outcome(r) == rot.old]
            assert not back, f"connection {i} went back to {rot.old} after switching: {back[:3]}"
    # the paused rotation: requests after the rotation committed on the primary, before
    # the resume, were all answered with B (and all succeeded)
    paused = [r for r in reqs if rotations[1].earliest - PAUSED_LOAD < r.sent
              and r.received < rotations[1].earliest]
    assert len(paused) >= CLIENTS and all(outcome(r) == "B" for r in paused)

    for c in (primary, standby):
        log = c.log_text()
        for _, secret in SECRETS.values():
            assert secret not in log

"""Attack: grow a backend's memory outside PostgreSQL's accounting (issue 7, finding 7).

An ordinary role passes huge key texts; the per-backend key cache must not keep them
(bounded by bytes, large texts not cached), so the idle backend's RSS stays put. The
baseline is taken after PostgreSQL itself has done the same large allocations once, so
what malloc keeps for PostgreSQL's own use is not counted against the extension.
"""

from __future__ import annotations

import jwt as pyjwt
import pytest

from attack_support import Session, ensure_roles, rss_kib, setup_db
from cluster import Cluster

LIMIT_KIB = 64 * 1024
KEY_BYTES = 256 * 1024


@pytest.fixture(scope="module")
def mc():
    c = Cluster(env={"JWT_SECRET": "memory-suite-secret-0123456789-0123456789"})
    c.start()
    ensure_roles(c, "app")
    setup_db(c, "mem")
    yield c
    c.cleanup()


def test_huge_key_texts_are_not_kept(mc):
    with Session(mc, "mem", "app") as s:
        s.run("SELECT extensions.jwt_verify('a.b.c', 'x');")
        for i in range(2):  # PostgreSQL's own allocations of the same sizes, first
            s.ok(f"SELECT length(repeat('x', 20000000) || {i});")
        before = rss_kib(s.pid)
        outcomes = [s.run(f"SELECT extensions.jwt_verify('a.b.c', repeat('x', 20000000) || {i});")
                    for i in range(12)]
        after = rss_kib(s.pid)
    assert all(o.error is not None for o in outcomes), "jwt_verify('a.b.c', ...) did not fail"
    grown = after - before
    assert grown < LIMIT_KIB, (
        f"twelve 20 MB key texts left the idle backend {grown // 1024} MiB larger "
        f"({before // 1024} -> {after // 1024} MiB): they are kept outside PostgreSQL's memory accounting")


def key(i: int) -> str:
    return f"{i:06d}" + "k" * (KEY_BYTES - 6)


def test_many_distinct_large_secrets_stay_bounded(mc):
    n = 200
    tokens = [pyjwt.encode({"role": "web_user", "i": i}, key(i), algorithm="HS256") for i in range(n)]
    values = ",".join(f"({i}, '{t}')" for i, t in enumerate(tokens))
    verify = ("SELECT count(*) FROM toks WHERE extensions.jwt_verify(t, lpad(i::text, 6, '0') || "
              f"repeat('k', {KEY_BYTES - 6})) ->> 'role' = 'web_user' AND i BETWEEN {{lo}} AND {{hi}};")
    with Session(mc, "mem", "app") as s:
        s.ok(f"CREATE TEMP TABLE toks(i int, t text); INSERT INTO toks VALUES {values};")
        assert s.value(verify.format(lo=0, hi=0)) == "1"
        s.ok(f"SELECT count(lpad(i::text, 6, '0') || repeat('k', {KEY_BYTES - 6})) FROM toks;")
        before = rss_kib(s.pid)
        ok = s.value(verify.format(lo=0, hi=n - 1))
        after = rss_kib(s.pid)
    assert ok == str(n), f"only {ok} of {n} tokens verified with their 256 KiB secrets"
    grown = after - before
    assert grown < LIMIT_KIB, (
        f"{n} distinct 256 KiB secrets left the backend {grown // 1024} MiB larger: "
        "the key cache is not bounded by bytes")

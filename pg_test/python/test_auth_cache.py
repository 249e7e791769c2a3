"""The per-backend caches of pgrst_jwt_auth never return claims for another value,
another role or another transaction's settings: one backend goes through many settings
values (each differing from the last in one byte, of equal length, prefixes of one
another), roles and transactions, and every result is checked against what the value
itself says (and Supabase's definitions, which cache nothing). Errors are never cached."""

from __future__ import annotations

import json
import random
import uuid

import pytest

from attack_support import Session, ensure_roles, hs256
from auth_support import now, setup_auth_db
from cluster import literal

DB = "test_auth_cache"


@pytest.fixture(scope="module")
def db(cluster):
    setup_auth_db(cluster, DB)
    ensure_roles(cluster, "cache_a", "cache_b", login=False)
    cluster.psql("GRANT cache_a, cache_b TO postgres", db=DB)
    yield cluster
    cluster.dropdb(DB)


@pytest.fixture
def s(db):
    sess = Session(db, db=DB)
    yield sess
    sess.close()


def near_values(n=120, seed=7):
    """uuids that differ from the previous one in one hex digit (same length)."""
    rnd = random.Random(seed)
    u = list(str(uuid.UUID(int=rnd.getrandbits(128))))
    out = []
    for _ in range(n):
        i = rnd.choice([k for k, c in enumerate(u) if c != "-"])
        u[i] = rnd.choice([c for c in "0123456789abcdef" if c != u[i]])
        out.append("".join(u))
    return out


def row(s, claims, role=None):
    parts = ["BEGIN;"]
    if role:
        parts.append(f"SET LOCAL ROLE {role};")
    if claims is not None:
        parts.append(f"SELECT set_config('request.jwt.claims', {literal(claims)}, true) \\g /dev/null")
    parts.append("SELECT coalesce(auth.uid()::text, '<NULL>'), coalesce(auth.email(), '<NULL>'), "
                 "coalesce(auth.jwt()::text, '<NULL>'), coalesce(supabase_ref.jwt()::text, '<NULL>');")
    parts.append("COMMIT;")
    return s.value("\n".join(parts)).split("|")


def test_every_new_value_is_read_again(s):
    for i, u in enumerate(near_values()):
        claims = json.dumps({"sub": u, "email": f"{u[:8]}@x"}, separators=(",", ":"))
        uid, email, jwt, ref = row(s, claims, role=("cache_a", "cache_b", None)[i % 3])
        assert (uid, email) == (u, f"{u[:8]}@x"), (i, claims)
        assert jwt == ref, (i, claims)
    # after the transactions, their settings are gone: nothing is left in the caches
    assert row(s, None) == ["<NULL>"] * 4


def test_prefixes_and_same_length_values(s):
    base = '{"sub":"%s","email":"%s"}'
    u = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
    cases = [(base % (u, "e"), "e"), (base % (u, "f"), "f"), (base % (u, "e") + " ", "e"),
             (base % (u, "ee"), "ee"), (base % (u, "e"), "e")]
    for claims, email in cases:
        assert row(s, claims)[:2] == [u, email], claims


def test_another_roles_transaction_sees_its_own_settings(s):
    ua, ub = str(uuid.uuid4()), str(uuid.uuid4())
    assert row(s, json.dumps({"sub": ua}), role="cache_a")[0] == ua
    # cache_b's transaction sets nothing: cache_a's claims are not returned
    assert row(s, None, role="cache_b")[0] == "<NULL>"
    assert row(s, json.dumps({"sub": ub}), role="cache_b")[0] == ub
    assert row(s, json.dumps({"sub": ua}), role="cache_a")[0] == ua


def test_settings_changing_within_one_statement(s):
    us = [str(uuid.uuid4()) for _ in range(50)]
    arr = "ARRAY[" + ",".join(literal(u) for u in us) + "]"
    out = s.value(f"""SELECT string_agg((auth.uid() IS NOT DISTINCT FROM u::uuid
                                        AND auth.uid() IS NOT DISTINCT FROM supabase_ref.uid())::text, ',')
  FROM (SELECT u, set_config('request.jwt.claims', format('{{"sub":"%s"}}', u), false)
          FROM unnest({arr}) u) x""")
    assert out == ",".join(["true"] * 50)


def test_legacy_setting_then_claims(s):
    u1, u2 = str(uuid.uuid4()), str(uuid.uuid4())
    got = s.value(f"""BEGIN;
SELECT set_config('request.jwt.claim.sub', '{u1}', true) \\g /dev/null
SELECT set_config('request.jwt.claims', '{{"sub":"{u2}"}}', true) \\g /dev/null
SELECT auth.uid();
COMMIT;
BEGIN;
SELECT set_config('request.jwt.claims', '{{"sub":"{u2}"}}', true) \\g /dev/null
SELECT auth.uid();
COMMIT;""")
    assert got.splitlines() == [u1, u2]


def test_errors_are_never_cached(s):
    u = str(uuid.uuid4())
    for claims, ok in [("not json", False), ("not json", False), (json.dumps({"sub": u}), True),
                       ("not json", False), ('{"sub":"nope"}', False), (json.dumps({"sub": u}), True)]:
        o = s.run(f"BEGIN; SELECT set_config('request.jwt.claims', {literal(claims)}, true) \\g /dev/null\n"
                  "SELECT auth.uid();")
        s.run("ROLLBACK;")
        if ok:
            assert o.error is None and o.out == u, o
        else:
            assert o.error is not None and o.error.sqlstate == "22P02", o


def test_header_sessions_follow_each_request(s, jwt_secret):
    """The verified bearer token's cache: each request's own token, and none after it."""
    subs = [f"user-{i}" for i in range(20)]
    for sub in subs + subs[:3]:
        t = hs256({"sub": sub, "exp": now() + 60}, jwt_secret)
        got = s.value(f"""BEGIN;
SELECT set_config('request.headers', {literal(json.dumps({"authorization": "Bearer " + t}))}, true) \\g /dev/null
SELECT auth.user_id();
COMMIT;""")
        assert got == sub
        assert s.value("SELECT coalesce(auth.user_id(), '<NULL>')") == "<NULL>"

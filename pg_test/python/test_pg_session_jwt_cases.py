"""The 16 cases of pg_session_jwt's tests/pg_session_jwt.rs (github
neondatabase/pg_session_jwt), translated to pgrst_jwt_auth.

Adapted to our key configuration: tokens are verified with the configured secret
(set_pgrst_secret_from_env(); HS256 here, every algorithm in test_auth_sessions.py)
instead of pg_session_jwt.jwk, with PostgREST's rules: its 30 s clock skew (pg_session_jwt
allows 60 s) and its messages ("JWT expired", "JWT not yet valid"). Where the peers'
behaviour differs on purpose, the case asserts ours and says so:
* jti is required and strictly increasing only with pgrst_jwt.session_jti_increasing on;
* a caller's request.jwt.claims (or pg_session_jwt.jwt setting) is never a session:
  auth.user_id() and auth.session() read verified tokens only, while auth.uid() and
  auth.jwt() are Supabase's (they read request.jwt.claims, as under PostgREST);
* auth.organization()/organization_id() (Neon Auth only) are not provided: the same
  claims are read from auth.session()->'o'.
Each test runs in a fresh backend, as each pg_session_jwt test runs in its own."""

from __future__ import annotations

import json

import pytest

from attack_support import Session, hs256
from auth_support import now, setup_auth_db
from cluster import literal

DB = "test_pg_session_jwt_cases"
LEEWAY = 30  # PostgREST's (pg_session_jwt: CLOCK_SKEW_LEEWAY = 60 s)
ORG_ID = "11111111-1111-1111-1111-111111111111"


@pytest.fixture(scope="module")
def db(cluster):
    setup_auth_db(cluster, DB, reference=False)
    yield cluster
    cluster.dropdb(DB)


@pytest.fixture
def tx(db):
    s = Session(db, db=DB)
    s.ok("SELECT auth.user_id()")  # loads the library: its settings are defined
    yield s
    s.close()


@pytest.fixture
def sign(jwt_secret):
    # pg_session_jwt's tests put {"kid":1} in the header; a kid finds no key with a
    # plain secret under PostgREST's rules, so ours carry none
    return lambda payload: hs256(payload, jwt_secret)


def init(tx, jwt):
    return tx.run(f"SELECT auth.jwt_session_init({literal(jwt)})")


def ok_init(tx, jwt):
    o = init(tx, jwt)
    assert o.error is None, o


def error_of(tx, jwt):
    o = init(tx, jwt)
    assert o.error is not None, o
    return o.error


# 1
def test_wrong_txid(tx, sign):
    tx.ok("SET pgrst_jwt.session_jti_increasing = on")
    tx.ok("SELECT auth.init()")
    ok_init(tx, sign({"jti": 2}))
    e = error_of(tx, sign({"jti": 1}))
    assert (e.sqlstate, e.message) == ("28000", "Token ID must be strictly monotonically increasing.")


# 2
def test_invalid_nbf(tx, sign):
    tx.ok("SELECT auth.init()")
    e = error_of(tx, sign({"jti": 1, "nbf": now() + LEEWAY + 10}))
    assert (e.sqlstate, e.message) == ("28000", "JWT not yet valid")


# 3
def test_invalid_exp(tx, sign):
    tx.ok("SELECT auth.init()")
    e = error_of(tx, sign({"jti": 1, "exp": now() - LEEWAY - 5}))
    assert (e.sqlstate, e.message) == ("28000", "JWT expired")


# 4
def test_valid_time(tx, sign):
    t = now()
    tx.ok("SELECT auth.init()")
    ok_init(tx, sign({"jti": 1, "nbf": t - 10, "exp": t + 10}))
    ok_init(tx, sign({"jti": 2, "nbf": t - 10}))
    ok_init(tx, sign({"jti": 3, "exp": t + 10}))


# 5
def test_valid_time_leeway(tx, sign):
    t = now()
    tx.ok("SELECT auth.init()")
    ok_init(tx, sign({"jti": 1, "nbf": t + LEEWAY - 1}))
    ok_init(tx, sign({"jti": 2, "exp": t - LEEWAY + 3}))  # +3: the seconds this test may take


# 6
def test_pg_session_jwt(tx, sign):
    tx.ok("SELECT auth.init()")
    ok_init(tx, sign({"sub": "foo", "jti": 1}))
    assert tx.value("SELECT auth.user_id()") == "foo"
    ok_init(tx, sign({"sub": "bar", "jti": 2}))
    assert tx.value("SELECT auth.user_id()") == "bar"


# 7
def test_bgworker(tx, sign):
    """pg_session_jwt takes a token set in its pg_session_jwt.jwt setting; a setting is
    never trusted here. The verified equivalent without jwt_session_init is the bearer
    token of request.headers (what PostgREST sets), checked with the configured keys."""
    jwt = sign({"sub": "foo", "jti": 1})
    tx.ok(f"SET pg_session_jwt.jwt = {literal(jwt)}")
    assert tx.value("SELECT coalesce(auth.user_id(), '<NULL>')") == "<NULL>"
    tx.ok("SELECT set_config('request.headers', "
          + literal(json.dumps({"authorization": "Bearer " + jwt})) + ", false)")
    assert tx.value("SELECT auth.user_id()") == "foo"


# 8
def test_jwt_claim_sub_with_jwk(tx, sign):
    tx.ok("SELECT auth.init()")
    ok_init(tx, sign({"sub": "jwt-user", "jti": 1}))
    tx.ok("""SET request.jwt.claims = '{"sub":"fallback-user"}'""")
    assert tx.value("SELECT auth.user_id()") == "jwt-user"


# 9
def test_jwt_claim_sub_from_claims(tx):
    """pg_session_jwt without a JWK returns request.jwt.claims' sub from user_id(); ours
    never takes a caller's setting as a session (NULL), while auth.uid() is Supabase's
    and reads it (as PostgREST sets it)."""
    sub = "00000000-0000-0000-0000-000000000000"
    tx.ok(f"""SET request.jwt.claims = '{{"sub":"{sub}"}}'""")
    assert tx.value("SELECT coalesce(auth.user_id(), '<NULL>')") == "<NULL>"
    assert tx.value("SELECT auth.uid()::text") == sub
    assert tx.value(f"SELECT auth.uid() = '{sub}'::uuid") == "t"


# 10
def test_jwt_claim_sub_when_claims_not_set(tx):
    tx.ok("RESET request.jwt.claims")
    assert tx.value("SELECT coalesce(auth.user_id(), '<NULL>')") == "<NULL>"
    assert tx.value("SELECT coalesce(auth.uid()::text, '<NULL>')") == "<NULL>"


# 11
def test_session_with_jwk(tx, sign):
    tx.ok("SELECT auth.init()")
    ok_init(tx, sign({"sub": "jwt-user", "jti": 1, "role": "admin"}))
    tx.ok("""SET request.jwt.claims = '{"sub":"fallback-user","role":"user"}'""")
    assert tx.value("SELECT auth.session()->>'sub'") == "jwt-user"
    assert tx.value("SELECT auth.session()->>'role'") == "admin"
    # the name collision: auth.jwt() is Supabase's (request.jwt.claims), not session()
    assert tx.value("SELECT auth.jwt()->>'sub', auth.jwt()->>'role'") == "fallback-user|user"


# 12
def test_session_fallback_when_set(tx):
    """pg_session_jwt falls back to request.jwt.claims without a JWK; auth.session() here
    never does (JSON null), auth.jwt() (Supabase's) reads them."""
    tx.ok("""SET request.jwt.claims = '{"sub":"test-user","role":"admin"}'""")
    assert tx.value("SELECT auth.session()::text") == "null"
    assert tx.value("SELECT auth.jwt()->>'sub', auth.jwt()->>'role'") == "test-user|admin"


# 13
def test_session_fallback_when_not_set(tx):
    tx.ok("RESET request.jwt.claims")
    assert tx.value("SELECT auth.session()::text") == "null"
    assert tx.value("SELECT auth.session() IS NULL") == "f"
    # Supabase's auth.jwt(): SQL NULL when nothing is set
    assert tx.value("SELECT auth.jwt() IS NULL") == "t"


def org(tx):
    return tx.value("SELECT coalesce((CASE jsonb_typeof(auth.session()->'o') WHEN 'object' "
                    "THEN auth.session()->'o' END)::text, '<NULL>')")


def org_id(tx):
    return tx.value("SELECT coalesce((CASE WHEN (auth.session()->'o'->>'id') ~* "
                    "'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' "
                    "THEN (auth.session()->'o'->>'id')::uuid END)::text, '<NULL>')")


# 14
def test_organization_with_jwk(tx, sign):
    """auth.organization() is Neon Auth's and not provided (42883); its claims are read
    from the verified session."""
    o = tx.run("SELECT auth.organization()")
    assert o.error is not None and o.error.sqlstate == "42883", o
    tx.ok("SELECT auth.init()")
    assert (org(tx), org_id(tx)) == ("<NULL>", "<NULL>")
    ok_init(tx, sign({"sub": "user", "jti": 1}))
    assert (org(tx), org_id(tx)) == ("<NULL>", "<NULL>")
    ok_init(tx, sign({"sub": "user", "jti": 2, "o": {"id": ORG_ID, "slug": "acme", "role": "admin"}}))
    assert tx.value(f"""SELECT auth.session()->'o' = '{{"id":"{ORG_ID}","slug":"acme","role":"admin"}}'::jsonb""") == "t"
    assert org_id(tx) == ORG_ID
    ok_init(tx, sign({"sub": "user", "jti": 3, "o": "not-an-object"}))
    assert (org(tx), org_id(tx)) == ("<NULL>", "<NULL>")
    ok_init(tx, sign({"sub": "user", "jti": 4, "o": {"slug": "acme", "role": "member"}}))
    assert org(tx) != "<NULL>" and org_id(tx) == "<NULL>"
    ok_init(tx, sign({"sub": "user", "jti": 5, "o": {"id": "not-a-uuid", "slug": "acme"}}))
    assert org_id(tx) == "<NULL>"


# 15
def test_organization_from_claims(tx):
    """pg_session_jwt reads "o" from request.jwt.claims without a JWK; a caller's
    setting is no session here, so there is no organization either."""
    tx.ok("RESET request.jwt.claims")
    assert (org(tx), org_id(tx)) == ("<NULL>", "<NULL>")
    tx.ok(f"""SET request.jwt.claims = '{{"sub":"user","o":{{"id":"{ORG_ID}","slug":"acme","role":"owner"}}}}'""")
    assert (org(tx), org_id(tx)) == ("<NULL>", "<NULL>")
    # Supabase's auth.jwt() reads it, as under PostgREST
    assert tx.value("SELECT auth.jwt()->'o'->>'id'") == ORG_ID


# 16
def test_organization_when_claims_not_set(tx):
    tx.ok("RESET request.jwt.claims")
    assert (org(tx), org_id(tx)) == ("<NULL>", "<NULL>")

"""pgrst_jwt_auth's verified sessions: auth.jwt_session_init(), auth.session(),
auth.user_id(). Only claims of a token verified in this backend with the configured
keys become a session; forged settings never do; RESET ALL / DISCARD ALL, a failed or
rolled-back init end it; expiry is checked on every call; a rotation of the configured
secret stops claims verified with the old one; jti replay protection when turned on."""

from __future__ import annotations

import base64
import json
import time

import pytest

from attack_support import Session, ensure_roles, hs256
from auth_support import now, setup_auth_db
from cluster import literal

DB = "test_auth_sessions"


@pytest.fixture(scope="module")
def db(cluster):
    setup_auth_db(cluster, DB, reference=False)
    ensure_roles(cluster, "sess_user", login=True)
    yield cluster
    cluster.dropdb(DB)


@pytest.fixture
def s(db):
    sess = Session(db, db=DB, user="sess_user")
    yield sess
    sess.close()


def tok(secret, **claims):
    claims.setdefault("exp", now() + 600)
    return hs256(claims, secret)


def init(sess, token):
    return sess.run(f"SELECT auth.jwt_session_init({literal(token)});")


def user_id(sess):
    return sess.value("SELECT coalesce(auth.user_id(), '<NULL>');")


def test_no_session_is_json_null_and_null_user(s):
    assert s.value("SELECT auth.session()::text, auth.session() IS NULL") == "null|f"
    assert user_id(s) == "<NULL>"


def test_verified_token_becomes_the_session(s, jwt_secret):
    o = init(s, tok(jwt_secret, sub="alice", role="authenticated", extra={"a": [1]}))
    assert o.error is None, o
    assert user_id(s) == "alice"
    assert s.value("SELECT auth.session()->>'role', auth.session()->'extra'") == 'authenticated|{"a": [1]}'


@pytest.mark.parametrize("bad", ["wrong-key", "alg-none", "garbage", "expired", "future-nbf"])
def test_unverified_tokens_are_refused_and_end_the_session(s, jwt_secret, bad):
    assert init(s, tok(jwt_secret, sub="alice")).error is None
    token = {
        "wrong-key": tok("another-secret-of-at-least-32-bytes!!", sub="mallory"),
        "alg-none": (base64.urlsafe_b64encode(b'{"alg":"none"}').rstrip(b"=").decode() + "."
                     + base64.urlsafe_b64encode(b'{"sub":"mallory"}').rstrip(b"=").decode() + "."),
        "garbage": "not.a.token",
        "expired": tok(jwt_secret, sub="mallory", exp=now() - 31 - 5),
        "future-nbf": tok(jwt_secret, sub="mallory", nbf=now() + 60),
    }[bad]
    o = init(s, token)
    assert o.error is not None and o.error.sqlstate == "28000", o
    # the failed init ended alice's session: a pooled connection keeps nobody's claims
    assert user_id(s) == "<NULL>"
    assert s.value("SELECT auth.session()::text") == "null"


def test_callers_settings_never_become_a_session(s, jwt_secret):
    s.ok("SELECT set_config('request.jwt.claims', '{\"sub\":\"mallory\"}', false)")
    s.ok("SET pg_session_jwt.jwt = " + literal(tok("x" * 40, sub="mallory")))
    assert user_id(s) == "<NULL>"
    o = s.run("SET pgrst_jwt.session_id = 'anything'")
    assert o.error is not None and o.error.sqlstate == "42501", o
    # a forged bearer token in request.headers raises, never a session
    forged = tok("another-secret-of-at-least-32-bytes!!", sub="mallory")
    s.ok("SELECT set_config('request.headers', "
         + literal(json.dumps({"authorization": "Bearer " + forged})) + ", false)")
    o = s.run("SELECT auth.user_id()")
    assert o.error is not None and o.error.sqlstate == "28000", o
    assert "mallory" not in o.out
    # a started session wins over request.jwt.claims
    s.ok("RESET request.headers")
    assert init(s, tok(jwt_secret, sub="alice")).error is None
    assert user_id(s) == "alice"


def test_postgrest_request_bearer_token_is_verified(s, jwt_secret):
    good = tok(jwt_secret, sub="bob", role="authenticated")
    out = s.value(f"""BEGIN;
SELECT set_config('request.headers', {literal(json.dumps({"authorization": "Bearer " + good, "accept": "*/*"}))}, true) \\g /dev/null
SELECT set_config('request.jwt.claims', '{{"sub":"mallory"}}', true) \\g /dev/null
SELECT auth.user_id(), auth.session()->>'role';
COMMIT;""")
    assert out == "bob|authenticated"
    # after the request (transaction-local settings gone): no session
    assert user_id(s) == "<NULL>"
    # other schemes and malformed headers are no session
    for h in ({"authorization": "Basic Ym9iOnB3"}, {"authorization": "BEARER " + good},
              {"cookie": "a=b"}):
        s.ok("SELECT set_config('request.headers', " + literal(json.dumps(h)) + ", false)")
        assert user_id(s) == "<NULL>", h
    s.ok("SELECT set_config('request.headers', 'not json', false)")
    assert user_id(s) == "<NULL>"


@pytest.mark.parametrize("end", ["RESET ALL", "DISCARD ALL", "SELECT auth.jwt_session_init(NULL)"])
def test_reset_and_discard_end_the_session(s, jwt_secret, end):
    assert init(s, tok(jwt_secret, sub="alice")).error is None
    assert user_id(s) == "alice"
    s.ok(end)
    assert user_id(s) == "<NULL>"
    assert s.value("SELECT auth.session()::text") == "null"


def test_rolled_back_init_leaves_no_session(s, jwt_secret):
    assert init(s, tok(jwt_secret, sub="alice")).error is None
    s.ok("BEGIN")
    s.ok("SELECT auth.jwt_session_init(" + literal(tok(jwt_secret, sub="carol")) + ")")
    assert user_id(s) == "carol"
    s.ok("ROLLBACK")
    # neither carol (rolled back) nor alice (ended by the new init)
    assert user_id(s) == "<NULL>"


def test_expiry_is_checked_on_every_call(s, jwt_secret):
    # valid now thanks to PostgREST's 30 s skew, expired 4 seconds later
    assert init(s, tok(jwt_secret, sub="alice", exp=now() - 27)).error is None
    assert user_id(s) == "alice"
    time.sleep(4.5)
    o = s.run("SELECT auth.user_id()")
    assert o.error is not None and o.error.sqlstate == "28000", o
    assert o.error.message == "JWT expired"
    o = s.run("SELECT auth.session()")
    assert o.error is not None and o.error.message == "JWT expired", o


def test_rotation_stops_claims_of_the_old_secret(db, s, jwt_secret):
    assert init(s, tok(jwt_secret, sub="alice")).error is None
    assert user_id(s) == "alice"
    try:
        db.psql("SELECT extensions.set_pgrst_secret_from_env('JWT_SECRET_B64', true)", db=DB)
        o = s.run("SELECT auth.user_id()")
        assert o.error is not None and o.error.sqlstate == "28000", o
        assert "no longer verifies" in (o.error.detail or ""), o
        # a token of the new secret starts a session again
        new_key = base64.b64decode(__import__("os").environ["PG_TEST_JWT_SECRET_B64"])
        assert init(s, tok(new_key, sub="dave")).error is None
        assert user_id(s) == "dave"
    finally:
        db.psql("SELECT extensions.set_pgrst_secret_from_env()", db=DB)
    o = s.run("SELECT auth.user_id()")
    assert o.error is not None and o.error.sqlstate == "28000", o


def test_init_without_a_secret(cluster):
    name = "test_auth_sessions_nosecret"
    setup_auth_db(cluster, name, store_secret=False, reference=False)
    try:
        r = cluster.psql("\\set VERBOSITY verbose\nSELECT auth.init();", db=name, check=False)
        assert r.returncode != 0 and r.error().sqlstate == "55000", r.stderr
        assert r.error().message == "Server lacks JWT secret"
    finally:
        cluster.dropdb(name)


def test_every_algorithm_and_jwk_set(cluster):
    """The configured secret as a JWK Set (pgrst.jwt_secret, a superuser's setting):
    RS256, ES256, EdDSA and an oct key for HS512, each token verified by its kid."""
    name = "test_auth_sessions_jwks"
    setup_auth_db(cluster, name, store_secret=False, reference=False)
    try:
        oct_k = base64.urlsafe_b64encode(b"an-hmac-secret-for-hs512-" * 3).rstrip(b"=").decode()
        oct_jwk = json.dumps({"kty": "oct", "kid": "k-oct", "k": oct_k})
        sql = f"""
CREATE TEMP TABLE k AS SELECT kty, extensions.jwt_generate_key(kty, 'k-' || lower(kty)) AS jwk
  FROM unnest(ARRAY['RSA','EC','OKP']) kty;
SELECT jsonb_build_object('keys', (SELECT jsonb_agg(jwk) FROM k)
  || jsonb_build_array({literal(oct_jwk)}::jsonb))::text;
"""
        # the private JWKS signs; its public half (and the oct key) verifies
        s = Session(cluster, db=name)
        try:
            jwks = s.value(sql)
            pub = s.value(f"SELECT (extensions.jwt_public_jwks({literal(jwks)})->'keys' || "
                          f"jsonb_build_array(({literal(jwks)}::jsonb->'keys')->3))::text")
            s.ok("SET pgrst.jwt_secret = " + literal(json.dumps({"keys": json.loads(pub)})))
            cases = [("RSA", "RS256"), ("EC", "ES256"), ("OKP", "EdDSA"), ("oct", "HS512")]
            for kty, alg in cases:
                key = (f"(SELECT jwk::text FROM k WHERE kty = '{kty}')" if kty != "oct" else
                       f"(({literal(jwks)}::jsonb->'keys')->3)::text")
                claims = json.dumps({"sub": f"user-{alg}", "exp": now() + 60})
                t = s.value(f"SELECT extensions.jwt_sign({literal(claims)}::jsonb, {key}, '{alg}')")
                o = s.run(f"SELECT auth.jwt_session_init({literal(t)})")
                assert o.error is None, (alg, o)
                assert s.value("SELECT auth.user_id()") == f"user-{alg}"
            # PostgREST's claim rules: pgrst.jwt_aud
            s.ok("SET pgrst.jwt_aud = 'api'")
            t = s.value("SELECT extensions.jwt_sign('{\"sub\":\"x\",\"aud\":\"other\"}'::jsonb, "
                        "(SELECT jwk::text FROM k WHERE kty = 'EC'), 'ES256')")
            o = s.run(f"SELECT auth.jwt_session_init({literal(t)})")
            assert o.error is not None and o.error.message == "JWT not in audience", o
            # changing the setting's secret ends what the old one verified
            t = s.value("SELECT extensions.jwt_sign('{\"sub\":\"y\",\"aud\":\"api\"}'::jsonb, "
                        "(SELECT jwk::text FROM k WHERE kty = 'EC'), 'ES256')")
            assert s.run(f"SELECT auth.jwt_session_init({literal(t)})").error is None
            assert s.value("SELECT auth.user_id()") == "y"
            s.ok("SET pgrst.jwt_secret = 'a-completely-different-secret-of-32-bytes'")
            o = s.run("SELECT auth.user_id()")
            assert o.error is not None and o.error.sqlstate == "28000", o
        finally:
            s.close()
    finally:
        cluster.dropdb(name)


def test_jti_replay_protection(db, jwt_secret):
    s = Session(db, db=DB)  # a superuser turns it on for its session
    try:
        s.ok("SELECT auth.user_id()")
        u = Session(db, db=DB, user="sess_user")
        u.ok("SELECT auth.user_id()")  # the library is loaded: its settings are defined
        o = u.run("SET pgrst_jwt.session_jti_increasing = on")
        assert o.error is not None and o.error.sqlstate == "42501", o
        u.close()
        assert s.value("SHOW pgrst_jwt.session_jti_increasing") == "off"
        # off: no jti needed, repeats accepted
        assert init(s, tok(jwt_secret, sub="a")).error is None
        assert init(s, tok(jwt_secret, sub="a", jti=5)).error is None
        assert init(s, tok(jwt_secret, sub="a", jti=5)).error is None
        s.ok("SET pgrst_jwt.session_jti_increasing = on")
        o = init(s, tok(jwt_secret, sub="a"))
        assert o.error is not None and o.error.message == "JWT payload must contain a valid 'jti' (JWT ID)", o
        assert init(s, tok(jwt_secret, sub="a", jti=10)).error is None
        o = init(s, tok(jwt_secret, sub="a", jti=10))
        assert o.error is not None and o.error.sqlstate == "28000", o
        assert o.error.message == "Token ID must be strictly monotonically increasing."
        assert user_id(s) == "<NULL>"
        assert init(s, tok(jwt_secret, sub="b", jti=11)).error is None
        assert user_id(s) == "b"
    finally:
        s.close()


def test_session_functions_are_parallel_restricted(db):
    got = db.psql("SELECT proname, provolatile, proparallel FROM pg_proc WHERE pronamespace = "
                  "'auth'::regnamespace AND proname IN ('init','jwt_session_init','session','user_id') "
                  "ORDER BY 1", db=DB).out
    assert got.splitlines() == ["init|v|u", "jwt_session_init|v|u", "session|s|r", "user_id|s|r"]

"""Attack: crash the server or pin a backend (issue 7, finding 2, and key-size bounds).

A hostile ``pgrst.jwt_role_claim_key`` (deep nesting overflows the parser's stack; nested
filters cost exponential time) must be refused by the setting's check hook (22023) within
the statement timeout; a value stored while the library was not loaded must not hurt the
role that logs in with it. Key texts over 1 MiB and JWK Sets over 100 keys are refused
(22023 ``Invalid JWT key``); long work ends under statement_timeout and pg_cancel_backend.
Every test also checks that the postmaster did not restart and the log shows no crash.
"""

from __future__ import annotations

import json
import os
import signal
import time

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from attack_support import (Session, SessionTimeout, b64url, ensure_roles, hs256,
                            server_alive_marker, setup_db)
from cluster import Cluster, crash_lines, literal, wait_for

SECRET = "dos-suite-real-secret-0123456789-abcdefghij"
LOAD = "SELECT extensions.jwt_claims() IS NULL;"
LIMIT = 1.5
HANG = 5.0  # after this long the backend is killed (SIGKILL) and the test fails
BAD_PATHS = {
    "5000 nested parentheses": "'$[?' || repeat('(', 5000) || '@.a' || repeat(')', 5000) || ']'",
    "100 nested filters": "'$' || repeat('[?@', 100) || repeat(']', 100)",
    "12 nested filters": "'$' || repeat('[?@', 12) || repeat(']', 12)",
    "9 nested parentheses": "'$[?' || repeat('(', 8) || '@.a' || repeat(')', 8) || ']'",
    "513 bytes": "'$.' || repeat('a', 511)",
    "does not parse": "'$[?(@.a =='",
}
INVALID_VALUE = 'invalid value for parameter "pgrst.jwt_role_claim_key"'


@pytest.fixture(scope="module")
def dc():
    c = Cluster(env={"JWT_SECRET": SECRET}, conf={"log_line_prefix": "%m [%p] "})
    c.start()
    ensure_roles(c, "victim", "app")
    setup_db(c, "dos")
    yield c
    c.cleanup()


@pytest.fixture
def watch(dc):
    """Asserts afterwards that the server neither restarted nor logged a crash."""
    before, log_from = server_alive_marker(dc), len(dc.log_text())
    yield dc
    crashes = crash_lines(dc.log_text()[log_from:])
    after = server_alive_marker(dc)
    assert not crashes and after == before, f"the server crashed or restarted: {crashes[:5]}"


def recover(c, s):
    """The statement hung: kill its backend (nothing else ends it), wait for the server."""
    try:
        os.kill(s.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    s.close()
    wait_for(lambda: c.psql("SELECT 1", check=False).returncode == 0, timeout=30)


def timed(c, statement, setup=(), user="postgres", db="dos"):
    """Run setup, then ``statement``; (outcome, wall seconds). A hang fails the test."""
    s = Session(c, db, user)
    try:
        for x in setup:
            s.run(x)
        try:
            o = s.run(statement, timeout=HANG)
        except SessionTimeout as e:
            recover(c, s)
            if "psql ended" in str(e):
                pytest.fail(f"{statement[:120]!r} crashed the backend (the connection was lost)")
            pytest.fail(f"{statement[:120]!r} did not end within {HANG} s: the backend had to be killed")
        return o, o.elapsed
    finally:
        s.close()


def assert_bounded(o, elapsed, what):
    assert "server closed the connection" not in o.stderr, f"{what} crashed the backend: {o}"
    assert elapsed < LIMIT, f"{what} took {elapsed:.2f} s (limit {LIMIT} s under statement_timeout)"


@pytest.mark.parametrize("name", sorted(BAD_PATHS))
def test_hostile_role_claim_key_is_refused_quickly(watch, name):
    c = watch
    o, t = timed(c, f"SELECT pg_catalog.set_config('pgrst.jwt_role_claim_key', {BAD_PATHS[name]}, false);",
                 setup=["SET statement_timeout = '1s';", LOAD])
    if o.error is None:  # accepted: show what it does to jwt_role
        r, t2 = timed(c, "SELECT extensions.jwt_role('{\"role\":\"x\"}');",
                      setup=["SET statement_timeout = '1s';", LOAD,
                             f"SELECT pg_catalog.set_config('pgrst.jwt_role_claim_key', {BAD_PATHS[name]}, false);"])
        pytest.fail(f"the role claim key with {name} was accepted; jwt_role then took {t2:.2f} s: {r}")
    assert (o.error.sqlstate, o.error.message[:len(INVALID_VALUE)]) == ("22023", INVALID_VALUE), (
        f"{name}: not refused by the setting's check: {o}")
    assert_bounded(o, t, f"setting a role claim key with {name}")


@pytest.mark.parametrize("name", ["5000 nested parentheses", "100 nested filters"])
def test_role_claim_key_set_before_the_library_loads(watch, name):
    """The same value set before loading: jwt_role still answers, quickly."""
    c = watch
    o, t = timed(c, "SELECT extensions.jwt_role('{\"role\":\"x\"}');",
                 setup=["SET statement_timeout = '1s';",
                        f"SELECT pg_catalog.set_config('pgrst.jwt_role_claim_key', {BAD_PATHS[name]}, false);"])
    assert_bounded(o, t, f"jwt_role with {name} set before loading")
    assert o.out == "x" or (o.error and o.error.sqlstate == "22023"), f"{name}: {o}"


@pytest.mark.parametrize("name", ["5000 nested parentheses", "100 nested filters"])
def test_role_setting_stored_while_unloaded_hurts_nobody(watch, name):
    c = watch
    value = c.one(f"SELECT {BAD_PATHS[name]}")
    try:
        r = c.psql("\\set VERBOSITY verbose\n"
                   f"ALTER ROLE victim SET pgrst.jwt_role_claim_key = {literal(value)};", check=False)
        e = r.error()
        assert e is None or (e.sqlstate == "22023" and e.message.startswith(INVALID_VALUE)), str(e)
        o, t = timed(c, "SELECT extensions.jwt_role('{\"role\":\"x\"}');", user="victim")
        assert_bounded(o, t, f"victim's login with a stored role claim key with {name}")
        assert t < 1.0, f"jwt_role took {t:.2f} s for victim"
        assert o.out == "x" or (o.error and o.error.sqlstate == "22023"), f"{name}: {o}"
    finally:
        c.psql("ALTER ROLE victim RESET ALL")


@pytest.mark.parametrize("path,claims,role", [
    ("$.realm_access.roles[?(@ == 'admin')]", {"realm_access": {"roles": ["user", "admin"]}}, "admin"),
    (".roles[0]", {"roles": ["web_user"]}, "web_user"),
])
def test_legitimate_role_claim_keys_still_work(watch, path, claims, role):
    o, _ = timed(watch, f"SELECT extensions.jwt_role({literal(json.dumps(claims))}::jsonb);",
                 setup=[LOAD, f"SET pgrst.jwt_role_claim_key = {literal(path)};"])
    assert o.error is None and o.out == role, str(o)


# ---------------------------------------------------------------- key material bounds

BIG = 1048577
BIG_TOKEN = hs256({"role": "postgres"}, "x" * BIG)
OCT = {"kty": "oct", "k": b64url(b"k" * 32)}
PADDED_JWKS = f"('{{\"keys\":[{json.dumps(OCT)}]}}' || repeat(' ', {BIG}))"
PADDED_TOKEN = hs256({"role": "postgres"}, b"k" * 32)


@pytest.mark.parametrize("call", [
    f"SELECT extensions.jwt_verify({literal(BIG_TOKEN)}, repeat('x', {BIG})) IS NOT NULL;",
    f"SELECT extensions.jwt_sign('{{\"role\":\"x\"}}'::jsonb, repeat('x', {BIG}));",
    f"SELECT extensions.jwt_public_jwks(repeat('x', {BIG}));",
    f"SELECT extensions.jwt_public_jwks({PADDED_JWKS});",
    f"SELECT extensions.jwt_verify({literal(PADDED_TOKEN)}, {PADDED_JWKS}) IS NOT NULL;",
], ids=["verify", "sign", "public_jwks", "padded_jwks_public_jwks", "padded_jwks_verify"])
def test_key_text_over_one_mebibyte_is_refused(watch, call):
    o, t = timed(watch, call, setup=["SET statement_timeout = '1s';"])
    assert o.error is not None, f"a key text of {BIG} bytes was used: {call[:80]} -> {o}"
    assert (o.error.sqlstate, o.error.message) == ("22023", "Invalid JWT key"), f"{call[:80]}: {o}"
    assert_bounded(o, t, "a key text over 1 MiB")


def test_check_with_a_key_text_over_one_mebibyte(watch):
    o, t = timed(watch, f"SELECT valid FROM extensions.jwt_check({literal(BIG_TOKEN)}, repeat('x', {BIG}));")
    assert o.out != "t", "jwt_check accepted a token under a key text over 1 MiB"
    assert o.error is None or (o.error.sqlstate, o.error.message) == ("22023", "Invalid JWT key"), str(o)


def oct_jwks(n):
    keys = [{"kty": "oct", "kid": f"k{i}", "k": b64url(os.urandom(32))} for i in range(n)]
    return keys, json.dumps({"keys": keys})


def test_jwk_set_over_100_keys_is_refused(watch):
    keys, text = oct_jwks(101)
    first = pyjwt.algorithms.HMACAlgorithm.from_jwk(json.dumps(keys[0]))
    token = pyjwt.encode({"role": "x"}, first, algorithm="HS256", headers={"kid": "k0"})
    for call in (f"SELECT extensions.jwt_verify({literal(token)}, {literal(text)}) ->> 'role';",
                 f"SELECT extensions.jwt_public_jwks({literal(text)});"):
        o, t = timed(watch, call)
        assert o.error is not None, f"a JWK Set of 101 keys was used: {o}"
        assert (o.error.sqlstate, o.error.message) == ("22023", "Invalid JWT key"), str(o)


# ---------------------------------------------------------------- long work ends in time

def rsa_jwks_1000():
    pub = RSAAlgorithm.to_jwk(rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key(),
                              as_dict=True)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = pyjwt.encode({"role": "x"}, other, algorithm="RS256")
    return token, json.dumps({"keys": [dict(pub, kid=f"r{i}") for i in range(1000)]})


def big_token():
    return pyjwt.encode({"role": "x", "pad": "p" * 12_000_000}, SECRET, algorithm="HS256")


@pytest.mark.parametrize("what", ["20 MB key", "1000-key JWK Set", "16 MiB token"])
def test_long_work_ends_under_statement_timeout(watch, what):
    setup = ["SET statement_timeout = '1s';"]
    if what == "20 MB key":
        call = "SELECT extensions.jwt_verify('a.b.c', repeat('x', 20000000));"
    elif what == "1000-key JWK Set":
        token, jwks = rsa_jwks_1000()
        call = f"SELECT extensions.jwt_verify({literal(token)}, {literal(jwks)});"
    else:
        setup.append("SET pgrst_jwt.max_token_bytes = 16777216;")
        call = f"SELECT extensions.jwt_verify({literal(big_token())}, {literal(SECRET)}) ->> 'role';"
    o, t = timed(watch, call, setup=setup)
    assert_bounded(o, t, what)


def test_rsa_key_generation_loop_obeys_statement_timeout(watch):
    o, t = timed(watch, "SELECT count(extensions.jwt_generate_key('RSA')) FROM generate_series(1, 1000);",
                 setup=["SET statement_timeout = '500ms';"])
    assert o.error is not None and o.error.sqlstate == "57014", f"not cancelled by statement_timeout: {o}"
    assert_bounded(o, t, "1000 RSA key generations under a 500 ms statement_timeout")


def test_rsa_key_generation_loop_obeys_cancel(watch):
    c = watch
    a, b = Session(c, "dos", "app"), Session(c, "dos")
    try:
        tag = a.submit("SELECT count(extensions.jwt_generate_key('RSA')) FROM generate_series(1, 100000);")
        time.sleep(0.7)
        t0 = time.monotonic()
        assert b.value(f"SELECT pg_catalog.pg_cancel_backend({a.pid});") == "t"
        try:
            o = a.collect(tag, timeout=HANG, t0=t0)
        except SessionTimeout:
            recover(c, a)
            pytest.fail("pg_cancel_backend did not end a jwt_generate_key('RSA') loop")
        assert o.error is not None and o.error.sqlstate == "57014", str(o)
        assert o.elapsed < LIMIT, f"the loop ended {o.elapsed:.2f} s after pg_cancel_backend"
    finally:
        a.close()
        b.close()

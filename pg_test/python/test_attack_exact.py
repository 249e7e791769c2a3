"""Attack: more accepted than was meant, with nothing but a token or a key text (issue 17).

Each case as SQL sees it (the core's unit tests cover the same ground byte by byte):
escaped claim names, short ``oct`` JWKs, small-order Ed25519 keys and signatures, a bare
base64 DER public key used as HMAC bytes, a 1 MiB PEM of repeated blocks, an RSA key with
a tiny prime, the pgjwt drop-in's token size bound, U+0000 in a claim that becomes text,
and a caller's leeway or audience with the configured secret.
"""

from __future__ import annotations

import base64
import json
import os
import time

import jwt as pyjwt
import pytest

from attack_support import b64url, hs256
from cluster import literal

SECRET = "exact-suite-test-secret-0123456789-abcdefgh"
KEYS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "core", "testdata")


def fixture(name):
    with open(os.path.join(KEYS, name)) as f:
        return f.read()


@pytest.fixture(scope="module")
def db(pg):
    pg.psql("CREATE EXTENSION IF NOT EXISTS pgrst_jwt_pgjwt;")
    return pg


# ------------------------------------------------------------------ claim names

@pytest.mark.parametrize("claims", [
    '{"role":"anon","r\\u006fle":"admin"}',
    '{"r\\u006Fle":"anon","role":"admin"}',
    '{"exp":1,"\\u0065xp":2}',
])
def test_escaped_duplicate_claim_names_are_refused_like_plain_ones(db, claims):
    plain = db.error(f"SELECT jwt_sign('{{\"a\":1,\"a\":2}}', {literal(SECRET)})")
    e = db.error(f"SELECT jwt_sign({literal(claims)}, {literal(SECRET)})")
    assert (e.sqlstate, e.message) == (plain.sqlstate, plain.message) == ("22023", "JWT claims contain a duplicate name"), e


def test_an_escaped_exp_gets_the_time_claim_rules(db):
    token = db.one(f"SELECT jwt_sign('{{\"\\u0065xp\":4102444800.9}}', {literal(SECRET)})")
    assert pyjwt.decode(token, SECRET, algorithms=["HS256"]) == {"exp": 4102444800}
    e = db.error(f"SELECT jwt_sign('{{\"\\u0065xp\":\"soon\"}}', {literal(SECRET)})")
    assert e.sqlstate == "22023", e


# ------------------------------------------------------------------ keys

def test_short_oct_jwks_are_refused_like_short_secrets(db):
    short = json.dumps({"kty": "oct", "k": b64url(b"x" * 16)})
    for key in (short, json.dumps({"keys": [json.loads(short)]})):
        e = db.error(f"SELECT jwt_sign('{{}}'::jsonb, {literal(key)}, NULL)")
        assert (e.sqlstate, e.message) == ("22023", "The JWT secret must be at least 32 characters long."), e


def test_set_pgrst_secret_from_env_refuses_a_short_oct_jwk(fresh_cluster):
    c = fresh_cluster(env={"JWT_SECRET": json.dumps({"kty": "oct", "k": b64url(b"y" * 20)})})
    c.psql("CREATE EXTENSION pgrst_jwt")
    r = c.psql("\\set VERBOSITY verbose\nSELECT set_pgrst_secret_from_env()", check=False)
    e = r.error()
    assert e is not None and e.sqlstate == "22023" and "32 characters" in e.message, r.stderr
    assert c.one("SELECT configured FROM jwt_secret_status()") == "f"


def test_small_order_ed25519_keys_and_signatures_never_verify(db):
    token_input = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc"
    identity = (1).to_bytes(32, "little")
    forged = f"{token_input}.{b64url(identity + bytes(32))}"  # R = identity, S = 0
    for x in (identity, (2**255 - 20).to_bytes(32, "little")):  # identity, order 2
        jwk = json.dumps({"kty": "OKP", "crv": "Ed25519", "x": b64url(x)})
        e = db.error(f"SELECT jwt_verify({literal(forged)}, {literal(jwk)})")
        assert e.sqlstate == "22023" and e.message == "Invalid JWT key", e
    # RFC 8037's key, with a signature whose R is the identity (valid for a lax verifier)
    jwk = fixture("ed25519.pub.jwk.json")
    small_r = f"{token_input}.{fixture('ed25519-small-r.sig').strip()}"
    e = db.error(f"SELECT jwt_verify({literal(small_r)}, {literal(jwk)})")
    assert e.sqlstate == "28000", e


def test_a_bare_base64_der_public_key_is_no_hmac_secret(db):
    pem = fixture("rsa2048.pub.pem")
    body = "".join(line for line in pem.splitlines() if not line.startswith("-----"))
    forged = hs256({"role": "postgres"}, body)
    for text in (body, pem.split("\n", 1)[1].rsplit("-----END", 1)[0]):
        e = db.error(f"SELECT jwt_verify({literal(forged)}, {literal(text)})")
        assert e.sqlstate == "22023", e
        assert "DER" in (e.detail or ""), e
    # an ordinary base64 secret still works
    b64 = base64.b64encode(os.urandom(32)).decode()
    good = hs256({"role": "x"}, b64)
    assert db.one(f"SELECT jwt_verify({literal(good)}, {literal(b64)}) ->> 'role'") == "x"


def test_a_1_mib_pem_of_repeated_blocks_is_refused_without_quadratic_work(db):
    unit = "-----BEGIN EC PARAMETERS-----\n\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n\n"
    text = unit * ((1 << 20) // len(unit) - 1)
    # a generous bound (quadratic reading took 3-7 s here): the statement must not time out
    r = db.psql(f"SET statement_timeout = '5s';\n\\set VERBOSITY verbose\n"
                f"SELECT jwt_public_jwks({literal(text)});", check=False)
    e = r.error()
    assert e is not None and e.sqlstate == "22023", r.stderr[-400:]


def test_an_rsa_key_with_a_tiny_prime_does_not_sign(db):
    for name in ("rsa-unbalanced.pem", "rsa-unbalanced.pkcs1.pem", "rsa-unbalanced.jwk.json"):
        e = db.error(f"SELECT jwt_sign('{{}}'::jsonb, {literal(fixture(name))}, NULL)")
        assert e.sqlstate == "22023" and "1024 bits" in (e.detail or ""), (name, e)


# ------------------------------------------------------------------ bounds and text

def test_the_dropin_verify_honours_max_token_bytes(db):
    token = hs256({"role": "x", "pad": "p" * 2000}, SECRET)
    assert db.one(f"SELECT valid FROM verify({literal(token)}, {literal(SECRET)})") == "t"
    e = db.error(f"SET pgrst_jwt.max_token_bytes = 1024; "
                 f"SELECT valid FROM verify({literal(token)}, {literal(SECRET)})")
    assert (e.sqlstate, e.message) == ("28000", "JWT is too large"), e


@pytest.mark.parametrize("value", ["admin\\u0000-x", "\\u0000", "a\\u0000"])
def test_a_claim_holding_nul_never_becomes_text(db, value):
    claims = '{"role":"%s","n":1}' % value
    e = db.error(f"SELECT set_config('request.jwt.claims', {literal(claims)}, false); "
                 "SELECT jwt_claim('role')")
    assert e.sqlstate == "22P05", e
    # as PostgreSQL's ->> does on the same value
    pe = db.error(f"SELECT {literal(claims)}::json ->> 'role'")
    assert pe.sqlstate == e.sqlstate and pe.message == e.message, (pe, e)
    # other claims of the same request still read
    assert db.one(f"SELECT set_config('request.jwt.claims', {literal(claims)}, false); "
                  "SELECT jwt_claim('n')").splitlines()[-1] == "1"


def test_jwt_check_with_the_configured_secret_keeps_postgrests_rules(fresh_cluster):
    c = fresh_cluster(env={"JWT_SECRET": SECRET})
    c.psql("CREATE EXTENSION pgrst_jwt; SELECT set_pgrst_secret_from_env();")
    expired = pyjwt.encode({"role": "x", "exp": int(time.time()) - 3600}, SECRET, algorithm="HS256")
    foreign = pyjwt.encode({"role": "x", "aud": "someone-else"}, SECRET, algorithm="HS256")
    c.psql("ALTER DATABASE postgres SET pgrst.jwt_aud = 'my-api'")
    for sql in (f"SELECT valid FROM jwt_check({literal(expired)}, leeway => 2147483647)",
                f"SELECT valid FROM jwt_check({literal(foreign)}, audience => 'someone-else')",
                f"SELECT valid FROM jwt_check({literal(expired)}, NULL, NULL, 7200)"):
        r = c.psql("\\set VERBOSITY verbose\n" + sql, check=False)
        e = r.error()
        assert e is not None and e.sqlstate == "22023", f"{sql}: {r.stdout}{r.stderr}"
    assert c.one(f"SELECT reason FROM jwt_check({literal(expired)})") == "expired"
    assert c.one(f"SELECT reason FROM jwt_check({literal(expired)}, leeway => 30)") == "expired"
    assert c.one(f"SELECT reason FROM jwt_check({literal(foreign)})") == "audience"
    # with a secret of the caller's, its own rules
    assert c.one(f"SELECT valid FROM jwt_check({literal(expired)}, {literal(SECRET)}, leeway => 7200)") == "t"


# ------------------------------------------------------------------ one token, several texts

P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def test_one_token_has_several_texts_with_the_same_claims(db):
    """High-S ECDSA and surrounding whitespace verify (other libraries make such tokens): the
    claims, not the text, identify a token, so revocation lists key on jti/sid."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    token = pyjwt.encode({"role": "web_user", "jti": "j-1"}, pem, algorithm="ES256")
    head, payload, sig = token.split(".")
    raw = base64.urlsafe_b64decode(sig + "==")
    r, s = raw[:32], int.from_bytes(raw[32:], "big")
    high_s = f"{head}.{payload}.{b64url(r + (P256_N - s).to_bytes(32, 'big'))}"
    texts = {token, high_s, f"  {token}\n", f"\t{high_s} "}
    assert len(texts) == 4
    claims = {db.one(f"SELECT jwt_verify({literal(t)}, {literal(public)}) ->> 'jti'") for t in texts}
    assert claims == {"j-1"}


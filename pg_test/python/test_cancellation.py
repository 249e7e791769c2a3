"""Cancellation of long work (issue 8): each long operation ends within 1 s of
``pg_cancel_backend`` or of its ``statement_timeout``.

The workloads, each a loop that would run for minutes:
- RSA verification over a JWK Set of 100 RSA-4096 and RSA-8192 public keys (no ``kid``,
  so every key is tried, and a 1024-byte signature, so every RSA-8192 key does the work);
- RSA key generation (``jwt_generate_key('RSA')``);
- 16 MiB tokens (``pgrst_jwt.max_token_bytes`` at its maximum).
"""

from __future__ import annotations

import json
import os
import time

import pytest

from attack_support import Session, SessionTimeout, b64url
from cluster import Cluster, literal

LIMIT = 1.0
SECRET = "cancellation-tests-secret-0123456789abcdef"
KEYS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "core", "testdata")


def public_jwk(pem_name: str) -> dict:
    from cryptography.hazmat.primitives.serialization import load_pem_public_key
    with open(os.path.join(KEYS, pem_name), "rb") as f:
        key = load_pem_public_key(f.read())
    n = key.public_numbers()
    size = (n.n.bit_length() + 7) // 8
    return {"kty": "RSA", "n": b64url(n.n.to_bytes(size, "big")), "e": b64url(n.e.to_bytes(3, "big"))}


def big_jwks() -> str:
    keys = [public_jwk("rsa8192.pub.pem")] * 50 + [public_jwk("rsa4096.pub.pem")] * 50
    return json.dumps({"keys": keys})


def rsa8192_token() -> str:
    header = b64url(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    payload = b64url(json.dumps({"role": "web_user"}).encode())
    return f"{header}.{payload}.{b64url(os.urandom(1024))}"


# name -> (setup SQL, the long-running statement); "|| repeat(' ', g % 2)" (whitespace, which
# token parsing trims) makes each row a new call rather than one the planner evaluates once
WORKLOADS = {
    "rsa_jwks_verification": (
        f"CREATE TEMP TABLE w AS SELECT {literal(rsa8192_token())}::text AS t, "
        f"{literal(big_jwks())}::text AS k;",
        "SELECT count(*) FROM w, generate_series(1, 10000000) g "
        "WHERE (SELECT valid FROM jwt_check(w.t || repeat(' ', g % 2), w.k));"),
    "rsa_key_generation": (
        "SELECT 1;",
        "SELECT count(jwt_generate_key('RSA')) FROM generate_series(1, 10000000);"),
    # a signature that does not match: the whole 16 MiB is still decoded and MACed
    "16_MiB_tokens": (
        "SET pgrst_jwt.max_token_bytes = 16777216;\n"
        "CREATE TEMP TABLE w AS SELECT h || '.' || p || '.' || "
        "translate(encode(sha256('x'::bytea), 'base64'), E'+/=\\n', '-_') AS t FROM "
        "(SELECT 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9' AS h, translate(encode(convert_to("
        "'{\"pad\":\"' || repeat('x', 12000000) || '\"}', 'UTF8'), 'base64'), E'+/=\\n', '-_') AS p) s;",
        f"SELECT count(*) FROM w, generate_series(1, 10000000) g "
        f"WHERE (SELECT valid FROM jwt_check(w.t || repeat(' ', g % 2), {literal(SECRET)}));"),
}


@pytest.fixture(scope="module")
def cc():
    c = Cluster(conf={"max_connections": 20})
    c.start()
    c.psql("CREATE EXTENSION pgrst_jwt")
    yield c
    c.cleanup()


def prepare(c, name) -> Session:
    s = Session(c)
    setup, _ = WORKLOADS[name]
    s.ok(setup, timeout=120)
    return s


def ended(s: Session, tag: str, t0: float, what: str):
    try:
        o = s.collect(tag, timeout=30, t0=t0)
    except SessionTimeout:
        pytest.fail(f"{what}: the statement did not end")
    assert o.error is not None and o.error.sqlstate == "57014", f"{what}: {o}"
    return o


@pytest.mark.parametrize("name", sorted(WORKLOADS))
def test_pg_cancel_backend_ends_it_within_a_second(cc, name):
    s, admin = prepare(cc, name), Session(cc)
    try:
        tag = s.submit(WORKLOADS[name][1])
        time.sleep(1.5)  # well into the loop
        t0 = time.monotonic()
        assert admin.value(f"SELECT pg_cancel_backend({s.pid})") == "t"
        o = ended(s, tag, t0, name)
        assert o.elapsed < LIMIT, f"{name}: ended {o.elapsed:.2f} s after pg_cancel_backend"
    finally:
        s.close()
        admin.close()


@pytest.mark.parametrize("name", sorted(WORKLOADS))
def test_statement_timeout_ends_it_within_a_second(cc, name):
    s = prepare(cc, name)
    try:
        s.ok("SET statement_timeout = '1500ms'")
        t0 = time.monotonic()
        o = ended(s, s.submit(WORKLOADS[name][1]), t0, name)
        assert "statement timeout" in o.error.message, str(o)
        assert o.elapsed < 1.5 + LIMIT, f"{name}: ended {o.elapsed:.2f} s after it began"
    finally:
        s.close()

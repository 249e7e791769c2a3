"""HMAC interoperability with PyJWT, an independent implementation: tokens pgrst_jwt signs
verify in PyJWT and the other way round, for HS256/384/512; tampered tokens fail in both."""

from __future__ import annotations

import base64
import json
import time

import jwt as pyjwt
import pytest

ALGS = ["HS256", "HS384", "HS512"]
# 64 bytes: long enough for every HMAC algorithm by RFC 7518 (PyJWT warns below that)
SECRET = "interop-secret-for-pgrst-jwt-tests-0123456789-abcdefghijklmnopqr"
assert len(SECRET.encode()) >= 64
OTHER_ALG = {"HS256": "HS512", "HS384": "HS256", "HS512": "HS384"}

pytestmark = pytest.mark.filterwarnings("ignore:The HMAC key is")


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64u(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def claims(**extra) -> dict:
    now = int(time.time())
    c = {"role": "web_user", "sub": "42", "email": "alice@example.com",
         "iat": now, "nbf": now - 5, "exp": now + 3600, "scopes": ["read", "write"],
         "meta": {"n": 1, "ok": True, "none": None}}
    c.update(extra)
    return c


def sign(pg, c, alg, secret=SECRET, as_type="jsonb") -> str:
    return pg.one(f"SELECT jwt_sign(:'c'::{as_type}, :'s', :'a')",
                  vars={"c": json.dumps(c), "s": secret, "a": alg})


def verify(pg, token, secret=SECRET, alg=None) -> dict:
    sql = "SELECT jwt_verify(:'t', :'s')" if alg is None else "SELECT jwt_verify(:'t', :'s', :'a')"
    out = pg.one(sql, vars={"t": token, "s": secret, "a": alg or ""})
    return json.loads(out)


def our_error(pg, token, secret=SECRET):
    return pg.error("SELECT jwt_verify(:'t', :'s')", vars={"t": token, "s": secret})


def pyjwt_decode(token, secret=SECRET, algorithms=ALGS):
    return pyjwt.decode(token, secret, algorithms=algorithms,
                        options={"verify_aud": False})


# ---------------------------------------------------------------- both directions

@pytest.mark.parametrize("alg", ALGS)
@pytest.mark.parametrize("as_type", ["jsonb", "json", "text"])
def test_we_sign_pyjwt_verifies(pg, alg, as_type):
    c = claims()
    token = sign(pg, c, alg, as_type=as_type)
    assert pyjwt.get_unverified_header(token) == {"alg": alg, "typ": "JWT"}
    assert pyjwt.decode(token, SECRET, algorithms=[alg]) == c


@pytest.mark.parametrize("alg", ALGS)
def test_pyjwt_signs_we_verify(pg, alg):
    c = claims(name="José \U0001F600", quote='"\\/')
    token = pyjwt.encode(c, SECRET, algorithm=alg)
    assert verify(pg, token) == c
    assert verify(pg, token, alg=alg) == c
    # and jwt_check agrees, with the decoded header
    out = pg.one("SELECT row_to_json(c) FROM jwt_check(:'t', :'s') c",
                 vars={"t": token, "s": SECRET})
    row = json.loads(out)
    assert row["valid"] is True and row["reason"] is None
    assert row["header"] == {"alg": alg, "typ": "JWT"} and row["claims"] == c


@pytest.mark.parametrize("alg", ALGS)
def test_same_token_as_pyjwt_for_json_claims(pg, alg):
    """json keeps the key order, so our token is byte-for-byte PyJWT's (ASCII claims)."""
    c = {"z": 1, "role": "web_user", "a": [1, 2, {"y": None, "x": False}], "exp": 4102444800}
    expected = pyjwt.encode(c, SECRET, algorithm=alg, headers={"typ": "JWT"})
    assert sign(pg, c, alg, as_type="json") == expected
    assert sign(pg, c, alg, as_type="text") == expected


@pytest.mark.parametrize("alg", ALGS)
def test_configured_test_secret_interop(pg, jwt_secret, alg):
    """The secret pg_test/run gives the postmaster (37 bytes) works both ways too."""
    c = {"role": "web_user"}
    assert pyjwt.decode(sign(pg, c, alg, secret=jwt_secret), jwt_secret, algorithms=[alg]) == c
    assert verify(pg, pyjwt.encode(c, jwt_secret, algorithm=alg), secret=jwt_secret) == c


def test_short_secret_from_other_signers_verifies(pg):
    """Signing refuses a secret under 32 bytes (PostgREST's rule), verifying accepts it."""
    token = pyjwt.encode({"role": "web_user"}, "short-secret", algorithm="HS256")
    assert verify(pg, token, secret="short-secret") == {"role": "web_user"}
    e = pg.error("SELECT jwt_sign('{}', 'short-secret')")
    assert e.sqlstate == "22023"
    assert e.message == "The JWT secret must be at least 32 characters long."


# ---------------------------------------------------------------- time claims

@pytest.mark.parametrize("alg", ALGS)
def test_pyjwt_expired_token_rejected(pg, alg):
    c = claims(exp=int(time.time()) - 3600)
    token = pyjwt.encode(c, SECRET, algorithm=alg)
    with pytest.raises(pyjwt.ExpiredSignatureError):
        pyjwt_decode(token)
    e = our_error(pg, token)
    assert (e.sqlstate, e.message) == ("28000", "JWT expired")
    out = pg.one("SELECT reason FROM jwt_check(:'t', :'s')", vars={"t": token, "s": SECRET})
    assert out == "expired"


@pytest.mark.parametrize("claim,message,pyjwt_error", [
    ("nbf", "JWT not yet valid", pyjwt.ImmatureSignatureError),
    ("iat", "JWT issued at future", pyjwt.ImmatureSignatureError),
])
def test_pyjwt_future_token_rejected(pg, claim, message, pyjwt_error):
    c = {"role": "web_user", claim: int(time.time()) + 3600}
    token = pyjwt.encode(c, SECRET, algorithm="HS256")
    if claim == "nbf" or tuple(map(int, pyjwt.__version__.split(".")[:2])) >= (2, 10):
        with pytest.raises(pyjwt_error):
            pyjwt_decode(token)
    e = our_error(pg, token)
    assert (e.sqlstate, e.message) == ("28000", message)


@pytest.mark.parametrize("alg", ALGS)
@pytest.mark.parametrize("as_type", ["jsonb", "json"])
def test_float_time_claims_become_integers_pyjwt_accepts(pg, alg, as_type):
    now = time.time()
    c = {"role": "web_user", "exp": now + 3600.75, "nbf": now - 10.5, "iat": now - 0.25,
         "other": 1.5}
    token = sign(pg, c, alg, as_type=as_type)
    payload = json.loads(unb64u(token.split(".")[1]))
    for k in ("exp", "nbf", "iat"):
        assert isinstance(payload[k], int), (k, payload[k])
        assert payload[k] == int(c[k])  # truncated toward zero
    assert payload["other"] == 1.5
    decoded = pyjwt.decode(token, SECRET, algorithms=[alg])
    assert decoded["exp"] == int(c["exp"]) and decoded["role"] == "web_user"
    assert verify(pg, token) == payload


# ---------------------------------------------------------------- tampering

def tamper(token: str, how: str, alg: str) -> str:
    h, p, s = token.split(".")
    if how == "payload":
        payload = json.loads(unb64u(p))
        payload["role"] = "admin"
        return f"{h}.{b64u(json.dumps(payload, separators=(',', ':')).encode())}.{s}"
    if how == "signature":
        sig = bytearray(unb64u(s))
        sig[len(sig) // 2] ^= 0x01
        return f"{h}.{p}.{b64u(bytes(sig))}"
    if how == "alg_none":
        return f"{b64u(json.dumps({'alg': 'none', 'typ': 'JWT'}).encode())}.{p}."
    if how == "alg_none_keep_sig":
        return f"{b64u(json.dumps({'alg': 'none', 'typ': 'JWT'}).encode())}.{p}.{s}"
    if how == "alg_switched":
        header = json.loads(unb64u(h))
        header["alg"] = OTHER_ALG[alg]
        return f"{b64u(json.dumps(header, separators=(',', ':')).encode())}.{p}.{s}"
    if how == "signature_dropped":
        return f"{h}.{p}."
    raise ValueError(how)


TAMPERING = ["payload", "signature", "alg_none", "alg_none_keep_sig", "alg_switched",
             "signature_dropped"]
OUR_MESSAGE = {
    "payload": "No suitable key or wrong key type",
    "signature": "No suitable key or wrong key type",
    "alg_none": "Wrong or unsupported encoding algorithm",
    "alg_none_keep_sig": "Wrong or unsupported encoding algorithm",
    "alg_switched": "No suitable key or wrong key type",
    "signature_dropped": "No suitable key or wrong key type",
}
OUR_REASON = {
    "payload": "bad_signature", "signature": "bad_signature", "alg_none": "unsupported_algorithm",
    "alg_none_keep_sig": "unsupported_algorithm", "alg_switched": "bad_signature",
    "signature_dropped": "bad_signature",
}


@pytest.mark.parametrize("signer", ["ours", "pyjwt"])
@pytest.mark.parametrize("how", TAMPERING)
@pytest.mark.parametrize("alg", ALGS)
def test_tampered_tokens_fail_in_both(pg, alg, how, signer):
    c = claims()
    token = sign(pg, c, alg) if signer == "ours" else pyjwt.encode(c, SECRET, algorithm=alg)
    # the untampered token is fine in both (so the failures below are the tampering's)
    assert pyjwt_decode(token) == c
    assert verify(pg, token) == c
    bad = tamper(token, how, alg)
    assert bad != token
    with pytest.raises(pyjwt.InvalidTokenError):
        pyjwt_decode(bad)
    e = our_error(pg, bad)
    assert (e.sqlstate, e.message) == ("28000", OUR_MESSAGE[how])
    out = pg.one("SELECT valid || ' ' || reason FROM jwt_check(:'t', :'s')",
                 vars={"t": bad, "s": SECRET})
    assert out == f"false {OUR_REASON[how]}"


@pytest.mark.parametrize("alg", ALGS)
def test_wrong_secret_fails_in_both(pg, alg):
    token = sign(pg, claims(), alg)
    other = SECRET[:-1] + "!"
    with pytest.raises(pyjwt.InvalidSignatureError):
        pyjwt_decode(token, secret=other)
    e = our_error(pg, token, secret=other)
    assert (e.sqlstate, e.message) == ("28000", "No suitable key or wrong key type")


@pytest.mark.parametrize("alg", ALGS)
def test_pinned_algorithm(pg, alg):
    """Both refuse a token whose algorithm is not the one the verifier insists on."""
    token = pyjwt.encode(claims(), SECRET, algorithm=alg)
    other = OTHER_ALG[alg]
    with pytest.raises(pyjwt.InvalidAlgorithmError):
        pyjwt.decode(token, SECRET, algorithms=[other])
    e = pg.error("SELECT jwt_verify(:'t', :'s', :'a')", vars={"t": token, "s": SECRET, "a": other})
    assert (e.sqlstate, e.message) == ("28000", "Wrong or unsupported encoding algorithm")
    assert e.detail == f"the token uses {alg}, {other} is required"

"""Attack: key text that is not recognised as a key becomes an HMAC secret (issue 7,
finding 4), so anyone holding the PUBLIC key forges HS256 tokens.

For RSA, EC P-256 and Ed25519 public keys (made by ``cryptography``), variants of the PEM,
JWK and JWK Set text are built; a token HMAC-signed with the exact variant text (by hand:
PyJWT refuses PEM-looking HMAC keys) must never verify with that text as the key, and the
variants that are still valid keys must verify real tokens signed with the private key.
The same through the server's environment and set_pgrst_secret_from_env().
"""

from __future__ import annotations

import json

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives import serialization as ser
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from attack_support import Session, hs256, setup_db, text_expr
from cluster import Cluster, literal

FORGED_CLAIMS = {"role": "postgres", "sub": "forged"}


def make_keys():
    out = {}
    for name, priv, alg, to_jwk in (
            ("RSA", rsa.generate_private_key(public_exponent=65537, key_size=2048), "RS256", RSAAlgorithm.to_jwk),
            ("EC", ec.generate_private_key(ec.SECP256R1()), "ES256", ECAlgorithm.to_jwk),
            ("Ed25519", ed25519.Ed25519PrivateKey.generate(), "EdDSA", OKPAlgorithm.to_jwk)):
        pub = priv.public_key()
        pem = pub.public_bytes(ser.Encoding.PEM, ser.PublicFormat.SubjectPublicKeyInfo).decode()
        out[name] = {"priv": priv, "alg": alg, "pem": pem, "jwk": to_jwk(pub)}
    return out


KEYS = make_keys()


def variants(k):
    """name -> (text, still a valid key that must keep working)."""
    pem, jwk = k["pem"], k["jwk"]
    jwks = '{"keys":[' + jwk + "]}"
    return {
        "BOM + PEM": ("\ufeff" + pem, True),
        "comment line + PEM": ("# my key\n" + pem, True),
        "leading spaces and newlines + PEM": ("  \n\n " + pem, True),
        "PEM with CRLF": (pem.replace("\n", "\r\n"), True),
        "BOM + JWK": ("\ufeff" + jwk, True),
        "PEM inside a JSON string": (json.dumps(pem), False),
        "JWK Set with a trailing comma": ('{"keys":[' + jwk + ",]}", False),
        "JWK Set with a trailing comma after keys": ('{"keys":[' + jwk + "],}", False),
        "JWK Set with \"x\":1e400": ('{"keys":[' + jwk + '],"x":1e400}', False),
        "JWK Set as a bare JSON array": ("[ " + jwk + " ]", False),
        "JSON string holding a JWK": (json.dumps(jwk), False),
        # our own
        "BOM + JWK Set with a trailing comma": ("\ufeff" + '{"keys":[' + jwk + ",]}", False),
        "two BOMs + JWK": ("\ufeff\ufeff" + jwk, False),
        "whitespace + PEM inside a JSON string": (" \n" + json.dumps(pem), False),
        "JWK with single quotes": (jwk.replace('"', "'"), False),
        "JWK Set with keys twice": ('{"keys":[],"keys":[' + jwk + "]}", False),
        "truncated PEM": (pem[:-40], False),
        "PEM + trailing garbage": (pem + "garbage\n", False),
        "tab + PEM": ("\t" + pem, False),
        "JWK with a trailing comma": (jwk[:-1] + ",}", False),
        "BOM + JWK Set": ("\ufeff" + jwks, False),
    }


CASES = [(k, v) for k in KEYS for v in variants(KEYS[k])]


@pytest.fixture(scope="module")
def ac():
    c = Cluster(env={})
    c.start()
    setup_db(c, "alg", store_secret=False)
    s = Session(c, "alg")
    yield s
    s.close()
    c.cleanup()


@pytest.mark.parametrize("key,variant", CASES, ids=[f"{k}: {v}" for k, v in CASES])
def test_key_text_is_a_key_or_an_error_never_hmac_bytes(ac, key, variant):
    text, valid = variants(KEYS[key])[variant]
    forged = hs256(FORGED_CLAIMS, text)
    o = ac.run(f"SELECT extensions.jwt_verify({literal(forged)}, {text_expr(text)}) ->> 'sub';")
    assert o.error is not None, (
        f"{key} {variant}: a token HMAC-signed with the key text itself verified: {o.out!r}")
    assert (o.error.sqlstate, o.error.message) == ("22023", "Invalid JWT key") or o.error.sqlstate == "28000", (
        f"{key} {variant}: {o}")
    o = ac.run(f"SELECT valid FROM extensions.jwt_check({literal(forged)}, {text_expr(text)});")
    assert o.out != "t", f"{key} {variant}: jwt_check says the forged HS256 token is valid"
    assert o.error is None or (o.error.sqlstate, o.error.message) == ("22023", "Invalid JWT key"), str(o)
    if valid:
        k = KEYS[key]
        real = pyjwt.encode({"role": "web_user", "sub": "real"}, k["priv"], algorithm=k["alg"])
        o = ac.run(f"SELECT extensions.jwt_verify({literal(real)}, {text_expr(text)}) ->> 'sub';")
        assert o.error is None and o.out == "real", (
            f"{key} {variant} is a valid key and must verify a real {k['alg']} token: {o}")


# ---------------------------------------------------------------- through the environment

EC = KEYS["EC"]
ENV = {
    "JWT_SECRET": '{"keys":[' + EC["jwk"] + ",]}",
    "JWT_SECRET_PEM_JSON": json.dumps(KEYS["RSA"]["pem"]),
    "JWT_SECRET_ARRAY": "[" + EC["jwk"] + "]",
    "JWT_SECRET_1E400": '{"keys":[' + EC["jwk"] + '],"x":1e400}',
    "JWT_SECRET_JWK_STRING": json.dumps(KEYS["Ed25519"]["jwk"]),
}


@pytest.fixture(scope="module")
def envc():
    c = Cluster(env=ENV)
    c.start()
    yield c
    c.cleanup()


MUST_REFUSE = {"JWT_SECRET", "JWT_SECRET_PEM_JSON"}  # the others: refused, or read as the key they hold


@pytest.mark.parametrize("var", sorted(ENV))
def test_environment_key_text_is_never_stored_as_hmac(envc, var):
    db = "env_" + var.lower()
    setup_db(envc, db, store_secret=False)
    r = envc.psql(f"\\set VERBOSITY verbose\nSELECT extensions.set_pgrst_secret_from_env({literal(var)});",
                  db=db, check=False)
    e = r.error()
    status = envc.one("SELECT configured FROM extensions.jwt_secret_status()", db=db)
    jwks = envc.one("SELECT pg_catalog.jsonb_array_length(extensions.jwt_public_jwks() -> 'keys')",
                    db=db, check=False)
    forged = hs256(FORGED_CLAIMS, ENV[var])
    v = envc.psql(f"\\set VERBOSITY verbose\nSELECT extensions.jwt_verify({literal(forged)}) ->> 'sub';",
                  db=db, check=False)
    assert v.returncode != 0, f"{var}: jwt_verify(token) accepted a token HMAC-signed with the key text"
    ve = v.error()
    if e is None and var not in MUST_REFUSE:
        assert jwks not in ("", "0"), f"{var}: stored, but not as the public key it holds (HMAC bytes?)"
        assert ve is not None and ve.sqlstate == "28000", str(ve)
        return
    assert e is not None, f"{var}: set_pgrst_secret_from_env() stored a key text it did not recognise"
    assert e.sqlstate == "22023", f"{var}: {e}"
    assert status == "f", f"{var}: a secret is configured after the refused set_pgrst_secret_from_env()"
    assert ve is not None and (ve.sqlstate, ve.message) == ("55000", "Server lacks JWT secret"), str(ve)

"""Asymmetric keys at the SQL level (issue 4), checked against an independent
implementation: keys made by Python's `cryptography`, tokens made and checked by PyJWT.

Covers every key input form (PKCS#8, PKCS#1, SEC1, SPKI, PKCS#1 public PEM, JWK, JWK Set),
every asymmetric algorithm in both directions, jwt_generate_key / jwt_public_jwks, kid
handling in JWK Sets, algorithm-confusion and signature-format attacks, malformed keys,
a JWK Set as the configured secret and the two-step key rotation across restarts, and the
per-backend key cache.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization as ser
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

REJECTED = "28000"
BAD_ARG = "22023"
NO_KEY = "No suitable key or wrong key type"
BAD_ALG = "Wrong or unsupported encoding algorithm"
INVALID_KEY = "Invalid JWT key"
CANNOT_SIGN = "The key cannot sign: a private key is needed"

# algorithm -> the key (by name in KEYS) that makes it
ALG_KEY = {
    "RS256": "RSA", "RS384": "RSA", "RS512": "RSA",
    "PS256": "RSA", "PS384": "RSA", "PS512": "RSA",
    "ES256": "P-256", "ES384": "P-384", "ES512": "P-521",
    "EdDSA": "Ed25519",
}
PRIVATE_FORMS = {
    "RSA": ["pkcs8", "pkcs1", "jwk", "jwks"],
    "EC": ["pkcs8", "sec1", "jwk", "jwks"],
    "OKP": ["pkcs8", "jwk", "jwks"],
}
PUBLIC_FORMS = {
    "RSA": ["spki", "pkcs1", "jwk", "jwks"],
    "EC": ["spki", "jwk", "jwks"],
    "OKP": ["spki", "jwk", "jwks"],
}
PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}


# ---------------------------------------------------------------- helpers

def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64u_json(obj) -> str:
    return b64u(json.dumps(obj, separators=(",", ":")).encode())


def claims(**extra) -> dict:
    now = int(time.time())
    c = {"role": "web_user", "sub": "alice", "email": "alice@example.org",
         "iat": now, "exp": now + 3600, "scope": ["read", "write"], "n": 42}
    c.update(extra)
    return c


def kty_of(name: str) -> str:
    return {"RSA": "RSA", "Ed25519": "OKP"}.get(name, "EC")


def to_jwk(key, kid=None) -> dict:
    if isinstance(key, (rsa.RSAPrivateKey, rsa.RSAPublicKey)):
        j = RSAAlgorithm.to_jwk(key, as_dict=True)
    elif isinstance(key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)):
        j = ECAlgorithm.to_jwk(key, as_dict=True)
    else:
        j = OKPAlgorithm.to_jwk(key, as_dict=True)
    if kid is not None:
        j["kid"] = kid
    return j


def private_form(key, form: str, kid=None) -> str:
    if form == "pkcs8":
        return key.private_bytes(ser.Encoding.PEM, ser.PrivateFormat.PKCS8,
                                 ser.NoEncryption()).decode()
    if form in ("pkcs1", "sec1"):  # "RSA PRIVATE KEY" / "EC PRIVATE KEY"
        return key.private_bytes(ser.Encoding.PEM, ser.PrivateFormat.TraditionalOpenSSL,
                                 ser.NoEncryption()).decode()
    if form == "jwk":
        return json.dumps(to_jwk(key, kid))
    if form == "jwks":
        return json.dumps({"keys": [to_jwk(key, kid)]})
    raise ValueError(form)


def public_form(key, form: str, kid=None) -> str:
    pub = key.public_key() if hasattr(key, "public_key") else key
    if form == "spki":
        return pub.public_bytes(ser.Encoding.PEM, ser.PublicFormat.SubjectPublicKeyInfo).decode()
    if form == "pkcs1":  # "RSA PUBLIC KEY"
        return pub.public_bytes(ser.Encoding.PEM, ser.PublicFormat.PKCS1).decode()
    if form == "jwk":
        return json.dumps(to_jwk(pub, kid))
    if form == "jwks":
        return json.dumps({"keys": [to_jwk(pub, kid)]})
    raise ValueError(form)


def sql_json(db, sql: str, **vars):
    """A query that returns one json/jsonb value, decoded."""
    out = db.one(sql, vars=vars)
    assert out != "", f"no value from {sql!r}"
    return json.loads(out)


def sign(db, claims_obj, key_text, alg) -> str:
    """jwt_sign(claims, key, alg); alg None passes SQL NULL (the key's own algorithm)."""
    if alg is None:
        return db.one("SELECT jwt_sign(:'c'::jsonb, :'k', NULL)",
                      vars={"c": json.dumps(claims_obj), "k": key_text})
    return db.one("SELECT jwt_sign(:'c'::jsonb, :'k', :'a')",
                  vars={"c": json.dumps(claims_obj), "k": key_text, "a": alg})


def verify(db, token, key_text, alg=None):
    if alg is None:
        return sql_json(db, "SELECT jwt_verify(:'t', :'k')", t=token, k=key_text)
    return sql_json(db, "SELECT jwt_verify(:'t', :'k', :'a')", t=token, k=key_text, a=alg)


def check(db, token, key_text=None) -> dict:
    if key_text is None:
        return sql_json(db, "SELECT to_json(c) FROM jwt_check(:'t') c", t=token)
    return sql_json(db, "SELECT to_json(c) FROM jwt_check(:'t', :'k') c", t=token, k=key_text)


def assert_rejected(db, token, key_text, message, reason, detail=None, alg=None):
    """jwt_verify raises 28000 with `message`, and jwt_check says `reason` without raising."""
    if alg is None:
        e = db.error("SELECT jwt_verify(:'t', :'k')", vars={"t": token, "k": key_text})
    else:
        e = db.error("SELECT jwt_verify(:'t', :'k', :'a')",
                     vars={"t": token, "k": key_text, "a": alg})
    assert (e.sqlstate, e.message) == (REJECTED, message), e
    if detail is not None:
        assert e.detail is not None and detail in e.detail, e
    r = check(db, token, key_text) if alg is None else sql_json(
        db, "SELECT to_json(c) FROM jwt_check(:'t', :'k', :'a') c", t=token, k=key_text, a=alg)
    assert r["valid"] is False and r["reason"] == reason, r
    return e


def assert_invalid_key(db, sql, detail, secret_parts=(), **vars):
    """22023 'Invalid JWT key' whose DETAIL says `detail` and echoes no key material."""
    e = db.error(sql, vars=vars)
    assert (e.sqlstate, e.message) == (BAD_ARG, INVALID_KEY), e
    assert e.detail is not None and detail in e.detail, e
    for s in secret_parts:
        assert s not in (e.detail or "") and s not in e.message, e
    return e


def hand_token(header: dict, payload: dict, sig: bytes) -> str:
    return f"{b64u_json(header)}.{b64u_json(payload)}.{b64u(sig)}"


def thumbprint(jwk: dict) -> str:
    """RFC 7638, computed independently of the extension."""
    req = {"RSA": ("e", "kty", "n"), "EC": ("crv", "kty", "x", "y"),
           "OKP": ("crv", "kty", "x")}[jwk["kty"]]
    body = json.dumps({m: jwk[m] for m in req}, separators=(",", ":"), sort_keys=True)
    return b64u(hashlib.sha256(body.encode()).digest())


# ---------------------------------------------------------------- keys

@pytest.fixture(scope="module")
def keys():
    return {
        "RSA": rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "P-256": ec.generate_private_key(ec.SECP256R1()),
        "P-384": ec.generate_private_key(ec.SECP384R1()),
        "P-521": ec.generate_private_key(ec.SECP521R1()),
        "Ed25519": ed25519.Ed25519PrivateKey.generate(),
    }


SIGN_CASES = [(alg, form) for alg, k in ALG_KEY.items() for form in PRIVATE_FORMS[kty_of(k)]]
VERIFY_CASES = [(alg, form) for alg, k in ALG_KEY.items() for form in PUBLIC_FORMS[kty_of(k)]]


# ---------------------------------------------------------------- 1+2: forms x algorithms

@pytest.mark.parametrize("alg,form", SIGN_CASES, ids=[f"{a}-{f}" for a, f in SIGN_CASES])
def test_we_sign_pyjwt_verifies(pg, keys, alg, form):
    key = keys[ALG_KEY[alg]]
    kid = f"kid-{ALG_KEY[alg]}" if form.startswith("jwk") else None
    c = claims()
    token = sign(pg, c, private_form(key, form, kid), alg)
    header = jwt.get_unverified_header(token)
    expected = {"alg": alg, "typ": "JWT"}
    if kid:
        expected["kid"] = kid
    assert header == expected
    assert jwt.decode(token, key.public_key(), algorithms=[alg]) == c
    # and the same token checks with the public key in SQL (as a JWK with that kid when
    # the token carries one: test_pem_key_ignores_token_kid covers PEM + kid)
    assert verify(pg, token, public_form(key, "jwk", kid) if kid else public_form(key, "spki")) == c


@pytest.mark.parametrize("alg,form", VERIFY_CASES, ids=[f"{a}-{f}" for a, f in VERIFY_CASES])
def test_pyjwt_signs_we_verify(pg, keys, alg, form):
    key = keys[ALG_KEY[alg]]
    c = claims()
    headers = {"kid": "pyjwt-kid"} if form.startswith("jwk") else None
    token = jwt.encode(c, key, algorithm=alg, headers=headers)
    pub = public_form(key, form, kid="pyjwt-kid" if headers else None)
    assert verify(pg, token, pub) == c
    assert verify(pg, token, pub, alg=alg) == c
    r = check(pg, token, pub)
    assert r["valid"] is True and r["reason"] is None and r["claims"] == c
    assert r["header"]["alg"] == alg
    # one flipped bit in the signature: refused
    head, body, sig = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4)))
    raw[len(raw) // 2] ^= 0x01
    assert_rejected(pg, f"{head}.{body}.{b64u(bytes(raw))}", pub, NO_KEY, "bad_signature")


@pytest.mark.parametrize("alg", ["RS256", "ES256", "EdDSA"])
def test_claims_are_not_swappable(pg, keys, alg):
    """A payload taken from another token under a valid signature is refused."""
    key = keys[ALG_KEY[alg]]
    t1 = jwt.encode(claims(role="web_user"), key, algorithm=alg)
    t2 = jwt.encode(claims(role="admin"), key, algorithm=alg)
    h1, _, s1 = t1.split(".")
    forged = f"{h1}.{t2.split('.')[1]}.{s1}"
    assert_rejected(pg, forged, public_form(key, "spki"), NO_KEY, "bad_signature")


@pytest.mark.parametrize("kty,alg,crv", [("RSA", "RS256", None), ("EC", "ES256", "P-256"),
                                         ("OKP", "EdDSA", "Ed25519")])
def test_generated_keys_interoperate(pg, kty, alg, crv):
    jwk = sql_json(pg, "SELECT jwt_generate_key(:'kty')", kty=kty)
    assert jwk["kty"] == kty and jwk["alg"] == alg and jwk["use"] == "sig"
    if crv:
        assert jwk["crv"] == crv
    assert "d" in jwk
    if kty == "RSA":
        assert {"p", "q", "dp", "dq", "qi"} <= jwk.keys()
        assert len(base64.urlsafe_b64decode(jwk["n"] + "==")) * 8 == 2048
    # kid: the RFC 7638 thumbprint, computed here independently
    assert jwk["kid"] == thumbprint(jwk)

    priv = jwt.PyJWK(jwk)  # PyJWT loads our private JWK
    jwks = sql_json(pg, "SELECT jwt_public_jwks(:'k')", k=json.dumps(jwk))
    assert len(jwks["keys"]) == 1
    pubjwk = jwks["keys"][0]
    assert not (PRIVATE_MEMBERS & pubjwk.keys()), pubjwk
    assert pubjwk["kid"] == jwk["kid"] and pubjwk["kty"] == kty
    assert {k: v for k, v in jwk.items() if k not in PRIVATE_MEMBERS} == pubjwk
    keyset = jwt.PyJWKSet.from_dict(jwks)

    c = claims()
    # we sign with the key's own algorithm (NULL) and with it named
    for a in (None, alg):
        token = sign(pg, c, json.dumps(jwk), a)
        assert jwt.get_unverified_header(token) == {"alg": alg, "typ": "JWT", "kid": jwk["kid"]}
        assert jwt.decode(token, keyset[jwk["kid"]].key, algorithms=[alg]) == c
    # PyJWT signs with our private key, we verify with our public JWKS
    token = jwt.encode(c, priv.key, algorithm=alg, headers={"kid": jwk["kid"]})
    assert verify(pg, token, json.dumps(jwks)) == c
    assert verify(pg, token, json.dumps(pubjwk)) == c


def test_generate_key_kid_and_uniqueness(pg):
    r = sql_json(pg, "SELECT json_build_array(jwt_generate_key('ec', 'my-key'), "
                     "jwt_generate_key('EC'), jwt_generate_key('EC'))")
    assert r[0]["kid"] == "my-key"
    assert r[1]["d"] != r[2]["d"] and r[1]["kid"] != r[2]["kid"]
    e = pg.error("SELECT jwt_generate_key('DSA')")
    assert e.sqlstate == BAD_ARG


@pytest.mark.parametrize("name", ["RSA", "P-256", "P-384", "P-521", "Ed25519"])
def test_public_jwks_of_pem_matches_cryptography(pg, keys, name):
    key = keys[name]
    expected = {m: v for m, v in to_jwk(key.public_key()).items() if m != "key_ops"}
    for form in PRIVATE_FORMS[kty_of(name)][:-2]:
        jwks = sql_json(pg, "SELECT jwt_public_jwks(:'k')", k=private_form(key, form))
        (got,) = jwks["keys"]
        assert not (PRIVATE_MEMBERS & got.keys()), got
        assert {k: got[k] for k in expected} == expected, (form, got)


# ---------------------------------------------------------------- 3: kid handling

@pytest.fixture(scope="module")
def two_keys():
    a = ec.generate_private_key(ec.SECP256R1())
    b = ec.generate_private_key(ec.SECP256R1())
    public_set = json.dumps({"keys": [to_jwk(a.public_key(), "key-a"),
                                      to_jwk(b.public_key(), "key-b")]})
    private_set = json.dumps({"keys": [to_jwk(a, "key-a"), to_jwk(b, "key-b")]})
    return a, b, public_set, private_set


def test_jwk_kid_goes_into_header(pg, keys):
    token = sign(pg, claims(), private_form(keys["RSA"], "jwk", "rsa-2024"), "PS384")
    assert jwt.get_unverified_header(token) == {"alg": "PS384", "typ": "JWT", "kid": "rsa-2024"}
    # a PEM has no kid: none in the header
    token = sign(pg, claims(), private_form(keys["RSA"], "pkcs8"), "RS256")
    assert "kid" not in jwt.get_unverified_header(token)


def test_jwks_signing_uses_first_key_and_its_kid(pg, two_keys):
    a, _, public_set, private_set = two_keys
    c = claims()
    token = sign(pg, c, private_set, None)
    assert jwt.get_unverified_header(token) == {"alg": "ES256", "typ": "JWT", "kid": "key-a"}
    assert jwt.decode(token, a.public_key(), algorithms=["ES256"]) == c
    assert verify(pg, token, public_set) == c


def test_jwks_kid_selects_the_key(pg, two_keys):
    a, b, public_set, _ = two_keys
    c = claims()
    good = jwt.encode(c, b, algorithm="ES256", headers={"kid": "key-b"})
    assert verify(pg, good, public_set) == c
    # signed by B but naming A: checked against A only, refused
    lying = jwt.encode(c, b, algorithm="ES256", headers={"kid": "key-a"})
    assert_rejected(pg, lying, public_set, NO_KEY, "bad_signature")
    # a kid no key has
    unknown = jwt.encode(c, b, algorithm="ES256", headers={"kid": "key-c"})
    assert_rejected(pg, unknown, public_set, NO_KEY, "no_suitable_key",
                    detail='no key has "kid" "key-c"')


def test_jwks_without_kid_tries_every_key(pg, two_keys):
    a, b, public_set, _ = two_keys
    c = claims()
    for k in (a, b):
        token = jwt.encode(c, k, algorithm="ES256")
        assert "kid" not in jwt.get_unverified_header(token)
        assert verify(pg, token, public_set) == c
    other = ec.generate_private_key(ec.SECP256R1())
    assert_rejected(pg, jwt.encode(c, other, algorithm="ES256"), public_set, NO_KEY,
                    "bad_signature")


def test_pem_key_ignores_token_kid(pg, keys):
    """A caller who passes one PEM key chose the key (as with a plain secret): a `kid`
    in the token (tokens from identity providers carry one) does not make it unusable."""
    c = claims()
    token = jwt.encode(c, keys["RSA"], algorithm="RS256", headers={"kid": "idp-key-1"})
    assert verify(pg, token, public_form(keys["RSA"], "spki")) == c


# ---------------------------------------------------------------- 4: attacks

def test_hs256_with_public_key_pem_as_secret_is_refused(pg, keys):
    """Algorithm confusion: the public key's PEM text used as an HMAC secret."""
    c = claims(role="admin")
    for name in ("RSA", "P-256", "Ed25519"):
        for form in (["spki", "pkcs1"] if name == "RSA" else ["spki"]):
            pem = public_form(keys[name], form)
            for secret in (pem, pem.strip()):
                header = {"alg": "HS256", "typ": "JWT"}
                signing_input = f"{b64u_json(header)}.{b64u_json(c)}"
                sig = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
                token = f"{signing_input}.{b64u(sig)}"
                assert_rejected(pg, token, pem, NO_KEY, "no_suitable_key")
                assert_rejected(pg, token, pem, NO_KEY, "no_suitable_key", alg="HS256")
    # the same with the public JWK text as the HMAC secret
    jwk = public_form(keys["RSA"], "jwk")
    header = {"alg": "HS256", "typ": "JWT"}
    signing_input = f"{b64u_json(header)}.{b64u_json(c)}"
    sig = hmac.new(jwk.encode(), signing_input.encode(), hashlib.sha256).digest()
    assert_rejected(pg, f"{signing_input}.{b64u(sig)}", jwk, NO_KEY, "no_suitable_key")


@pytest.mark.parametrize("none", ["none", "None", "NONE"])
def test_alg_none_is_refused(pg, keys, none):
    c = claims(role="admin")
    for sig in (b"", b"x"):
        token = hand_token({"alg": none, "typ": "JWT"}, c, sig)
        assert_rejected(pg, token, public_form(keys["RSA"], "spki"), BAD_ALG,
                        "unsupported_algorithm")


def test_es256_token_against_rsa_key(pg, keys):
    token = jwt.encode(claims(), keys["P-256"], algorithm="ES256")
    for form in ("spki", "pkcs1", "jwk", "jwks"):
        assert_rejected(pg, token, public_form(keys["RSA"], form), NO_KEY, "no_suitable_key")


def test_rsa_token_against_ec_and_ed_keys(pg, keys):
    token = jwt.encode(claims(), keys["RSA"], algorithm="RS256")
    for name in ("P-256", "Ed25519"):
        assert_rejected(pg, token, public_form(keys[name], "spki"), NO_KEY, "no_suitable_key")


def test_jwk_alg_must_match_header(pg, keys):
    """A JWK restricted to RS256 does not verify a PS256 token of the same RSA key."""
    key = keys["RSA"]
    jwk = to_jwk(key.public_key(), "rsa-rs256")
    jwk["alg"] = "RS256"
    c = claims()
    ps = jwt.encode(c, key, algorithm="PS256", headers={"kid": "rsa-rs256"})
    rs = jwt.encode(c, key, algorithm="RS256", headers={"kid": "rsa-rs256"})
    for text in (json.dumps(jwk), json.dumps({"keys": [jwk]})):
        assert verify(pg, rs, text) == c
        assert_rejected(pg, ps, text, NO_KEY, "no_suitable_key")
    # and signing with it under another algorithm is refused
    priv = to_jwk(key, "rsa-rs256")
    priv["alg"] = "RS256"
    e = pg.error("SELECT jwt_sign('{}'::jsonb, :'k', 'PS256')", vars={"k": json.dumps(priv)})
    assert e.sqlstate == BAD_ARG and e.message == "The algorithm does not fit the key", e


def test_es256_signature_against_p384_key(pg, keys):
    c = claims()
    token = jwt.encode(c, keys["P-256"], algorithm="ES256")
    for form in ("spki", "jwk"):
        assert_rejected(pg, token, public_form(keys["P-384"], form), NO_KEY, "no_suitable_key")
    # relabelled as ES384: the P-256 signature does not verify under the P-384 key
    h, p, s = token.split(".")
    relabelled = f"{b64u_json({'alg': 'ES384', 'typ': 'JWT'})}.{p}.{s}"
    assert_rejected(pg, relabelled, public_form(keys["P-384"], "spki"), NO_KEY, "bad_signature")


def test_ecdsa_der_signature_is_refused(pg, keys):
    """JWS ECDSA signatures are raw r||s; a DER-encoded one must not verify."""
    key = keys["P-256"]
    c = claims()
    signing_input = f"{b64u_json({'alg': 'ES256', 'typ': 'JWT'})}.{b64u_json(c)}"
    der = key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    pem = public_form(key, "spki")
    # control: the same signature as r||s verifies
    assert verify(pg, f"{signing_input}.{b64u(raw)}", pem) == c
    assert_rejected(pg, f"{signing_input}.{b64u(der)}", pem, NO_KEY, "bad_signature")
    # r||s with a byte too many or too few
    for wrong in (raw + b"\x00", raw[:-1]):
        assert_rejected(pg, f"{signing_input}.{b64u(wrong)}", pem, NO_KEY, "bad_signature")


def test_algorithm_argument_pins(pg, keys):
    token = jwt.encode(claims(), keys["RSA"], algorithm="PS256")
    assert_rejected(pg, token, public_form(keys["RSA"], "spki"), BAD_ALG,
                    "unsupported_algorithm", alg="RS256")


# ---------------------------------------------------------------- 5: malformed keys

@pytest.fixture(scope="module")
def token_rs256(keys):
    return jwt.encode(claims(), keys["RSA"], algorithm="RS256")


def test_truncated_pem(pg, keys, token_rs256):
    pem = private_form(keys["RSA"], "pkcs8")
    body_line = pem.splitlines()[5]
    cut = pem[: len(pem) // 2]
    assert_invalid_key(pg, "SELECT jwt_sign('{}'::jsonb, :'k', 'RS256')",
                       "no END line", secret_parts=[body_line], k=cut)
    pub = public_form(keys["RSA"], "spki")
    assert_invalid_key(pg, "SELECT jwt_verify(:'t', :'k')", "no END line",
                       t=token_rs256, k=pub[: len(pub) // 2])
    # body cut short, END line kept: the DER inside is incomplete
    lines = pem.splitlines()
    short = "\n".join(lines[:4] + lines[-1:]) + "\n"
    e = assert_invalid_key(pg, "SELECT jwt_sign('{}'::jsonb, :'k', 'RS256')", "",
                           secret_parts=[lines[1], lines[2]], k=short)
    assert e.detail


def test_garbage_base64_pem(pg, token_rs256):
    bad = "-----BEGIN PUBLIC KEY-----\n@@@not*base64!!!\n-----END PUBLIC KEY-----\n"
    assert_invalid_key(pg, "SELECT jwt_verify(:'t', :'k')", "not valid base64",
                       t=token_rs256, k=bad)
    junk = base64.b64encode(b"this is not a DER public key at all").decode()
    bad = f"-----BEGIN PUBLIC KEY-----\n{junk}\n-----END PUBLIC KEY-----\n"
    assert_invalid_key(pg, "SELECT jwt_verify(:'t', :'k')", "PUBLIC KEY",
                       t=token_rs256, k=bad)


def test_certificate_pem_is_not_a_key(pg, keys, token_rs256):
    key = keys["RSA"]
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pgrst-jwt-test")])
    import datetime
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    pem = cert.public_bytes(ser.Encoding.PEM).decode()
    assert_invalid_key(pg, "SELECT jwt_verify(:'t', :'k')",
                       'PEM block type "CERTIFICATE" is not a key', t=token_rs256, k=pem)


@pytest.mark.parametrize("case", ["rsa-no-e", "rsa-private-no-p", "ec-no-crv", "ec-no-y",
                                  "okp-no-x", "no-kty", "jwks-bad-member", "jwks-no-array"])
def test_jwk_missing_members(pg, keys, token_rs256, case):
    rsa_pub = to_jwk(keys["RSA"].public_key())
    rsa_priv = to_jwk(keys["RSA"])
    ec_pub = to_jwk(keys["P-256"].public_key())
    ed_pub = to_jwk(keys["Ed25519"].public_key())
    drop = lambda d, k: {m: v for m, v in d.items() if m != k}  # noqa: E731
    jwk, detail, secrets = {
        "rsa-no-e": (drop(rsa_pub, "e"), 'RSA JWK lacks "e"', [rsa_pub["n"][:40]]),
        "rsa-private-no-p": (drop(rsa_priv, "p"), 'lacks "p"', [rsa_priv["d"][:40]]),
        "ec-no-crv": (drop(ec_pub, "crv"), 'EC JWK lacks "crv"', []),
        "ec-no-y": (drop(ec_pub, "y"), 'EC JWK lacks "y"', []),
        "okp-no-x": (drop(ed_pub, "x"), 'OKP JWK lacks "x"', []),
        "no-kty": (drop(rsa_pub, "kty"), 'JWK lacks "kty"', []),
        "jwks-bad-member": ({"keys": [rsa_pub, drop(ec_pub, "x")]}, "keys[1]", []),
        "jwks-no-array": ({"keys": rsa_pub}, '"keys" array', []),
    }[case]
    fn = ("SELECT jwt_sign('{}'::jsonb, :'k', 'RS256')" if case == "rsa-private-no-p"
          else "SELECT jwt_verify(:'t', :'k')")
    assert_invalid_key(pg, fn, detail, secret_parts=secrets, t=token_rs256, k=json.dumps(jwk))


@pytest.mark.parametrize("name,form,alg", [
    ("RSA", "spki", "RS256"), ("RSA", "pkcs1", "PS256"), ("RSA", "jwk", "RS256"),
    ("RSA", "jwks", "RS512"), ("P-256", "spki", "ES256"), ("P-384", "jwk", "ES384"),
    ("Ed25519", "spki", "EdDSA"), ("Ed25519", "jwk", None),
])
def test_public_key_cannot_sign(pg, keys, name, form, alg):
    e = pg.error("SELECT jwt_sign('{\"role\":\"x\"}'::jsonb, :'k', :'a')" if alg else
                 "SELECT jwt_sign('{\"role\":\"x\"}'::jsonb, :'k', NULL)",
                 vars={"k": public_form(keys[name], form), **({"a": alg} if alg else {})})
    assert (e.sqlstate, e.message) == (BAD_ARG, CANNOT_SIGN), e


def test_rsa_1024_refused(pg, token_rs256):
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    detail = "RSA keys shorter than 2048 bits are refused (this key has 1024 bits)"
    for form in ("pkcs8", "pkcs1", "jwk"):
        assert_invalid_key(pg, "SELECT jwt_sign('{}'::jsonb, :'k', 'RS256')", detail,
                           k=private_form(small, form))
    for form in ("spki", "pkcs1", "jwk"):
        assert_invalid_key(pg, "SELECT jwt_verify(:'t', :'k')", detail,
                           t=token_rs256, k=public_form(small, form))


# ---------------------------------------------------------------- 6: configured JWKS

def test_configured_secret_as_jwks(fresh_cluster):
    issuer = ec.generate_private_key(ec.SECP256R1())   # an outside issuer: public part only
    signer = ec.generate_private_key(ec.SECP256R1())
    backup = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    env_jwks = {"keys": [to_jwk(issuer.public_key(), "issuer-pub"), to_jwk(signer, "ec-1"),
                         to_jwk(backup, "rsa-1")]}
    c = fresh_cluster(env={"JWT_SECRET": json.dumps(env_jwks)})
    c.psql("CREATE EXTENSION pgrst_jwt")
    fp = c.one("SELECT set_pgrst_secret_from_env()")
    assert fp.startswith("sha256:") and "ec-1" not in fp
    status = json.loads(c.one("SELECT to_json(s) FROM jwt_secret_status() s"))
    assert status["configured"] is True and status["fingerprint"] == fp

    cl = claims()
    # signs with the first key that can sign: ec-1 (issuer-pub is public only)
    token = c.one("SELECT jwt_sign(:'c'::jsonb)", vars={"c": json.dumps(cl)})
    assert jwt.get_unverified_header(token) == {"alg": "ES256", "typ": "JWT", "kid": "ec-1"}
    assert json.loads(c.one("SELECT jwt_verify(:'t')", vars={"t": token})) == cl
    r = json.loads(c.one("SELECT to_json(x) FROM jwt_check(:'t') x", vars={"t": token}))
    assert r["valid"] is True and r["claims"] == cl

    pub = json.loads(c.one("SELECT jwt_public_jwks()"))
    assert [k["kid"] for k in pub["keys"]] == ["issuer-pub", "ec-1", "rsa-1"]
    for k in pub["keys"]:
        assert not (PRIVATE_MEMBERS & k.keys()), k
    assert {m: pub["keys"][2][m] for m in ("n", "e")} == \
        {m: env_jwks["keys"][2][m] for m in ("n", "e")}
    keyset = jwt.PyJWKSet.from_dict(pub)
    assert jwt.decode(token, keyset["ec-1"].key, algorithms=["ES256"]) == cl

    # tokens of the outside issuer and of the backup key verify too
    for key, kid, alg in ((issuer, "issuer-pub", "ES256"), (backup, "rsa-1", "RS256")):
        t = jwt.encode(cl, key, algorithm=alg, headers={"kid": kid})
        assert json.loads(c.one("SELECT jwt_verify(:'t')", vars={"t": t})) == cl
    # a token from another key, or naming a kid the set lacks, is refused
    stranger = ec.generate_private_key(ec.SECP256R1())
    for headers, reason in (({"kid": "ec-1"}, "bad_signature"), ({"kid": "nope"}, "no_suitable_key")):
        t = jwt.encode(cl, stranger, algorithm="ES256", headers=headers)
        r = c.psql("SELECT jwt_verify(:'t')", vars={"t": t}, check=False, verbose_errors=True)
        e = r.error()
        assert e is not None and (e.sqlstate, e.message) == (REJECTED, NO_KEY), r.stderr
        r = json.loads(c.one("SELECT to_json(x) FROM jwt_check(:'t') x", vars={"t": t}))
        assert r["valid"] is False and r["reason"] == reason
    # the private members never reach the server log
    assert signer_d_absent(c, env_jwks)


def signer_d_absent(c, env_jwks) -> bool:
    log = c.log_text()
    return all(k.get("d", "@@")[:20] not in log for k in env_jwks["keys"])


# ---------------------------------------------------------------- 7: rotation

def test_rotation_without_downtime(fresh_cluster):
    old = ec.generate_private_key(ec.SECP256R1())
    new = ec.generate_private_key(ec.SECP256R1())
    jwks = lambda *ks: json.dumps({"keys": [to_jwk(k, kid) for k, kid in ks]})  # noqa: E731
    cl = claims()

    def one(cluster, sql, **vars):
        return cluster.one(sql, vars=vars)

    def verify_conf(c, token):
        return json.loads(one(c, "SELECT jwt_verify(:'t')", t=token))

    # step 0: only the old key
    c = fresh_cluster(env={"JWT_SECRET": jwks((old, "2024-old"))})
    c.psql("CREATE EXTENSION pgrst_jwt")
    fp0 = one(c, "SELECT set_pgrst_secret_from_env()")
    token_a = one(c, "SELECT jwt_sign(:'c'::jsonb)", c=json.dumps(cl))
    assert jwt.get_unverified_header(token_a)["kid"] == "2024-old"
    assert verify_conf(c, token_a) == cl

    # step 1: redeploy with [new, old]; until set again, the stored (old) secret serves
    c.restart(env={"JWT_SECRET": jwks((new, "2025-new"), (old, "2024-old"))})
    assert one(c, "SELECT fingerprint FROM jwt_secret_status()") == fp0
    assert verify_conf(c, token_a) == cl
    fp1 = one(c, "SELECT set_pgrst_secret_from_env()")
    assert fp1 != fp0
    assert verify_conf(c, token_a) == cl           # old tokens still accepted
    token_b = one(c, "SELECT jwt_sign(:'c'::jsonb)", c=json.dumps(cl))
    assert jwt.get_unverified_header(token_b)["kid"] == "2025-new"
    assert verify_conf(c, token_b) == cl
    pub = json.loads(one(c, "SELECT jwt_public_jwks()"))
    assert [k["kid"] for k in pub["keys"]] == ["2025-new", "2024-old"]
    assert jwt.decode(token_b, jwt.PyJWKSet.from_dict(pub)["2025-new"].key,
                      algorithms=["ES256"]) == cl

    # step 2: redeploy with [new] only
    c.restart(env={"JWT_SECRET": jwks((new, "2025-new"))})
    fp2 = one(c, "SELECT set_pgrst_secret_from_env()")
    assert fp2 not in (fp0, fp1)
    r = c.psql("SELECT jwt_verify(:'t')", vars={"t": token_a}, check=False, verbose_errors=True)
    e = r.error()
    assert e is not None and (e.sqlstate, e.message) == (REJECTED, NO_KEY), r.stderr
    assert e.detail and '"2024-old"' in e.detail
    r = json.loads(one(c, "SELECT to_json(x) FROM jwt_check(:'t') x", t=token_a))
    assert r["valid"] is False and r["reason"] == "no_suitable_key"
    assert verify_conf(c, token_b) == cl
    assert [k["kid"] for k in json.loads(one(c, "SELECT jwt_public_jwks()"))["keys"]] == \
        ["2025-new"]


# ---------------------------------------------------------------- 8: key cache

def test_key_cache_same_pem_many_times(pg, keys):
    key = keys["RSA"]
    pem = public_form(key, "spki")
    cl = claims()
    token = jwt.encode(cl, key, algorithm="RS256")
    sql = ("CREATE TEMP TABLE toks AS SELECT g, :'t'::text AS t FROM generate_series(1, :n) g;\n"
           "SELECT count(*) FILTER (WHERE jwt_verify(t, :'k') = :'c'::jsonb) FROM toks;")
    t0 = time.monotonic()
    assert pg.one(sql, vars={"t": token, "k": pem, "c": json.dumps(cl), "n": "1"}) == "1"
    t1 = time.monotonic()
    assert pg.one(sql, vars={"t": token, "k": pem, "c": json.dumps(cl), "n": "2000"}) == "2000"
    t2 = time.monotonic()
    print(f"\n1 verification (with session start): {1000 * (t1 - t0):.1f} ms; "
          f"2000 verifications: {1000 * (t2 - t1):.1f} ms")


def test_key_cache_many_keys_interleaved(pg):
    """More distinct keys than the per-backend cache holds, in rounds: every token still
    checks against its own key only (no stale or mixed-up cache entry)."""
    ks = [ec.generate_private_key(ec.SECP256R1()) for _ in range(40)]
    rows = []
    for i, k in enumerate(ks):
        rows.append((i, jwt.encode(claims(i=i), k, algorithm="ES256"), public_form(k, "spki")))
    values = ",".join(f"({i}, '{t}', $pem${p}$pem$)" for i, t, p in rows)
    sql = (f"CREATE TEMP TABLE kt(i int, t text, k text);\nINSERT INTO kt VALUES {values};\n"
           "SELECT json_build_array("
           " (SELECT count(*) FROM generate_series(1,3) r, kt WHERE (jwt_verify(t, k)->>'i')::int = i),"
           " (SELECT count(*) FROM generate_series(1,3) r, kt a JOIN kt b ON b.i = (a.i + 1) % 40"
           "   , jwt_check(a.t, b.k) c WHERE NOT c.valid AND c.reason = 'bad_signature'));")
    assert json.loads(pg.one(sql)) == [120, 120]

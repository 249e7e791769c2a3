#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into fuzz/seeds/<target>/ (committed).
Needs PyJWT and cryptography (pip install pyjwt cryptography). Run: python3 fuzz/make-seeds.py"""

import base64
import json
import os
import shutil

import warnings

import jwt

warnings.filterwarnings("ignore", category=jwt.warnings.InsecureKeyLengthWarning) if hasattr(
    jwt, "warnings") else None

HERE = os.path.dirname(os.path.abspath(__file__))
KEYS = os.path.join(HERE, "..", "core", "testdata")
HMAC = "fuzzing-secret-0123456789abcdef-0123456789"
NOW = 1_700_000_000


def key(name):
    with open(os.path.join(KEYS, name)) as f:
        return f.read()


def write(target, name, data):
    d = os.path.join(HERE, "seeds", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def main():
    shutil.rmtree(os.path.join(HERE, "seeds"), ignore_errors=True)
    claims = {"role": "web_user", "sub": "42", "exp": NOW + 3600, "iat": NOW - 10,
              "aud": ["api", "x"], "nested": {"a": [1, 2.5, True, None, "é\u00e9\u2603"]}}
    # ---- verify_token: valid tokens for each key, and broken ones
    signers = [("HS256", HMAC, {}), ("HS384", HMAC, {}), ("HS512", HMAC, {}),
               ("HS256", b"fuzzing-secret-a-0123456789abcdef", {"kid": "a"})]
    for alg in ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]:
        signers.append((alg, key("rsa2048.pem"), {}))
        signers.append((alg, key("rsa2048.pem"), {"kid": "rsa"}))
    signers += [("ES256", key("p256.pem"), {}), ("ES256", key("p256.pem"), {"kid": "p256"}),
                ("EdDSA", key("ed25519.pem"), {}), ("EdDSA", key("ed25519.pem"), {"kid": "ed"})]
    for i, (alg, k, headers) in enumerate(signers):
        t = jwt.encode(claims, k, algorithm=alg, headers=headers or None)
        write("verify_token", f"{i:02}-{alg}{'-kid' if headers else ''}", t)
    t = jwt.encode({"role": "x", "exp": NOW - 100}, HMAC, algorithm="HS256")
    write("verify_token", "expired", t)
    write("verify_token", "alg-none", "eyJhbGciOiJub25lIn0.eyJyb2xlIjoiYWRtaW4ifQ.")
    write("verify_token", "two-parts", "a.b")
    write("verify_token", "crit", jwt.encode({}, HMAC, algorithm="HS256", headers={"crit": ["x"]}))
    # ---- compact_claims
    for i, c in enumerate([
        '{"role":"web_user","exp":1700000000.9}',
        '{ "a" : [ 1 , 2.50e3 , -0 , true , null ] , "b" : { "c" : "\\u00e9\\n" } }',
        '{"exp":1e3,"nbf":-5.5,"iat":12345678901234567890}',
        '{"a":1,"a":2}', '{"a":"\\ud83d\\ude00"}', '{"a":"\\u0000"}', '[1]', '"x"', '{}',
        '{"exp":"soon"}', '{"n":1e400}', '{"s":"\\ud800"}',
        '{"deep":' + "[" * 60 + "]" * 60 + "}",
    ]):
        write("compact_claims", f"{i:02}", c)
    # ---- key_text
    pems = ["rsa2048.pem", "rsa2048.pub.pem", "p256.pem", "p256.pub.pem", "p384.pub.pem",
            "p521.pem", "ed25519.pem", "ed25519.pub.pem"]
    for p in pems:
        write("key_text", p, key(p))
    write("key_text", "bom-pem", "\ufeff" + key("p256.pub.pem"))
    write("key_text", "comment-pem", "# my key\n" + key("ed25519.pub.pem"))
    write("key_text", "crlf-pem", key("rsa2048.pub.pem").replace("\n", "\r\n"))
    write("key_text", "json-string-pem", json.dumps(key("p256.pub.pem")))
    oct_jwk = {"kty": "oct", "k": base64.urlsafe_b64encode(HMAC.encode()).decode().rstrip("=")}
    def to_jwk(cls, pem):
        algo = cls(cls.SHA256) if cls is not jwt.algorithms.OKPAlgorithm else cls()
        return cls.to_jwk(algo.prepare_key(pem), as_dict=True)
    ec = to_jwk(jwt.algorithms.ECAlgorithm, key("p256.pem"))
    rsa = to_jwk(jwt.algorithms.RSAAlgorithm, key("rsa2048.pem"))
    ed = to_jwk(jwt.algorithms.OKPAlgorithm, key("ed25519.pem"))
    for name, j in [("oct", oct_jwk), ("ec", ec), ("rsa", rsa), ("ed", ed)]:
        write("key_text", f"jwk-{name}", json.dumps(j))
    write("key_text", "jwks", json.dumps({"keys": [dict(ec, kid="1"), dict(ed, kid="2", alg="EdDSA")]}))
    write("key_text", "jwks-trailing-comma", json.dumps({"keys": [ec]})[:-2] + ",]}")
    write("key_text", "jwk-array", json.dumps([ec]))
    write("key_text", "raw", HMAC)
    write("key_text", "base64", base64.b64encode(bytes(range(40))).decode())
    write("key_text", "jwk-bad-kty", '{"kty":"secret-looking-value-0123456789","k":"AA"}')
    # ---- role_path
    for i, p in enumerate(["$.role", ".role", '."https://x".role', ".roles[0]",
                           "$.realm_access.roles[?(@ == 'admin')]", '.roles[?(@ ^== "app_")]',
                           "$..role", "$['a b'][0].c", "$[?@.x > 1]"]):
        write("role_path", f"{i:02}", p + "\n" + json.dumps(
            {"role": "r", "roles": ["app_a", "admin"], "realm_access": {"roles": ["admin"]},
             "https://x": {"role": "y"}, "a b": [{"c": 1}], "x": 5}))
    # ---- differential: alg byte, mutation position, mutation byte, claims
    for i in range(14):
        write("differential", f"{i:02}", bytes([i, 40 + i, ord("A") + i]) + json.dumps(
            {"role": "web_user", "sub": str(i), "n": [1, 2.5, None], "s": "é"}).encode())


if __name__ == "__main__":
    main()

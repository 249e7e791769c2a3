#!/usr/bin/env python3
"""Makes the JWK forms of the test keys and the signatures the unit tests verify, with
Python implementations independent of ours: `cryptography` reads the PEM keys that
make-keys.sh made (OpenSSL) and gives their numbers, PyJWT's algorithm objects make the
JWS signatures (PKCS#1 v1.5, PSS with salt = hash length, ECDSA as fixed-width r||s,
Ed25519) over message.txt.

    cd core/testdata && ./make-keys.sh && ./make-fixtures.py

A file that exists is kept (PSS and ECDSA signatures are randomized: making them again
gives other bytes, equally valid): delete a file to make it again. Tested with
cryptography 48 and PyJWT 2.15. Public test material: never use these keys elsewhere.
"""

import base64
import json
import os

from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import (Encoding, NoEncryption, PrivateFormat,
                                                          PublicFormat, load_pem_private_key)
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm, RSAPSSAlgorithm

HERE = os.path.dirname(os.path.abspath(__file__))
# a signing input of a JWS: base64url of {"alg":"X"} . base64url of {"sub":"python"}
MESSAGE = b"eyJhbGciOiJYIn0.eyJzdWIiOiJweXRob24ifQ"


def write(name, text):
    path = os.path.join(HERE, name)
    if os.path.exists(path):
        return
    with open(path, "w") as f:
        f.write(text)
    print("made", name)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def uint(n, size=None):
    """Big-endian, without leading zero bytes (RFC 7518 6.3), or padded to `size` (6.2)."""
    size = size or max(1, (n.bit_length() + 7) // 8)
    return b64u(n.to_bytes(size, "big"))


def key(name):
    with open(os.path.join(HERE, name + ".pem"), "rb") as f:
        return load_pem_private_key(f.read(), password=None)


def jwks(private, public):
    """JWK texts: the private one, then the public one (its public members only)."""
    return json.dumps(private), json.dumps({m: private[m] for m in public})


def rsa_jwk(k):
    p = k.private_numbers()
    return jwks({"kty": "RSA", "n": uint(p.public_numbers.n), "e": uint(p.public_numbers.e),
                 "d": uint(p.d), "p": uint(p.p), "q": uint(p.q), "dp": uint(p.dmp1),
                 "dq": uint(p.dmq1), "qi": uint(p.iqmp)}, ["kty", "n", "e"])


def ec_jwk(k):
    size = (k.curve.key_size + 7) // 8
    p = k.private_numbers()
    crv = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}[k.curve.name]
    return jwks({"kty": "EC", "crv": crv, "x": uint(p.public_numbers.x, size),
                 "y": uint(p.public_numbers.y, size), "d": uint(p.private_value, size)},
                ["kty", "crv", "x", "y"])


def ed_jwk(k):
    d = k.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    x = k.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return jwks({"kty": "OKP", "crv": "Ed25519", "x": b64u(x), "d": b64u(d)},
                ["kty", "crv", "x"])


def main():
    write("message.txt", MESSAGE.decode())
    for name, make_jwk in [("rsa2048", rsa_jwk), ("rsa1024", rsa_jwk), ("p256", ec_jwk),
                           ("p384", ec_jwk), ("p521", ec_jwk), ("ed25519", ed_jwk)]:
        k = key(name)
        assert isinstance(k, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey,
                              ed25519.Ed25519PrivateKey)), name
        private, public = make_jwk(k)
        if name != "rsa1024":  # the short key is only needed public
            write(name + ".jwk.json", private)
        write(name + ".pub.jwk.json", public)
    signers = [(alg, "rsa2048", RSAAlgorithm(getattr(RSAAlgorithm, "SHA" + alg[2:])))
               for alg in ("RS256", "RS384", "RS512")]
    signers += [(alg, "rsa2048", RSAPSSAlgorithm(getattr(RSAPSSAlgorithm, "SHA" + alg[2:])))
                for alg in ("PS256", "PS384", "PS512")]
    signers += [("ES256", "p256", ECAlgorithm(ECAlgorithm.SHA256)),
                ("ES384", "p384", ECAlgorithm(ECAlgorithm.SHA384)),
                ("ES512", "p521", ECAlgorithm(ECAlgorithm.SHA512)),
                ("EdDSA", "ed25519", OKPAlgorithm())]
    for alg, name, algorithm in signers:
        sig = algorithm.sign(MESSAGE, key(name))
        # and PyJWT verifies what it made, with the public key
        assert algorithm.verify(MESSAGE, key(name).public_key(), sig), alg
        write(alg + ".sig", b64u(sig))


if __name__ == "__main__":
    main()

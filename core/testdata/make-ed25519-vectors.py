#!/usr/bin/env python3
"""Makes ed25519-small-r.sig: an Ed25519 signature whose R is the identity point (a
point of small order), by the key of RFC 8037 A.1 over the signing input of RFC 8037
A.4. With R = identity and S = k * a mod L (k = SHA-512(R || A || M) mod L, a the
secret scalar), [S]B = R + [k]A holds: a cofactorless check (RFC 8032 5.1.7 without
the strict rules) accepts it; a strict one refuses R of small order. The unit tests of
core/src/crypto/eddsa_tests.rs check that it is refused.

    cd core/testdata && ./make-ed25519-vectors.py

Pure Python (hashlib), no other dependency. Public test material.
"""

import base64
import hashlib
import os

L = 2**252 + 27742317777372353535851937790883648493
# RFC 8037 A.1 (the seed d and public key x) and A.4 (the signing input)
SEED = base64.urlsafe_b64decode("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=")
PUBLIC = base64.urlsafe_b64decode("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo=")
MESSAGE = b"eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc"
IDENTITY = (1).to_bytes(32, "little")


def main():
    h = hashlib.sha512(SEED).digest()
    a = int.from_bytes(h[:32], "little")
    a &= (1 << 254) - 8  # clamp: clear the low 3 bits and bit 255
    a |= 1 << 254
    k = int.from_bytes(hashlib.sha512(IDENTITY + PUBLIC + MESSAGE).digest(), "little") % L
    s = k * a % L
    sig = IDENTITY + s.to_bytes(32, "little")
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ed25519-small-r.sig")
    with open(path, "w") as f:
        f.write(base64.urlsafe_b64encode(sig).rstrip(b"=").decode())
    print("made ed25519-small-r.sig")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Makes an RSA private key whose primes differ wildly in size: p = 1000003 (20 bits),
q a prime of 2040 bits, n = p * q of 2060 bits. Its modulus passes a length check
(>= 2048 bits) but n is factored at once by trial division; the unit tests
(core/src/keys/rsa_tests.rs) check that it is refused in every form.

    cd core/testdata && ./make-rsa-unbalanced.py

Writes rsa-unbalanced.pem (PKCS#8), rsa-unbalanced.pkcs1.pem (PKCS#1) and
rsa-unbalanced.jwk.json; a file that exists is kept. q is found by a seeded search, so
the same key is made each time. Uses Python `cryptography` (tested with 48) to write
the PEM forms. Public test material: never use this key anywhere.
"""

import base64
import json
import os
import random

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import (Encoding, NoEncryption,
                                                          PrivateFormat)

HERE = os.path.dirname(os.path.abspath(__file__))
P = 1000003
E = 65537


def probably_prime(n, rng):
    """Miller-Rabin with 40 random bases."""
    if n < 4:
        return n in (2, 3)
    if n % 2 == 0:
        return False
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for _ in range(40):
        x = pow(rng.randrange(2, n - 1), d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def find_q(rng):
    while True:
        q = rng.getrandbits(2040) | (3 << 2038) | 1
        if (q - 1) % E != 0 and (P * q).bit_length() == 2060 and probably_prime(q, rng):
            return q


def b64u(n):
    return base64.urlsafe_b64encode(n.to_bytes((n.bit_length() + 7) // 8, "big")).rstrip(b"=").decode()


def write(name, text):
    path = os.path.join(HERE, name)
    if os.path.exists(path):
        return
    with open(path, "w") as f:
        f.write(text)
    print("made", name)


def main():
    q = find_q(random.Random(17))
    n = P * q
    d = pow(E, -1, (P - 1) * (q - 1))
    dp, dq, qi = d % (P - 1), d % (q - 1), pow(q, -1, P)
    numbers = rsa.RSAPrivateNumbers(P, q, d, dp, dq, qi, rsa.RSAPublicNumbers(E, n))
    key = numbers.private_key(unsafe_skip_rsa_key_validation=True)
    write("rsa-unbalanced.pem",
          key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode())
    write("rsa-unbalanced.pkcs1.pem",
          key.private_bytes(Encoding.PEM, PrivateFormat.TraditionalOpenSSL,
                            NoEncryption()).decode())
    jwk = {"kty": "RSA", "n": b64u(n), "e": b64u(E), "d": b64u(d), "p": b64u(P),
           "q": b64u(q), "dp": b64u(dp), "dq": b64u(dq), "qi": b64u(qi)}
    write("rsa-unbalanced.jwk.json", json.dumps(jwk))


if __name__ == "__main__":
    main()

#!/bin/sh
# Makes the fixed test keys of this directory (public test material: never use them
# anywhere else). Run from this directory; OpenSSL 3. Each private key is PKCS#8 PEM,
# each public key SPKI PEM.
set -eu
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa2048.pem
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out p256.pem
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out p384.pem
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521 -out p521.pem
openssl genpkey -algorithm ED25519 -out ed25519.pem
for k in rsa2048 p256 p384 p521 ed25519; do
    openssl pkey -in "$k.pem" -pubout -out "$k.pub.pem"
done
# large RSA public keys for the cancellation tests (test/python/test_cancellation.py)
for bits in 4096 8192; do
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:$bits 2>/dev/null | openssl pkey -pubout -out rsa$bits.pub.pem
done

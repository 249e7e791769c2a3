#!/bin/sh
# Makes the fixed test keys of this directory (public test material: never use them
# anywhere else), with OpenSSL 3. Run from this directory; a file that exists is kept,
# so the fuzz seeds, which hold tokens signed with these keys, stay valid: delete a file
# to make it again. Then run ./make-fixtures.py for the JWKs and signatures.
#
# Each private key is PKCS#8 PEM (<name>.pem), each public key SPKI PEM (<name>.pub.pem);
# the RSA key is also written as PKCS#1 (private and public), each EC key as SEC1.
set -eu
once() { [ -f "$1" ] || { shift; "$@"; }; }
once rsa2048.pem openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa2048.pem
once p256.pem openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out p256.pem
once p384.pem openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out p384.pem
once p521.pem openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521 -out p521.pem
once ed25519.pem openssl genpkey -algorithm ED25519 -out ed25519.pem
# too short: the tests check it is refused
once rsa1024.pem openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out rsa1024.pem
for k in rsa2048 rsa1024 p256 p384 p521 ed25519; do
    once "$k.pub.pem" openssl pkey -in "$k.pem" -pubout -out "$k.pub.pem"
done
# the other containers of the same keys
once rsa2048.pkcs1.pem openssl rsa -in rsa2048.pem -traditional -out rsa2048.pkcs1.pem
once rsa2048.pkcs1.pub.pem openssl rsa -in rsa2048.pem -RSAPublicKey_out -out rsa2048.pkcs1.pub.pem
for k in p256 p384 p521; do
    once "$k.sec1.pem" openssl ec -in "$k.pem" -out "$k.sec1.pem"
done
# large RSA public keys for the cancellation tests (pg_test/python/test_cancellation.py)
for bits in 4096 8192; do
    once "rsa$bits.pub.pem" sh -c "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:$bits 2>/dev/null | openssl pkey -pubout -out rsa$bits.pub.pem"
done

//! The test keys of `core/testdata/`, in every input form, and signatures over `MSG`
//! made by independent implementations: the keys by OpenSSL (`make-keys.sh`: PKCS#8,
//! SPKI, PKCS#1, SEC1), their JWK forms by Python `cryptography` and the signatures by
//! PyJWT (`make-fixtures.py`). Public test material, never used anywhere else.

macro_rules! testdata {
    ($file:literal) => {
        include_str!(concat!("../../testdata/", $file))
    };
}

pub const MSG: &[u8] = testdata!("message.txt").as_bytes();
pub const RSA_PKCS8: &str = testdata!("rsa2048.pem");
pub const RSA_PKCS1: &str = testdata!("rsa2048.pkcs1.pem");
pub const RSA_SPKI: &str = testdata!("rsa2048.pub.pem");
pub const RSA_PKCS1_PUB: &str = testdata!("rsa2048.pkcs1.pub.pem");
pub const RSA_JWK: &str = testdata!("rsa2048.jwk.json");
pub const RSA_JWK_PUB: &str = testdata!("rsa2048.pub.jwk.json");
pub const SIG_RS256: &str = testdata!("RS256.sig");
pub const SIG_RS384: &str = testdata!("RS384.sig");
pub const SIG_RS512: &str = testdata!("RS512.sig");
pub const SIG_PS256: &str = testdata!("PS256.sig");
pub const SIG_PS384: &str = testdata!("PS384.sig");
pub const SIG_PS512: &str = testdata!("PS512.sig");
pub const RSA1024_PKCS8: &str = testdata!("rsa1024.pem");
pub const RSA1024_SPKI: &str = testdata!("rsa1024.pub.pem");
pub const RSA1024_JWK_PUB: &str = testdata!("rsa1024.pub.jwk.json");
pub const P256_JWK_PUB: &str = testdata!("p256.pub.jwk.json");
pub const P256_JWK: &str = testdata!("p256.jwk.json");
pub const P256_PKCS8: &str = testdata!("p256.pem");
pub const P256_SEC1: &str = testdata!("p256.sec1.pem");
pub const P256_SPKI: &str = testdata!("p256.pub.pem");
pub const P384_JWK_PUB: &str = testdata!("p384.pub.jwk.json");
pub const P384_JWK: &str = testdata!("p384.jwk.json");
pub const P384_PKCS8: &str = testdata!("p384.pem");
pub const P384_SEC1: &str = testdata!("p384.sec1.pem");
pub const P384_SPKI: &str = testdata!("p384.pub.pem");
pub const P521_JWK_PUB: &str = testdata!("p521.pub.jwk.json");
pub const P521_JWK: &str = testdata!("p521.jwk.json");
pub const P521_PKCS8: &str = testdata!("p521.pem");
pub const P521_SEC1: &str = testdata!("p521.sec1.pem");
pub const P521_SPKI: &str = testdata!("p521.pub.pem");
pub const SIG_ES256: &str = testdata!("ES256.sig");
pub const SIG_ES384: &str = testdata!("ES384.sig");
pub const SIG_ES512: &str = testdata!("ES512.sig");
pub const ED_JWK_PUB: &str = testdata!("ed25519.pub.jwk.json");
pub const ED_JWK: &str = testdata!("ed25519.jwk.json");
pub const ED_PKCS8: &str = testdata!("ed25519.pem");
pub const ED_SPKI: &str = testdata!("ed25519.pub.pem");
pub const SIG_EDDSA: &str = testdata!("EdDSA.sig");
// an RSA key of 2060 bits whose primes have 20 and 2040 bits (make-rsa-unbalanced.py)
pub const RSA_UNBALANCED_PKCS8: &str = testdata!("rsa-unbalanced.pem");
pub const RSA_UNBALANCED_PKCS1: &str = testdata!("rsa-unbalanced.pkcs1.pem");
pub const RSA_UNBALANCED_JWK: &str = testdata!("rsa-unbalanced.jwk.json");

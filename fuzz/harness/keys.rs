//! Fixed test keys (`core/testdata/`, made by its `make-keys.sh`), parsed once.

use pgrst_jwt_core::{KeySet, SecretEncoding, SecretLength};
use std::sync::OnceLock;

pub const HMAC_SECRET: &str = "fuzzing-secret-0123456789abcdef-0123456789";
pub const RSA: &str = include_str!("../../core/testdata/rsa2048.pem");
pub const RSA_PUB: &str = include_str!("../../core/testdata/rsa2048.pub.pem");
pub const P256: &str = include_str!("../../core/testdata/p256.pem");
pub const P256_PUB: &str = include_str!("../../core/testdata/p256.pub.pem");
pub const P384: &str = include_str!("../../core/testdata/p384.pem");
pub const P384_PUB: &str = include_str!("../../core/testdata/p384.pub.pem");
pub const ED25519: &str = include_str!("../../core/testdata/ed25519.pem");
pub const ED25519_PUB: &str = include_str!("../../core/testdata/ed25519.pub.pem");

/// The clock of every verification in the harness.
pub const NOW: i64 = 1_700_000_000;

pub fn parse(text: &str) -> KeySet {
    KeySet::parse(text, SecretLength::Any, SecretEncoding::Plain).expect("a test key")
}

/// Verification key sets: an HMAC secret, a JWK Set of two oct keys with kids, each
/// public PEM, and a JWK Set of the public keys (kids "rsa", "p256", "ed").
pub fn verification_sets() -> &'static [KeySet] {
    static SETS: OnceLock<Vec<KeySet>> = OnceLock::new();
    SETS.get_or_init(|| {
        let mut public = Vec::new();
        for (kid, pem) in [("rsa", RSA_PUB), ("p256", P256_PUB), ("ed", ED25519_PUB)] {
            let ks = parse(pem);
            let mut jwk = ks.keys[0].public_jwk().unwrap();
            jwk.insert("kid".into(), kid.into());
            public.push(serde_json::Value::Object(jwk));
        }
        let jwks = serde_json::json!({ "keys": public }).to_string();
        vec![
            parse(HMAC_SECRET),
            parse(
                r#"{"keys":[{"kty":"oct","kid":"a","k":"ZnV6emluZy1zZWNyZXQtYS0wMTIzNDU2Nzg5YWJjZGVm"},
                           {"kty":"oct","kid":"b","k":"ZnV6emluZy1zZWNyZXQtYi0wMTIzNDU2Nzg5YWJjZGVm"}]}"#,
            ),
            parse(RSA_PUB),
            parse(P256_PUB),
            parse(ED25519_PUB),
            parse(&jwks),
        ]
    })
}

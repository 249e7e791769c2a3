//! RFC 7638 JWK thumbprints (the default `kid` of generated keys).

use crate::crypto::KeyMaterial;
use base64::Engine;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// RFC 7638 thumbprint: SHA-256 of the required public members in lexicographic
/// order, compact, base64url without padding.
pub fn thumbprint(key: &dyn KeyMaterial) -> String {
    let jwk = key.public_jwk().unwrap_or_default();
    let members: &[&str] = match key.family().kty() {
        "RSA" => &["e", "kty", "n"],
        "EC" => &["crv", "kty", "x", "y"],
        _ => &["crv", "kty", "x"],
    };
    let body: Vec<String> = members
        .iter()
        .map(|name| {
            let value = jwk.get(*name).cloned().unwrap_or(Value::Null);
            format!("\"{name}\":{value}")
        })
        .collect();
    let digest = Sha256::digest(format!("{{{}}}", body.join(",")).as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
}

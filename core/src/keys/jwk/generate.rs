//! New key pairs as private JWKs (`jwt_generate_key`).

use super::thumbprint::thumbprint;
use crate::alg::Curve;
use crate::crypto::ecdsa::EcKey;
use crate::crypto::eddsa::EdKey;
use crate::crypto::rsa::RsaKey;
use crate::crypto::{backend_failed, KeyMaterial};
use crate::error::{truncate, JwtError, Kind, Result};
use serde_json::{Map, Value};

/// A new private JWK: `RSA` (2048 bits, e=65537), `EC` (P-256) or `OKP` (Ed25519),
/// `kty` case-insensitive. It carries `kid` (the given one, else the RFC 7638
/// thumbprint), `alg` (RS256, ES256, EdDSA) and `"use":"sig"`.
pub fn generate(kty: &str, kid: Option<&str>) -> Result<Map<String, Value>> {
    // key generation itself cannot be interrupted (an RSA key takes up to a few
    // hundred milliseconds): honour a pending cancel before and after it
    crate::interrupt::check();
    let key: Box<dyn KeyMaterial> = match kty.trim().to_ascii_uppercase().as_str() {
        "RSA" => Box::new(RsaKey::generate()?),
        "EC" => Box::new(EcKey::generate(Curve::P256)?),
        "OKP" => Box::new(EdKey::generate()?),
        _ => {
            return Err(JwtError::with_detail(
                Kind::InvalidArgument("kty"),
                format!("\"{}\" is not one of RSA, EC, OKP", truncate(kty, 40)),
            ))
        }
    };
    crate::interrupt::check();
    let kid = match kid {
        Some("") => {
            return Err(JwtError::with_detail(
                Kind::InvalidArgument("kid"),
                "the kid must not be empty",
            ))
        }
        Some(k) => k.to_string(),
        None => thumbprint(&*key),
    };
    let mut jwk = key
        .private_jwk()
        .ok_or_else(|| backend_failed("the new key could not be exported"))?;
    jwk.insert("kid".into(), kid.into());
    jwk.insert("alg".into(), key.family().default_alg().name().into());
    jwk.insert("use".into(), "sig".into());
    Ok(jwk)
}

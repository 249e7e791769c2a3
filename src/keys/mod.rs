//! Keys: what a secret text means (JWK Set, JWK, PEM, or raw HMAC bytes), parsed once
//! into ready-to-use key objects, and a small per-backend cache of parsed key sets.

pub mod asym;
mod cache;
mod hmac_key;
pub mod jwk;
mod set;

pub use cache::KeyCache;
pub use hmac_key::HmacKey;
pub use set::{Key, KeySet, Material, Use, MIN_SECRET_BYTES};

use crate::error::{JwtError, Kind, Result};
use base64::Engine;

impl KeySet {
    /// Parse a secret or key text: a JWK Set (`{"keys":[...]}`), else a single JWK,
    /// else a PEM key, else raw HMAC bytes (PostgREST's order, plus PEM).
    /// `base64` decodes raw bytes first (PostgREST's `jwt-secret-is-base64`).
    pub fn parse(text: &str, usage: Use, base64: bool) -> Result<KeySet> {
        let trimmed = text.trim_start();
        if trimmed.starts_with('{') {
            if let Ok(serde_json::Value::Object(obj)) = serde_json::from_str(text) {
                let keys = if obj.contains_key("keys") {
                    jwk::parse_jwks(&obj)?
                } else {
                    vec![jwk::parse_jwk(&obj)?]
                };
                return Ok(KeySet { keys, plain: false });
            }
        }
        if trimmed.starts_with("-----BEGIN") {
            let key = asym::AsymKey::from_pem(text)?;
            return Ok(KeySet {
                keys: vec![Key {
                    kid: None,
                    alg: None,
                    material: Material::Asym(key),
                }],
                plain: false,
            });
        }
        let bytes = if base64 {
            decode_base64_secret(text)?
        } else {
            text.as_bytes().to_vec()
        };
        if bytes.is_empty() {
            return Err(JwtError::new(Kind::EmptySecret));
        }
        if usage == Use::Strict && bytes.len() < MIN_SECRET_BYTES {
            return Err(JwtError::with_detail(
                Kind::SecretTooShort,
                format!("the secret has {} bytes", bytes.len()),
            ));
        }
        Ok(KeySet {
            keys: vec![Key {
                kid: None,
                alg: None,
                material: Material::Hmac(HmacKey::new(&bytes)),
            }],
            plain: true,
        })
    }
}

/// PostgREST's reading of a base64 secret: trim, map URL-safe characters, strict decode.
pub fn decode_base64_secret(text: &str) -> Result<Vec<u8>> {
    let mapped: String = text
        .trim()
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    engine
        .decode(mapped.as_bytes())
        .map_err(|_| JwtError::new(Kind::SecretNotBase64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alg::Alg;

    #[test]
    fn raw_secrets_follow_postgrest_length_rule() {
        let short = "0123456789abcdef0123456789abcde"; // 31 bytes
        assert!(KeySet::parse(short, Use::Verify, false).is_ok());
        let e = KeySet::parse(short, Use::Strict, false).err().unwrap();
        assert_eq!(e.kind, Kind::SecretTooShort);
        assert!(!e.to_string().contains(short));
        let ok = KeySet::parse(&format!("{short}f"), Use::Strict, false).unwrap();
        assert!(ok.plain);
        assert_eq!(
            KeySet::parse("", Use::Verify, false).err().unwrap().kind,
            Kind::EmptySecret
        );
    }

    #[test]
    fn base64_secrets_are_counted_after_decoding() {
        // 32 bytes of 0xfb encode with '+' / '/' characters; URL-safe form must decode too
        let raw = [0xfbu8; 32];
        let std = base64::engine::general_purpose::STANDARD.encode(raw);
        let url = std.replace('+', "-").replace('/', "_");
        for s in [std.clone(), format!("  {url}\n")] {
            let ks = KeySet::parse(&s, Use::Strict, true).unwrap();
            assert!(ks.plain);
        }
        let short = base64::engine::general_purpose::STANDARD.encode([1u8; 31]);
        assert_eq!(
            KeySet::parse(&short, Use::Strict, true).err().unwrap().kind,
            Kind::SecretTooShort
        );
        assert_eq!(
            KeySet::parse("not*base64!", Use::Strict, true)
                .err()
                .unwrap()
                .kind,
            Kind::SecretNotBase64
        );
    }

    #[test]
    fn hmac_key_signs_only_hs_algorithms() {
        let ks = KeySet::parse("k", Use::Verify, false).unwrap();
        let (key, alg) = ks.signing_key(None).unwrap();
        assert_eq!(alg, Alg::HS256);
        assert!(key.fits(Alg::HS512));
        assert!(!key.fits(Alg::RS256));
        let e = ks.signing_key(Some(Alg::ES256)).err().unwrap();
        assert_eq!(e.kind, Kind::AlgorithmKeyMismatch);
    }
}

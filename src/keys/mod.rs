//! Keys: what a secret text means (JWK Set, JWK, PEM, or raw HMAC bytes), parsed once
//! into ready-to-use key objects, and a small per-backend cache of parsed key sets.

pub mod asym;
mod cache;
mod hmac_key;
pub mod jwk;

pub use cache::KeyCache;
pub use hmac_key::HmacKey;

use crate::alg::{Alg, Family};
use crate::error::{JwtError, Kind, Result};
use base64::Engine;

/// One key, with the optional `kid` and `alg` a JWK gives it.
pub struct Key {
    pub kid: Option<String>,
    /// When set (JWK `alg`), the only algorithm this key may be used with.
    pub alg: Option<Alg>,
    pub material: Material,
}

// Keys are parsed once and cached: the size difference of the variants does not matter.
#[allow(clippy::large_enum_variant)]
pub enum Material {
    Hmac(HmacKey),
    Asym(asym::AsymKey),
}

/// How raw (non-JSON, non-PEM) secret bytes are accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Use {
    /// verification with a caller-given secret: any non-empty secret
    Verify,
    /// signing, or PostgREST's configured secret: at least 32 bytes
    Strict,
}

/// The keys a secret text stands for.
pub struct KeySet {
    pub keys: Vec<Key>,
    /// The text was raw bytes (not JWK/JWKS/PEM): PostgREST pins such a key to HS256, no kid.
    pub plain: bool,
}

pub const MIN_SECRET_BYTES: usize = 32;

impl Key {
    pub fn family_fits(&self, alg: Alg) -> bool {
        match &self.material {
            Material::Hmac(_) => alg.family() == Family::Hmac,
            Material::Asym(k) => k.fits(alg),
        }
    }

    /// The key may be used with `alg`: right family, and the JWK's `alg` (if any) agrees.
    pub fn fits(&self, alg: Alg) -> bool {
        self.family_fits(alg) && self.alg.is_none_or(|a| a == alg)
    }

    pub fn can_sign(&self) -> bool {
        match &self.material {
            Material::Hmac(_) => true,
            Material::Asym(k) => k.can_sign(),
        }
    }

    pub fn sign(&self, alg: Alg, msg: &[u8]) -> Result<Vec<u8>> {
        if !self.fits(alg) {
            return Err(JwtError::with_detail(
                Kind::AlgorithmKeyMismatch,
                format!("{} cannot be used with {}", alg.name(), self.describe()),
            ));
        }
        match &self.material {
            Material::Hmac(k) => Ok(k.sign(alg, msg)),
            Material::Asym(k) => k.sign(alg, msg),
        }
    }

    /// Signature check; the caller has checked `fits(alg)`.
    pub fn verify(&self, alg: Alg, msg: &[u8], sig: &[u8]) -> bool {
        match &self.material {
            Material::Hmac(k) => k.verify(alg, msg, sig),
            Material::Asym(k) => k.verify(alg, msg, sig),
        }
    }

    /// A short description for error details: never key material.
    pub fn describe(&self) -> String {
        let kind = match &self.material {
            Material::Hmac(_) => "an HMAC secret".to_string(),
            Material::Asym(k) => k.describe(),
        };
        match (&self.alg, &self.kid) {
            (Some(a), _) => format!("{kind} restricted to {}", a.name()),
            _ => kind,
        }
    }
}

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

    /// The first key that can sign with `alg` (or, when `alg` is None, any algorithm
    /// that fits it), with the algorithm to use.
    pub fn signing_key(&self, alg: Option<Alg>) -> Result<(&Key, Alg)> {
        let mut saw_public = false;
        for key in &self.keys {
            let a = match alg.or(key.alg) {
                Some(a) => a,
                None => match &key.material {
                    Material::Hmac(_) => Alg::HS256,
                    Material::Asym(k) => k.default_alg(),
                },
            };
            if !key.fits(a) {
                continue;
            }
            if !key.can_sign() {
                saw_public = true;
                continue;
            }
            return Ok((key, a));
        }
        if saw_public {
            return Err(JwtError::new(Kind::KeyCannotSign));
        }
        let detail = match (alg, self.keys.first()) {
            (Some(a), Some(k)) if self.keys.len() == 1 => {
                format!("{} cannot be used with {}", a.name(), k.describe())
            }
            (Some(a), _) => format!("no key in the set fits {}", a.name()),
            (None, _) => "no key in the set can sign".to_string(),
        };
        Err(JwtError::with_detail(Kind::AlgorithmKeyMismatch, detail))
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

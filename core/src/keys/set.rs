//! The key types: one key (HMAC or asymmetric, with the `kid` and `alg` a JWK gives it)
//! and the set of keys a secret text stands for.

use super::asym::AsymKey;
use super::hmac_key::HmacKey;
use crate::alg::{Alg, Family};
use crate::error::{JwtError, Kind, Result};

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
    Asym(AsymKey),
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

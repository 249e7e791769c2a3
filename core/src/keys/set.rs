//! The key types: one key (of any family, with the `kid` and `alg` a JWK gives it) and
//! the set of keys a secret text stands for.

use crate::alg::{Alg, Family};
use crate::crypto::KeyMaterial;
use crate::error::{JwtError, Kind, Result};
use serde_json::{Map, Value};

/// One key, with the optional `kid` and `alg` a JWK gives it.
pub struct Key {
    pub kid: Option<String>,
    /// When set (JWK `alg`), the only algorithm this key may be used with.
    pub alg: Option<Alg>,
    material: Box<dyn KeyMaterial>,
}

/// The length an HMAC secret (a raw secret text, or the `k` of an `oct` JWK) must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecretLength {
    /// any non-empty secret: verification with a caller-given secret
    Any,
    /// at least [`MIN_SECRET_BYTES`] (32) bytes: signing, and PostgREST's configured secret
    Minimum,
}

impl SecretLength {
    /// PostgREST's 32-byte rule, for every form of HMAC secret (a secret text, an `oct`
    /// JWK alone or in a set): `what` names the secret in the detail.
    pub(crate) fn check(self, secret: &[u8], what: &str) -> Result<()> {
        if self == SecretLength::Minimum && secret.len() < MIN_SECRET_BYTES {
            return Err(JwtError::with_detail(
                Kind::SecretTooShort,
                format!("{what} has {} bytes", secret.len()),
            ));
        }
        Ok(())
    }
}

/// How a raw secret is written (PostgREST's `jwt-secret-is-base64`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecretEncoding {
    /// the text's bytes are the secret
    Plain,
    /// the text is base64 (either alphabet, padding optional) of the secret
    Base64,
}

impl SecretEncoding {
    /// `Base64` when `is_base64`, else `Plain`.
    pub fn base64_if(is_base64: bool) -> SecretEncoding {
        if is_base64 {
            SecretEncoding::Base64
        } else {
            SecretEncoding::Plain
        }
    }
}

/// The keys a secret text stands for.
pub struct KeySet {
    pub keys: Vec<Key>,
    /// The text was raw bytes (not JWK/JWKS/PEM): PostgREST pins such a key to HS256, no kid.
    pub plain: bool,
}

pub const MIN_SECRET_BYTES: usize = 32;

impl Key {
    /// A key without `kid` or `alg`.
    pub fn new(material: Box<dyn KeyMaterial>) -> Key {
        Key {
            kid: None,
            alg: None,
            material,
        }
    }

    pub fn family(&self) -> Family {
        self.material.family()
    }

    /// The key may be used with `alg`: its family serves `alg`, and the JWK's `alg` (if
    /// any) is `alg`.
    pub fn fits(&self, alg: Alg) -> bool {
        self.family().serves(alg) && self.alg.is_none_or(|a| a == alg)
    }

    pub fn can_sign(&self) -> bool {
        self.material.can_sign()
    }

    /// The algorithm the key signs with when none is named: its JWK `alg`, else its
    /// family's first (HS256, RS256, the curve's ES algorithm, EdDSA).
    pub fn default_alg(&self) -> Alg {
        self.alg.unwrap_or_else(|| self.family().default_alg())
    }

    pub fn sign(&self, alg: Alg, msg: &[u8]) -> Result<Vec<u8>> {
        if !self.fits(alg) {
            return Err(JwtError::with_detail(
                Kind::AlgorithmKeyMismatch,
                format!("{} cannot be used with {}", alg.name(), self.describe()),
            ));
        }
        if !self.can_sign() {
            return Err(JwtError::with_detail(
                Kind::KeyCannotSign,
                format!("{} was given", self.family().describe(false)),
            ));
        }
        self.material.sign(alg, msg)
    }

    /// True when `sig` is a valid signature of `msg` with `alg` and the key fits `alg`.
    pub fn verify(&self, alg: Alg, msg: &[u8], sig: &[u8]) -> bool {
        self.fits(alg) && self.material.verify(alg, msg, sig)
    }

    /// A short description for error details: never key material.
    pub fn describe(&self) -> String {
        let kind = self.family().describe(self.can_sign());
        match self.alg {
            Some(a) => format!("{kind} restricted to {}", a.name()),
            None => kind,
        }
    }

    /// The public JWK, with the key's `kid` and `alg` (if any) and `"use":"sig"`; None
    /// for HMAC keys, which have no public part.
    pub fn public_jwk(&self) -> Option<Map<String, Value>> {
        let mut m = self.material.public_jwk()?;
        if let Some(kid) = &self.kid {
            m.insert("kid".into(), kid.clone().into());
        }
        if let Some(alg) = self.alg {
            m.insert("alg".into(), alg.name().into());
        }
        m.insert("use".into(), "sig".into());
        Some(m)
    }

    #[cfg(test)]
    pub(crate) fn material(&self) -> &dyn KeyMaterial {
        &*self.material
    }
}

impl KeySet {
    /// The first key that can sign with `alg` (or, when `alg` is None, with the key's
    /// own algorithm), with the algorithm to use.
    pub fn signing_key(&self, alg: Option<Alg>) -> Result<(&Key, Alg)> {
        let mut saw_public = false;
        for key in &self.keys {
            let a = alg.unwrap_or_else(|| key.default_alg());
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

    /// The set holds public keys only (nothing that signs: no private key, no HMAC
    /// secret), so showing it to anyone gives nothing away.
    pub fn is_public_only(&self) -> bool {
        !self.plain && !self.keys.is_empty() && self.keys.iter().all(|k| !k.can_sign())
    }

    /// The public JWK Set (`{"keys":[...]}`) of the set's asymmetric keys; HMAC keys are
    /// left out (an HMAC secret gives an empty set).
    pub fn public_jwks(&self) -> Value {
        let public: Vec<Value> = self
            .keys
            .iter()
            .filter_map(Key::public_jwk)
            .map(Value::Object)
            .collect();
        serde_json::json!({ "keys": public })
    }
}

//! Asymmetric keys (RSA, EC, OKP/Ed25519), parsed once from PEM or JWK into ready
//! signing and verification objects (aws-lc-rs). No DER is re-parsed per operation.
//!
//! Each key is bound to its family: an RSA key only fits RS*/PS*, an EC key only the
//! ES algorithm of its curve, an Ed25519 key only EdDSA.

mod der;
pub mod ec;
mod encoding;
pub mod okp;
mod pem;
#[cfg(test)]
mod rfc_tests;
pub mod rsa;
#[cfg(test)]
pub(crate) mod testdata;
#[cfg(test)]
mod tests;

use crate::alg::{Alg, Family};
use crate::error::{JwtError, Kind, Result};
use serde_json::{Map, Value};

pub use ec::Curve;

pub struct AsymKey {
    inner: Inner,
}

enum Inner {
    Rsa(rsa::RsaKey),
    Ec(ec::EcKey),
    Ed(okp::EdKey),
}

impl From<rsa::RsaKey> for AsymKey {
    fn from(k: rsa::RsaKey) -> Self {
        AsymKey {
            inner: Inner::Rsa(k),
        }
    }
}

impl From<ec::EcKey> for AsymKey {
    fn from(k: ec::EcKey) -> Self {
        AsymKey {
            inner: Inner::Ec(k),
        }
    }
}

impl From<okp::EdKey> for AsymKey {
    fn from(k: okp::EdKey) -> Self {
        AsymKey {
            inner: Inner::Ed(k),
        }
    }
}

impl AsymKey {
    /// Private keys: PKCS#8 ("PRIVATE KEY"), PKCS#1 ("RSA PRIVATE KEY"), SEC1
    /// ("EC PRIVATE KEY"); public keys: SPKI ("PUBLIC KEY"), PKCS#1 ("RSA PUBLIC KEY").
    pub fn from_pem(text: &str) -> Result<AsymKey> {
        let block = pem::key_block(text)?;
        let der_bytes = block.der.as_slice();
        match block.label.as_str() {
            "PRIVATE KEY" => from_pkcs8(der_bytes),
            "RSA PRIVATE KEY" => Ok(rsa::RsaKey::from_pkcs1(der_bytes)?.into()),
            "EC PRIVATE KEY" => {
                let oid = der::sec1_curve(der_bytes).ok_or_else(|| {
                    JwtError::invalid_key(
                        "the EC PRIVATE KEY is malformed or does not name its curve",
                    )
                })?;
                Ok(ec::EcKey::from_sec1(curve(oid)?, der_bytes)?.into())
            }
            "PUBLIC KEY" => from_spki(der_bytes),
            _ => {
                let (n, e) = der::rsa_public(der_bytes).ok_or_else(|| {
                    JwtError::invalid_key("the RSA PUBLIC KEY is not a valid PKCS#1 public key")
                })?;
                Ok(rsa::RsaKey::from_public(n, e)?.into())
            }
        }
    }

    /// The key may be used with `alg` (family binding; private or public alike).
    pub fn fits(&self, alg: Alg) -> bool {
        match (&self.inner, alg.family()) {
            (Inner::Rsa(_), Family::Rsa) => true,
            (Inner::Ec(k), Family::Ec(_)) => k.curve().alg() == alg,
            (Inner::Ed(_), Family::Okp) => true,
            _ => false,
        }
    }

    pub fn can_sign(&self) -> bool {
        match &self.inner {
            Inner::Rsa(k) => k.can_sign(),
            Inner::Ec(k) => k.can_sign(),
            Inner::Ed(k) => k.can_sign(),
        }
    }

    pub fn default_alg(&self) -> Alg {
        match &self.inner {
            Inner::Rsa(_) => Alg::RS256,
            Inner::Ec(k) => k.curve().alg(),
            Inner::Ed(_) => Alg::EdDSA,
        }
    }

    /// The JWS signature of `msg` (ECDSA as fixed-width r||s).
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
                format!("{} was given", self.describe()),
            ));
        }
        match &self.inner {
            Inner::Rsa(k) => k.sign(alg, msg),
            Inner::Ec(k) => k.sign(alg, msg),
            Inner::Ed(k) => k.sign(alg, msg),
        }
    }

    /// True when `sig` is a valid signature of `msg` with `alg`; false for any
    /// mismatch or malformed input.
    pub fn verify(&self, alg: Alg, msg: &[u8], sig: &[u8]) -> bool {
        match &self.inner {
            Inner::Rsa(k) => k.verify(alg, msg, sig),
            Inner::Ec(k) => k.verify(alg, msg, sig),
            Inner::Ed(k) => k.verify(alg, msg, sig),
        }
    }

    /// "an RSA public key", "an EC P-256 private key", "an Ed25519 private key".
    pub fn describe(&self) -> String {
        let part = if self.can_sign() { "private" } else { "public" };
        match &self.inner {
            Inner::Rsa(_) => format!("an RSA {part} key"),
            Inner::Ec(k) => format!("an EC {} {part} key", k.curve().name()),
            Inner::Ed(_) => format!("an Ed25519 {part} key"),
        }
    }

    /// The JWK `kty`: "RSA", "EC" or "OKP".
    pub fn kty(&self) -> &'static str {
        match &self.inner {
            Inner::Rsa(_) => "RSA",
            Inner::Ec(_) => "EC",
            Inner::Ed(_) => "OKP",
        }
    }

    /// `kty` and the public members only (RSA n, e; EC crv, x, y; OKP crv, x).
    pub fn public_jwk(&self) -> Map<String, Value> {
        let mut m = Map::new();
        match &self.inner {
            Inner::Rsa(k) => k.public_jwk(&mut m),
            Inner::Ec(k) => k.public_jwk(&mut m),
            Inner::Ed(k) => k.public_jwk(&mut m),
        }
        m
    }

    /// The public members plus the private ones; None for a public key.
    /// For key generation only: the result is secret.
    pub fn private_jwk(&self) -> Option<Map<String, Value>> {
        let mut m = self.public_jwk();
        let done = match &self.inner {
            Inner::Rsa(k) => k.private_jwk(&mut m),
            Inner::Ec(k) => k.private_jwk(&mut m),
            Inner::Ed(k) => k.private_jwk(&mut m),
        };
        done.then_some(m)
    }
}

fn from_pkcs8(der_bytes: &[u8]) -> Result<AsymKey> {
    let (alg, inner) = der::pkcs8(der_bytes)
        .ok_or_else(|| JwtError::invalid_key("the PRIVATE KEY is not a valid PKCS#8 document"))?;
    match alg.oid {
        der::OID_RSA => Ok(rsa::RsaKey::from_pkcs8(der_bytes, inner)?.into()),
        der::OID_EC => {
            Ok(ec::EcKey::from_pkcs8(curve(params_oid(alg.params)?)?, der_bytes)?.into())
        }
        der::OID_ED25519 => Ok(okp::EdKey::from_pkcs8(der_bytes)?.into()),
        other => Err(unsupported(other)),
    }
}

fn from_spki(der_bytes: &[u8]) -> Result<AsymKey> {
    let (alg, bits) = der::spki(der_bytes).ok_or_else(|| {
        JwtError::invalid_key("the PUBLIC KEY is not a valid SubjectPublicKeyInfo")
    })?;
    match alg.oid {
        der::OID_RSA => {
            let (n, e) = der::rsa_public(bits)
                .ok_or_else(|| JwtError::invalid_key("the RSA public key is malformed"))?;
            Ok(rsa::RsaKey::from_public(n, e)?.into())
        }
        der::OID_EC => Ok(ec::EcKey::from_point(curve(params_oid(alg.params)?)?, bits)?.into()),
        der::OID_ED25519 => Ok(okp::EdKey::from_public(bits)?.into()),
        other => Err(unsupported(other)),
    }
}

fn params_oid(params: Option<(u8, &[u8])>) -> Result<&[u8]> {
    match params {
        Some((der::OID, oid)) => Ok(oid),
        _ => Err(JwtError::invalid_key(
            "the EC key does not name its curve (explicit parameters are not supported)",
        )),
    }
}

fn curve(oid: &[u8]) -> Result<Curve> {
    Curve::from_oid(oid).ok_or_else(|| {
        JwtError::invalid_key(format!(
            "EC curve {} is not supported (P-256, P-384, P-521 are)",
            der::oid_name(oid)
        ))
    })
}

fn unsupported(oid: &[u8]) -> JwtError {
    JwtError::invalid_key(format!(
        "{} keys are not supported (RSA, EC and Ed25519 are)",
        der::oid_name(oid)
    ))
}

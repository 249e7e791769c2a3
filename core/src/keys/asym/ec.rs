//! ECDSA keys on P-256, P-384 and P-521 (ES256, ES384, ES512). JWS signatures are the
//! fixed-width r||s form (RFC 7518 3.4). The public point is parsed once.

use super::der;
use super::encoding::b64u;
use crate::alg::Alg;
use crate::error::{JwtError, Result};
use aws_lc_rs::encoding::AsBigEndian;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    self, EcdsaKeyPair, EcdsaSigningAlgorithm, EcdsaVerificationAlgorithm, KeyPair as _,
    ParsedPublicKey,
};
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curve {
    P256,
    P384,
    P521,
}

impl Curve {
    pub fn from_name(name: &str) -> Option<Curve> {
        match name {
            "P-256" => Some(Curve::P256),
            "P-384" => Some(Curve::P384),
            "P-521" => Some(Curve::P521),
            _ => None,
        }
    }

    pub fn from_oid(oid: &[u8]) -> Option<Curve> {
        match oid {
            der::OID_P256 => Some(Curve::P256),
            der::OID_P384 => Some(Curve::P384),
            der::OID_P521 => Some(Curve::P521),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Curve::P256 => "P-256",
            Curve::P384 => "P-384",
            Curve::P521 => "P-521",
        }
    }

    pub fn alg(self) -> Alg {
        match self {
            Curve::P256 => Alg::ES256,
            Curve::P384 => Alg::ES384,
            Curve::P521 => Alg::ES512,
        }
    }

    /// Bytes of one coordinate (and of the private scalar).
    pub fn size(self) -> usize {
        match self {
            Curve::P256 => 32,
            Curve::P384 => 48,
            Curve::P521 => 66,
        }
    }

    fn signing(self) -> &'static EcdsaSigningAlgorithm {
        match self {
            Curve::P256 => &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            Curve::P384 => &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
            Curve::P521 => &signature::ECDSA_P521_SHA512_FIXED_SIGNING,
        }
    }

    fn verification(self) -> &'static EcdsaVerificationAlgorithm {
        match self {
            Curve::P256 => &signature::ECDSA_P256_SHA256_FIXED,
            Curve::P384 => &signature::ECDSA_P384_SHA384_FIXED,
            Curve::P521 => &signature::ECDSA_P521_SHA512_FIXED,
        }
    }
}

pub struct EcKey {
    curve: Curve,
    /// uncompressed SEC1 point: 0x04 || x || y
    point: Vec<u8>,
    verifier: ParsedPublicKey,
    pair: Option<EcdsaKeyPair>,
}

impl EcKey {
    /// A public key from an uncompressed SEC1 point.
    pub fn from_point(curve: Curve, point: &[u8]) -> Result<EcKey> {
        Self::build(curve, point, None)
    }

    /// A public key from JWK coordinates (shorter values are left-padded).
    pub fn from_coordinates(curve: Curve, x: &[u8], y: &[u8]) -> Result<EcKey> {
        Self::from_point(curve, &uncompressed(curve, x, y)?)
    }

    /// A private key from JWK members d, x, y.
    pub fn from_private(curve: Curve, d: &[u8], x: &[u8], y: &[u8]) -> Result<EcKey> {
        let point = uncompressed(curve, x, y)?;
        check_point(curve, &point)?;
        let d = pad(curve, d, "d")?;
        let pair = EcdsaKeyPair::from_private_key_and_public_key(curve.signing(), &d, &point)
            .map_err(|_| {
                JwtError::invalid_key(format!(
                    "EC JWK \"d\" is not a {} private key matching \"x\" and \"y\"",
                    curve.name()
                ))
            })?;
        Self::with_pair(curve, pair)
    }

    /// PKCS#8 `PrivateKeyInfo` ("PRIVATE KEY").
    pub fn from_pkcs8(curve: Curve, pkcs8: &[u8]) -> Result<EcKey> {
        let pair = EcdsaKeyPair::from_pkcs8(curve.signing(), pkcs8).map_err(|e| {
            JwtError::invalid_key(format!(
                "the PKCS#8 EC {} private key was rejected ({})",
                curve.name(),
                e.description_()
            ))
        })?;
        Self::with_pair(curve, pair)
    }

    /// SEC1 `ECPrivateKey` ("EC PRIVATE KEY").
    pub fn from_sec1(curve: Curve, sec1: &[u8]) -> Result<EcKey> {
        let pair = EcdsaKeyPair::from_private_key_der(curve.signing(), sec1).map_err(|e| {
            JwtError::invalid_key(format!(
                "the SEC1 EC {} private key was rejected ({})",
                curve.name(),
                e.description_()
            ))
        })?;
        Self::with_pair(curve, pair)
    }

    pub fn generate(curve: Curve) -> Result<EcKey> {
        let pair = EcdsaKeyPair::generate(curve.signing())
            .map_err(|_| JwtError::invalid_key("EC key generation failed"))?;
        Self::with_pair(curve, pair)
    }

    fn with_pair(curve: Curve, pair: EcdsaKeyPair) -> Result<EcKey> {
        let point = pair.public_key().as_ref().to_vec();
        Self::build(curve, &point, Some(pair))
    }

    fn build(curve: Curve, point: &[u8], pair: Option<EcdsaKeyPair>) -> Result<EcKey> {
        let verifier = check_point(curve, point)?;
        Ok(EcKey {
            curve,
            point: point.to_vec(),
            verifier,
            pair,
        })
    }

    pub fn curve(&self) -> Curve {
        self.curve
    }

    pub fn can_sign(&self) -> bool {
        self.pair.is_some()
    }

    pub fn sign(&self, alg: Alg, msg: &[u8]) -> Result<Vec<u8>> {
        match &self.pair {
            Some(pair) if alg == self.curve.alg() => pair
                .sign(&SystemRandom::new(), msg)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| JwtError::invalid_key("ECDSA signing failed")),
            _ => Err(JwtError::invalid_key("the EC key cannot sign this")),
        }
    }

    pub fn verify(&self, alg: Alg, msg: &[u8], sig: &[u8]) -> bool {
        alg == self.curve.alg()
            && sig.len() == 2 * self.curve.size()
            && self.verifier.verify_sig(msg, sig).is_ok()
    }

    pub fn public_jwk(&self, m: &mut Map<String, Value>) {
        let size = self.curve.size();
        m.insert("kty".into(), "EC".into());
        m.insert("crv".into(), self.curve.name().into());
        m.insert("x".into(), b64u(&self.point[1..1 + size]));
        m.insert("y".into(), b64u(&self.point[1 + size..]));
    }

    /// Adds d; false when this is a public key.
    pub fn private_jwk(&self, m: &mut Map<String, Value>) -> bool {
        let Some(pair) = &self.pair else {
            return false;
        };
        match pair.private_key().as_be_bytes() {
            Ok(d) => match pad(self.curve, d.as_ref(), "d") {
                Ok(d) => {
                    m.insert("d".into(), b64u(&d));
                    true
                }
                Err(_) => false,
            },
            Err(_) => false,
        }
    }
}

/// Validates an uncompressed point and parses it into a verifier.
fn check_point(curve: Curve, point: &[u8]) -> Result<ParsedPublicKey> {
    match point.first() {
        Some(2 | 3) => {
            return Err(JwtError::invalid_key(
                "compressed EC points are not supported",
            ))
        }
        Some(4) if point.len() == 1 + 2 * curve.size() => {}
        _ => {
            return Err(JwtError::invalid_key(format!(
                "the EC public key is not an uncompressed {} point",
                curve.name()
            )))
        }
    }
    ParsedPublicKey::new(curve.verification(), point)
        .map_err(|_| JwtError::invalid_key(format!("EC point is not on curve {}", curve.name())))
}

fn uncompressed(curve: Curve, x: &[u8], y: &[u8]) -> Result<Vec<u8>> {
    let mut p = Vec::with_capacity(1 + 2 * curve.size());
    p.push(4);
    p.extend(pad(curve, x, "x")?);
    p.extend(pad(curve, y, "y")?);
    Ok(p)
}

/// Left-pads a big-endian value to the curve's size; longer values are refused.
fn pad(curve: Curve, v: &[u8], member: &str) -> Result<Vec<u8>> {
    let size = curve.size();
    let v = if v.len() > size {
        der::strip_zeros(v)
    } else {
        v
    };
    if v.len() > size {
        return Err(JwtError::invalid_key(format!(
            "EC JWK \"{member}\" is longer than {size} bytes, too long for {}",
            curve.name()
        )));
    }
    let mut out = vec![0u8; size - v.len()];
    out.extend_from_slice(v);
    Ok(out)
}

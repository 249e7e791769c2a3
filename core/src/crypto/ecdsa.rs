//! ECDSA: ES256 (P-256), ES384 (P-384), ES512 (P-521), RFC 7518 3.4. JWS signatures
//! are the fixed-width r||s form; a DER signature is refused. The public point is
//! checked to be on the key's curve and parsed once.

use super::{b64u, backend_failed, not_served, strip_zeros, KeyMaterial, Signer, Verifier};
use crate::alg::{Alg, Curve, Family};
use crate::error::{JwtError, Result};
use aws_lc_rs::encoding::AsBigEndian;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    self, EcdsaKeyPair, EcdsaSigningAlgorithm, EcdsaVerificationAlgorithm, KeyPair as _,
    ParsedPublicKey,
};
use serde_json::{Map, Value};
use spki::ObjectIdentifier;

/// id-ecPublicKey (RFC 5480), the algorithm of EC keys in PKCS#8 and SPKI.
pub const OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");

/// The named-curve OID (RFC 5480) of each curve.
fn curve_oid(curve: Curve) -> ObjectIdentifier {
    match curve {
        Curve::P256 => ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7"),
        Curve::P384 => ObjectIdentifier::new_unwrap("1.3.132.0.34"),
        Curve::P521 => ObjectIdentifier::new_unwrap("1.3.132.0.35"),
    }
}

/// The curve a named-curve OID stands for.
pub fn curve_of_oid(oid: ObjectIdentifier) -> Option<Curve> {
    [Curve::P256, Curve::P384, Curve::P521]
        .into_iter()
        .find(|c| curve_oid(*c) == oid)
}

fn signing(curve: Curve) -> &'static EcdsaSigningAlgorithm {
    match curve {
        Curve::P256 => &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        Curve::P384 => &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
        Curve::P521 => &signature::ECDSA_P521_SHA512_FIXED_SIGNING,
    }
}

fn verification(curve: Curve) -> &'static EcdsaVerificationAlgorithm {
    match curve {
        Curve::P256 => &signature::ECDSA_P256_SHA256_FIXED,
        Curve::P384 => &signature::ECDSA_P384_SHA384_FIXED,
        Curve::P521 => &signature::ECDSA_P521_SHA512_FIXED,
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
        let pair = EcdsaKeyPair::from_private_key_and_public_key(signing(curve), &d, &point)
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
        let pair = EcdsaKeyPair::from_pkcs8(signing(curve), pkcs8).map_err(|e| {
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
        let pair = EcdsaKeyPair::from_private_key_der(signing(curve), sec1).map_err(|e| {
            JwtError::invalid_key(format!(
                "the SEC1 EC {} private key was rejected ({})",
                curve.name(),
                e.description_()
            ))
        })?;
        Self::with_pair(curve, pair)
    }

    pub fn generate(curve: Curve) -> Result<EcKey> {
        let pair = EcdsaKeyPair::generate(signing(curve))
            .map_err(|_| backend_failed("EC key generation failed"))?;
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
}

impl Signer for EcKey {
    fn can_sign(&self) -> bool {
        self.pair.is_some()
    }

    fn sign(&self, alg: Alg, msg: &[u8]) -> Result<Vec<u8>> {
        if !self.family().serves(alg) {
            return Err(not_served(self.family(), alg));
        }
        let Some(pair) = &self.pair else {
            return Err(backend_failed("an EC public key was asked to sign"));
        };
        pair.sign(&SystemRandom::new(), msg)
            .map(|s| s.as_ref().to_vec())
            .map_err(|_| backend_failed("ECDSA signing failed"))
    }
}

impl Verifier for EcKey {
    fn family(&self) -> Family {
        Family::Ec(self.curve)
    }

    fn verify(&self, alg: Alg, msg: &[u8], sig: &[u8]) -> bool {
        self.family().serves(alg)
            && sig.len() == 2 * self.curve.size()
            && self.verifier.verify_sig(msg, sig).is_ok()
    }
}

impl KeyMaterial for EcKey {
    fn public_jwk(&self) -> Option<Map<String, Value>> {
        let size = self.curve.size();
        let mut m = Map::new();
        m.insert("kty".into(), "EC".into());
        m.insert("crv".into(), self.curve.name().into());
        m.insert("x".into(), b64u(&self.point[1..1 + size]));
        m.insert("y".into(), b64u(&self.point[1 + size..]));
        Some(m)
    }

    /// Adds d, padded to the curve's size.
    fn private_jwk(&self) -> Option<Map<String, Value>> {
        let pair = self.pair.as_ref()?;
        let d = pair.private_key().as_be_bytes().ok()?;
        let d = pad(self.curve, d.as_ref(), "d").ok()?;
        let mut m = self.public_jwk()?;
        m.insert("d".into(), b64u(&d));
        Some(m)
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
    ParsedPublicKey::new(verification(curve), point)
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
    let v = if v.len() > size { strip_zeros(v) } else { v };
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

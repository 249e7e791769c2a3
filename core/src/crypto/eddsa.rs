//! EdDSA with Ed25519 keys (RFC 8037). The public key is parsed once.

use super::{b64u, backend_failed, not_served, KeyMaterial, Signer, Verifier};
use crate::alg::{Alg, Family};
use crate::error::{JwtError, Result};
use aws_lc_rs::encoding::AsBigEndian;
use aws_lc_rs::signature::{self, Ed25519KeyPair, KeyPair as _, ParsedPublicKey};
use serde_json::{Map, Value};
use spki::ObjectIdentifier;

/// id-Ed25519 (RFC 8410), the algorithm of Ed25519 keys in PKCS#8 and SPKI.
pub const OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

/// Bytes of a public key and of a private seed.
const LEN: usize = 32;
/// Bytes of a signature.
const SIGNATURE_LEN: usize = 64;

pub struct EdKey {
    public: Vec<u8>,
    verifier: ParsedPublicKey,
    pair: Option<Ed25519KeyPair>,
}

impl EdKey {
    /// A public key from its 32 raw bytes.
    pub fn from_public(x: &[u8]) -> Result<EdKey> {
        Self::build(x, None)
    }

    /// A private key from its 32-byte seed (`d`), checked against `x` when given.
    pub fn from_seed(d: &[u8], x: Option<&[u8]>) -> Result<EdKey> {
        if d.len() != LEN {
            return Err(JwtError::invalid_key(format!(
                "an Ed25519 private key has {LEN} bytes, not {}",
                d.len()
            )));
        }
        let pair = match x {
            Some(x) => {
                check_len(x)?;
                Ed25519KeyPair::from_seed_and_public_key(d, x)
                    .map_err(|_| JwtError::invalid_key("OKP JWK \"d\" does not match \"x\""))?
            }
            None => Ed25519KeyPair::from_seed_unchecked(d)
                .map_err(|_| JwtError::invalid_key("the Ed25519 private key was rejected"))?,
        };
        Self::with_pair(pair)
    }

    /// PKCS#8 ("PRIVATE KEY"), v1 or v2.
    pub fn from_pkcs8(pkcs8: &[u8]) -> Result<EdKey> {
        let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8).map_err(|e| {
            JwtError::invalid_key(format!(
                "the PKCS#8 Ed25519 private key was rejected ({})",
                e.description_()
            ))
        })?;
        Self::with_pair(pair)
    }

    pub fn generate() -> Result<EdKey> {
        let pair = Ed25519KeyPair::generate()
            .map_err(|_| backend_failed("Ed25519 key generation failed"))?;
        Self::with_pair(pair)
    }

    fn with_pair(pair: Ed25519KeyPair) -> Result<EdKey> {
        let x = pair.public_key().as_ref().to_vec();
        Self::build(&x, Some(pair))
    }

    fn build(x: &[u8], pair: Option<Ed25519KeyPair>) -> Result<EdKey> {
        check_len(x)?;
        let verifier = ParsedPublicKey::new(&signature::ED25519, x)
            .map_err(|_| JwtError::invalid_key("the Ed25519 public key was rejected"))?;
        Ok(EdKey {
            public: x.to_vec(),
            verifier,
            pair,
        })
    }
}

impl Signer for EdKey {
    fn can_sign(&self) -> bool {
        self.pair.is_some()
    }

    fn sign(&self, alg: Alg, msg: &[u8]) -> Result<Vec<u8>> {
        if alg != Alg::EdDSA {
            return Err(not_served(Family::Okp, alg));
        }
        let Some(pair) = &self.pair else {
            return Err(backend_failed("an Ed25519 public key was asked to sign"));
        };
        pair.try_sign(msg)
            .map(|s| s.as_ref().to_vec())
            .map_err(|_| backend_failed("Ed25519 signing failed"))
    }
}

impl Verifier for EdKey {
    fn family(&self) -> Family {
        Family::Okp
    }

    fn verify(&self, alg: Alg, msg: &[u8], sig: &[u8]) -> bool {
        alg == Alg::EdDSA
            && sig.len() == SIGNATURE_LEN
            && self.verifier.verify_sig(msg, sig).is_ok()
    }
}

impl KeyMaterial for EdKey {
    fn public_jwk(&self) -> Option<Map<String, Value>> {
        let mut m = Map::new();
        m.insert("kty".into(), "OKP".into());
        m.insert("crv".into(), "Ed25519".into());
        m.insert("x".into(), b64u(&self.public));
        Some(m)
    }

    /// Adds d (the seed).
    fn private_jwk(&self) -> Option<Map<String, Value>> {
        let seed = self.pair.as_ref()?.seed().ok()?;
        let d = seed.as_be_bytes().ok()?;
        let mut m = self.public_jwk()?;
        m.insert("d".into(), b64u(d.as_ref()));
        Some(m)
    }
}

fn check_len(x: &[u8]) -> Result<()> {
    if x.len() != LEN {
        return Err(JwtError::invalid_key(format!(
            "an Ed25519 public key has {LEN} bytes, not {}",
            x.len()
        )));
    }
    Ok(())
}

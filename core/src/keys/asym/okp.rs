//! Ed25519 keys (EdDSA, RFC 8037). The public key is parsed once.

use super::encoding::b64u;
use crate::alg::Alg;
use crate::error::{JwtError, Result};
use aws_lc_rs::encoding::AsBigEndian;
use aws_lc_rs::signature::{self, Ed25519KeyPair, KeyPair as _, ParsedPublicKey};
use serde_json::{Map, Value};

const LEN: usize = 32;

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
            .map_err(|_| JwtError::invalid_key("Ed25519 key generation failed"))?;
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

    pub fn can_sign(&self) -> bool {
        self.pair.is_some()
    }

    pub fn sign(&self, alg: Alg, msg: &[u8]) -> Result<Vec<u8>> {
        match &self.pair {
            Some(pair) if alg == Alg::EdDSA => pair
                .try_sign(msg)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| JwtError::invalid_key("Ed25519 signing failed")),
            _ => Err(JwtError::invalid_key("the Ed25519 key cannot sign this")),
        }
    }

    pub fn verify(&self, alg: Alg, msg: &[u8], sig: &[u8]) -> bool {
        alg == Alg::EdDSA && sig.len() == 64 && self.verifier.verify_sig(msg, sig).is_ok()
    }

    pub fn public_jwk(&self, m: &mut Map<String, Value>) {
        m.insert("kty".into(), "OKP".into());
        m.insert("crv".into(), "Ed25519".into());
        m.insert("x".into(), b64u(&self.public));
    }

    /// Adds d; false when this is a public key.
    pub fn private_jwk(&self, m: &mut Map<String, Value>) -> bool {
        let seed = self.pair.as_ref().and_then(|p| p.seed().ok());
        match seed.and_then(|s| s.as_be_bytes().ok()) {
            Some(d) => {
                m.insert("d".into(), b64u(d.as_ref()));
                true
            }
            None => false,
        }
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

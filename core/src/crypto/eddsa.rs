//! EdDSA with Ed25519 keys (RFC 8037). The public key is parsed once.
//!
//! Verification is strict (as ed25519-dalek's `verify_strict` and libsodium are): a
//! public key of small order or in a non-canonical encoding is refused when it is read
//! (such a key "verifies" forged signatures: with A = identity, R = identity and S = 0
//! the plain check of RFC 8032 takes any message), and a signature whose `S` is not
//! below the group order or whose `R` is of small order or non-canonical never
//! verifies. aws-lc-rs makes the check itself.

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

/// p = 2^255 - 19, little-endian: a canonical y coordinate is below it.
const P: [u8; LEN] = le("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
/// The group order L = 2^252 + 27742317777372353535851937790883648493, little-endian:
/// a canonical `S` is below it.
const L: [u8; LEN] = le("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
/// The y coordinates of the eight points of small order (the 8-torsion), little-endian:
/// 1 (the identity), p - 1 (order 2), 0 (order 4, two points) and the two of order 8
/// (two points each). Any sign of x: the sign bit is not part of y.
const SMALL_ORDER_Y: [[u8; LEN]; 5] = [
    le("0100000000000000000000000000000000000000000000000000000000000000"),
    le("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
    le("0000000000000000000000000000000000000000000000000000000000000000"),
    le("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"),
    le("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"),
];

/// 32 bytes from 64 hex digits (constants only: evaluated at compile time).
const fn le(hex: &str) -> [u8; LEN] {
    const fn digit(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => panic!("not a hex digit"),
        }
    }
    let h = hex.as_bytes();
    assert!(h.len() == 2 * LEN);
    let mut out = [0u8; LEN];
    let mut i = 0;
    while i < LEN {
        out[i] = digit(h[2 * i]) << 4 | digit(h[2 * i + 1]);
        i += 1;
    }
    out
}

/// `a < b`, both little-endian.
fn below(a: &[u8], b: &[u8; LEN]) -> bool {
    a.len() == LEN && a.iter().rev().lt(b.iter().rev())
}

/// The y coordinate of an encoded point (the sign bit of x cleared).
fn y_of(point: &[u8]) -> [u8; LEN] {
    let mut y = [0u8; LEN];
    y.copy_from_slice(point);
    y[LEN - 1] &= 0x7f;
    y
}

/// A point encoded with y < p.
fn canonical(point: &[u8]) -> bool {
    point.len() == LEN && below(&y_of(point), &P)
}

/// One of the eight points of small order, however its x sign bit is set.
fn small_order(point: &[u8]) -> bool {
    point.len() == LEN && SMALL_ORDER_Y.contains(&y_of(point))
}

/// What a strict verifier demands of a signature before the equation: `R` canonical and
/// not of small order, `S` below the group order.
fn strict_signature(sig: &[u8]) -> bool {
    let (r, s) = sig.split_at(LEN.min(sig.len()));
    canonical(r) && !small_order(r) && below(s, &L)
}

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
        if !canonical(x) {
            return Err(JwtError::invalid_key(
                "the Ed25519 public key is not canonical (its y coordinate is not below p)",
            ));
        }
        if small_order(x) {
            return Err(JwtError::invalid_key(
                "the Ed25519 public key is a point of small order (it would verify forged signatures)",
            ));
        }
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
            && strict_signature(sig)
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

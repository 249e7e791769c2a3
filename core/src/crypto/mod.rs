//! Signing and verification, one file per algorithm family, each implementing the
//! [`Signer`] and [`Verifier`] traits (the way the `jsonwebtoken` crate's `crypto/` is
//! laid out): [`hmac`] (HS*), [`rsa`] (RS*, PS*), [`ecdsa`] (ES*), [`eddsa`] (EdDSA).
//!
//! A parsed key is one object of its family, built once (from PEM, JWK or raw bytes, by
//! `keys`) with everything signing and verification need ready (aws-lc-rs key pairs and
//! parsed public keys, HMAC states): no key material is re-parsed per operation.

pub mod ecdsa;
pub mod eddsa;
#[cfg(test)]
mod eddsa_tests;
pub mod hmac;
pub mod rsa;

use crate::alg::{Alg, Family};
use crate::error::{JwtError, Kind, Result};
use base64::Engine;
use serde_json::{Map, Value};

/// Makes JWS signatures (RFC 7515 5.1) of a signing input.
pub trait Signer {
    /// Whether the key holds what signing needs: a private key (an HMAC secret always).
    fn can_sign(&self) -> bool;

    /// The JWS signature of `msg` with `alg` (ECDSA as fixed-width r||s, RFC 7518 3.4).
    /// The caller (`Key::sign`) has checked that the key serves `alg` and can sign, so a
    /// failure here is ours: `Kind::Internal`.
    fn sign(&self, alg: Alg, msg: &[u8]) -> Result<Vec<u8>>;
}

/// Checks JWS signatures.
pub trait Verifier {
    /// The key's family: it serves exactly the algorithms of this family.
    fn family(&self) -> Family;

    /// True when `sig` is a valid signature of `msg` with `alg`; false for an algorithm
    /// of another family and for any malformed input.
    fn verify(&self, alg: Alg, msg: &[u8], sig: &[u8]) -> bool;
}

/// A parsed key of any family, as a `Key` holds it.
pub trait KeyMaterial: Signer + Verifier + Send + Sync {
    /// `kty` and the public members (RSA n, e; EC crv, x, y; OKP crv, x); None for an
    /// HMAC secret, which has no public part.
    fn public_jwk(&self) -> Option<Map<String, Value>>;

    /// The public members plus the private ones; None for a public key or an HMAC
    /// secret. For key generation only: the result is secret.
    fn private_jwk(&self) -> Option<Map<String, Value>>;
}

/// A key asked to sign with an algorithm of another family: `Key::sign` checks that
/// first, so this is a bug of ours.
pub(crate) fn not_served(family: Family, alg: Alg) -> JwtError {
    JwtError::with_detail(
        Kind::Internal("a key was asked for an algorithm of another family"),
        format!("{} with a key of kty {}", alg.name(), family.kty()),
    )
}

/// A failure of the crypto backend (signing, key generation, export): ours, not the
/// caller's.
pub(crate) fn backend_failed(what: &'static str) -> JwtError {
    JwtError::new(Kind::Internal(what))
}

/// A big-endian unsigned value without its leading zero bytes.
pub(crate) fn strip_zeros(mut b: &[u8]) -> &[u8] {
    while let [0, rest @ ..] = b {
        b = rest;
    }
    b
}

/// base64url without padding, as a JSON string (a JWK member).
pub(crate) fn b64u(bytes: &[u8]) -> Value {
    Value::String(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

//! HMAC: HS256, HS384, HS512 (RFC 7518 3.2). The keyed state (inner and outer pads) is
//! computed once per key and per hash, then cloned for each message: no key derivation
//! per call. Signatures are compared in constant time. The secret and every keyed state
//! (the cached ones and each per-message clone) are wiped from memory when dropped.

use super::{not_served, KeyMaterial, Signer, Verifier};
use crate::alg::{Alg, Family};
use crate::error::Result;
use ::hmac::{Hmac, KeyInit, Mac};
use serde_json::{Map, Value};
use sha2::{Sha256, Sha384, Sha512};
use std::sync::OnceLock;
use zeroize::Zeroizing;

/// An HMAC secret (raw bytes, or a JWK `oct` key).
pub struct HmacKey {
    bytes: Zeroizing<Vec<u8>>,
    h256: OnceLock<Hmac<Sha256>>,
    h384: OnceLock<Hmac<Sha384>>,
    h512: OnceLock<Hmac<Sha512>>,
}

impl HmacKey {
    pub fn new(bytes: &[u8]) -> HmacKey {
        HmacKey {
            bytes: Zeroizing::new(bytes.to_vec()),
            h256: OnceLock::new(),
            h384: OnceLock::new(),
            h512: OnceLock::new(),
        }
    }
}

/// The keyed state for one hash, made on first use, ready for `msg`.
fn mac<M: Mac + KeyInit + Clone>(cell: &OnceLock<M>, key: &[u8], msg: &[u8]) -> M {
    let mut m = cell
        .get_or_init(|| <M as KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length"))
        .clone();
    m.update(msg);
    m
}

impl Signer for HmacKey {
    fn can_sign(&self) -> bool {
        true
    }

    fn sign(&self, alg: Alg, msg: &[u8]) -> Result<Vec<u8>> {
        let tag = match alg {
            Alg::HS256 => mac(&self.h256, &self.bytes, msg)
                .finalize()
                .into_bytes()
                .to_vec(),
            Alg::HS384 => mac(&self.h384, &self.bytes, msg)
                .finalize()
                .into_bytes()
                .to_vec(),
            Alg::HS512 => mac(&self.h512, &self.bytes, msg)
                .finalize()
                .into_bytes()
                .to_vec(),
            other => return Err(not_served(Family::Hmac, other)),
        };
        Ok(tag)
    }
}

impl Verifier for HmacKey {
    fn family(&self) -> Family {
        Family::Hmac
    }

    /// Constant-time comparison (`Mac::verify_slice`).
    fn verify(&self, alg: Alg, msg: &[u8], sig: &[u8]) -> bool {
        match alg {
            Alg::HS256 => mac(&self.h256, &self.bytes, msg).verify_slice(sig).is_ok(),
            Alg::HS384 => mac(&self.h384, &self.bytes, msg).verify_slice(sig).is_ok(),
            Alg::HS512 => mac(&self.h512, &self.bytes, msg).verify_slice(sig).is_ok(),
            _ => false,
        }
    }
}

impl KeyMaterial for HmacKey {
    fn public_jwk(&self) -> Option<Map<String, Value>> {
        None
    }

    fn private_jwk(&self) -> Option<Map<String, Value>> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4231_case_2() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?"
        let k = HmacKey::new(b"Jefe");
        let sig = k.sign(Alg::HS256, b"what do ya want for nothing?").unwrap();
        let hex: String = sig.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(k.verify(Alg::HS256, b"what do ya want for nothing?", &sig));
        assert!(!k.verify(Alg::HS256, b"what do ya want for nothing!", &sig));
        assert!(!k.verify(Alg::HS384, b"what do ya want for nothing?", &sig));
        assert!(!k.verify(Alg::RS256, b"what do ya want for nothing?", &sig));
        assert_eq!(k.sign(Alg::HS384, b"x").unwrap().len(), 48);
        // a keyed state is two hash cores and a block buffer, which wipe themselves when
        // dropped with the zeroize features of hmac (digest, block-buffer) and sha2
        fn wiped_on_drop<T: zeroize::ZeroizeOnDrop>() {}
        use ::hmac::digest::block_api::CoreProxy;
        wiped_on_drop::<<Sha256 as CoreProxy>::Core>();
        wiped_on_drop::<<Sha512 as CoreProxy>::Core>();
        wiped_on_drop::<Sha384>();
        assert_eq!(k.sign(Alg::HS512, b"x").unwrap().len(), 64);
        let e = k.sign(Alg::RS256, b"x").unwrap_err();
        assert_eq!(e.sqlstate().code(), "XX000");
    }
}

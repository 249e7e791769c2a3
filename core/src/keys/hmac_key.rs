//! HMAC keys (HS256/384/512). The keyed state (inner and outer pads) is computed once
//! per key and per hash, then cloned for each message: no key derivation per call.

use crate::alg::Alg;
use hmac::{Hmac, Mac};
use sha2::{Sha256, Sha384, Sha512};
use std::sync::OnceLock;

pub struct HmacKey {
    bytes: Vec<u8>,
    h256: OnceLock<Hmac<Sha256>>,
    h384: OnceLock<Hmac<Sha384>>,
    h512: OnceLock<Hmac<Sha512>>,
}

impl HmacKey {
    pub fn new(bytes: &[u8]) -> HmacKey {
        HmacKey {
            bytes: bytes.to_vec(),
            h256: OnceLock::new(),
            h384: OnceLock::new(),
            h512: OnceLock::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The raw secret, for callers that must export it (an `oct` JWK); never logged.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn sign(&self, alg: Alg, msg: &[u8]) -> Vec<u8> {
        match alg {
            Alg::HS384 => mac(&self.h384, &self.bytes, msg)
                .finalize()
                .into_bytes()
                .to_vec(),
            Alg::HS512 => mac(&self.h512, &self.bytes, msg)
                .finalize()
                .into_bytes()
                .to_vec(),
            _ => mac(&self.h256, &self.bytes, msg)
                .finalize()
                .into_bytes()
                .to_vec(),
        }
    }

    /// Constant-time comparison (`Mac::verify_slice`).
    pub fn verify(&self, alg: Alg, msg: &[u8], sig: &[u8]) -> bool {
        match alg {
            Alg::HS256 => mac(&self.h256, &self.bytes, msg).verify_slice(sig).is_ok(),
            Alg::HS384 => mac(&self.h384, &self.bytes, msg).verify_slice(sig).is_ok(),
            Alg::HS512 => mac(&self.h512, &self.bytes, msg).verify_slice(sig).is_ok(),
            _ => false,
        }
    }
}

fn mac<M: Mac + hmac::digest::KeyInit + Clone>(cell: &OnceLock<M>, key: &[u8], msg: &[u8]) -> M {
    let mut m = cell
        .get_or_init(|| <M as Mac>::new_from_slice(key).expect("HMAC takes keys of any length"))
        .clone();
    m.update(msg);
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4231_case_2() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?"
        let k = HmacKey::new(b"Jefe");
        let sig = k.sign(Alg::HS256, b"what do ya want for nothing?");
        let hex: String = sig.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(k.verify(Alg::HS256, b"what do ya want for nothing?", &sig));
        assert!(!k.verify(Alg::HS256, b"what do ya want for nothing!", &sig));
        assert!(!k.verify(Alg::HS384, b"what do ya want for nothing?", &sig));
        assert!(!k.verify(Alg::RS256, b"what do ya want for nothing?", &sig));
        assert_eq!(k.sign(Alg::HS384, b"x").len(), 48);
        assert_eq!(k.sign(Alg::HS512, b"x").len(), 64);
    }
}

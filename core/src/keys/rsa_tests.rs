//! RSA private keys: each prime has at least 1024 bits, whatever the modulus.

use super::testdata as td;
use super::{KeySet, SecretEncoding, SecretLength};
use crate::alg::Alg;
use crate::error::Kind;

fn parse(text: &str) -> crate::error::Result<KeySet> {
    KeySet::parse(text, SecretLength::Minimum, SecretEncoding::Plain)
}

#[test]
fn rsa_private_keys_with_a_small_prime_are_refused() {
    // n = 1000003 * q, 2060 bits: long enough, and factored at once
    let jwk = td::RSA_UNBALANCED_JWK;
    for text in [
        td::RSA_UNBALANCED_PKCS8.to_string(),
        td::RSA_UNBALANCED_PKCS1.to_string(),
        jwk.to_string(),
        format!(r#"{{"keys":[{jwk}]}}"#),
        format!(r#"{{"keys":[{},{jwk}]}}"#, td::RSA_JWK),
    ] {
        let e = parse(&text)
            .err()
            .unwrap_or_else(|| panic!("{} must be refused", &text[..40]));
        assert_eq!(e.kind, Kind::InvalidKey, "{e:?}");
        assert_eq!(e.sqlstate().code(), "22023");
        let detail = e.detail.unwrap_or_default();
        assert!(
            detail.contains("RSA private keys with a prime shorter than 1024 bits are refused"),
            "{detail}"
        );
        assert!(!detail.contains("1000003"), "{detail}");
    }
}

#[test]
fn rsa_private_keys_with_primes_of_1024_bits_are_read() {
    for text in [td::RSA_PKCS8, td::RSA_PKCS1, td::RSA_JWK] {
        let ks = parse(text).unwrap();
        let (key, alg) = ks.signing_key(None).unwrap();
        assert_eq!(alg, Alg::RS256);
        let sig = key.sign(alg, b"m").unwrap();
        assert!(key.verify(alg, b"m", &sig));
    }
    // a key made here: two primes of 1024 bits
    let made = crate::generate_key("RSA", None).unwrap();
    assert!(super::jwk::parse_jwk(&made).unwrap().can_sign());
}

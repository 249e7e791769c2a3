//! HMAC secrets in every form: the 32-byte minimum holds for `oct` JWKs (alone or in a
//! JWK Set) as for secret texts, and a key in DER form without its PEM armour (base64
//! of SPKI, PKCS#8, PKCS#1 or SEC1) is refused, never taken as secret bytes.

use super::set::MIN_SECRET_BYTES;
use super::{KeySet, SecretEncoding, SecretLength};
use crate::alg::{Alg, Family};
use crate::error::{Kind, Result};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64U;
use base64::Engine;

fn parse(text: &str, length: SecretLength) -> Result<KeySet> {
    KeySet::parse(text, length, SecretEncoding::Plain)
}

fn oct(bytes: &[u8]) -> String {
    format!(r#"{{"kty":"oct","k":"{}"}}"#, B64U.encode(bytes))
}

#[test]
fn short_oct_jwks_are_refused_like_short_secret_texts() {
    let text = parse(&"s".repeat(MIN_SECRET_BYTES - 1), SecretLength::Minimum)
        .err()
        .expect("a short text secret is refused");
    assert_eq!(text.kind, Kind::SecretTooShort);
    let long = oct(&[9u8; MIN_SECRET_BYTES]);
    for n in [1, 16, MIN_SECRET_BYTES - 1] {
        let secret: Vec<u8> = (0..n as u8).map(|i| i.wrapping_mul(37) ^ 0x5a).collect();
        let jwk = oct(&secret);
        for key_text in [
            jwk.clone(),
            format!(r#"{{"keys":[{jwk}]}}"#),
            format!(r#"{{"keys":[{long},{jwk}]}}"#),
            jwk.replace('{', r#"{"kid":"k1","alg":"HS256","#),
        ] {
            let e = parse(&key_text, SecretLength::Minimum)
                .err()
                .unwrap_or_else(|| panic!("{key_text} must be refused"));
            assert_eq!(e.kind, Kind::SecretTooShort, "{key_text}: {e:?}");
            assert_eq!(e.message(), text.message());
            assert_eq!(e.sqlstate(), text.sqlstate());
            let detail = e.detail.unwrap_or_default();
            assert!(detail.contains(&format!("has {n} bytes")), "{detail}");
            if n >= 16 {
                assert!(!detail.contains(&B64U.encode(&secret)[..12]), "{detail}");
            }
            // a caller's key for verifying may be shorter, as a text secret may
            let ks = parse(&key_text, SecretLength::Any).unwrap();
            assert!(ks.keys.iter().all(|k| k.family() == Family::Hmac));
        }
    }
    for n in [MIN_SECRET_BYTES, 64] {
        let ks = parse(&oct(&vec![3u8; n]), SecretLength::Minimum).unwrap();
        let (key, alg) = ks.signing_key(None).unwrap();
        assert_eq!(alg, Alg::HS256);
        assert!(key.sign(alg, b"m").is_ok());
    }
    // members skipped as not for signatures are not checked
    let enc = r#"{"kty":"oct","k":"c2hvcnQ","use":"enc"}"#;
    assert!(parse(
        &format!(r#"{{"keys":[{long},{enc}]}}"#),
        SecretLength::Minimum
    )
    .is_ok());
}

/// The base64 body of a PEM text: its lines without the BEGIN and END lines.
fn body(pem: &str) -> String {
    pem.lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .join("\n")
}

const EVERY_READING: [(SecretLength, SecretEncoding); 4] = [
    (SecretLength::Any, SecretEncoding::Plain),
    (SecretLength::Minimum, SecretEncoding::Plain),
    (SecretLength::Any, SecretEncoding::Base64),
    (SecretLength::Minimum, SecretEncoding::Base64),
];

#[test]
fn der_keys_without_pem_armour_are_not_secrets() {
    use super::testdata as td;
    for pem in [
        td::RSA_SPKI,
        td::RSA_PKCS8,
        td::RSA_PKCS1,
        td::RSA_PKCS1_PUB,
        td::P256_SPKI,
        td::P256_PKCS8,
        td::P256_SEC1,
        td::P384_SEC1,
        td::P521_SPKI,
        td::ED_SPKI,
        td::ED_PKCS8,
    ] {
        let lines = body(pem);
        let one = lines.replace('\n', "");
        let url = one.replace('+', "-").replace('/', "_");
        for text in [
            lines.clone(),
            lines.replace('\n', "\r\n"),
            lines.replace('\n', " \t"),
            format!("\n  {lines}\n\n"),
            one.clone(),
            one.trim_end_matches('=').to_string(),
            url.clone(),
            url.trim_end_matches('=').to_string(),
        ] {
            for (length, encoding) in EVERY_READING {
                let e = KeySet::parse(&text, length, encoding)
                    .err()
                    .unwrap_or_else(|| panic!("{text:?} ({length:?}, {encoding:?}) is a key"));
                assert_eq!(e.kind, Kind::InvalidKey, "{e:?}");
                assert_eq!(e.sqlstate().code(), "22023");
                let detail = e.detail.unwrap_or_default();
                for word in ["DER", "without PEM armour", "PEM", "JWK"] {
                    assert!(detail.contains(word), "{detail}");
                }
                assert!(!detail.contains(&one[..24]), "{detail}");
            }
        }
        assert_eq!(super::shape(&lines).0, super::Shape::Der);
    }
}

#[test]
fn random_base64_secrets_stay_secrets() {
    use sha2::{Digest, Sha512};
    let std = base64::engine::general_purpose::STANDARD;
    for i in 0u32..500 {
        let random = Sha512::digest(i.to_be_bytes());
        // `openssl rand -base64 32` (44 characters) and `-base64 48`; half of them
        // start as a DER SEQUENCE does (0x30, "M..."), with a plausible length or not
        let mut bytes = random[..if i % 3 == 0 { 48 } else { 32 }].to_vec();
        if i % 2 == 0 {
            bytes[0] = 0x30;
        }
        if i % 4 == 0 {
            bytes[1] = bytes.len() as u8 - 2;
        }
        let text = std.encode(&bytes);
        for secret in [
            text.clone(),
            format!("{text}\n"),
            text.trim_end_matches('=').into(),
        ] {
            assert_eq!(super::shape(&secret).0, super::Shape::Raw, "{secret}");
            for (length, encoding) in EVERY_READING {
                let ks = KeySet::parse(&secret, length, encoding)
                    .unwrap_or_else(|e| panic!("{secret:?} ({length:?}, {encoding:?}): {e}"));
                assert!(ks.plain && ks.keys[0].family() == Family::Hmac);
            }
        }
    }
    // DER, but not a key container: a SEQUENCE of two small INTEGERs and an OCTET STRING
    let der = [
        &[0x30, 0x2a, 0x02, 0x01, 0x05, 0x02, 0x01, 0x03, 0x04, 0x22][..],
        &[7u8; 34],
    ]
    .concat();
    let text = std.encode(&der);
    assert!(text.starts_with('M'));
    for (length, encoding) in EVERY_READING {
        assert!(KeySet::parse(&text, length, encoding).unwrap().plain);
    }
}

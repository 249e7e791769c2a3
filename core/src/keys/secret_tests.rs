//! HMAC secrets in every form: the 32-byte minimum holds for `oct` JWKs (alone or in a
//! JWK Set) as for secret texts.

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

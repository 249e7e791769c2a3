//! Key text parsing: PEM, JWK, JWK Set and raw secrets.
//!
//! Properties: no panic; text shaped like a key (JSON, PEM) never becomes HMAC bytes
//! (`plain`), and raw HMAC bytes come only from text of the raw shape; an error detail
//! never repeats a run of 24 characters of the text without whitespace (details
//! describe, they do not quote; the templates themselves are words between spaces);
//! a parsed asymmetric key's public JWK parses back to a key with the same public JWK,
//! and a key that can sign makes signatures it verifies.

use pgrst_jwt_core::{parse_jwk, shape, Family, KeySet, SecretEncoding, SecretLength, Shape};

const WINDOW: usize = 24;

pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (form, _) = shape(text);
    for length in [SecretLength::Any, SecretLength::Minimum] {
        for encoding in [SecretEncoding::Plain, SecretEncoding::Base64] {
            match KeySet::parse(text, length, encoding) {
                Err(e) => {
                    let detail = e.detail.unwrap_or_default();
                    for (i, _) in text.char_indices() {
                        let Some(window) = text.get(i..i + WINDOW) else {
                            continue;
                        };
                        // message templates are words between spaces: a run of 24
                        // characters without one can only come from the text
                        if window.contains(char::is_whitespace) {
                            continue;
                        }
                        assert!(
                            !detail.contains(window),
                            "the detail quotes the key text: {detail:?}"
                        );
                    }
                }
                Ok(keys) => {
                    assert_eq!(
                        keys.plain,
                        form == Shape::Raw,
                        "{form:?} parsed as plain={}",
                        keys.plain
                    );
                    // HMAC keys come from raw text or from an oct JWK, nothing else
                    for k in &keys.keys {
                        if k.family() == Family::Hmac {
                            assert!(
                                matches!(form, Shape::Raw | Shape::JsonObject),
                                "{form:?} text became an HMAC key"
                            );
                        }
                    }
                    round_trip(&keys);
                }
            }
        }
    }
}

fn round_trip(keys: &KeySet) {
    for key in &keys.keys {
        if key.family() == Family::Hmac {
            continue;
        }
        let public = key
            .public_jwk()
            .expect("an asymmetric key has a public JWK");
        let again = parse_jwk(&public).expect("its public JWK parses");
        assert_eq!(
            again.family(),
            key.family(),
            "the public JWK is another family"
        );
        assert_eq!(again.public_jwk(), Some(public), "the public JWK changes");
        if key.can_sign() {
            let alg = key.default_alg();
            let sig = key.sign(alg, b"fuzz").expect("a private key signs");
            assert!(key.verify(alg, b"fuzz", &sig), "own signature refused");
            assert!(
                again.verify(alg, b"fuzz", &sig),
                "public JWK refuses the signature"
            );
        }
    }
}

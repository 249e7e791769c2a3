//! Keys: what a secret text means (JWK Set, JWK, PEM, or raw HMAC bytes), parsed once
//! into ready-to-use key objects, and a small per-backend cache of parsed key sets.

mod cache;
pub(crate) mod der;
pub mod describe;
pub mod jwk;
#[cfg(test)]
mod key_tests;
mod pem;
#[cfg(test)]
mod pem_tests;
#[cfg(test)]
mod rfc_tests;
#[cfg(test)]
mod rsa_tests;
#[cfg(test)]
mod secret_tests;
mod set;
#[cfg(test)]
pub(crate) mod testdata;

pub use cache::KeyCache;
pub use set::{Key, KeySet, SecretEncoding, SecretLength};

use crate::crypto::hmac::HmacKey;
use crate::error::{JwtError, Kind, Result};
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;
use zeroize::Zeroizing;

/// Largest key or secret text accepted, checked before any parsing: a JWK Set of
/// [`jwk::MAX_KEYS_IN_SET`] RSA-8192 keys fits in a tenth of it.
pub const MAX_KEY_TEXT_BYTES: usize = 1 << 20;

/// What a key text looks like, decided before parsing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `{` first (after an optional UTF-8 BOM and whitespace): a JWK or a JWK Set
    JsonObject,
    /// `[` first: JSON, but not a key (a JWK Set is `{"keys":[...]}`)
    JsonArray,
    /// `"` first: a JSON string, not a key
    JsonString,
    /// holds `-----BEGIN`: a PEM text, explanatory lines around it allowed
    Pem,
    /// base64 (either alphabet, whitespace anywhere) of a key in DER form (SPKI,
    /// PKCS#8, PKCS#1, SEC1): a PEM body without its armour, refused
    Der,
    /// anything else: raw HMAC secret bytes
    Raw,
}

/// The shape of a key text, and the text without the byte order marks and whitespace
/// that may precede it.
/// Anything but [`Shape::Raw`] must parse as a key or be refused: key material is
/// never used as HMAC bytes (that would let a public key sign HS256 tokens).
pub fn shape(text: &str) -> (Shape, &str) {
    // any run of byte order marks and (Unicode) whitespace before the first character
    let unmarked = text.trim_start_matches(|c: char| c == '\u{feff}' || c.is_whitespace());
    let shape = match unmarked.as_bytes().first() {
        Some(b'{') => Shape::JsonObject,
        Some(b'[') => Shape::JsonArray,
        Some(b'"') => Shape::JsonString,
        _ if unmarked.contains("-----BEGIN") => Shape::Pem,
        _ if der::bare_key(unmarked) => Shape::Der,
        _ => Shape::Raw,
    };
    (shape, unmarked)
}

impl KeySet {
    /// Parse a secret or key text: a JWK Set (`{"keys":[...]}`), a single JWK, a PEM
    /// key, or raw HMAC bytes (PostgREST's order, plus PEM). Text shaped like a key
    /// ([`shape`]) is a key or an error. `length` is PostgREST's 32-byte rule for HMAC
    /// secrets (raw bytes and `oct` JWKs alike); `encoding` says how raw bytes are read
    /// (`jwt-secret-is-base64`).
    pub fn parse(text: &str, length: SecretLength, encoding: SecretEncoding) -> Result<KeySet> {
        if text.len() > MAX_KEY_TEXT_BYTES {
            return Err(JwtError::invalid_key(format!(
                "the key text has {} bytes; at most {MAX_KEY_TEXT_BYTES} are accepted",
                text.len()
            )));
        }
        let (shape, unmarked) = shape(text);
        match shape {
            Shape::JsonObject => {
                let obj = match serde_json::from_str(unmarked) {
                    Ok(serde_json::Value::Object(obj)) => jwk::WipedJson(obj),
                    Ok(_) => {
                        return Err(JwtError::invalid_key("the key text is not a JSON object"))
                    }
                    Err(e) => return Err(not_json(&e)),
                };
                let keys = if obj.0.contains_key("keys") {
                    jwk::parse_jwks(&obj.0, length)?
                } else {
                    vec![jwk::parse_jwk_with(&obj.0, length)?]
                };
                Ok(KeySet { keys, plain: false })
            }
            Shape::JsonArray => Err(JwtError::invalid_key(
                "the key text is a JSON array: a JWK Set is written {\"keys\": [...]}",
            )),
            Shape::JsonString => Err(JwtError::invalid_key(
                "the key text is a JSON string: pass the PEM text or the JWK itself",
            )),
            Shape::Pem => Ok(KeySet {
                keys: vec![Key::new(pem::parse_key(unmarked)?)],
                plain: false,
            }),
            Shape::Der => Err(JwtError::invalid_key(
                "the key text is a key in DER form (base64) without PEM armour: give it with \
                 its PEM armour (the -----BEGIN and -----END lines) or as a JWK",
            )),
            Shape::Raw => raw_secret(text, length, encoding),
        }
    }
}

/// A JSON syntax error, by position only (serde's own message is not repeated: the
/// text may be a secret).
fn not_json(e: &serde_json::Error) -> JwtError {
    let what = match e.classify() {
        serde_json::error::Category::Eof => "it ends too early",
        serde_json::error::Category::Data => "it holds a value JSON cannot represent",
        _ => "syntax error",
    };
    JwtError::invalid_key(format!(
        "the key text starts like JSON but is not valid JSON ({what} at line {} column {})",
        e.line(),
        e.column()
    ))
}

fn raw_secret(text: &str, length: SecretLength, encoding: SecretEncoding) -> Result<KeySet> {
    let decoded;
    let bytes = match encoding {
        SecretEncoding::Base64 => {
            decoded = decode_base64_secret(text)?;
            decoded.as_slice()
        }
        SecretEncoding::Plain => text.as_bytes(),
    };
    if bytes.is_empty() {
        return Err(JwtError::new(Kind::EmptySecret));
    }
    length.check(bytes, "the secret")?;
    Ok(KeySet {
        keys: vec![Key::new(Box::new(HmacKey::new(bytes)))],
        plain: true,
    })
}

/// base64url with or without padding: JWK members, and base64 secrets once their
/// standard-alphabet characters are mapped. Stray trailing bits are refused.
pub(crate) const BASE64URL_ANY_PADDING: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// PostgREST's reading of a base64 secret: trim, either alphabet (standard or
/// URL-safe), padding optional. The secret (and the copy of its text) are wiped when
/// dropped.
pub fn decode_base64_secret(text: &str) -> Result<Zeroizing<Vec<u8>>> {
    let text = text.trim();
    // allocated once: a growing string would leave copies behind
    let mut mapped = Zeroizing::new(String::with_capacity(text.len()));
    mapped.extend(text.chars().map(|c| match c {
        '+' => '-',
        '/' => '_',
        c => c,
    }));
    BASE64URL_ANY_PADDING
        .decode(mapped.as_bytes())
        .map(Zeroizing::new)
        .map_err(|_| JwtError::new(Kind::SecretNotBase64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alg::{Alg, Family};

    #[test]
    fn raw_secrets_follow_postgrest_length_rule() {
        let short = "0123456789abcdef0123456789abcde"; // 31 bytes
        assert!(KeySet::parse(short, SecretLength::Any, SecretEncoding::Plain).is_ok());
        let e = KeySet::parse(short, SecretLength::Minimum, SecretEncoding::Plain)
            .err()
            .unwrap();
        assert_eq!(e.kind, Kind::SecretTooShort);
        assert!(!e.to_string().contains(short));
        let ok = KeySet::parse(
            &format!("{short}f"),
            SecretLength::Minimum,
            SecretEncoding::Plain,
        )
        .unwrap();
        assert!(ok.plain);
        assert_eq!(
            KeySet::parse("", SecretLength::Any, SecretEncoding::Plain)
                .err()
                .unwrap()
                .kind,
            Kind::EmptySecret
        );
    }

    #[test]
    fn base64_secrets_are_counted_after_decoding() {
        // 32 bytes of 0xfb encode with '+' / '/' characters; URL-safe form must decode too
        let raw = [0xfbu8; 32];
        let std = base64::engine::general_purpose::STANDARD.encode(raw);
        let url = std.replace('+', "-").replace('/', "_");
        for s in [std.clone(), format!("  {url}\n")] {
            let ks = KeySet::parse(&s, SecretLength::Minimum, SecretEncoding::Base64).unwrap();
            assert!(ks.plain);
        }
        let short = base64::engine::general_purpose::STANDARD.encode([1u8; 31]);
        assert_eq!(
            KeySet::parse(&short, SecretLength::Minimum, SecretEncoding::Base64)
                .err()
                .unwrap()
                .kind,
            Kind::SecretTooShort
        );
        assert_eq!(
            KeySet::parse("not*base64!", SecretLength::Minimum, SecretEncoding::Base64)
                .err()
                .unwrap()
                .kind,
            Kind::SecretNotBase64
        );
    }

    #[test]
    fn hmac_key_signs_only_hs_algorithms() {
        let ks = KeySet::parse("k", SecretLength::Any, SecretEncoding::Plain).unwrap();
        let (key, alg) = ks.signing_key(None).unwrap();
        assert_eq!(alg, Alg::HS256);
        assert!(key.fits(Alg::HS512));
        assert!(!key.fits(Alg::RS256));
        let e = ks.signing_key(Some(Alg::ES256)).err().unwrap();
        assert_eq!(e.kind, Kind::AlgorithmKeyMismatch);
    }

    fn refused(text: &str) -> String {
        let e = KeySet::parse(text, SecretLength::Any, SecretEncoding::Plain)
            .err()
            .unwrap_or_else(|| panic!("{text:?} must be refused"));
        assert_eq!(e.kind, Kind::InvalidKey, "{text:?}: {e:?}");
        e.detail.unwrap_or_default()
    }

    #[test]
    fn key_shaped_text_is_a_key_or_an_error_never_hmac_bytes() {
        use crate::keys::testdata as td;
        let pem = td::P256_SPKI;
        let jwk = td::P256_JWK_PUB;
        // valid keys behind a BOM, comment lines, CRLF line ends, leading whitespace
        for text in [
            format!("\u{feff}{pem}"),
            format!("# my key\n{pem}"),
            pem.replace('\n', "\r\n"),
            format!("\n  {pem}"),
            format!("\u{feff}{jwk}"),
            format!("\u{feff} \n{jwk}"),
            format!("\u{feff}\u{feff}\u{a0}{jwk}"),
            format!("{{\"keys\":[{jwk}]}}"),
        ] {
            let ks = KeySet::parse(&text, SecretLength::Any, SecretEncoding::Plain).unwrap();
            assert!(!ks.plain, "{text:?}");
            assert!(ks.keys.iter().all(|k| k.family() != Family::Hmac));
        }
        // key-shaped but not a key: refused, never HMAC bytes
        let string = serde_json::Value::from(pem).to_string();
        assert!(refused(&string).contains("JSON string"));
        assert!(refused(&serde_json::Value::from(jwk).to_string()).contains("JSON string"));
        assert!(refused(&format!("[{jwk}]")).contains("JSON array"));
        let d = refused(&format!("{{\"keys\":[{jwk},]}}"));
        assert!(d.contains("not valid JSON") && d.contains("column"), "{d}");
        assert!(refused(&format!("{{\"keys\":[{jwk}],\"x\":1e400}}")).contains("not valid JSON"));
        assert!(refused(&format!("\u{feff}{{\"keys\":[{jwk}]")).contains("ends too early"));
        assert!(refused("-----BEGIN PUBLIC KEY-----").contains("no END line"));
        assert!(refused("my secret -----BEGIN nothing").contains("no PEM key block"));
        // serde's messages are not repeated: no byte of the text reaches the detail
        let d = refused("{\"kty\": Zq9secretmarker}");
        assert!(!d.contains("Zq9"), "{d}");
        // raw secrets stay raw, a BOM among their bytes
        let raw = KeySet::parse(
            "\u{feff}plain secret bytes",
            SecretLength::Any,
            SecretEncoding::Plain,
        )
        .unwrap();
        assert!(raw.plain);
        assert_eq!(shape("  {").0, Shape::JsonObject);
        assert_eq!(shape("abc").0, Shape::Raw);
    }

    #[test]
    fn key_text_and_key_count_are_bounded() {
        let big = "x".repeat(MAX_KEY_TEXT_BYTES + 1);
        assert!(refused(&big).contains("at most 1048576"));
        assert!(KeySet::parse(&big[1..], SecretLength::Any, SecretEncoding::Plain).is_ok());
        let k = r#"{"kty":"oct","k":"c2VjcmV0"}"#;
        let set = |n: usize| format!("{{\"keys\":[{}]}}", vec![k; n].join(","));
        assert_eq!(
            KeySet::parse(
                &set(jwk::MAX_KEYS_IN_SET),
                SecretLength::Any,
                SecretEncoding::Plain
            )
            .unwrap()
            .keys
            .len(),
            jwk::MAX_KEYS_IN_SET
        );
        assert!(refused(&set(jwk::MAX_KEYS_IN_SET + 1)).contains("at most 100"));
    }
}

//! Signing: the normalised claims text, a fixed header, one signature over
//! `header.payload`.

use crate::alg::Alg;
use crate::claims_text::{normalize, ClaimsForm};
use crate::error::Result;
use crate::keys::{Key, KeySet};
use crate::token::b64_encode_into;

/// Sign `claims` (JSON text of an object) with the first key of `keys` that can sign
/// with `alg` (None: the key's own algorithm, HS256 for an HMAC secret).
pub fn sign(claims: &str, form: ClaimsForm, keys: &KeySet, alg: Option<Alg>) -> Result<String> {
    let mut payload = String::with_capacity(claims.len());
    normalize(claims, &mut payload, form)?;
    let (key, alg) = keys.signing_key(alg)?;
    sign_payload(&payload, key, alg)
}

/// Sign an already normalised payload.
pub fn sign_payload(payload: &str, key: &Key, alg: Alg) -> Result<String> {
    let header = header_json(alg, key.kid.as_deref());
    let mut token = String::with_capacity((header.len() + payload.len()) * 4 / 3 + 96);
    b64_encode_into(header.as_bytes(), &mut token);
    token.push('.');
    b64_encode_into(payload.as_bytes(), &mut token);
    let sig = key.sign(alg, token.as_bytes())?;
    token.push('.');
    b64_encode_into(&sig, &mut token);
    Ok(token)
}

/// `{"alg":"…","typ":"JWT"}`, plus `"kid"` when the key has one.
pub fn header_json(alg: Alg, kid: Option<&str>) -> String {
    let mut h = format!("{{\"alg\":\"{}\",\"typ\":\"JWT\"", alg.name());
    if let Some(kid) = kid {
        h.push_str(",\"kid\":");
        h.push_str(&serde_json::Value::from(kid).to_string());
    }
    h.push('}');
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Kind;
    use crate::keys::{SecretEncoding, SecretLength};

    const SECRET: &str = "reallyreallyreallyreallyverysafe";

    #[test]
    fn known_hs256_token() {
        // the token PyJWT 2.x gives for this secret and payload (headers typ=JWT)
        let ks = KeySet::parse(SECRET, SecretLength::Minimum, SecretEncoding::Plain).unwrap();
        let t = sign(r#"{"role": "todo_user"}"#, ClaimsForm::Jsonb, &ks, None).unwrap();
        assert_eq!(
            t,
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlIjoidG9kb191c2VyIn0.SDjBjuJJxqjEfS84-pyesq5IRdLSzMbAJRbmJ79MOZ8"
        );
    }

    #[test]
    fn header_carries_kid_escaped() {
        assert_eq!(
            header_json(Alg::HS512, None),
            r#"{"alg":"HS512","typ":"JWT"}"#
        );
        assert_eq!(
            header_json(Alg::ES256, Some("a\"b")),
            r#"{"alg":"ES256","typ":"JWT","kid":"a\"b"}"#
        );
    }

    #[test]
    fn refuses_bad_claims_and_algorithms() {
        let ks = KeySet::parse(SECRET, SecretLength::Minimum, SecretEncoding::Plain).unwrap();
        assert_eq!(
            sign("[1]", ClaimsForm::AsWritten, &ks, None)
                .unwrap_err()
                .kind,
            Kind::ClaimsNotObject
        );
        assert_eq!(
            sign("{}", ClaimsForm::AsWritten, &ks, Some(Alg::RS256))
                .unwrap_err()
                .kind,
            Kind::AlgorithmKeyMismatch
        );
        assert_eq!(
            sign(r#"{"a":1,"a":2}"#, ClaimsForm::AsWritten, &ks, None)
                .unwrap_err()
                .kind,
            Kind::DuplicateClaim
        );
    }
}

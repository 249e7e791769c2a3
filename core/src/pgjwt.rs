//! pgjwt's token format, for the `pgrst_jwt_pgjwt` drop-in (`sign`, `verify`).
//!
//! pgjwt 0.2 builds the header as the text `{"alg":"<algorithm>","typ":"JWT"}`, signs the
//! payload's JSON text verbatim, encodes with base64url without padding, and HMACs with
//! pgcrypto, so any secret length works and only `HS256`, `HS384` and `HS512` (exact
//! case) are known. Tokens made here are byte-identical to pgjwt's. Verification splits
//! on `.` and compares the third part with the signature pgjwt would compute, in
//! constant time here (pgjwt compares text with `=`); what the JSON parts mean (and the
//! `nbf`/`exp` rule) is decided by the SQL layer with PostgreSQL's own functions.

use crate::alg::Alg;
use crate::crypto::hmac::HmacKey;
use crate::crypto::Signer;
use crate::error::{JwtError, Kind, Result};
use crate::token::b64_encode_into;

/// The `alg` of a header part, read leniently (None when the part does not decode as
/// base64url, or is not a JSON object with a string `alg`): never an error.
pub fn header_alg(part: &str) -> Option<String> {
    let bytes = crate::token::b64_decode(part, "header").ok()?;
    match serde_json::from_slice::<serde_json::Value>(&bytes).ok()? {
        serde_json::Value::Object(mut m) => match m.remove("alg")? {
            serde_json::Value::String(a) => Some(a),
            _ => None,
        },
        _ => None,
    }
}

/// pgjwt's algorithm names: exact, HMAC only. Any other name fails as it fails in pgjwt,
/// whose `algorithm_sign` maps it to the hash name `''` and hands that to pgcrypto's
/// `hmac()`: `Cannot use "": No such hash algorithm` (22023), which pgjwt's own test.sql
/// expects, and a migration may match.
pub fn algorithm(name: &str) -> Result<Alg> {
    match name {
        "HS256" => Ok(Alg::HS256),
        "HS384" => Ok(Alg::HS384),
        "HS512" => Ok(Alg::HS512),
        _ => Err(JwtError::new(Kind::PgjwtNoSuchHash)),
    }
}

/// The token pgjwt's `sign(payload, secret, algorithm)` returns for this payload text.
pub fn sign(payload: &str, secret: &str, algorithm_name: &str) -> Result<String> {
    let alg = algorithm(algorithm_name)?;
    let header = format!("{{\"alg\":\"{algorithm_name}\",\"typ\":\"JWT\"}}");
    let mut token = String::with_capacity((header.len() + payload.len()) * 4 / 3 + 96);
    b64_encode_into(header.as_bytes(), &mut token);
    token.push('.');
    b64_encode_into(payload.as_bytes(), &mut token);
    let sig = HmacKey::new(secret.as_bytes()).sign(alg, token.as_bytes())?;
    token.push('.');
    b64_encode_into(&sig, &mut token);
    Ok(token)
}

/// A token as pgjwt's `regexp_split_to_array(token, '\.')` sees it: the first three
/// parts (more are ignored, missing ones are NULL).
pub struct Parts<'a> {
    pub header: &'a str,
    pub payload: Option<&'a str>,
    pub signature: Option<&'a str>,
}

pub fn split(token: &str) -> Parts<'_> {
    let mut it = token.split('.');
    Parts {
        header: it.next().unwrap_or(""),
        payload: it.next(),
        signature: it.next(),
    }
}

/// pgjwt's `signature_ok`, `r[3] = algorithm_sign(r[1] || '.' || r[2], secret, algorithm)`:
/// NULL (None) when the token has no payload part (the signing input is NULL and pgcrypto's
/// strict `hmac()` is not called, so an unknown algorithm is no error then) or no signature
/// part (the HMAC is still computed, so an unknown algorithm is an error).
pub fn signature_ok(parts: &Parts, secret: &str, algorithm_name: &str) -> Result<Option<bool>> {
    let Some(payload) = parts.payload else {
        return Ok(None);
    };
    let alg = algorithm(algorithm_name)?;
    let Some(signature) = parts.signature else {
        return Ok(None);
    };
    let input = format!("{}.{}", parts.header, payload);
    let mut expected = String::new();
    b64_encode_into(
        &HmacKey::new(secret.as_bytes()).sign(alg, input.as_bytes())?,
        &mut expected,
    );
    // the text must be equal, as pgjwt's `=` requires (a non-canonical base64url of
    // the same bytes is not); compared in constant time
    Ok(Some(
        aws_lc_rs::constant_time::verify_slices_are_equal(
            expected.as_bytes(),
            signature.as_bytes(),
        )
        .is_ok(),
    ))
}

/// pgjwt's `url_decode`: base64url to base64 with padding (PostgreSQL's decoder does
/// the rest, with its own errors).
pub fn to_padded_base64(part: &str) -> String {
    let mut s: String = part
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    let rem = s.chars().count() % 4;
    if rem > 0 {
        s.push_str(&"=".repeat(4 - rem));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_match_pgjwt() {
        // pgjwt 0.2: SELECT sign('{"sub":"1234567890","name":"John Doe","admin":true}', 'secret');
        assert_eq!(
            sign(
                r#"{"sub":"1234567890","name":"John Doe","admin":true}"#,
                "secret",
                "HS256"
            )
            .unwrap(),
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiYWRtaW4iOnRydWV9.TJVA95OrM7E2cBab30RMHrHDcEfxjoYZgeFONFh7HgQ"
        );
        // any secret length, the payload text verbatim (spaces kept)
        let t = sign("{ \"a\" : 1 }", "", "HS512").unwrap();
        assert!(t.starts_with("eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9.eyAiYSIgOiAxIH0."));
        for bad in ["hs256", "RS256", "none", ""] {
            assert_eq!(
                sign("{}", "s", bad).unwrap_err().message(),
                r#"Cannot use "": No such hash algorithm"#
            );
        }
    }

    #[test]
    fn verification_parts_and_signature() {
        let t = sign(r#"{"a":1}"#, "k", "HS384").unwrap();
        let p = split(&t);
        assert_eq!(signature_ok(&p, "k", "HS384").unwrap(), Some(true));
        assert_eq!(signature_ok(&p, "other", "HS384").unwrap(), Some(false));
        assert_eq!(signature_ok(&p, "k", "HS256").unwrap(), Some(false));
        // a fourth part is ignored, as pgjwt's r[1..3] ignore it
        let four = format!("{t}.extra");
        assert_eq!(
            signature_ok(&split(&four), "k", "HS384").unwrap(),
            Some(true)
        );
        assert_eq!(signature_ok(&split("a.b"), "k", "HS384").unwrap(), None);
        assert_eq!(to_padded_base64("eyJ9-_"), "eyJ9+/==");
    }
}

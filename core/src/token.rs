//! The JWS compact serialization (RFC 7515 section 7.1): splitting a token, strict
//! base64url, and the protected header.

use crate::alg::Alg;
use crate::error::truncate;
use crate::error::{JwtError, Kind, Result};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;
use std::rc::Rc;

/// A token cut into its three parts; nothing decoded yet.
#[derive(Debug, Clone, Copy)]
pub struct Parts<'a> {
    pub header: &'a str,
    pub payload: &'a str,
    pub signature: &'a str,
    /// `header.payload`, the bytes the signature covers
    pub signing_input: &'a str,
}

/// Split a token. Surrounding whitespace is ignored; the size limit is checked first.
pub fn split(token: &str, max_bytes: usize) -> Result<Parts<'_>> {
    let token = token.trim_matches(|c: char| c.is_ascii_whitespace());
    if token.is_empty() {
        return Err(JwtError::new(Kind::EmptyToken));
    }
    if token.len() > max_bytes {
        return Err(JwtError::with_detail(
            Kind::TokenTooLarge,
            format!(
                "{} bytes; pgrst_jwt.max_token_bytes is {max_bytes}",
                token.len()
            ),
        ));
    }
    let mut it = token.splitn(4, '.');
    let (h, p, s) = match (it.next(), it.next(), it.next(), it.next()) {
        (Some(h), Some(p), Some(s), None) => (h, p, s),
        _ => return Err(JwtError::new(Kind::WrongParts(token.split('.').count()))),
    };
    Ok(Parts {
        header: h,
        payload: p,
        signature: s,
        signing_input: &token[..h.len() + 1 + p.len()],
    })
}

/// Strict base64url: the URL-safe alphabet, no padding, no stray trailing bits.
pub fn b64_decode(part: &str, what: &str) -> Result<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(part).map_err(|_| {
        JwtError::with_detail(
            Kind::Undecodable,
            format!("the {what} is not valid base64url"),
        )
    })
}

/// Largest signature we accept: RSA-8192 (1024 bytes).
pub const MAX_SIGNATURE_BYTES: usize = 1024;

/// Decode the signature part into `buf` (no allocation).
pub fn b64_decode_signature<'b>(
    part: &str,
    buf: &'b mut [u8; MAX_SIGNATURE_BYTES],
) -> Result<&'b [u8]> {
    let bad = || JwtError::with_detail(Kind::Undecodable, "the signature is not valid base64url");
    if part.len() > MAX_SIGNATURE_BYTES * 4 / 3 + 4 {
        return Err(bad());
    }
    let n = URL_SAFE_NO_PAD
        .decode_slice(part, &mut buf[..])
        .map_err(|_| bad())?;
    Ok(&buf[..n])
}

pub fn b64_encode_into(bytes: &[u8], out: &mut String) {
    URL_SAFE_NO_PAD.encode_string(bytes, out);
}

/// The protected header members we act on.
#[derive(Debug, PartialEq, Eq)]
pub struct Header {
    pub alg: Alg,
    pub kid: Option<String>,
}

/// Largest encoded header kept in a [`HeaderCache`].
const MAX_CACHED_HEADER: usize = 512;

/// The last header decoded, with its encoded form: the tokens a backend sees mostly
/// share one header. The SQL layer keeps one per backend and passes it in.
#[derive(Default)]
pub struct HeaderCache {
    last: Option<(String, Rc<Header>)>,
}

impl HeaderCache {
    /// Decode and check the header part ([`header`]), from the cache when it is the
    /// last one decoded.
    pub fn header(&mut self, part: &str) -> Result<Rc<Header>> {
        if let Some((p, h)) = &self.last {
            if p == part {
                return Ok(h.clone());
            }
        }
        let h = Rc::new(header(part)?);
        // only ordinary headers are kept: a huge one is parsed and dropped
        if part.len() <= MAX_CACHED_HEADER {
            self.last = Some((part.to_string(), h.clone()));
        }
        Ok(h)
    }
}

#[derive(Deserialize)]
struct RawHeader {
    alg: Option<serde_json::Value>,
    kid: Option<serde_json::Value>,
    crit: Option<serde_json::Value>,
}

/// Decode the header part into its JSON text (must be a JSON object).
pub fn header_json(part: &str) -> Result<String> {
    let bytes = b64_decode(part, "header")?;
    let json = String::from_utf8(bytes)
        .map_err(|_| JwtError::with_detail(Kind::Undecodable, "the header is not UTF-8"))?;
    if !json.trim_start().starts_with('{') {
        return Err(JwtError::with_detail(
            Kind::Undecodable,
            "the header is not a JSON object",
        ));
    }
    Ok(json)
}

/// Decode and check the header: a known algorithm (never `none`), a string `kid`,
/// and no `crit` extensions (we understand none, RFC 7515 4.1.11).
pub fn header(part: &str) -> Result<Header> {
    let json = header_json(part)?;
    let raw: RawHeader = serde_json::from_str(&json)
        .map_err(|_| JwtError::with_detail(Kind::Undecodable, "the header is not a JSON object"))?;
    let alg = match &raw.alg {
        Some(serde_json::Value::String(name)) => Alg::from_header(name).ok_or_else(|| {
            JwtError::with_detail(
                Kind::UnsupportedAlgorithm,
                format!("\"alg\": \"{}\"", truncate(name, 32)),
            )
        })?,
        Some(_) => {
            return Err(JwtError::with_detail(
                Kind::UnsupportedAlgorithm,
                "\"alg\" is not a string",
            ))
        }
        None => {
            return Err(JwtError::with_detail(
                Kind::UnsupportedAlgorithm,
                "the header has no \"alg\"",
            ))
        }
    };
    if raw.crit.is_some() {
        return Err(JwtError::with_detail(
            Kind::UnsupportedAlgorithm,
            "the header has \"crit\" extensions",
        ));
    }
    let kid = match raw.kid {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(k)) => Some(k),
        Some(_) => {
            return Err(JwtError::with_detail(
                Kind::Undecodable,
                "\"kid\" is not a string",
            ))
        }
    };
    Ok(Header { alg, kid })
}

/// Decode the payload part into its text (JSON is checked by the claim rules).
pub fn payload_text(part: &str) -> Result<String> {
    // one spare byte: the text later gains a NUL on its way into jsonb_in
    let mut bytes = Vec::with_capacity(part.len() * 3 / 4 + 1);
    URL_SAFE_NO_PAD.decode_vec(part, &mut bytes).map_err(|_| {
        JwtError::with_detail(Kind::Undecodable, "the payload is not valid base64url")
    })?;
    String::from_utf8(bytes)
        .map_err(|_| JwtError::with_detail(Kind::ClaimsParse, "the payload is not UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_counts_parts() {
        assert_eq!(split("", 100).unwrap_err().kind, Kind::EmptyToken);
        assert_eq!(split("  ", 100).unwrap_err().kind, Kind::EmptyToken);
        assert_eq!(split("a.b", 100).unwrap_err().kind, Kind::WrongParts(2));
        assert_eq!(
            split("a.b.c.d.e", 100).unwrap_err().kind,
            Kind::WrongParts(5)
        );
        assert_eq!(split("abc", 100).unwrap_err().kind, Kind::WrongParts(1));
        let p = split(" a.b.c\n", 100).unwrap();
        assert_eq!(
            (p.header, p.payload, p.signature, p.signing_input),
            ("a", "b", "c", "a.b")
        );
        assert_eq!(split("a.b.c", 4).unwrap_err().kind, Kind::TokenTooLarge);
    }

    #[test]
    fn base64url_is_strict() {
        assert_eq!(b64_decode("eyJ9", "x").unwrap(), b"{\"}");
        for bad in ["eyJ9=", "ey+9", "ey/9", "e", "eyK"] {
            assert_eq!(
                b64_decode(bad, "x").unwrap_err().kind,
                Kind::Undecodable,
                "{bad}"
            );
        }
    }

    fn enc(s: &str) -> String {
        let mut out = String::new();
        b64_encode_into(s.as_bytes(), &mut out);
        out
    }

    #[test]
    fn header_rules() {
        let h = header(&enc(r#"{"alg":"HS256","typ":"JWT","kid":"k1"}"#)).unwrap();
        assert_eq!(h.alg, Alg::HS256);
        assert_eq!(h.kid.as_deref(), Some("k1"));
        for (bad, k) in [
            (r#"{"alg":"none"}"#, Kind::UnsupportedAlgorithm),
            (r#"{"alg":"None"}"#, Kind::UnsupportedAlgorithm),
            (r#"{"alg":"hs256"}"#, Kind::UnsupportedAlgorithm),
            (r#"{"typ":"JWT"}"#, Kind::UnsupportedAlgorithm),
            (r#"{"alg":256}"#, Kind::UnsupportedAlgorithm),
            (
                r#"{"alg":"HS256","crit":["exp"]}"#,
                Kind::UnsupportedAlgorithm,
            ),
            (r#"{"alg":"HS256","kid":1}"#, Kind::Undecodable),
            (r#"["HS256"]"#, Kind::Undecodable),
            ("not json", Kind::Undecodable),
        ] {
            assert_eq!(header(&enc(bad)).unwrap_err().kind, k, "{bad}");
        }
        assert_eq!(header("%%%").unwrap_err().kind, Kind::Undecodable);
    }

    #[test]
    fn header_cache_follows_the_header() {
        let a = enc(r#"{"alg":"HS256","kid":"a"}"#);
        let b = enc(r#"{"alg":"ES256"}"#);
        let mut cache = HeaderCache::default();
        for _ in 0..2 {
            assert_eq!(cache.header(&a).unwrap().kid.as_deref(), Some("a"));
            let hb = cache.header(&b).unwrap();
            assert_eq!((hb.alg, hb.kid.as_deref()), (Alg::ES256, None));
            assert_eq!(
                cache.header(&enc(r#"{"alg":"none"}"#)).unwrap_err().kind,
                Kind::UnsupportedAlgorithm
            );
        }
    }

    #[test]
    fn signature_size_is_bounded() {
        let mut buf = [0u8; MAX_SIGNATURE_BYTES];
        let big = "A".repeat(MAX_SIGNATURE_BYTES * 2);
        assert_eq!(
            b64_decode_signature(&big, &mut buf).unwrap_err().kind,
            Kind::Undecodable
        );
        assert_eq!(b64_decode_signature("AAAA", &mut buf).unwrap(), &[0, 0, 0]);
    }
}

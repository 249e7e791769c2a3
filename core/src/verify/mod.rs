//! Verification: split, header, key selection, signature, then the claim rules.

use crate::alg::{Alg, Family};
use crate::claims::{self, ClaimRules};
use crate::error::{JwtError, Kind, Result};
use crate::keys::{Key, KeySet};
use crate::token::{self, Header, HeaderCache};

/// PostgREST's allowance for clock skew, in seconds (`leeway` when none is given).
pub const DEFAULT_LEEWAY: i32 = 30;

/// How a token is verified.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    /// the caller insists on this algorithm
    pub algorithm: Option<Alg>,
    pub rules: ClaimRules<'a>,
    pub max_bytes: usize,
    /// PostgREST's rules for its configured secret: a plain secret is pinned to HS256
    /// and has no key id, so a token with `kid` finds no key.
    pub postgrest: bool,
}

impl<'a> Options<'a> {
    /// A caller's options: the `algorithm` it insists on by name (None: any algorithm
    /// that fits the key), `leeway` seconds of clock skew (None: [`DEFAULT_LEEWAY`];
    /// negative values are refused) and the expected `audience`, at time `now` (whole
    /// seconds since the epoch), for tokens of at most `max_bytes`.
    pub fn new(
        algorithm: Option<&str>,
        leeway: Option<i32>,
        audience: Option<&'a str>,
        now: i64,
        max_bytes: usize,
    ) -> Result<Options<'a>> {
        let leeway = leeway.unwrap_or(DEFAULT_LEEWAY);
        if leeway < 0 {
            return Err(JwtError::with_detail(
                Kind::InvalidArgument("leeway"),
                "leeway must be zero or more seconds",
            ));
        }
        Ok(Options {
            algorithm: algorithm.map(Alg::from_arg).transpose()?,
            rules: ClaimRules {
                now,
                leeway: i64::from(leeway),
                audience,
            },
            max_bytes,
            postgrest: false,
        })
    }

    /// PostgREST's rules for its configured secret, with the expected `audience`.
    pub fn postgrest(self, audience: Option<&'a str>) -> Options<'a> {
        Options {
            postgrest: true,
            rules: ClaimRules {
                audience,
                ..self.rules
            },
            ..self
        }
    }
}

/// A token's decoded header and payload JSON texts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub header: String,
    pub payload: String,
}

/// Verify and return the payload's JSON text (the claims), or the reason for refusal.
/// `headers` remembers the last header decoded (the caller keeps it across calls).
pub fn verify(
    token: &str,
    keys: &KeySet,
    opts: &Options,
    headers: &mut HeaderCache,
) -> Result<String> {
    let parts = token::split(token, opts.max_bytes)?;
    let header = headers.header(parts.header)?;
    check_signature(&parts, &header, keys, opts)?;
    let payload = payload(parts.payload)?;
    claims::check(&payload, &opts.rules)?;
    Ok(payload)
}

/// What checking a token found: the outcome of verification, and whatever could be
/// decoded of the token (shown even for a refused token).
#[derive(Debug)]
pub struct Checked {
    pub result: Result<()>,
    pub decoded: Option<Decoded>,
}

/// Like [`verify`], never failing: a missing token is `EmptyToken`, keys that could not be
/// had (`Err`: no configured secret) are the outcome, and what decodes is handed back.
pub fn check(
    token: Option<&str>,
    keys: Result<&KeySet>,
    opts: &Options,
    headers: &mut HeaderCache,
) -> Checked {
    let Some(token) = token else {
        return Checked {
            result: Err(JwtError::new(Kind::EmptyToken)),
            decoded: None,
        };
    };
    let result = keys.and_then(|keys| verify(token, keys, opts, headers).map(|_| ()));
    Checked {
        result,
        decoded: decode(token, opts.max_bytes).ok(),
    }
}

/// Header and payload without any verification (the payload must still be a JSON object).
pub fn decode(token: &str, max_bytes: usize) -> Result<Decoded> {
    let parts = token::split(token, max_bytes)?;
    let header = token::header_json(parts.header)?;
    let payload = payload(parts.payload)?;
    serde_json::from_str::<serde::de::IgnoredAny>(&header)
        .map_err(|_| JwtError::with_detail(Kind::Undecodable, "the header is not valid JSON"))?;
    if !payload.trim_start().starts_with('{')
        || serde_json::from_str::<serde::de::IgnoredAny>(&payload).is_err()
    {
        return Err(JwtError::with_detail(
            Kind::ClaimsParse,
            "the payload is not a JSON object",
        ));
    }
    Ok(Decoded { header, payload })
}

fn payload(part: &str) -> Result<String> {
    let text = token::payload_text(part)?;
    // PostgreSQL's jsonb cannot hold U+0000: refuse here rather than fail on conversion
    if text.contains('\\') && text.contains("\\u0000") {
        return Err(JwtError::with_detail(
            Kind::ClaimsParse,
            "the payload contains \\u0000",
        ));
    }
    Ok(text)
}

fn check_signature(
    parts: &token::Parts,
    header: &Header,
    keys: &KeySet,
    opts: &Options,
) -> Result<()> {
    let alg = header.alg;
    if let Some(wanted) = opts.algorithm {
        if wanted != alg {
            return Err(JwtError::with_detail(
                Kind::UnsupportedAlgorithm,
                format!(
                    "the token uses {}, {} is required",
                    alg.name(),
                    wanted.name()
                ),
            ));
        }
    }
    let pinned = opts.postgrest && keys.plain;
    if pinned && alg != Alg::HS256 {
        return Err(JwtError::with_detail(
            Kind::NoSuitableKey,
            format!(
                "a plain JWT secret only verifies HS256, the token uses {}",
                alg.name()
            ),
        ));
    }
    let kid = header.kid.as_deref();
    if pinned && kid.is_some() {
        return Err(JwtError::with_detail(
            Kind::NoSuitableKey,
            "the token names a \"kid\" but a plain JWT secret has no key id",
        ));
    }
    // A token's kid selects the keys carrying that kid. Keys without one (a plain secret,
    // a PEM key, a JWK without "kid") were chosen by the caller and stay candidates, except
    // under PostgREST's rules, where a kid must be matched by a key's kid.
    let fits = |k: &&Key| {
        let kid_ok = match kid {
            None => true,
            Some(t) => k.kid.as_deref() == Some(t) || (!opts.postgrest && k.kid.is_none()),
        };
        kid_ok && k.fits(alg)
    };
    if !keys.keys.iter().any(|k| fits(&k)) {
        return Err(no_key_detail(keys, alg, kid, opts.postgrest));
    }
    let mut buf = [0u8; token::MAX_SIGNATURE_BYTES];
    let sig = token::b64_decode_signature(parts.signature, &mut buf)?;
    let msg = parts.signing_input.as_bytes();
    if keys.keys.iter().filter(fits).any(|k| {
        crate::interrupt::check();
        k.verify(alg, msg, sig)
    }) {
        Ok(())
    } else {
        Err(JwtError::with_detail(
            Kind::BadSignature,
            "the signature does not match",
        ))
    }
}

fn no_key_detail(keys: &KeySet, alg: Alg, kid: Option<&str>, postgrest: bool) -> JwtError {
    let kid_unmatched = kid.filter(|t| {
        !keys.keys.iter().any(|k| match &k.kid {
            Some(k) => k == t,
            None => !postgrest,
        })
    });
    let detail = if let Some(kid) = kid_unmatched {
        format!("no key has \"kid\" \"{}\"", crate::error::truncate(kid, 64))
    } else if keys.keys.len() == 1 {
        if alg.family() == Family::Hmac && !keys.keys[0].family().serves(alg) {
            "an HMAC algorithm cannot be verified with an asymmetric key".to_string()
        } else {
            format!(
                "{} cannot be verified with {}",
                alg.name(),
                keys.keys[0].describe()
            )
        }
    } else {
        format!("no key in the set fits {}", alg.name())
    };
    JwtError::with_detail(Kind::NoSuitableKey, detail)
}

#[cfg(test)]
mod tests;

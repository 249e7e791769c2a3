//! PostgREST's claim rules for a verified payload: `exp`, `nbf`, `iat` with a clock
//! skew allowance, and `aud` against the expected audience. The clock is passed in,
//! so fixed vectors with old times can be tested.

use crate::error::{JwtError, Kind, Result};
use crate::numeric::whole_or_zero;
use serde::Deserialize;
use serde_json::value::RawValue;

/// What the time and audience checks need.
#[derive(Debug, Clone, Copy)]
pub struct ClaimRules<'a> {
    /// now, in whole seconds since the epoch
    pub now: i64,
    /// allowed clock skew in seconds (PostgREST: 30)
    pub leeway: i64,
    /// expected audience (`pgrst.jwt_aud`); None: `aud` is not checked
    pub audience: Option<&'a str>,
}

/// The registered claims the rules look at, borrowed from the payload text.
/// `null` is kept as a value (Some), only a missing claim is None ([`given`] tells).
#[derive(Deserialize)]
struct Registered<'a> {
    #[serde(borrow, default, deserialize_with = "present")]
    exp: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    nbf: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    iat: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    aud: Option<&'a RawValue>,
}

fn present<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<&'de RawValue>, D::Error> {
    <&RawValue>::deserialize(d).map(Some)
}

/// Parse the payload (must be a JSON object) and apply the rules, in PostgREST's order:
/// exp, nbf, iat, aud. As PostgREST reads them (aeson's `.:?`, since v14), a time claim that
/// is `null` counts as absent; `aud`'s type (a string or an array of strings, or null) is
/// checked even when no audience is expected, its value only when one is.
pub fn check(payload: &str, rules: &ClaimRules) -> Result<()> {
    let r = parse(payload)?;
    if let Some(exp) = given(r.exp) {
        if rules.now.saturating_sub(rules.leeway) > seconds(exp, "exp")? {
            return Err(JwtError::new(Kind::Expired));
        }
    }
    if let Some(nbf) = given(r.nbf) {
        if rules.now.saturating_add(rules.leeway) < seconds(nbf, "nbf")? {
            return Err(JwtError::new(Kind::NotYetValid));
        }
    }
    if let Some(iat) = given(r.iat) {
        if rules.now.saturating_add(rules.leeway) < seconds(iat, "iat")? {
            return Err(JwtError::new(Kind::IssuedInFuture));
        }
    }
    if let Some(aud) = r.aud {
        check_audience(aud.get(), rules.audience)?;
    }
    Ok(())
}

/// A time claim that is given: present and not `null`.
fn given(v: Option<&RawValue>) -> Option<&RawValue> {
    v.filter(|raw| raw.get() != "null")
}

fn parse(payload: &str) -> Result<Registered<'_>> {
    // serde would read a struct from a JSON array too: insist on an object
    if !payload.trim_start().starts_with('{') {
        return Err(JwtError::with_detail(
            Kind::ClaimsParse,
            "the payload is not a JSON object",
        ));
    }
    serde_json::from_str(payload).map_err(|e| {
        let what = if e.to_string().contains("duplicate field") {
            "a registered claim appears more than once"
        } else {
            "the payload is not valid JSON"
        };
        JwtError::with_detail(Kind::ClaimsParse, what)
    })
}

/// A time claim as PostgREST reads it: a number; a whole one within 64 bits is taken as
/// is, any other number (fractional, huge) as 0.
fn seconds(raw: &RawValue, claim: &'static str) -> Result<i64> {
    let text = raw.get();
    if !text.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
        return Err(JwtError::new(Kind::ClaimNotNumber(claim)));
    }
    Ok(whole_or_zero(text))
}

fn check_audience(aud: &str, expected: Option<&str>) -> Result<()> {
    let value: serde_json::Value =
        serde_json::from_str(aud).map_err(|_| JwtError::new(Kind::ClaimsParse))?;
    let matches = |s: &str| expected.is_none_or(|e| s == e);
    let ok = match &value {
        serde_json::Value::Null => true,
        serde_json::Value::String(s) => matches(s),
        serde_json::Value::Array(items) => {
            if !items.iter().all(|v| v.is_string()) {
                return Err(JwtError::new(Kind::AudienceType));
            }
            items.is_empty() || items.iter().any(|v| v.as_str().is_some_and(matches))
        }
        _ => return Err(JwtError::new(Kind::AudienceType)),
    };
    if ok {
        Ok(())
    } else {
        Err(JwtError::new(Kind::NotInAudience))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000;

    fn rules(aud: Option<&str>) -> ClaimRules<'_> {
        ClaimRules {
            now: NOW,
            leeway: 30,
            audience: aud,
        }
    }

    fn kind(payload: &str, aud: Option<&str>) -> Option<Kind> {
        check(payload, &rules(aud)).err().map(|e| e.kind)
    }

    #[test]
    fn exp_boundary_with_skew() {
        assert_eq!(kind(&format!(r#"{{"exp":{}}}"#, NOW - 30), None), None);
        assert_eq!(
            kind(&format!(r#"{{"exp":{}}}"#, NOW - 31), None),
            Some(Kind::Expired)
        );
        // RFC 7519's example token expired in 2011
        assert_eq!(
            kind(r#"{"iss":"joe","exp":1300819380}"#, None),
            Some(Kind::Expired)
        );
        // fractional reads as 0: expired
        assert_eq!(
            kind(&format!(r#"{{"exp":{}.5}}"#, NOW + 1000), None),
            Some(Kind::Expired)
        );
        // whole number written with a fraction or exponent is fine
        assert_eq!(
            kind(&format!(r#"{{"exp":{}.000}}"#, NOW + 1000), None),
            None
        );
        assert_eq!(kind(r#"{"exp":1.8e9}"#, None), None);
        assert_eq!(kind(r#"{"exp":1e30}"#, None), Some(Kind::Expired));
    }

    #[test]
    fn nbf_and_iat_boundaries() {
        assert_eq!(kind(&format!(r#"{{"nbf":{}}}"#, NOW + 30), None), None);
        assert_eq!(
            kind(&format!(r#"{{"nbf":{}}}"#, NOW + 31), None),
            Some(Kind::NotYetValid)
        );
        assert_eq!(kind(&format!(r#"{{"iat":{}}}"#, NOW + 30), None), None);
        assert_eq!(
            kind(&format!(r#"{{"iat":{}}}"#, NOW + 31), None),
            Some(Kind::IssuedInFuture)
        );
        // fractional nbf/iat read as 0: in the past, accepted
        assert_eq!(kind(&format!(r#"{{"nbf":{}.5}}"#, NOW + 1000), None), None);
    }

    #[test]
    fn leeway_is_configurable() {
        let r = ClaimRules {
            now: NOW,
            leeway: 0,
            audience: None,
        };
        let p = format!(r#"{{"exp":{}}}"#, NOW - 1);
        assert_eq!(check(&p, &r).unwrap_err().kind, Kind::Expired);
        let p = format!(r#"{{"exp":{}}}"#, NOW);
        assert!(check(&p, &r).is_ok());
    }

    #[test]
    fn time_claims_must_be_numbers() {
        for (p, c) in [
            (r#"{"exp":"1"}"#, "exp"),
            (r#"{"exp":{}}"#, "exp"),
            (r#"{"nbf":true}"#, "nbf"),
            (r#"{"iat":[1]}"#, "iat"),
        ] {
            assert_eq!(kind(p, None), Some(Kind::ClaimNotNumber(c)), "{p}");
        }
    }

    #[test]
    fn audience_matrix() {
        let a = Some("api");
        assert_eq!(kind(r#"{"aud":"api"}"#, a), None);
        assert_eq!(kind(r#"{"aud":["x","api"]}"#, a), None);
        assert_eq!(kind(r#"{}"#, a), None);
        assert_eq!(kind(r#"{"aud":null}"#, a), None);
        assert_eq!(kind(r#"{"aud":[]}"#, a), None);
        assert_eq!(kind(r#"{"aud":"other"}"#, a), Some(Kind::NotInAudience));
        assert_eq!(kind(r#"{"aud":""}"#, a), Some(Kind::NotInAudience));
        assert_eq!(kind(r#"{"aud":["x"]}"#, a), Some(Kind::NotInAudience));
        assert_eq!(kind(r#"{"aud":1}"#, a), Some(Kind::AudienceType));
        assert_eq!(kind(r#"{"aud":{"a":1}}"#, a), Some(Kind::AudienceType));
        assert_eq!(kind(r#"{"aud":["api",1]}"#, a), Some(Kind::AudienceType));
        // no expected audience: any string or array of strings, but the type is checked
        assert_eq!(kind(r#"{"aud":"anything"}"#, None), None);
        assert_eq!(kind(r#"{"aud":["a","b"]}"#, None), None);
        assert_eq!(kind(r#"{"aud":[]}"#, None), None);
        assert_eq!(kind(r#"{"aud":null}"#, None), None);
        assert_eq!(kind(r#"{"aud":1}"#, None), Some(Kind::AudienceType));
        assert_eq!(kind(r#"{"aud":{"a":1}}"#, None), Some(Kind::AudienceType));
        assert_eq!(kind(r#"{"aud":["a",1]}"#, None), Some(Kind::AudienceType));
    }

    #[test]
    fn null_time_claims_are_absent() {
        for p in [
            r#"{"exp":null}"#,
            r#"{"nbf":null}"#,
            r#"{"iat":null}"#,
            r#"{"exp":null,"nbf":null,"iat":null,"aud":null}"#,
        ] {
            assert_eq!(kind(p, Some("api")), None, "{p}");
        }
    }

    #[test]
    fn payload_must_be_an_object() {
        assert_eq!(kind("[1,2]", None), Some(Kind::ClaimsParse));
        assert_eq!(kind("\"x\"", None), Some(Kind::ClaimsParse));
        assert_eq!(kind("{", None), Some(Kind::ClaimsParse));
        assert_eq!(kind(r#"{"exp":1,"exp":2}"#, None), Some(Kind::ClaimsParse));
    }
}

//! Verified sessions (the companion extension `pgrst_jwt_auth`: `auth.session()`,
//! `auth.user_id()`): what a verified token's claims say about its session, the rules a
//! session keeps after verification (expiry on every call, an optional strictly
//! increasing `jti`), and the bearer token of PostgREST's `request.headers`.
//!
//! Pure: the SQL layer verifies the token (with the configured keys and PostgREST's
//! rules), keeps the session and passes the clock in.

use crate::numeric::whole_or_zero;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// PostgREST's clock skew allowance, also applied when a session's `exp` is re-checked.
pub const LEEWAY: i64 = 30;

/// Why a verified token cannot be (or stay) a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionError {
    /// `jti` replay protection is on and the token has no integer `jti`.
    JtiMissing,
    /// `jti` replay protection is on and the token's `jti` is not above the last one.
    JtiNotIncreasing { last: i64, got: i64 },
    /// the claims are not a JSON object (the verifier refuses those first)
    NotObject,
}

/// The `sub` claim of a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// missing or `null`: `auth.user_id()` is NULL
    Absent,
    Text(String),
    /// a number, an object, an array or a boolean
    NotText,
}

/// What a session needs of its verified claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionClaims {
    /// whole seconds as PostgREST reads them (a fractional or huge number is 0); None:
    /// missing or `null`
    pub exp: Option<i64>,
    pub sub: Subject,
    /// an integer `jti` (None: missing, or not an integer)
    pub jti: Option<i64>,
}

#[derive(Deserialize)]
struct Registered<'a> {
    #[serde(borrow, default)]
    exp: Option<&'a RawValue>,
    #[serde(borrow, default)]
    jti: Option<&'a RawValue>,
    #[serde(default)]
    sub: Option<Value>,
}

impl SessionClaims {
    /// Read from a verified payload (a JSON object: the verifier has checked it, and
    /// that its time claims are numbers).
    pub fn parse(payload: &str) -> Result<SessionClaims, SessionError> {
        if !payload.trim_start().starts_with('{') {
            return Err(SessionError::NotObject);
        }
        let r: Registered = serde_json::from_str(payload).map_err(|_| SessionError::NotObject)?;
        let exp = r
            .exp
            .map(RawValue::get)
            .filter(|t| t.starts_with(|c: char| c == '-' || c.is_ascii_digit()))
            .map(whole_or_zero);
        let jti = r.jti.and_then(|raw| raw.get().parse::<i64>().ok());
        let sub = match r.sub {
            None | Some(Value::Null) => Subject::Absent,
            Some(Value::String(s)) => Subject::Text(s),
            Some(_) => Subject::NotText,
        };
        Ok(SessionClaims { exp, sub, jti })
    }

    /// Whether the session has expired at `now` (whole seconds), with PostgREST's skew.
    pub fn expired(&self, now: i64) -> bool {
        self.exp.is_some_and(|exp| now.saturating_sub(LEEWAY) > exp)
    }
}

/// The `jti` a new session may start with when replay protection is on: an integer
/// strictly above the last one this backend accepted.
pub fn next_jti(last: Option<i64>, jti: Option<i64>) -> Result<i64, SessionError> {
    let got = jti.ok_or(SessionError::JtiMissing)?;
    match last {
        Some(last) if got <= last => Err(SessionError::JtiNotIncreasing { last, got }),
        _ => Ok(got),
    }
}

/// The bearer token of PostgREST's `request.headers` (a JSON object of lower-cased
/// header names): the `authorization` header split at spaces, as PostgREST splits it,
/// whose first word is `Bearer` or `bearer`; the token is the second word. None when
/// there is no such header, the text is not a JSON object, or the token is empty.
pub fn bearer_token(headers: &str) -> Option<String> {
    let map: Map<String, Value> = serde_json::from_str(headers).ok()?;
    let value = map.get("authorization")?.as_str()?;
    let mut words = value.split(' ');
    match words.next()? {
        "Bearer" | "bearer" => {}
        _ => return None,
    }
    let token = words.next()?;
    (!token.is_empty()).then(|| token.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_of_a_session() {
        let c = SessionClaims::parse(r#"{"sub":"u1","exp":100,"jti":7}"#).unwrap();
        assert_eq!(
            c,
            SessionClaims {
                exp: Some(100),
                sub: Subject::Text("u1".into()),
                jti: Some(7)
            }
        );
        let c = SessionClaims::parse(r#"{"sub":null,"exp":1.5,"jti":"7"}"#).unwrap();
        assert_eq!((c.exp, c.sub, c.jti), (Some(0), Subject::Absent, None));
        let c = SessionClaims::parse(r#"{"sub":42,"exp":null}"#).unwrap();
        assert_eq!((c.exp, c.sub, c.jti), (None, Subject::NotText, None));
        assert_eq!(SessionClaims::parse("[1]"), Err(SessionError::NotObject));
    }

    #[test]
    fn expiry_with_postgrest_skew() {
        let c = SessionClaims::parse(r#"{"exp":1000}"#).unwrap();
        assert!(!c.expired(1030));
        assert!(c.expired(1031));
        assert!(!SessionClaims::parse("{}").unwrap().expired(i64::MAX));
    }

    #[test]
    fn jti_strictly_increases() {
        assert_eq!(next_jti(None, Some(1)), Ok(1));
        assert_eq!(next_jti(Some(1), Some(2)), Ok(2));
        assert_eq!(
            next_jti(Some(2), Some(2)),
            Err(SessionError::JtiNotIncreasing { last: 2, got: 2 })
        );
        assert_eq!(next_jti(Some(2), None), Err(SessionError::JtiMissing));
    }

    #[test]
    fn bearer_token_as_postgrest_reads_it() {
        let h = |v: &str| format!(r#"{{"authorization":{}}}"#, serde_json::json!(v));
        assert_eq!(bearer_token(&h("Bearer a.b.c")), Some("a.b.c".into()));
        assert_eq!(bearer_token(&h("bearer a.b.c")), Some("a.b.c".into()));
        assert_eq!(bearer_token(&h("BEARER a.b.c")), None);
        assert_eq!(bearer_token(&h("Basic xyz")), None);
        assert_eq!(bearer_token(&h("Bearer ")), None);
        assert_eq!(bearer_token(&h("Bearer  a.b.c")), None);
        assert_eq!(bearer_token(r#"{"Authorization":"Bearer a"}"#), None);
        assert_eq!(bearer_token("not json"), None);
        assert_eq!(bearer_token(r#"{"authorization":1}"#), None);
    }
}

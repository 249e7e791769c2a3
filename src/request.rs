//! The current PostgREST request, as the request helpers see it: its claims
//! (`request.jwt.claims`, which PostgREST sets for each request) and the role PostgREST
//! takes from claims (`pgrst.jwt_role_claim_key`).

use crate::caches;
use crate::settings;
use crate::sqltypes::{to_jsonb, JsonbDatum};
use crate::store;
use pgrst_jwt_core::DEFAULT_ROLE_CLAIM_KEY;
use pgrst_jwt_core::{JwtError, Kind, Result};
use serde_json::{Map, Value};

/// `jwt_role(claims)`: the role PostgREST would switch to; None for its anonymous role.
pub fn role(claims: &Value) -> Option<String> {
    let key = settings::role_claim_key().unwrap_or_else(|| DEFAULT_ROLE_CLAIM_KEY.to_string());
    caches::role_path(key).role(claims)
}

/// The request's claims text, when `request.jwt.claims` is set.
fn claims_text() -> Option<String> {
    store::setting(c"request.jwt.claims")
}

/// `jwt_claims()`: the request's claims; None outside a request.
pub fn claims() -> Option<JsonbDatum> {
    let text = claims_text()?;
    // PostgREST always sets a JSON object; anything else is treated as absent
    serde_json::from_str::<serde::de::IgnoredAny>(&text).ok()?;
    to_jsonb(text).ok()
}

/// `jwt_claim(name)`: one top-level claim as text (strings as they are, other values as
/// JSON); None when absent or null. A string holding U+0000 is refused as PostgreSQL's
/// `->>` refuses it (22P05): PostgreSQL text never holds NUL, and a truncated copy would
/// compare unequal to what `::regrole` or `quote_ident` see.
pub fn claim(name: &str) -> Result<Option<String>> {
    let Some(text) = claims_text() else {
        return Ok(None);
    };
    let Ok(claims) = serde_json::from_str::<Map<String, Value>>(&text) else {
        return Ok(None);
    };
    match claims.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.contains('\0') => Err(JwtError::with_detail(
            Kind::NulInText,
            format!(
                "\\u0000 cannot be converted to text (claim \"{}\").",
                pgrst_jwt_core::truncate(name, 64)
            ),
        )),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Ok(Some(other.to_string())),
    }
}

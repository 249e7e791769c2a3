//! The current PostgREST request, as the request helpers see it: its claims
//! (`request.jwt.claims`, which PostgREST sets for each request) and the role PostgREST
//! takes from claims (`pgrst.jwt_role_claim_key`).

use crate::caches;
use crate::settings;
use crate::sqltypes::{to_jsonb, JsonbDatum};
use crate::store;
use pgrst_jwt_core::DEFAULT_ROLE_CLAIM_KEY;
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
/// JSON); None when absent or null.
pub fn claim(name: &str) -> Option<String> {
    let claims: Map<String, Value> = serde_json::from_str(&claims_text()?).ok()?;
    match claims.get(name)? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

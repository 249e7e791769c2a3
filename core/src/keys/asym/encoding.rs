//! JWK member encoding shared by the key types.

use base64::Engine;
use serde_json::Value;

/// base64url without padding, as a JSON string.
pub(crate) fn b64u(bytes: &[u8]) -> Value {
    Value::String(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

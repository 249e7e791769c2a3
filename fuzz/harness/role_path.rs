//! The role claim path (`pgrst.jwt_role_claim_key`): bounded parsing and querying.
//!
//! Input: the path, a newline, then claims JSON. Properties: no panic, no stack
//! overflow, and quick (libFuzzer's timeout catches a slow path); a path over the
//! bounds is refused; a found role is a string.

use pgrst_jwt_core::{Kind, RolePath, MAX_PATH_BYTES};

pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (path, claims) = text.split_once('\n').unwrap_or((text, "{}"));
    match RolePath::parse(path) {
        Ok(p) => {
            assert!(path.trim().len() <= MAX_PATH_BYTES);
            if let Ok(claims) = serde_json::from_str::<serde_json::Value>(claims) {
                let _ = p.role(&claims);
            }
        }
        Err(e) => assert_eq!(e.kind, Kind::InvalidArgument("pgrst.jwt_role_claim_key")),
    }
}

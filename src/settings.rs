//! The extension's settings (GUCs). Defining them lets PostgreSQL 15 accept
//! `ALTER DATABASE/ROLE ... SET pgrst.jwt_aud = ...` inside a transaction. The `pgrst`
//! prefix is deliberately not reserved: PostgREST uses many other `pgrst.*` names.
//! `pgrst.jwt_secret` is not defined here: it stays a placeholder that PostgREST's
//! authenticator can read as before.

use pgrx::{GucContext, GucFlags, GucRegistry, GucSetting};
use std::ffi::CString;

pub static MAX_TOKEN_BYTES: GucSetting<i32> = GucSetting::<i32>::new(65536);
pub static JWT_AUD: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(None);
pub static ROLE_CLAIM_KEY: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(None);
pub static SECRET_IS_BASE64: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(None);

pub fn define() {
    GucRegistry::define_int_guc(
        c"pgrst_jwt.max_token_bytes",
        c"Largest token, in bytes, that pgrst_jwt decodes.",
        c"Longer tokens are refused before any decoding.",
        &MAX_TOKEN_BYTES,
        16,
        16 * 1024 * 1024,
        GucContext::Userset,
        GucFlags::UNIT_BYTE,
    );
    GucRegistry::define_string_guc(
        c"pgrst.jwt_aud",
        c"Audience that jwt_verify(token) requires, as PostgREST's jwt-aud.",
        c"Empty or unset: the aud claim is not checked.",
        &JWT_AUD,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_string_guc(
        c"pgrst.jwt_role_claim_key",
        c"JSONPath of the role claim, as PostgREST's jwt-role-claim-key.",
        c"Empty or unset: $.role.",
        &ROLE_CLAIM_KEY,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_string_guc(
        c"pgrst.jwt_secret_is_base64",
        c"Whether pgrst.jwt_secret is base64, as PostgREST's jwt-secret-is-base64.",
        c"true/false; empty or unset: false.",
        &SECRET_IS_BASE64,
        GucContext::Userset,
        GucFlags::default(),
    );
}

fn text(s: &GucSetting<Option<CString>>) -> Option<String> {
    s.get()
        .map(|c| c.to_string_lossy().trim().to_string())
        .filter(|v| !v.is_empty())
}

pub fn max_token_bytes() -> usize {
    MAX_TOKEN_BYTES.get().max(16) as usize
}

pub fn audience() -> Option<String> {
    text(&JWT_AUD)
}

pub fn role_claim_key() -> Option<String> {
    text(&ROLE_CLAIM_KEY)
}

/// PostgreSQL's boolean spellings; anything unrecognised reads as false.
pub fn secret_is_base64() -> bool {
    matches!(
        text(&SECRET_IS_BASE64)
            .map(|v| v.to_ascii_lowercase())
            .as_deref(),
        Some("true" | "on" | "yes" | "1" | "t" | "y")
    )
}

//! The extension's settings (GUCs).
//!
//! `pgrst.jwt_secret`, `pgrst.jwt_aud`, `pgrst.jwt_role_claim_key` and
//! `pgrst.jwt_secret_is_base64` decide what a token proves (which key, which audience,
//! which claim is the role, how the secret reads), so they are `PGC_SUSET`: only a
//! superuser (or a role granted `SET` on them) sets them, typically with
//! `ALTER ROLE authenticator SET …` in a migration, which is where PostgREST reads its
//! in-database configuration. A role the tokens authenticate cannot loosen them in its
//! session: `SET`, `set_config()` and a function's `SET` clause fail with 42501, and a
//! value it set before this library was loaded is discarded when the library defines
//! the setting (PostgreSQL reapplies placeholder values with the privileges of the role
//! that set them). `pgrst.jwt_secret` is also `GUC_SUPERUSER_ONLY | GUC_NO_SHOW_ALL`:
//! hidden from `SHOW`, `current_setting()` and `pg_settings` for ordinary roles in
//! every session that has loaded the library (all of them with `shared_preload_libraries`).
//!
//! Defining them also lets PostgreSQL 15 accept `ALTER DATABASE/ROLE ... SET` inside a
//! transaction. The `pgrst` prefix is deliberately not reserved: PostgREST uses many
//! other `pgrst.*` names. `pgrst_jwt.max_token_bytes` only bounds work, so any role
//! may set it.

use crate::report::OrRaise;
use pgrst_jwt_core::RolePath;
use pgrx::{pg_sys, GucContext, GucFlags, GucRegistry, GucSetting};
use std::ffi::{CStr, CString};
use std::sync::atomic::{AtomicBool, Ordering};
use zeroize::Zeroizing;

pub static MAX_TOKEN_BYTES: GucSetting<i32> = GucSetting::<i32>::new(65536);
pub static JWT_SECRET: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(None);
pub static JWT_AUD: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(None);
/// Boots as PostgREST's default, `$.role` (what `pg_settings.boot_val` shows).
pub static ROLE_CLAIM_KEY: GucSetting<Option<CString>> =
    GucSetting::<Option<CString>>::new(Some(c"$.role"));
pub static SECRET_IS_BASE64: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(None);

static PRELOADED: AtomicBool = AtomicBool::new(false);

pub fn define() {
    // SAFETY: read once, in _PG_init, of a flag PostgreSQL sets while it loads
    // shared_preload_libraries (a plain bool of the process, no other thread).
    let preloading = unsafe { pg_sys::process_shared_preload_libraries_in_progress };
    PRELOADED.store(preloading, Ordering::Relaxed);
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
        c"pgrst.jwt_secret",
        c"JWT secret of jwt_verify(token) when none is stored by set_pgrst_secret_from_env().",
        c"Superusers only; prefer set_pgrst_secret_from_env(), which keeps it out of settings and logs.",
        &JWT_SECRET,
        GucContext::Suset,
        GucFlags::SUPERUSER_ONLY | GucFlags::NO_SHOW_ALL,
    );
    // SAFETY: the check hook is guarded and only reads the proposed value.
    unsafe {
        GucRegistry::define_string_guc_with_hooks(
            c"pgrst.jwt_aud",
            c"Audience that jwt_verify(token) requires, as PostgREST's jwt-aud.",
            c"Empty or unset: the aud claim's value is not checked. A value with ':' must be a URI (RFC 3986). Superusers only.",
            &JWT_AUD,
            GucContext::Suset,
            GucFlags::default(),
            Some(check_audience),
            None,
            None,
        );
    }
    // SAFETY: the check hook is guarded and only reads the proposed value.
    unsafe {
        GucRegistry::define_string_guc_with_hooks(
            c"pgrst.jwt_role_claim_key",
            c"JSONPath of the role claim, as PostgREST's jwt-role-claim-key.",
            c"Empty or unset: $.role. Superusers only.",
            &ROLE_CLAIM_KEY,
            GucContext::Suset,
            GucFlags::default(),
            Some(check_role_claim_key),
            None,
            None,
        );
    }
    // SAFETY: the check hook is guarded and only reads the proposed value.
    unsafe {
        GucRegistry::define_string_guc_with_hooks(
            c"pgrst.jwt_secret_is_base64",
            c"Whether pgrst.jwt_secret is base64, as PostgREST's jwt-secret-is-base64.",
            c"true/false (any case) or an integer, as PostgREST reads it; empty or unset: false. Superusers only.",
            &SECRET_IS_BASE64,
            GucContext::Suset,
            GucFlags::default(),
            Some(check_boolean),
            None,
            None,
        );
    }
}

/// The proposed value of a string setting (None: unset or blank), for check hooks.
///
/// # Safety
/// `newval` is what PostgreSQL passes a string check hook.
unsafe fn proposed(newval: *mut *mut std::ffi::c_char) -> Option<String> {
    // SAFETY: PostgreSQL passes a valid pointer to the proposed value (NULL: unset), a
    // NUL-terminated string, copied (lossily) here.
    let p = unsafe { (*newval).as_ref() }?;
    let v = unsafe { CStr::from_ptr(p) }
        .to_string_lossy()
        .trim()
        .to_string();
    (!v.is_empty()).then_some(v)
}

/// Refuses the proposed value with 22023 and a DETAIL.
fn refuse(detail: &str) -> bool {
    let detail = CString::new(detail.replace('\0', "")).unwrap_or_default();
    // SAFETY: GUC_check_errdetail_string is how a check hook passes its DETAIL; the string
    // is copied into the current memory context.
    unsafe {
        pg_sys::GUC_check_errcode(pgrx::PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE as _);
        pg_sys::GUC_check_errdetail_string = pg_sys::pstrdup(detail.as_ptr());
    }
    false
}

/// `pgrst.jwt_aud`: what PostgREST accepts as jwt-aud (it refuses the others at load).
///
/// # Safety
/// A GUC check hook (see [`check_role_claim_key`]).
#[pgrx::pg_guard]
unsafe extern "C-unwind" fn check_audience(
    newval: *mut *mut std::ffi::c_char,
    _extra: *mut *mut std::ffi::c_void,
    _source: pg_sys::GucSource::Type,
) -> bool {
    // SAFETY: PostgreSQL calls the hook with the proposed value.
    match unsafe { proposed(newval) } {
        Some(v) if !pgrst_jwt_core::config::audience_ok(&v) => {
            refuse("a value holding ':' must be a URI (RFC 3986), as PostgREST's jwt-aud")
        }
        _ => true,
    }
}

/// `pgrst.jwt_secret_is_base64`: only spellings PostgREST reads as a boolean (`on`, `yes`,
/// `t` are true to PostgreSQL but false to PostgREST: refused, not read two ways).
///
/// # Safety
/// A GUC check hook (see [`check_role_claim_key`]).
#[pgrx::pg_guard]
unsafe extern "C-unwind" fn check_boolean(
    newval: *mut *mut std::ffi::c_char,
    _extra: *mut *mut std::ffi::c_void,
    _source: pg_sys::GucSource::Type,
) -> bool {
    // SAFETY: PostgreSQL calls the hook with the proposed value.
    match unsafe { proposed(newval) } {
        Some(v) if pgrst_jwt_core::config::postgrest_bool(&v).is_none() => {
            refuse("use true or false (any case) or an integer: PostgREST reads other spellings (on, yes, t) as false")
        }
        _ => true,
    }
}

/// Validates `pgrst.jwt_role_claim_key` once, when it is set: bounded in length and
/// nesting before it reaches the JSONPath parser (see `role`), and parseable.
///
/// # Safety
/// A GUC check hook: PostgreSQL calls it with `newval` pointing to the proposed value
/// (a NUL-terminated string, or NULL when unset).
#[pgrx::pg_guard]
unsafe extern "C-unwind" fn check_role_claim_key(
    newval: *mut *mut std::ffi::c_char,
    _extra: *mut *mut std::ffi::c_void,
    source: pg_sys::GucSource::Type,
) -> bool {
    // SAFETY: PostgreSQL calls the hook with the proposed value.
    let Some(value) = (unsafe { proposed(newval) }) else {
        return true;
    };
    match RolePath::parse(&value) {
        Ok(path) => {
            // set by a user (SET, ALTER ROLE/DATABASE … SET validate with PGC_S_TEST):
            // warned about as PostgREST warns at startup and reload
            let by_user = source >= pg_sys::GucSource::PGC_S_INTERACTIVE;
            if path.is_deprecated_syntax() && by_user {
                pgrx::warning!(
                    "The config `jwt-role-claim-key={}` is using the deprecated JSPath syntax.",
                    pgrst_jwt_core::truncate(&value, 80)
                );
            }
            true
        }
        Err(e) => refuse(&e.detail.clone().unwrap_or_else(|| e.message())),
    }
}

/// Whether the library was loaded by `shared_preload_libraries` (then every session
/// has the superuser-only `pgrst.jwt_secret` defined, and none reads it as a placeholder).
pub fn preloaded() -> bool {
    PRELOADED.load(Ordering::Relaxed)
}

fn text(s: &GucSetting<Option<CString>>) -> Option<String> {
    s.get()
        .map(|c| {
            crate::encoding::from_database(c.as_bytes(), "a pgrst setting")
                .or_raise()
                .trim()
                .to_string()
        })
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

/// The `pgrst.jwt_secret` setting, if set (untrimmed text is trimmed, as PostgREST does).
/// It is a secret: every copy made here is wiped when dropped.
pub fn secret_setting() -> Option<Zeroizing<String>> {
    let raw = Zeroizing::new(JWT_SECRET.get()?.into_bytes());
    // converted from the database's encoding, never lossily: a changed key would be worse
    // than an error
    let text = Zeroizing::new(crate::encoding::from_database(&raw, "pgrst.jwt_secret").or_raise());
    let trimmed = text.trim();
    (!trimmed.is_empty()).then(|| Zeroizing::new(trimmed.to_string()))
}

/// As PostgREST reads jwt-secret-is-base64 (unset or unreadable: false).
pub fn secret_is_base64() -> bool {
    text(&SECRET_IS_BASE64)
        .and_then(|v| pgrst_jwt_core::config::postgrest_bool(&v))
        .unwrap_or(false)
}

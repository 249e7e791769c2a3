//! Routes through settings: the secret stored in a setting source, under
//! `pgrst.jwt_secret`, under another `…jwt_secret` name (`app.settings.jwt_secret`, which
//! Supabase removed because every role could read it), or under any name at all (found by
//! its fingerprint). `pg_db_role_setting` (ALTER DATABASE/ROLE … SET) is readable by every
//! role; a value from the server's files (postgresql.conf, ALTER SYSTEM's
//! postgresql.auto.conf) is readable through `current_setting()` by every role while it is
//! a placeholder, and by members of pg_read_all_settings (pg_monitor) once the library
//! defines `pgrst.jwt_secret` as superuser-only.

use super::catalog::{self, Role};
use super::Exposure;
use crate::store::fingerprint;
use pgrst_jwt_core::{KeySet, SecretEncoding, SecretLength};
use pgrx::pg_sys;
use std::ffi::CStr;

const DB_ROLE_SETTING: pg_sys::Oid = pg_sys::Oid::from_u32(2964);
/// Names under which deployments keep a JWT secret in a setting.
const KNOWN: [&CStr; 3] = [
    c"pgrst.jwt_secret",
    c"app.jwt_secret",
    c"app.settings.jwt_secret",
];

fn secret_like(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    // (`pgrst.jwt_secret_is_base64` says how to read a secret; it is not one)
    name.contains("jwt_secret") && !name.ends_with("jwt_secret_is_base64")
}

/// Whether a setting's value is the configured secret (read as text or as base64).
fn is_the_secret(value: &str, configured: Option<&str>) -> bool {
    let v = value.trim();
    configured.is_some_and(|fp| {
        !v.is_empty() && (fingerprint(v, false) == fp || fingerprint(v, true) == fp)
    })
}

/// Whether a setting's value is a key text with public keys only (a JWK Set, JWK or PEM
/// without a private key or an HMAC secret): readable without harm.
fn public_only(value: &str) -> bool {
    KeySet::parse(value.trim(), SecretLength::Any, SecretEncoding::Plain)
        .is_ok_and(|k| k.is_public_only())
}

/// Entries of `pg_db_role_setting` that hold a JWT secret.
pub fn role_and_database_settings(configured: Option<&str>) -> Vec<Exposure> {
    const ANUM_SETDATABASE: usize = 1;
    const ANUM_SETROLE: usize = 2;
    const ANUM_SETCONFIG: usize = 3;
    let mut out = Vec::new();
    // SAFETY: a heap scan of pg_db_role_setting; each tuple is deformed with the
    // relation's descriptor and the text[] is converted by pgrx before the scan moves.
    unsafe {
        catalog::scan(DB_ROLE_SETTING, |tuple, desc| {
            let (values, nulls) = catalog::deform(tuple, desc);
            if nulls[ANUM_SETCONFIG - 1] {
                return;
            }
            let config = <Vec<Option<String>> as pgrx::FromDatum>::from_datum(
                values[ANUM_SETCONFIG - 1],
                false,
            )
            .unwrap_or_default();
            let role = catalog::oid_at(&values, ANUM_SETROLE);
            let db = catalog::oid_at(&values, ANUM_SETDATABASE);
            for entry in config.iter().flatten() {
                let (name, value) = entry.split_once('=').unwrap_or((entry, ""));
                let same = is_the_secret(value, configured);
                if !(secret_like(name) || same) {
                    continue;
                }
                let who = match role == pg_sys::InvalidOid {
                    true => "every role".to_string(),
                    false => format!("role \"{}\"", catalog::role_name(role)),
                };
                let place = match db == pg_sys::InvalidOid {
                    true => String::new(),
                    false => format!(
                        " in database \"{}\"",
                        catalog::name_of(pg_sys::get_database_name(db))
                    ),
                };
                if public_only(value) {
                    // set_pgrst_secret_from_env(postgrest_role => ...) of an asymmetric
                    // key stores its public JWK Set there: nothing to hide
                    out.push(Exposure::listed(format!(
                        "pg_db_role_setting: {name} is set for {who}{place}; it holds public keys only"
                    )));
                    continue;
                }
                let what = if same { ", the configured secret," } else { "" };
                out.push(Exposure::reads(format!(
                    "pg_db_role_setting: {name}{what} is set for {who}{place}, and every role can read that catalog"
                )));
            }
        });
    }
    out
}

/// A JWT secret in this session's configuration from the server's files (or the command
/// line, or a role or database setting), with who can read it.
pub fn server_settings(roles: &[Role]) -> Vec<Exposure> {
    let mut out = Vec::new();
    for name in KNOWN {
        let value = reset_value(name).is_some_and(|v| !v.trim().is_empty());
        if !value {
            continue;
        }
        let defined_here = name == c"pgrst.jwt_secret" && crate::settings::preloaded();
        let readers = if defined_here {
            let members: Vec<String> = roles
                .iter()
                // SAFETY: a membership lookup in the syscache.
                .filter(|r| unsafe {
                    pg_sys::is_member_of_role(
                        r.oid,
                        pg_sys::Oid::from(pg_sys::ROLE_PG_READ_ALL_SETTINGS),
                    )
                })
                .map(|r| format!("\"{}\"", r.name))
                .collect();
            if members.is_empty() {
                continue;
            }
            format!(
                "members of pg_read_all_settings (pg_monitor) read it: {}",
                catalog::listed(&members)
            )
        } else {
            "every role reads it with current_setting() in a session that has not loaded pgrst_jwt \
             (a placeholder has no privilege check)"
                .to_string()
        };
        out.push(Exposure::reads(format!(
            "the setting {} has a value in the server's configuration (postgresql.conf, ALTER SYSTEM's postgresql.auto.conf, the command line) or in a role or database setting: {readers}",
            name.to_string_lossy()
        )));
    }
    out
}

/// A string setting's (or placeholder's) reset value: what the session has from the
/// server's files, the command line and role or database settings, without a SET of the
/// session, and without the privilege check `GetConfigOptionResetString` makes (this
/// reports where a superuser-only value is, never the value).
fn reset_value(name: &CStr) -> Option<String> {
    // SAFETY: PostgreSQL's table of settings, read on the backend's only thread: every
    // entry is a valid config_generic; a PGC_STRING entry is a config_string, whose
    // reset_val is NULL or a NUL-terminated string owned by the GUC machinery.
    unsafe {
        #[cfg(any(feature = "pg13", feature = "pg14", feature = "pg15"))]
        let record = {
            let all = pg_sys::get_guc_variables();
            let n = pg_sys::GetNumConfigOptions().max(0) as usize;
            (0..n)
                .map(|i| *all.add(i))
                .find(|g| !g.is_null() && CStr::from_ptr((**g).name) == name)?
        };
        #[cfg(not(any(feature = "pg13", feature = "pg14", feature = "pg15")))]
        let record = pg_sys::find_option(name.as_ptr(), false, true, pg_sys::DEBUG5 as i32);
        if record.is_null() || (*record).vartype != pg_sys::config_type::PGC_STRING {
            return None;
        }
        let reset = (*(record as *mut pg_sys::config_string)).reset_val;
        (!reset.is_null()).then(|| CStr::from_ptr(reset).to_string_lossy().into_owned())
    }
}

//! `set_pgrst_secret_from_env()`: read the secret from the server's environment,
//! validate it, store it in the extension's table and, when asked, in PostgREST's
//! in-database configuration for its login role. The secret never appears in SQL text.

use crate::store;
use pgrst_jwt_core::{JwtError, Kind, Result};
use pgrst_jwt_core::{KeySet, SecretEncoding, SecretLength};
use pgrx::pg_sys;
use std::ffi::CString;
use zeroize::Zeroizing;

pub fn set_from_env(
    env_var: &str,
    is_base64: bool,
    postgrest_role: Option<&str>,
) -> Result<String> {
    // SAFETY: reads whether the current user is a superuser (from the syscache), which
    // any code running in a transaction may ask.
    if !unsafe { pg_sys::superuser() } {
        return Err(JwtError::with_detail(
            Kind::PermissionDenied("set_pgrst_secret_from_env"),
            "only superusers may read the server's environment",
        ));
    }
    let name = pgrst_jwt_core::truncate(env_var, 64);
    // the secret: every copy made here is wiped when dropped. The variable's bytes are
    // read as they are (var_os): a value that is not UTF-8 gets its own error, not "unset".
    let unset = || {
        JwtError::with_detail(
            Kind::EnvVarUnset,
            format!("\"{name}\" is not set or empty in the PostgreSQL server's environment"),
        )
    };
    let raw = Zeroizing::new(
        std::env::var_os(env_var)
            .ok_or_else(unset)?
            .into_encoded_bytes(),
    );
    let value = match std::str::from_utf8(&raw) {
        Ok(v) if v.trim().is_empty() => return Err(unset()),
        Ok(v) => Zeroizing::new(v.to_string()),
        Err(_) => {
            return Err(JwtError::with_detail(
                Kind::EnvVarNotText,
                format!(
                    "\"{name}\" holds {} bytes that are not UTF-8: give a binary secret base64-encoded, with is_base64 => true",
                    raw.len()
                ),
            ))
        }
    };
    // validation before anything is stored; errors name the variable, never the value
    let keys = KeySet::parse(
        &value,
        SecretLength::Minimum,
        SecretEncoding::base64_if(is_base64),
    )
    .map_err(|mut e| {
        let what = e
            .detail
            .take()
            .map(|d| format!(": {d}"))
            .unwrap_or_default();
        e.detail = Some(format!("in environment variable \"{name}\"{what}"));
        e
    })?;
    let fingerprint = store::save(&value, is_base64, env_var)?;
    if let Some(role) = postgrest_role {
        write_role_settings(role, &value, is_base64, &keys)?;
    }
    Ok(fingerprint)
}

/// What PostgREST should be given: the secret itself for HMAC; for asymmetric keys only
/// their public JWK Set (PostgREST only verifies).
fn postgrest_value(value: &str, keys: &KeySet) -> (Zeroizing<String>, bool) {
    let jwks = keys.public_jwks();
    if jwks["keys"].as_array().is_none_or(Vec::is_empty) {
        (Zeroizing::new(value.to_string()), true)
    } else {
        (Zeroizing::new(jwks.to_string()), false)
    }
}

fn write_role_settings(role: &str, value: &str, is_base64: bool, keys: &KeySet) -> Result<()> {
    let crole = CString::new(role).map_err(|_| {
        JwtError::with_detail(Kind::InvalidArgument("postgrest_role"), "NUL in role name")
    })?;
    // SAFETY: a syscache lookup by name (missing_ok: InvalidOid when there is none) of a
    // NUL-terminated string that lives for the call.
    if unsafe { pg_sys::get_role_oid(crole.as_ptr(), true) } == pg_sys::InvalidOid {
        return Err(JwtError::with_detail(
            Kind::InvalidArgument("postgrest_role"),
            format!(
                "role \"{}\" does not exist",
                pgrst_jwt_core::truncate(role, 64)
            ),
        ));
    }
    let (setting, is_secret) = postgrest_value(value, keys);
    alter_role_set(role, "pgrst.jwt_secret", &setting)?;
    let b64 = if is_secret && is_base64 {
        "true"
    } else {
        "false"
    };
    alter_role_set(role, "pgrst.jwt_secret_is_base64", b64)?;
    notify_postgrest();
    if is_secret {
        pgrx::warning!(
            "the JWT secret is now also stored in the settings of role \"{}\"; pg_db_role_setting is readable by every role",
            pgrst_jwt_core::truncate(role, 64)
        );
    }
    Ok(())
}

/// `NOTIFY pgrst, 'reload config'` without SQL: PostgreSQL's `pg_notify(channel, payload)`
/// called directly (it queues the notification, sent when the transaction commits).
fn notify_postgrest() {
    let channel = pgrx::IntoDatum::into_datum("pgrst");
    let payload = pgrx::IntoDatum::into_datum("reload config");
    // SAFETY: pg_notify takes two text arguments, both non-null here, and returns void.
    unsafe {
        pgrx::direct_function_call_as_datum(pg_sys::pg_notify, &[channel, payload]);
    }
}

/// `ALTER ROLE role SET name = value` without the value ever being SQL text: parse a
/// statement with a placeholder value, put the real value into the parse tree, and
/// run it through `AlterRoleSet` directly (no executor, no statement logging).
#[cfg(not(any(feature = "pg13", feature = "pg14")))]
fn alter_role_set(role: &str, name: &str, value: &str) -> Result<()> {
    // the statement is ours (the role name and value were checked): a failure is ours
    let failed = || JwtError::new(Kind::Internal("could not build ALTER ROLE"));
    let ident = format!("\"{}\"", role.replace('"', "\"\""));
    let sql = CString::new(format!("ALTER ROLE {ident} SET {name} = 'x'")).map_err(|_| failed())?;
    // NUL-terminated, and wiped when dropped (it may be the secret)
    if value.contains('\0') {
        return Err(failed());
    }
    let mut cvalue = Zeroizing::new(Vec::with_capacity(value.len() + 1));
    cvalue.extend_from_slice(value.as_bytes());
    cvalue.push(0);
    // SAFETY: raw_parser parses our own statement (a NUL-terminated string alive for the
    // call) into a List of RawStmt nodes allocated in the current memory context. Before
    // a field is read or written, each node is checked to be what the grammar makes of
    // `ALTER ROLE r SET name = 'x'`: an AlterRoleSetStmt, its VariableSetStmt, and one
    // A_Const holding a String. The placeholder string is replaced by a palloc'd copy of
    // the value (pstrdup), so the tree owns it as it owns the parser's strings, and the
    // statement is handed to AlterRoleSet, which checks privileges and writes
    // pg_db_role_setting as the ALTER ROLE command does. Its errors unwind through pgrx.
    unsafe {
        let list = pg_sys::raw_parser(sql.as_ptr(), pg_sys::RawParseMode::RAW_PARSE_DEFAULT);
        let list = pgrx::PgList::<pg_sys::RawStmt>::from_pg(list);
        let raw = list.get_ptr(0).ok_or_else(failed)?;
        let stmt = (*raw).stmt as *mut pg_sys::AlterRoleSetStmt;
        if stmt.is_null() || (*stmt).type_ != pg_sys::NodeTag::T_AlterRoleSetStmt {
            return Err(failed());
        }
        let set = (*stmt).setstmt;
        if set.is_null() || (*set).type_ != pg_sys::NodeTag::T_VariableSetStmt {
            return Err(failed());
        }
        let args = pgrx::PgList::<pg_sys::A_Const>::from_pg((*set).args);
        let constant = args.get_ptr(0).ok_or_else(failed)?;
        if args.len() != 1
            || (*constant).type_ != pg_sys::NodeTag::T_A_Const
            || (*constant).isnull
            || (*constant).val.node.type_ != pg_sys::NodeTag::T_String
        {
            return Err(failed());
        }
        (*constant).val.sval.sval = pg_sys::pstrdup(cvalue.as_ptr().cast());
        pg_sys::AlterRoleSet(stmt);
        // the next ALTER ROLE of this command must see this one's row
        pg_sys::CommandCounterIncrement();
    }
    Ok(())
}

#[cfg(any(feature = "pg13", feature = "pg14"))]
fn alter_role_set(_role: &str, _name: &str, _value: &str) -> Result<()> {
    Err(JwtError::with_detail(
        Kind::InvalidArgument("postgrest_role"),
        "writing PostgREST's role settings needs PostgreSQL 15 or later",
    ))
}

//! Tokens, keys and claims are UTF-8 JSON whatever the database's encoding. Text comes in
//! converted from the database's encoding to UTF-8 and goes out converted back, with
//! PostgreSQL's own conversion functions; a character the database's encoding cannot hold
//! is an error naming the claim (22P05), never a replaced or mangled character, and text
//! that is not UTF-8 where it must be (a SQL_ASCII database holds any bytes) is 22021.

use pgrst_jwt_core::{JwtError, Kind, Result};
use pgrx::pg_sys;
use pgrx::prelude::*;
use std::ffi::CStr;

/// The database's encoding, when it is not UTF-8 (None: UTF-8, nothing to convert).
fn database_encoding() -> Option<u32> {
    // SAFETY: reads the database encoding PostgreSQL set at connection start.
    let enc = unsafe { pg_sys::GetDatabaseEncoding() } as u32;
    (enc != pg_sys::pg_enc::PG_UTF8).then_some(enc)
}

/// The database's encoding is UTF-8.
pub fn database_is_utf8() -> bool {
    database_encoding().is_none()
}

/// The name of the database's encoding (for error details).
fn database_encoding_name() -> String {
    // SAFETY: returns a static NUL-terminated name.
    unsafe { CStr::from_ptr(pg_sys::GetDatabaseEncodingName()) }
        .to_string_lossy()
        .into_owned()
}

fn not_utf8(what: &str) -> JwtError {
    JwtError::with_detail(
        Kind::NotUtf8,
        format!(
            "{what} is not valid UTF-8 (the database's encoding is {})",
            database_encoding_name()
        ),
    )
}

/// Text in the database's encoding, as UTF-8. `what` names it in an error.
pub fn from_database(bytes: &[u8], what: &str) -> Result<String> {
    let Some(enc) = database_encoding() else {
        // PostgreSQL validated it on input
        return String::from_utf8(bytes.to_vec()).map_err(|_| not_utf8(what));
    };
    if enc == pg_sys::pg_enc::PG_SQL_ASCII || bytes.is_ascii() {
        // SQL_ASCII does not convert: the bytes must already be UTF-8
        return String::from_utf8(bytes.to_vec()).map_err(|_| not_utf8(what));
    }
    let len = i32::try_from(bytes.len()).map_err(|_| not_utf8(what))?;
    // SAFETY: pg_server_to_any reads `len` bytes and returns them or a palloc'd converted
    // copy (NUL-terminated), raising PostgreSQL's own error for an invalid sequence.
    unsafe {
        let out =
            pg_sys::pg_server_to_any(bytes.as_ptr().cast(), len, pg_sys::pg_enc::PG_UTF8 as i32);
        let converted = if out.cast_const() == bytes.as_ptr().cast() {
            bytes.to_vec()
        } else {
            CStr::from_ptr(out).to_bytes().to_vec()
        };
        String::from_utf8(converted).map_err(|_| not_utf8(what))
    }
}

/// UTF-8 text in the database's encoding; a character it has no equivalent for is
/// `NoEquivalentInDatabase` naming `what`.
pub fn to_database(text: &str, what: &str) -> Result<Vec<u8>> {
    let Some(enc) = database_encoding() else {
        return Ok(text.as_bytes().to_vec());
    };
    if enc == pg_sys::pg_enc::PG_SQL_ASCII || text.is_ascii() {
        return Ok(text.as_bytes().to_vec());
    }
    let len = i32::try_from(text.len()).map_err(|_| no_equivalent(what))?;
    let ptr = text.as_ptr();
    // SAFETY: pg_any_to_server reads `len` UTF-8 bytes and returns them or a palloc'd
    // converted copy (NUL-terminated); its error for an untranslatable character is caught
    // here and reported as ours (naming the claim), any other error is raised again.
    let converted = PgTryBuilder::new(|| unsafe {
        let out = pg_sys::pg_any_to_server(ptr.cast(), len, pg_sys::pg_enc::PG_UTF8 as i32);
        Some(if out.cast_const() == ptr.cast() {
            text.as_bytes().to_vec()
        } else {
            CStr::from_ptr(out).to_bytes().to_vec()
        })
    })
    .catch_when(PgSqlErrorCode::ERRCODE_UNTRANSLATABLE_CHARACTER, |_| None)
    .execute();
    converted.ok_or_else(|| no_equivalent(what))
}

fn no_equivalent(what: &str) -> JwtError {
    JwtError::with_detail(
        Kind::NoEquivalentInDatabase,
        format!(
            "{what} holds a character that the database's encoding ({}) cannot hold",
            database_encoding_name()
        ),
    )
}

/// JSON text (UTF-8) as `jsonb_in`/`json_in` of this database read it: in the database's
/// encoding, with escapes of non-ASCII characters written as the characters (a SQL_ASCII
/// database takes the characters but not such escapes); a string the encoding cannot hold
/// is an error naming its claim. None: a UTF-8 database takes the text as it is.
pub fn json_for_database(json: &str) -> Result<Option<Vec<u8>>> {
    if database_encoding().is_none() {
        return Ok(None);
    }
    check_json_for_database(json)?;
    to_database(&pgrst_jwt_core::unescape_non_ascii(json), "the claims").map(Some)
}

/// Whether every string of a JSON text (keys and values, escapes decoded) can be held
/// by the database's encoding; the first that cannot is an error naming its top-level
/// claim. Only needed outside UTF-8 databases, for JSON that is not plain ASCII.
fn check_json_for_database(json: &str) -> Result<()> {
    let Some(enc) = database_encoding() else {
        return Ok(());
    };
    if enc == pg_sys::pg_enc::PG_SQL_ASCII || (json.is_ascii() && !json.contains("\\u")) {
        return Ok(());
    }
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(json) else {
        return Ok(()); // not an object: jsonb_in reports it
    };
    for (name, value) in &map {
        pgrx::check_for_interrupts!();
        let claim = format!(
            "claim \"{}\"",
            pgrst_jwt_core::truncate(name, 64).escape_default()
        );
        to_database(name, &claim)?;
        let mut strings = Vec::new();
        collect_strings(value, &mut strings);
        for s in strings {
            to_database(s, &claim)?;
        }
    }
    Ok(())
}

/// Every string (object keys too) of a JSON value, iteratively.
fn collect_strings<'a>(value: &'a serde_json::Value, out: &mut Vec<&'a str>) {
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            serde_json::Value::String(s) if !s.is_ascii() => out.push(s),
            serde_json::Value::Array(items) => stack.extend(items),
            serde_json::Value::Object(m) => {
                for (k, v) in m {
                    if !k.is_ascii() {
                        out.push(k);
                    }
                    stack.push(v);
                }
            }
            _ => {}
        }
    }
}

//! SQL values crossing the boundary without needless copies: `jsonb` arguments arrive
//! as their text form and results leave through `jsonb_in` (no serde tree in between);
//! `json` as its stored text; `name` as a Rust string; `text` borrowed in a UTF-8
//! database. Everything is UTF-8 here: text in another database encoding is converted on
//! the way in and out (see `encoding`).

use crate::encoding;
use crate::report::OrRaise;
use pgrst_jwt_core::{JwtError, Kind};
use pgrx::callconv::{Arg, ArgAbi, BoxRet, FcInfo};
use pgrx::datum::Datum;
use pgrx::pg_sys;
use pgrx::pg_sys::panic::CaughtError;
use pgrx::prelude::*;
use pgrx::{direct_function_call, direct_function_call_as_datum, FromDatum, IntoDatum};
use std::borrow::Cow;
use std::ffi::{CStr, CString};
use zeroize::Zeroize;

/// A `jsonb` argument as its JSON text.
pub struct JsonbText(pub String);

impl FromDatum for JsonbText {
    /// # Safety
    /// `datum` is a jsonb datum (possibly toasted or packed) when `is_null` is false,
    /// as pgrx guarantees for an argument declared `jsonb`.
    unsafe fn from_polymorphic_datum(
        datum: pg_sys::Datum,
        is_null: bool,
        _: pg_sys::Oid,
    ) -> Option<JsonbText> {
        if is_null {
            return None;
        }
        let varlena = datum.cast_mut_ptr::<pg_sys::varlena>();
        // SAFETY: the datum is a jsonb varlena (the contract above); detoasting gives a
        // plain copy or the value itself, jsonb_out (jsonb → cstring) returns a palloc'd
        // string that is copied and freed here, and a detoasted copy is freed too (never
        // the caller's value).
        unsafe {
            let detoasted = pg_sys::pg_detoast_datum_packed(varlena);
            let cstr = direct_function_call::<&CStr>(pg_sys::jsonb_out, &[Some(detoasted.into())])?;
            let text = encoding::from_database(cstr.to_bytes(), "the claims").or_raise();
            pg_sys::pfree(cstr.as_ptr() as *mut std::ffi::c_void);
            if detoasted != varlena {
                pg_sys::pfree(detoasted as *mut std::ffi::c_void);
            }
            Some(JsonbText(text))
        }
    }
}

impl_sql_translatable!(JsonbText, "jsonb");

/// A `json` argument as its text, as stored (already validated by `json_in`).
pub struct JsonText(pub String);

impl FromDatum for JsonText {
    /// # Safety
    /// `datum` is a json datum (a text varlena) when `is_null` is false (an argument
    /// declared `json`).
    unsafe fn from_polymorphic_datum(
        datum: pg_sys::Datum,
        is_null: bool,
        oid: pg_sys::Oid,
    ) -> Option<JsonText> {
        // SAFETY: json is stored as text: the same contract.
        unsafe { Text::from_polymorphic_datum(datum, is_null, oid) }
            .map(|t| JsonText(t.into_string()))
    }
}

impl_sql_translatable!(JsonText, "json");

/// Arguments of these types unbox through their `FromDatum` (a NULL one panics, which
/// pgrx turns into an ERROR; the functions taking them are `STRICT` or take an Option).
macro_rules! arg_abi {
    ($($t:ty),*) => {$(
        // SAFETY: unboxing goes through `FromDatum`, whose contract (a datum of the
        // declared SQL type) pgrx upholds for the function's argument.
        unsafe impl<'fcx> ArgAbi<'fcx> for $t {
            /// # Safety
            /// `arg` is an argument of the function being called, of the declared type.
            unsafe fn unbox_arg_unchecked(arg: Arg<'_, 'fcx>) -> Self {
                let index = arg.index();
                arg.unbox_arg_using_from_datum()
                    .unwrap_or_else(|| panic!("argument {index} must not be null"))
            }
        }
    )*};
}
/// A `name` argument.
pub struct RoleName(pub String);

impl FromDatum for RoleName {
    /// # Safety
    /// `datum` is a `name` datum (a pointer to a NUL-terminated NameData) when `is_null`
    /// is false.
    unsafe fn from_polymorphic_datum(
        datum: pg_sys::Datum,
        is_null: bool,
        _: pg_sys::Oid,
    ) -> Option<RoleName> {
        if is_null {
            return None;
        }
        let p = datum.cast_mut_ptr::<std::ffi::c_char>();
        // SAFETY: a NameData is NUL-terminated within its 64 bytes; it is copied here.
        let name = unsafe { CStr::from_ptr(p) };
        Some(RoleName(
            encoding::from_database(name.to_bytes(), "the role name").or_raise(),
        ))
    }
}

impl_sql_translatable!(RoleName, "name");

/// A `text` argument as UTF-8: borrowed in a UTF-8 database, converted from the
/// database's encoding otherwise (a converted copy is wiped when dropped: it may be a key).
pub struct Text<'a>(Cow<'a, str>);

impl Text<'_> {
    fn into_string(mut self) -> String {
        std::mem::take(&mut self.0).into_owned()
    }
}

impl std::ops::Deref for Text<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl Drop for Text<'_> {
    fn drop(&mut self) {
        if let Cow::Owned(s) = &mut self.0 {
            s.zeroize();
        }
    }
}

impl<'a> FromDatum for Text<'a> {
    /// # Safety
    /// `datum` is a text varlena (possibly toasted or packed) when `is_null` is false,
    /// valid for the call, as pgrx guarantees for an argument declared `text`.
    unsafe fn from_polymorphic_datum(
        datum: pg_sys::Datum,
        is_null: bool,
        _: pg_sys::Oid,
    ) -> Option<Text<'a>> {
        if is_null {
            return None;
        }
        let varlena = datum.cast_mut_ptr::<pg_sys::varlena>();
        // SAFETY: the datum is a text varlena (the contract above); detoasting gives the
        // value itself or a copy in the call's memory context, which lives as long as the
        // call's arguments do; its bytes are read (and converted) here.
        unsafe {
            let detoasted = pg_sys::pg_detoast_datum_packed(varlena);
            let bytes: &'a [u8] = pgrx::varlena::varlena_to_byte_slice(detoasted);
            if pg_sys::GetDatabaseEncoding() as u32 == pg_sys::pg_enc::PG_UTF8 {
                if let Ok(s) = std::str::from_utf8(bytes) {
                    return Some(Text(Cow::Borrowed(s)));
                }
            }
            Some(Text(Cow::Owned(
                encoding::from_database(bytes, "a text argument").or_raise(),
            )))
        }
    }
}

impl_sql_translatable!(Text<'_>, "text");

arg_abi!(JsonbText, JsonText, RoleName);

// SAFETY: as for the types above: unboxing goes through `FromDatum` for an argument of
// the declared SQL type.
unsafe impl<'fcx> ArgAbi<'fcx> for Text<'fcx> {
    /// # Safety
    /// `arg` is an argument of the function being called, of the declared type.
    unsafe fn unbox_arg_unchecked(arg: Arg<'_, 'fcx>) -> Self {
        let index = arg.index();
        arg.unbox_arg_using_from_datum()
            .unwrap_or_else(|| panic!("argument {index} must not be null"))
    }
}

/// A `text` result in the database's encoding (a character it cannot hold: 22P05, never a
/// replaced one).
pub struct TextOut(pub String, pub &'static str);

impl_sql_translatable!(TextOut, "text");

impl IntoDatum for TextOut {
    fn into_datum(self) -> Option<pg_sys::Datum> {
        let bytes = encoding::to_database(&self.0, self.1).or_raise();
        // SAFETY: builds a text varlena from bytes in the database's encoding (palloc'd in
        // the current memory context).
        let t =
            unsafe { pg_sys::cstring_to_text_with_len(bytes.as_ptr().cast(), bytes.len() as i32) };
        Some(pg_sys::Datum::from(t))
    }

    fn type_oid() -> pg_sys::Oid {
        pg_sys::TEXTOID
    }
}

// SAFETY: the datum is a text varlena built for the function's (declared text) result.
unsafe impl BoxRet for TextOut {
    /// # Safety
    /// `fcinfo` is the call's, whose result type is text.
    unsafe fn box_into<'fcx>(self, fcinfo: &mut FcInfo<'fcx>) -> Datum<'fcx> {
        match self.into_datum() {
            // SAFETY: a valid text datum for a function returning text.
            Some(d) => unsafe { fcinfo.return_raw_datum(d) },
            None => fcinfo.return_null(),
        }
    }
}

/// A `jsonb` result, already built: conversion failures are reported by us, as a
/// rejected token, not as a PostgreSQL input error.
pub struct JsonbDatum(pg_sys::Datum);

impl_sql_translatable!(JsonbDatum, "jsonb");

impl IntoDatum for JsonbDatum {
    fn into_datum(self) -> Option<pg_sys::Datum> {
        Some(self.0)
    }

    fn type_oid() -> pg_sys::Oid {
        pg_sys::JSONBOID
    }
}

// SAFETY: the datum is a jsonb value built in the function's memory context (by jsonb_in,
// or as jsonb_in builds it: `to_jsonb`), returned as the function's (declared jsonb) result.
unsafe impl BoxRet for JsonbDatum {
    /// # Safety
    /// `fcinfo` is the call's, whose result type is jsonb.
    unsafe fn box_into<'fcx>(self, fcinfo: &mut FcInfo<'fcx>) -> Datum<'fcx> {
        // SAFETY: a valid jsonb datum, not NULL, for a function returning jsonb.
        unsafe { fcinfo.return_raw_datum(self.0) }
    }
}

/// A `json` result, already built (its text kept as it is).
pub struct JsonDatum(pub pg_sys::Datum);

impl_sql_translatable!(JsonDatum, "json");

impl IntoDatum for JsonDatum {
    fn into_datum(self) -> Option<pg_sys::Datum> {
        Some(self.0)
    }

    fn type_oid() -> pg_sys::Oid {
        pg_sys::JSONOID
    }
}

// SAFETY: the datum is a json value json_in built in the function's memory context,
// returned as the function's (declared json) result.
unsafe impl BoxRet for JsonDatum {
    /// # Safety
    /// `fcinfo` is the call's, whose result type is json.
    unsafe fn box_into<'fcx>(self, fcinfo: &mut FcInfo<'fcx>) -> Datum<'fcx> {
        // SAFETY: a valid json datum, not NULL, for a function returning json.
        unsafe { fcinfo.return_raw_datum(self.0) }
    }
}

/// Build a jsonb value from JSON text: directly ([`built_directly`]) where that gives
/// `jsonb_in`'s very bytes, else with `jsonb_in`. What serde accepts but jsonb refuses
/// (lone surrogates, numbers beyond numeric's range, nesting beyond the stack) becomes
/// `Kind::ClaimsParse`; any other error (a cancel, out of memory) is raised again.
pub fn to_jsonb(text: String) -> pgrst_jwt_core::Result<JsonbDatum> {
    if let Some(datum) = built_directly(&text) {
        return Ok(datum);
    }
    let refused = || {
        JwtError::with_detail(
            Kind::ClaimsParse,
            "PostgreSQL's jsonb cannot hold this JSON",
        )
    };
    // outside UTF-8 databases, jsonb_in reads the database's encoding (escapes included):
    // a character it cannot hold is named, never replaced
    let bytes = match encoding::json_for_database(&text)? {
        Some(converted) => converted,
        None => text.into_bytes(),
    };
    let cstring = CString::new(bytes).map_err(|_| refused())?;
    let ptr = cstring.as_ptr();
    // SAFETY: jsonb_in takes one cstring argument, NUL-terminated and alive (`cstring`)
    // for the call; its errors are caught below, never swallowed unless about the JSON.
    PgTryBuilder::new(|| unsafe {
        direct_function_call_as_datum(pg_sys::jsonb_in, &[Some(ptr.into())])
    })
    .catch_others(|e| match &e {
        CaughtError::PostgresError(r) | CaughtError::ErrorReport(r)
            if is_input_error(r.sql_error_code()) =>
        {
            None
        }
        _ => e.rethrow(),
    })
    .execute()
    .map(JsonbDatum)
    .ok_or_else(refused)
}

/// The jsonb value of a JSON object built by the core (`pgrst_jwt_core::jsonb`) without
/// PostgreSQL's JSON lexer: the bytes `jsonb_in` makes of the text in a UTF-8 database on
/// a little-endian machine, for the objects the core is sure of (None: anything else,
/// another database encoding, another byte order; `jsonb_in` then decides).
fn built_directly(text: &str) -> Option<JsonbDatum> {
    if !cfg!(target_endian = "little") || !encoding::database_is_utf8() {
        return None;
    }
    let bytes = pgrst_jwt_core::jsonb::from_json_object(text)?;
    // SAFETY: palloc gives `bytes.len()` bytes in the current memory context (the call's,
    // where jsonb_in's result would be), all written here: a jsonb varlena with its
    // 4-byte header, laid out as jsonb_in lays it out.
    unsafe {
        let p = pg_sys::palloc(bytes.len()).cast::<u8>();
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), p, bytes.len());
        Some(JsonbDatum(pg_sys::Datum::from(p)))
    }
}

/// The errors `jsonb_in` raises about the JSON it is given: data exceptions (class 22:
/// syntax, escapes, numbers beyond numeric) and program limits (class 54: sizes,
/// nesting deeper than the stack allows). Anything else is not about the JSON.
fn is_input_error(code: PgSqlErrorCode) -> bool {
    matches!(&sqlstate_class(code), b"22" | b"54")
}

/// The two class characters of a SQLSTATE (packed six bits a character, as
/// PostgreSQL's MAKE_SQLSTATE does).
fn sqlstate_class(code: PgSqlErrorCode) -> [u8; 2] {
    let packed = code as isize as u32;
    let char_at = |i: u32| ((packed >> (6 * i)) & 0x3f) as u8 + b'0';
    [char_at(0), char_at(1)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_errors_about_the_json_are_caught() {
        use PgSqlErrorCode::*;
        for code in [
            ERRCODE_INVALID_TEXT_REPRESENTATION,
            ERRCODE_UNTRANSLATABLE_CHARACTER,
            ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE,
            ERRCODE_PROGRAM_LIMIT_EXCEEDED,
            ERRCODE_STATEMENT_TOO_COMPLEX,
        ] {
            assert!(is_input_error(code), "{code:?}");
        }
        for code in [
            ERRCODE_QUERY_CANCELED,
            ERRCODE_ADMIN_SHUTDOWN,
            ERRCODE_OUT_OF_MEMORY,
            ERRCODE_INTERNAL_ERROR,
            ERRCODE_INSUFFICIENT_PRIVILEGE,
        ] {
            assert!(!is_input_error(code), "{code:?}");
        }
        assert_eq!(&sqlstate_class(ERRCODE_QUERY_CANCELED), b"57");
    }
}

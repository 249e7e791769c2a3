//! The pgjwt drop-in: `sign(json, text, text)` and `verify(text, text, text)` of the
//! companion extension `pgrst_jwt_pgjwt` (sql/pgrst_jwt_pgjwt--*.sql declares them; the
//! main extension does not, so its schema stays uncrowded).
//!
//! pgjwt 0.2 is PL/pgSQL over pgcrypto; its results are reproduced exactly: the token
//! format comes from `pgrst_jwt_core::pgjwt`, and the steps that are PostgreSQL functions in pgjwt
//! call those same functions here (`decode(…, 'base64')`, `convert_from(…, 'utf8')`,
//! `::json`, `->>`, `::double precision`, `to_timestamp`), so their errors and edge cases
//! are pgjwt's. Two things differ on purpose: the signature is compared in constant
//! time, and `valid` is false when the header's `alg` is not the algorithm asked for.

use crate::report::OrRaise;
use crate::sqltypes::{JsonDatum, Text};
use pgrst_jwt_core::{JwtError, Kind};
use pgrx::prelude::*;
use pgrx::{direct_function_call, direct_function_call_as_datum, IntoDatum};
use std::ffi::CString;

#[pg_extern(immutable, parallel_safe, strict, sql = false)]
fn pgjwt_sign(payload: crate::sqltypes::JsonText, secret: Text, algorithm: Text) -> String {
    crate::report::mark_statement();
    pgrst_jwt_core::pgjwt::sign(&payload.0, &secret, &algorithm).or_raise()
}

/// `verify()` of 0.2.0, one C function (kept for databases still on that version's SQL):
/// the three columns below, all computed.
#[allow(clippy::type_complexity)] // pgrx needs the row type spelled out here
#[pg_extern(stable, parallel_safe, sql = false)]
fn pgjwt_verify(
    token: Option<Text>,
    secret: Option<Text>,
    algorithm: Option<Text>,
) -> TableIterator<
    'static,
    (
        name!(header, Option<JsonDatum>),
        name!(payload, Option<JsonDatum>),
        name!(valid, Option<bool>),
    ),
> {
    crate::report::mark_statement();
    let Some(token) = token else {
        return TableIterator::once((None, None, None));
    };
    let header = header_of(&token);
    let payload = payload_of(&token);
    let valid = valid_of(&token, secret.as_deref(), algorithm.as_deref());
    TableIterator::once((header, payload, valid))
}

// `verify()` from 0.3.0 is a SQL function selecting these three, which PostgreSQL
// inlines: as in pgjwt (a SQL function too), a column the query does not select is not
// computed, so `SELECT valid FROM verify(…)` never decodes the header.

#[pg_extern(immutable, parallel_safe, strict, sql = false)]
fn pgjwt_verify_header(token: Text) -> Option<JsonDatum> {
    crate::report::mark_statement();
    header_of(&token)
}

#[pg_extern(immutable, parallel_safe, strict, sql = false)]
fn pgjwt_verify_payload(token: Text) -> Option<JsonDatum> {
    crate::report::mark_statement();
    payload_of(&token)
}

#[pg_extern(stable, parallel_safe, sql = false)]
fn pgjwt_verify_valid(
    token: Option<Text>,
    secret: Option<Text>,
    algorithm: Option<Text>,
) -> Option<bool> {
    crate::report::mark_statement();
    valid_of(&token?, secret.as_deref(), algorithm.as_deref())
}

/// The bound jwt_verify has: no work on a token longer than pgrst_jwt.max_token_bytes.
fn checked_size(token: &str) -> &str {
    let max = crate::settings::max_token_bytes();
    if token.len() > max {
        crate::report::raise(JwtError::with_detail(
            Kind::TokenTooLarge,
            format!("{} bytes; pgrst_jwt.max_token_bytes is {max}", token.len()),
        ));
    }
    token
}

/// pgjwt's `header`: `convert_from(url_decode(r[1]), 'utf8')::json`.
fn header_of(token: &str) -> Option<JsonDatum> {
    let parts = pgrst_jwt_core::pgjwt::split(checked_size(token));
    Some(json_of_part(parts.header))
}

/// pgjwt's `payload`: the same of `r[2]` (NULL for a one-part token).
fn payload_of(token: &str) -> Option<JsonDatum> {
    pgrst_jwt_core::pgjwt::split(checked_size(token))
        .payload
        .map(json_of_part)
}

/// pgjwt's `valid`: `signature_ok AND tstzrange(nbf, exp) @> CURRENT_TIMESTAMP`, evaluated
/// left to right like SQL's AND (a false stops it; the payload is decoded only for the
/// time range, as in pgjwt), and then, ours, the header's `alg` must be the algorithm
/// asked for: read leniently from the header's bytes, never raising (a header that does
/// not decode, or is no JSON object naming that `alg`, makes it false).
fn valid_of(token: &str, secret: Option<&str>, algorithm: Option<&str>) -> Option<bool> {
    let parts = pgrst_jwt_core::pgjwt::split(checked_size(token));
    // pgcrypto's hmac() is strict: a NULL secret gives a NULL signature
    let signature_ok = secret.and_then(|s| {
        pgrst_jwt_core::pgjwt::signature_ok(&parts, s, algorithm.unwrap_or("")).or_raise()
    });
    and(signature_ok, || {
        and(
            in_time_range(parts.payload.map(json_of_part).as_ref()),
            || {
                Some(algorithm.is_some_and(|want| {
                    pgrst_jwt_core::pgjwt::header_alg(parts.header).as_deref() == Some(want)
                }))
            },
        )
    })
}

/// SQL's three-valued AND, evaluating the right side only when the left is not false.
fn and(left: Option<bool>, right: impl FnOnce() -> Option<bool>) -> Option<bool> {
    match left {
        Some(false) => Some(false),
        l => match (l, right()) {
            (_, Some(false)) => Some(false),
            (Some(true), Some(true)) => Some(true),
            _ => None,
        },
    }
}

/// `convert_from(url_decode(part), 'utf8')::json`, with PostgreSQL's functions.
fn json_of_part(part: &str) -> JsonDatum {
    let padded = pgrst_jwt_core::pgjwt::to_padded_base64(part);
    // SAFETY: each function gets the argument types its SQL signature declares (text,
    // text → bytea; bytea, name → text; cstring → json) and raises its own errors.
    unsafe {
        let bytes = direct_function_call_as_datum(
            pg_sys::binary_decode,
            &[padded.as_str().into_datum(), "base64".into_datum()],
        );
        let text = direct_function_call_as_datum(
            pg_sys::pg_convert_from,
            &[
                bytes,
                direct_function_call_as_datum(
                    pg_sys::namein,
                    &[Some(pg_sys::Datum::from(c"utf8".as_ptr()))],
                ),
            ],
        )
        .expect("convert_from returns text");
        // the text in the database's encoding, as json_in reads it (no Rust string: its
        // bytes need not be UTF-8)
        let cstring = pg_sys::text_to_cstring(text.cast_mut_ptr());
        JsonDatum(
            direct_function_call_as_datum(pg_sys::json_in, &[Some(pg_sys::Datum::from(cstring))])
                .expect("json_in returns a value"),
        )
    }
}

/// `json ->> name`.
fn field_text(json: &JsonDatum, name: &str) -> Option<String> {
    // SAFETY: json_object_field_text(json, text) → text or NULL.
    unsafe {
        direct_function_call::<Text>(
            pg_sys::json_object_field_text,
            &[Some(json.0), name.into_datum()],
        )
    }
    .map(|t| t.to_string())
}

/// pgjwt's `try_cast_double`: `text::double precision`, NULL when the cast fails. Like
/// its PL/pgSQL `EXCEPTION WHEN OTHERS`, a query cancel is not caught.
fn try_cast_double(text: &str) -> Option<f64> {
    let c = CString::new(text).ok()?;
    let ptr = c.as_ptr();
    // SAFETY: float8in(cstring), with `c` alive for the call; a failure is an ERROR,
    // caught here (it has no side effects to undo, as in pgjwt's EXCEPTION block)
    PgTryBuilder::new(|| unsafe {
        direct_function_call::<f64>(pg_sys::float8in, &[Some(pg_sys::Datum::from(ptr))])
    })
    .catch_when(PgSqlErrorCode::ERRCODE_QUERY_CANCELED, |e| e.rethrow())
    .catch_others(|_| None)
    .execute()
}

/// `to_timestamp(double precision)` in microseconds since 2000 (PostgreSQL's own
/// conversion: NaN and out-of-range values raise its errors).
fn to_timestamp(seconds: f64) -> i64 {
    // SAFETY: float8_timestamptz(float8) → timestamptz.
    unsafe {
        direct_function_call::<i64>(pg_sys::float8_timestamptz, &[seconds.into_datum()])
            .expect("to_timestamp returns a value")
    }
}

/// `tstzrange(to_timestamp(nbf), to_timestamp(exp)) @> CURRENT_TIMESTAMP`: `[nbf, exp)`,
/// a missing or non-numeric bound unbounded, an inverted range PostgreSQL's error.
fn in_time_range(payload: Option<&JsonDatum>) -> Option<bool> {
    let bound = |name| {
        payload
            .and_then(|p| field_text(p, name))
            .and_then(|t| try_cast_double(&t))
            .map(to_timestamp)
    };
    let (lower, upper) = (bound("nbf"), bound("exp"));
    if let (Some(l), Some(u)) = (lower, upper) {
        if l > u {
            pgrx::ereport!(
                ERROR,
                PgSqlErrorCode::ERRCODE_DATA_EXCEPTION,
                "range lower bound must be less than or equal to range upper bound"
            );
        }
    }
    // SAFETY: reads the transaction start time (CURRENT_TIMESTAMP).
    let now = unsafe { pg_sys::GetCurrentTransactionStartTimestamp() };
    Some(lower.is_none_or(|l| l <= now) && upper.is_none_or(|u| now < u))
}

//! Raising a `JwtError` as a PostgreSQL error, and keeping tokens and secrets out of the
//! server log: errors we raise are logged without their STATEMENT text.

use pgrst_jwt_core::{JwtError, Result, SqlState};
use pgrx::pg_sys;
use pgrx::prelude::*;
use std::ffi::CStr;
use std::sync::OnceLock;

/// The function name our error reports carry; the log hook recognises it.
const MARK: &str = "pgrst_jwt";

/// Raise `e` as a PostgreSQL ERROR: its message, its DETAIL and its SQLSTATE.
pub fn raise(e: JwtError) -> ! {
    let code = match e.sqlstate() {
        SqlState::InvalidParameterValue => PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
        SqlState::InvalidAuthorization => {
            PgSqlErrorCode::ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION
        }
        SqlState::InsufficientPrivilege => PgSqlErrorCode::ERRCODE_INSUFFICIENT_PRIVILEGE,
        SqlState::NotInPrerequisiteState => {
            PgSqlErrorCode::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE
        }
        SqlState::Internal => PgSqlErrorCode::ERRCODE_INTERNAL_ERROR,
    };
    let mut report = pg_sys::panic::ErrorReport::new(code, e.message(), MARK);
    if let Some(d) = e.detail {
        report = report.set_detail(d);
    }
    report.report(PgLogLevel::ERROR);
    unreachable!("ERROR does not return")
}

/// A result's value, or its error raised as a PostgreSQL ERROR ([`raise`]).
///
/// (pgrx's `ErrorReport` returned through `Result` would do the same, but a
/// `From<JwtError>` for it is not possible here: both types live in other crates.)
pub trait OrRaise<T> {
    fn or_raise(self) -> T;
}

impl<T> OrRaise<T> for Result<T> {
    fn or_raise(self) -> T {
        self.unwrap_or_else(|e| raise(e))
    }
}

/// The log hook that was installed before ours, which ours calls.
static PREV_HOOK: OnceLock<pg_sys::emit_log_hook_type> = OnceLock::new();

/// Install the log hook (once per backend, from `_PG_init`).
pub fn install_log_hook() {
    // SAFETY: `emit_log_hook` is PostgreSQL's global hook variable, read and written here
    // from `_PG_init`, which runs once per process on its only thread before any query;
    // the previous hook is kept and chained, as PostgreSQL's hook convention requires.
    // The OnceLock guards against installing twice (which would chain ours to itself).
    unsafe {
        if PREV_HOOK.set(pg_sys::emit_log_hook).is_ok() {
            pg_sys::emit_log_hook = Some(hide_statement);
        }
    }
}

/// Sets `hide_stmt` on the errors we raise (their function name is [`MARK`]).
///
/// # Safety
/// Called by PostgreSQL's `EmitErrorReport` with a valid `ErrorData` (or NULL).
#[pg_guard]
unsafe extern "C-unwind" fn hide_statement(edata: *mut pg_sys::ErrorData) {
    // SAFETY: `edata` is NULL or the ErrorData being emitted, valid for this call; its
    // `funcname` is NULL or a NUL-terminated string owned by the error context.
    unsafe {
        if let Some(ed) = edata.as_mut() {
            if !ed.funcname.is_null() && CStr::from_ptr(ed.funcname).to_bytes() == MARK.as_bytes() {
                ed.hide_stmt = true;
            }
        }
    }
    if let Some(prev) = PREV_HOOK.get().copied().flatten() {
        // SAFETY: the previous hook receives the ErrorData it would have received had we
        // not been installed.
        unsafe { prev(edata) };
    }
}

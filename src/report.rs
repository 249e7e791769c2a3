//! Raising a `JwtError` as a PostgreSQL error, and keeping tokens and secrets out of the
//! server log: errors we raise are logged without their STATEMENT text.

use crate::error::{JwtError, SqlState};
use pgrx::pg_sys;
use pgrx::prelude::*;
use std::ffi::CStr;

/// The function name our error reports carry; the log hook recognises it.
const MARK: &str = "pgrst_jwt";

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

/// `Result<T>` to `T`, raising the error.
pub fn ok<T>(r: crate::error::Result<T>) -> T {
    r.unwrap_or_else(|e| raise(e))
}

static mut PREV_HOOK: pg_sys::emit_log_hook_type = None;

/// Install the log hook (once per backend, from `_PG_init`).
pub fn install_log_hook() {
    unsafe {
        PREV_HOOK = pg_sys::emit_log_hook;
        pg_sys::emit_log_hook = Some(hide_statement);
    }
}

#[pg_guard]
unsafe extern "C-unwind" fn hide_statement(edata: *mut pg_sys::ErrorData) {
    if let Some(ed) = edata.as_mut() {
        if !ed.funcname.is_null() && CStr::from_ptr(ed.funcname).to_bytes() == MARK.as_bytes() {
            ed.hide_stmt = true;
        }
    }
    if let Some(prev) = PREV_HOOK {
        prev(edata);
    }
}

//! Raising a `JwtError` as a PostgreSQL error, and keeping tokens and secrets out of the
//! server log: an error (or any report) of a statement that is ours is logged without its
//! STATEMENT text and without the bound parameters PostgreSQL adds to its CONTEXT
//! (`log_parameter_max_length_on_error`). A statement is ours when one of our functions
//! ran in it ([`mark_statement`]: a cancel or a later error in the same statement is
//! covered), when the error is one we raise, or when its text names us (a malformed
//! `json` literal for the pgjwt drop-in fails before any function of ours runs).

use pgrst_jwt_core::{JwtError, Result, SqlState};
use pgrx::pg_sys;
use pgrx::prelude::*;
use std::cell::Cell;
use std::ffi::{CStr, CString};
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
        SqlState::UntranslatableCharacter => PgSqlErrorCode::ERRCODE_UNTRANSLATABLE_CHARACTER,
        SqlState::CharacterNotInRepertoire => PgSqlErrorCode::ERRCODE_CHARACTER_NOT_IN_REPERTOIRE,
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

thread_local! {
    /// The start time of the last statement in which one of our functions ran.
    static MARKED: Cell<pg_sys::TimestampTz> = const { Cell::new(pg_sys::TimestampTz::MIN) };
}

/// Marks the current statement as ours: its text or its parameters may hold a secret or a
/// token, so no report of it (an error, a cancel) is logged with them. Called on entry by
/// every SQL function that takes a key, a token or claims.
pub fn mark_statement() {
    // SAFETY: reads the start time PostgreSQL stored for the current statement.
    let now = unsafe { pg_sys::GetCurrentStatementStartTimestamp() };
    MARKED.with(|m| m.set(now));
}

/// Whether the statement being reported is ours (see the module's documentation).
fn statement_is_ours() -> bool {
    // SAFETY: reads the start time PostgreSQL stored for the current statement.
    let now = unsafe { pg_sys::GetCurrentStatementStartTimestamp() };
    if MARKED.with(Cell::get) == now {
        return true;
    }
    // SAFETY: PostgreSQL's current statement text: NULL or a NUL-terminated string that
    // lives for the whole statement, read here only.
    let text = unsafe { pg_sys::debug_query_string };
    !text.is_null() && names_us(unsafe { CStr::from_ptr(text) }.to_bytes())
}

/// Whether a statement's text names one of our functions (`jwt_…`, pgjwt's `sign` and
/// `verify`, `set_pgrst_secret_from_env`), case-insensitively; quoting and schema
/// qualification do not matter, and a false positive only hides a statement.
fn names_us(text: &[u8]) -> bool {
    // the hook sees every message a backend emits (each `statement:` line under
    // log_statement = all): compare in place, no copy of the statement
    const WORDS: [&[u8]; 4] = [b"jwt", b"sign", b"verify", b"secret"];
    WORDS
        .iter()
        .any(|w| text.windows(w.len()).any(|x| x.eq_ignore_ascii_case(w)))
}

/// A CONTEXT text without the lines that show bound parameters (`… with parameters: $1 =
/// …`, `… parameter $1 = …`, in any language: the lines holding `$` and a digit).
fn without_parameters(context: &[u8]) -> Option<Vec<u8>> {
    let shows_parameter = |line: &[u8]| {
        line.windows(2)
            .any(|w| w[0] == b'$' && w[1].is_ascii_digit())
    };
    let lines: Vec<&[u8]> = context.split(|b| *b == b'\n').collect();
    if !lines.iter().any(|l| shows_parameter(l)) {
        return None;
    }
    Some(
        lines
            .into_iter()
            .filter(|l| !shows_parameter(l))
            .collect::<Vec<_>>()
            .join(&b'\n'),
    )
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

/// Sets `hide_stmt`, and removes bound parameters from the CONTEXT, on every report of a
/// statement that is ours and on the errors we raise (their function name is [`MARK`]).
///
/// # Safety
/// Called by PostgreSQL's `EmitErrorReport` with a valid `ErrorData` (or NULL).
#[pg_guard]
unsafe extern "C-unwind" fn hide_statement(edata: *mut pg_sys::ErrorData) {
    // SAFETY: `edata` is NULL or the ErrorData being emitted, valid for this call; its
    // `funcname` and `context` are NULL or NUL-terminated strings owned by the error
    // context, and a replaced context is a palloc'd copy in the current (error) context.
    unsafe {
        if let Some(ed) = edata.as_mut() {
            let raised_by_us =
                !ed.funcname.is_null() && CStr::from_ptr(ed.funcname).to_bytes() == MARK.as_bytes();
            if raised_by_us || statement_is_ours() {
                ed.hide_stmt = true;
                if !ed.context.is_null() {
                    if let Some(kept) = without_parameters(CStr::from_ptr(ed.context).to_bytes()) {
                        let kept = CString::new(kept).unwrap_or_default();
                        ed.context = pg_sys::pstrdup(kept.as_ptr());
                    }
                }
            }
        }
    }
    if let Some(prev) = PREV_HOOK.get().copied().flatten() {
        // SAFETY: the previous hook receives the ErrorData it would have received had we
        // not been installed.
        unsafe { prev(edata) };
    }
}

#[cfg(test)]
mod tests {
    use super::{names_us, without_parameters};

    #[test]
    fn statements_that_name_us_are_recognised_in_any_case() {
        assert!(names_us(b"SELECT extensions.JWT_Sign('{}', 'k')"));
        assert!(names_us(b"select * from \"verify\"($1, $2)"));
        assert!(names_us(b"SELECT Set_PgRst_Secret_From_Env()"));
        assert!(!names_us(b"SELECT 1 / 0"));
        assert!(!names_us(b""));
    }

    #[test]
    fn only_the_lines_showing_parameters_are_removed() {
        let ctx =
            b"SQL function \"f\" statement 1\nunnamed portal with parameters: $1 = 'k', $2 = 'x'";
        assert_eq!(
            without_parameters(ctx).as_deref(),
            Some(&b"SQL function \"f\" statement 1"[..])
        );
        assert_eq!(
            without_parameters(b"PL/pgSQL function g() line 3 at RETURN"),
            None
        );
    }
}

//! Cancellation points for long work in the pure core.
//!
//! The core does not know PostgreSQL. The SQL layer registers PostgreSQL's
//! `CHECK_FOR_INTERRUPTS` here once per backend; loops over caller-controlled input
//! (members of a JWK Set, keys tried for a signature, JSON values while normalising
//! claims, lines of a PEM text) call [`check`], so `statement_timeout`,
//! `pg_cancel_backend` and `pg_terminate_backend` take effect in them. Without a
//! registered hook (unit tests, fuzzing) `check` does nothing.

use std::sync::OnceLock;

static HOOK: OnceLock<fn()> = OnceLock::new();

/// Register the function that honours pending cancel and terminate requests.
/// The first registration wins; later ones are ignored.
pub fn set_hook(hook: fn()) {
    let _ = HOOK.set(hook);
}

/// A cancellation point: runs the registered hook, which may not return (PostgreSQL
/// raises the cancel error, which unwinds through the caller like any other error).
#[inline]
pub fn check() {
    if let Some(hook) = HOOK.get() {
        hook();
    }
}

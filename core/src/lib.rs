//! pgrst_jwt_core: the pure core of pgrst_jwt. JWS signing and verification by
//! PostgREST's rules, keys (HMAC secrets, PEM, JWK, JWK Sets), claims for signing and
//! the claim rules for verifying, the role claim path and pgjwt's token format.
//!
//! No PostgreSQL and no per-thread state: the SQL layer (the `pgrst_jwt` crate) owns the
//! per-backend caches and passes them in, and registers PostgreSQL's cancellation check
//! with [`interrupt::set_hook`].

pub mod alg;
pub mod claims;
pub mod claims_text;
pub mod crypto;
pub mod error;
pub mod interrupt;
pub mod keys;
pub mod numeric;
pub mod pgjwt;
pub mod role;
pub mod sign;
pub mod token;
pub mod verify;

// The fuzzing harness (fuzz/harness) replays its seed corpora and every reproducer in
// fuzz/regressions as unit tests; it names this crate `pgrst_jwt_core`, as the fuzz crate does.
#[cfg(test)]
extern crate self as pgrst_jwt_core;
#[cfg(test)]
#[path = "../../fuzz/harness/mod.rs"]
mod fuzz_harness;

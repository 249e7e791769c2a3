//! pgrst_jwt_core: the pure core of pgrst_jwt. JWS signing and verification by
//! PostgREST's rules, keys (HMAC secrets, PEM, JWK, JWK Sets), the claims text for
//! signing and the claim rules for verifying, the role claim path, and pgjwt's token
//! format.
//!
//! No PostgreSQL and no per-thread state: the SQL layer (the `pgrst_jwt` crate) owns the
//! per-backend caches ([`KeyCache`], [`HeaderCache`]) and passes them in, and registers
//! PostgreSQL's cancellation check with [`set_interrupt_hook`].
//!
//! Layout: `alg` (the table of algorithms), `crypto/` (one file per algorithm family,
//! behind the `Signer` and `Verifier` traits), `keys/` (what a key text means: PEM, JWK,
//! JWK Set, raw secrets), `token` (the JWS compact serialization), `sign` and `verify`,
//! `claims` (the rules a verified payload must pass) and `claims_text` (the claims text
//! for signing), `role`, `pgjwt`, `error`.

mod alg;
mod claims;
mod claims_text;
pub mod config;
mod crypto;
mod error;
mod interrupt;
pub mod jsonb;
mod keys;
mod numeric;
pub mod pgjwt;
mod role;
pub mod session;
mod sign;
mod token;
mod verify;

pub use alg::{Alg, Curve, Family};
pub use claims::ClaimRules;
pub use claims_text::{normalize as normalize_claims, unescape_non_ascii, ClaimsForm};
pub use error::{truncate, JwtError, Kind, Result, SqlState};
pub use interrupt::set_hook as set_interrupt_hook;
pub use keys::jwk::{generate as generate_key, parse_jwk};
pub use keys::{shape, Key, KeyCache, KeySet, SecretEncoding, SecretLength, Shape};
pub use numeric::truncate_seconds;
pub use role::{RolePath, DEFAULT_KEY as DEFAULT_ROLE_CLAIM_KEY, MAX_PATH_BYTES};
pub use sign::sign;
pub use token::HeaderCache;
pub use verify::{check, decode, verify, Checked, Decoded, Options, DEFAULT_LEEWAY};

// The fuzzing harness (fuzz/harness) replays its seed corpora and every reproducer in
// fuzz/regressions as unit tests; it names this crate `pgrst_jwt_core`, as the fuzz crate does.
#[cfg(test)]
extern crate self as pgrst_jwt_core;
#[cfg(test)]
#[path = "../../fuzz/harness/mod.rs"]
mod fuzz_harness;

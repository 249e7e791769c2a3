//! Supabase's helpers, `auth.uid()`, `auth.role()`, `auth.email()` and `auth.jwt()`, with
//! the results of Supabase's SQL definitions (github supabase/auth, migrations
//! `20220224000811_update_auth_functions` and `20220531120530_add_auth_jwt_function`) in
//! every settings state:
//!
//! ```sql
//! select coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''),
//!                 (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub'))::uuid
//! ```
//!
//! (`role` and `email` alike, `::text`; `jwt()` is `coalesce(nullif(request.jwt.claim),
//! nullif(request.jwt.claims))::jsonb`). The steps that are PostgreSQL functions in those
//! definitions call the same functions here (`jsonb_in`, `->>`, `uuid_in`), so errors
//! and edge cases are theirs: invalid JSON and a `sub` that is no uuid raise 22P02.
//!
//! What differs is the speed: the result is cached per backend, keyed on the exact bytes
//! of the settings it was computed from (the legacy setting's, or the claims'), so an
//! RLS policy calling `auth.uid()` per row parses the claims once, and any other value
//! (another request, another role's settings, another transaction's) is a miss that
//! computes again. The result depends on nothing but those bytes, and an error is never
//! cached.

use super::values::{self, JsonbValue, TextValue, UuidValue};
use pgrx::prelude::*;
use std::cell::RefCell;
use std::ffi::CStr;

/// One cached result: the setting it came from (`legacy`: the per-claim setting, used
/// when not empty; otherwise `claims`), and the value computed from it.
struct Entry<V> {
    legacy: Option<Vec<u8>>,
    claims: Option<Vec<u8>>,
    value: V,
}

/// The settings a helper reads, as they are now: the legacy one, and the claims only
/// when the legacy one is absent (Supabase's `coalesce` does not evaluate them then).
struct Inputs<'a> {
    legacy: Option<&'a [u8]>,
    claims: Option<&'a [u8]>,
}

/// # Safety
/// As [`values::setting`]: the slices are used before any setting can change.
unsafe fn inputs<'a>(legacy: &CStr) -> Inputs<'a> {
    // SAFETY: the caller's contract.
    let l = unsafe { values::setting(legacy) };
    let claims = match l {
        Some(_) => None,
        // SAFETY: the caller's contract.
        None => unsafe { values::setting(c"request.jwt.claims") },
    };
    Inputs { legacy: l, claims }
}

impl<V> Entry<V> {
    fn matches(&self, i: &Inputs) -> bool {
        self.legacy.as_deref() == i.legacy && self.claims.as_deref() == i.claims
    }
}

/// `finish` of the cached value for the current settings, or of `compute` of them
/// (then cached).
fn cached<V, R>(
    cache: &'static std::thread::LocalKey<RefCell<Option<Entry<V>>>>,
    legacy: &CStr,
    compute: impl FnOnce(&Inputs) -> V,
    finish: impl Fn(&V) -> R,
) -> R {
    // SAFETY: the slices are compared, copied and computed from before this function
    // returns; nothing here sets a setting.
    let i = unsafe { inputs(legacy) };
    if let Some(r) = cache.with(|c| {
        c.borrow()
            .as_ref()
            .filter(|e| e.matches(&i))
            .map(|e| finish(&e.value))
    }) {
        return r;
    }
    // copy the keys before computing: an error leaves the cache as it was
    let (legacy_key, claims_key) = (i.legacy.map(<[u8]>::to_vec), i.claims.map(<[u8]>::to_vec));
    let kept = Inputs {
        legacy: legacy_key.as_deref(),
        claims: claims_key.as_deref(),
    };
    let value = compute(&kept);
    let r = finish(&value);
    cache.with(|c| {
        *c.borrow_mut() = Some(Entry {
            legacy: legacy_key,
            claims: claims_key,
            value,
        })
    });
    r
}

/// `coalesce(legacy, claims::jsonb ->> field)`: the text bytes, or None.
fn claim_text(i: &Inputs, field: &str) -> Option<Vec<u8>> {
    match (i.legacy, i.claims) {
        (Some(l), _) => Some(l.to_vec()),
        (None, Some(c)) => values::field_text(values::jsonb_in(c), field),
        (None, None) => None,
    }
}

thread_local! {
    static UID: RefCell<Option<Entry<Option<[u8; 16]>>>> = const { RefCell::new(None) };
    static ROLE: RefCell<Option<Entry<Option<Vec<u8>>>>> = const { RefCell::new(None) };
    static EMAIL: RefCell<Option<Entry<Option<Vec<u8>>>>> = const { RefCell::new(None) };
    static JWT: RefCell<Option<Entry<Option<Vec<u8>>>>> = const { RefCell::new(None) };
}

/// `auth.uid()`: `request.jwt.claim.sub`, else the claims' `sub`, as uuid.
#[pg_extern(stable, parallel_safe, sql = false)]
fn auth_uid() -> Option<UuidValue> {
    cached(
        &UID,
        c"request.jwt.claim.sub",
        |i| claim_text(i, "sub").map(|t| values::uuid_in(&t)),
        |v| v.as_ref().map(values::uuid_datum),
    )
}

/// `auth.role()`: `request.jwt.claim.role`, else the claims' `role`, as text.
#[pg_extern(stable, parallel_safe, sql = false)]
fn auth_role() -> Option<TextValue> {
    cached(
        &ROLE,
        c"request.jwt.claim.role",
        |i| claim_text(i, "role"),
        |v| v.as_deref().map(|t| TextValue(values::text_datum(t))),
    )
}

/// `auth.email()`: `request.jwt.claim.email`, else the claims' `email`, as text.
#[pg_extern(stable, parallel_safe, sql = false)]
fn auth_email() -> Option<TextValue> {
    cached(
        &EMAIL,
        c"request.jwt.claim.email",
        |i| claim_text(i, "email"),
        |v| v.as_deref().map(|t| TextValue(values::text_datum(t))),
    )
}

/// `auth.jwt()`: `request.jwt.claim`, else `request.jwt.claims`, as jsonb.
#[pg_extern(stable, parallel_safe, sql = false)]
fn auth_jwt() -> Option<JsonbValue> {
    cached(
        &JWT,
        c"request.jwt.claim",
        |i| {
            i.legacy
                .or(i.claims)
                .map(|t| values::varlena_bytes(values::jsonb_in(t)))
        },
        |v| v.as_deref().map(|b| JsonbValue(values::varlena_datum(b))),
    )
}

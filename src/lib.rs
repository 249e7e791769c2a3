//! pgrst_jwt: sign and verify JSON Web Tokens inside PostgreSQL, by PostgREST's rules.
//!
//! This file only wires: the SQL functions (their names, signatures and volatility are
//! the extension's catalog) to the modules that do the work. The pure core is the crate
//! `pgrst_jwt_core` (core/); here is what needs PostgreSQL:
//! - `tokens`: sign, verify, check and decode with a caller's key or the configured one;
//! - `request`: the current request's claims and role;
//! - `configure`: `set_pgrst_secret_from_env()`; `store`: where the configured secret
//!   lives, its cache and who could read it; `settings`: the GUCs;
//! - `caches`: per-backend caches; `sqltypes`: SQL values in and out; `report`: errors
//!   raised, and kept out of the server log; `dropin`: pgjwt's `sign` and `verify`;
//! - `auth`: the companion `pgrst_jwt_auth` (Supabase's helpers, verified sessions).

use pgrx::prelude::*;

mod auth;
mod caches;
mod configure;
mod dropin;
mod encoding;
mod report;
mod request;
mod settings;
mod sqltypes;
mod store;
mod tokens;

use pgrst_jwt_core::ClaimsForm;
use report::OrRaise;
use sqltypes::{JsonText, JsonbDatum, JsonbText, RoleName, Text, TextOut};

::pgrx::pg_module_magic!();

extension_sql_file!("../sql/bootstrap.sql", bootstrap);
extension_sql_file!("../sql/finalize.sql", finalize);

#[pg_guard]
pub extern "C-unwind" fn _PG_init() {
    settings::define();
    auth::define();
    report::install_log_hook();
    store::init();
    pgrst_jwt_core::set_interrupt_hook(check_for_interrupts);
}

/// PostgreSQL's `CHECK_FOR_INTERRUPTS()`: a pending cancel or terminate raises here.
fn check_for_interrupts() {
    pgrx::check_for_interrupts!();
}

// ---------------------------------------------------------------- signing

#[pg_extern(immutable, parallel_safe, name = "jwt_sign")]
fn jwt_sign_jsonb(
    claims: Option<JsonbText>,
    secret: Option<Text>,
    algorithm: default!(Option<Text>, "'HS256'"),
) -> Option<String> {
    report::mark_statement();
    let (claims, secret) = (claims?, secret?);
    Some(tokens::sign_with_secret(
        &claims.0,
        ClaimsForm::Jsonb,
        &secret,
        algorithm.as_deref(),
    ))
}

#[pg_extern(immutable, parallel_safe, name = "jwt_sign")]
fn jwt_sign_json(
    claims: Option<JsonText>,
    secret: Option<Text>,
    algorithm: default!(Option<Text>, "'HS256'"),
) -> Option<String> {
    report::mark_statement();
    let (claims, secret) = (claims?, secret?);
    Some(tokens::sign_with_secret(
        &claims.0,
        ClaimsForm::AsWritten,
        &secret,
        algorithm.as_deref(),
    ))
}

#[pg_extern(immutable, parallel_safe, name = "jwt_sign")]
fn jwt_sign_text(
    claims: Option<Text>,
    secret: Option<Text>,
    algorithm: default!(Option<Text>, "'HS256'"),
) -> Option<String> {
    report::mark_statement();
    let (claims, secret) = (claims?, secret?);
    Some(tokens::sign_with_secret(
        &claims,
        ClaimsForm::AsWritten,
        &secret,
        algorithm.as_deref(),
    ))
}

#[pg_extern(stable, parallel_safe, strict, name = "jwt_sign")]
fn jwt_sign_configured_jsonb(claims: JsonbText) -> String {
    report::mark_statement();
    tokens::sign_with_configured(&claims.0, ClaimsForm::Jsonb)
}

#[pg_extern(stable, parallel_safe, strict, name = "jwt_sign")]
fn jwt_sign_configured_json(claims: JsonText) -> String {
    report::mark_statement();
    tokens::sign_with_configured(&claims.0, ClaimsForm::AsWritten)
}

#[pg_extern(stable, parallel_safe, strict, name = "jwt_sign")]
fn jwt_sign_configured_text(claims: Text) -> String {
    report::mark_statement();
    tokens::sign_with_configured(&claims, ClaimsForm::AsWritten)
}

// ---------------------------------------------------------------- verifying

#[pg_extern(stable, parallel_safe)]
fn jwt_verify(
    token: Option<Text>,
    secret: Option<Text>,
    algorithm: default!(Option<Text>, "NULL"),
    leeway: default!(Option<i32>, "30"),
    audience: default!(Option<Text>, "NULL"),
) -> Option<JsonbDatum> {
    report::mark_statement();
    let (token, secret) = (token?, secret?);
    Some(tokens::verify_with_secret(
        &token,
        &secret,
        algorithm.as_deref(),
        leeway,
        audience.as_deref(),
    ))
}

/// PostgREST's rules: the configured secret, 30 s skew, `pgrst.jwt_aud`.
#[pg_extern(stable, parallel_safe, strict, name = "jwt_verify")]
fn jwt_verify_configured(token: Text) -> JsonbDatum {
    report::mark_statement();
    tokens::verify_with_configured(&token)
}

#[allow(clippy::type_complexity)] // pgrx needs the row type spelled out here
#[pg_extern(stable, parallel_safe)]
fn jwt_check(
    token: Option<Text>,
    secret: default!(Option<Text>, "NULL"),
    algorithm: default!(Option<Text>, "NULL"),
    leeway: default!(Option<i32>, "30"),
    audience: default!(Option<Text>, "NULL"),
) -> TableIterator<
    'static,
    (
        name!(valid, bool),
        name!(reason, Option<String>),
        name!(header, Option<JsonbDatum>),
        name!(claims, Option<JsonbDatum>),
    ),
> {
    report::mark_statement();
    TableIterator::once(tokens::check(
        token.as_deref(),
        secret.as_deref(),
        algorithm.as_deref(),
        leeway,
        audience.as_deref(),
    ))
}

#[pg_extern(stable, parallel_safe, strict)]
fn jwt_decode(
    token: Text,
) -> TableIterator<'static, (name!(header, JsonbDatum), name!(claims, JsonbDatum))> {
    report::mark_statement();
    TableIterator::once(tokens::decode(&token))
}

// ---------------------------------------------------------------- configuration

#[pg_extern(volatile, parallel_unsafe)]
fn set_pgrst_secret_from_env(
    env_var: default!(Text, "'JWT_SECRET'"),
    is_base64: default!(bool, "false"),
    postgrest_role: default!(Option<RoleName>, "NULL"),
) -> String {
    report::mark_statement();
    let role = postgrest_role.as_ref().map(|r| r.0.as_str());
    configure::set_from_env(&env_var, is_base64, role).or_raise()
}

#[allow(clippy::type_complexity)] // pgrx needs the row type spelled out here
#[pg_extern(stable, parallel_safe)]
fn jwt_secret_status() -> TableIterator<
    'static,
    (
        name!(configured, bool),
        name!(source, Option<String>),
        name!(fingerprint, Option<String>),
        name!(readable_by_public, bool),
        name!(exposures, Vec<String>),
    ),
> {
    TableIterator::once(store::status(settings::secret_is_base64()).or_raise())
}

/// Statement trigger before every write to the secret table: only a superuser changes it
/// (a role given INSERT, UPDATE, DELETE or TRUNCATE by a routine grant must not replace
/// the secret with its own key, nor delete it).
#[pg_trigger]
fn pgrst_jwt_secret_write_guard<'a>(
    _trigger: &'a pgrx::PgTrigger<'a>,
) -> Result<Option<PgHeapTuple<'a, AllocatedByPostgres>>, pgrx::PgTriggerError> {
    store::refuse_unless_superuser().or_raise();
    Ok(None)
}

/// Statement trigger on the secret table: every backend reloads the secret.
#[pg_trigger]
fn pgrst_jwt_secret_changed<'a>(
    trigger: &'a pgrx::PgTrigger<'a>,
) -> Result<Option<PgHeapTuple<'a, AllocatedByPostgres>>, pgrx::PgTriggerError> {
    store::announce_change(trigger.relation()?.oid());
    Ok(None)
}

/// Row trigger for replicated writes only (ENABLE REPLICA: logical replication's apply and
/// table-sync workers). A replicated row of the publisher's secret replaces this node's
/// row instead of conflicting with its key (a table-sync worker would otherwise fail every
/// few seconds, for as long as the subscription lives), and every backend here reloads
/// the secret, as the statement trigger does for local writes (apply fires row triggers
/// only). The worker must run as a superuser, like any other writer of the table.
#[pg_trigger]
fn pgrst_jwt_secret_replicated<'a>(
    trigger: &'a pgrx::PgTrigger<'a>,
) -> Result<Option<PgHeapTuple<'a, AllocatedByPostgres>>, pgrx::PgTriggerError> {
    store::refuse_unless_superuser().or_raise();
    store::announce_change(trigger.relation()?.oid());
    match trigger.op()? {
        pgrx::PgTriggerOperation::Insert => {
            let new = trigger.new().ok_or(pgrx::PgTriggerError::NullTriggerData)?;
            store::take_replicated(&new).or_raise();
            Ok(None)
        }
        pgrx::PgTriggerOperation::Delete => Ok(trigger.old()),
        _ => Ok(trigger.new()),
    }
}

// ---------------------------------------------------------------- request helpers

#[pg_extern(stable, parallel_safe, strict)]
fn jwt_role(claims: JsonbText) -> Option<TextOut> {
    let claims: serde_json::Value = serde_json::from_str(&claims.0).ok()?;
    request::role(&claims).map(|r| TextOut(r, "the role"))
}

#[pg_extern(stable, parallel_safe)]
fn jwt_claims() -> Option<JsonbDatum> {
    request::claims()
}

#[pg_extern(stable, parallel_safe, strict)]
fn jwt_claim(name: Text) -> Option<TextOut> {
    request::claim(&name)
        .or_raise()
        .map(|v| TextOut(v, "the claim"))
}

// ---------------------------------------------------------------- keys

#[pg_extern(volatile, parallel_safe)]
fn jwt_generate_key(
    kty: default!(Text, "'EC'"),
    kid: default!(Option<Text>, "NULL"),
) -> JsonbDatum {
    tokens::generate_key(&kty, kid.as_deref())
}

#[pg_extern(immutable, parallel_safe, strict, name = "jwt_public_jwks")]
fn jwt_public_jwks_of(keys: Text) -> JsonbDatum {
    report::mark_statement();
    tokens::public_jwks_of(&keys)
}

#[pg_extern(stable, parallel_safe, name = "jwt_public_jwks")]
fn jwt_public_jwks_configured() -> JsonbDatum {
    tokens::public_jwks_of_configured()
}

// The #[pg_test]s (src/pgrx_tests.rs), compiled only with the Cargo feature `pg_test`,
// which `cargo pgrx test` turns on (pgrx requires that name); they run in schema `tests`.
#[cfg(feature = "pg_test")]
mod pgrx_tests;
#[cfg(feature = "pg_test")]
pub use pgrx_tests::tests;

/// Required by `cargo pgrx test` under this name. (The SQL and Python tests on real
/// clusters are another thing: `pg_test/`, run by `pg_test/run`.)
#[cfg(test)]
pub mod pg_test {
    pub fn setup(_options: Vec<&str>) {}

    pub fn postgresql_conf_options() -> Vec<&'static str> {
        vec![]
    }
}

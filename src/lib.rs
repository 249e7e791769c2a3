//! pgrst_jwt: sign and verify JSON Web Tokens inside PostgreSQL, by PostgREST's rules.
//! This file only wires the modules to SQL.

use pgrx::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;

// the pure core, in a crate of its own (core/)
use pgrst_jwt_core::{alg, claims, error, interrupt, keys, pgjwt, role, sign, token, verify};

mod configure;
mod dropin;
mod report;
mod settings;
mod sqltypes;
mod store;

use alg::Alg;
use claims::ClaimRules;
use error::{JwtError, Kind};
use keys::{KeyCache, KeySet, SecretEncoding, SecretLength};
use pgrst_jwt_core::claims_text::ClaimsForm;
use report::OrRaise;
use sqltypes::{to_jsonb, JsonText, JsonbDatum, JsonbText, RoleName};

::pgrx::pg_module_magic!();

extension_sql_file!("../sql/bootstrap.sql", bootstrap);
extension_sql_file!("../sql/finalize.sql", finalize);

#[pg_guard]
pub extern "C-unwind" fn _PG_init() {
    settings::define();
    report::install_log_hook();
    store::init();
    interrupt::set_hook(check_for_interrupts);
}

/// PostgreSQL's `CHECK_FOR_INTERRUPTS()`: a pending cancel or terminate raises here.
fn check_for_interrupts() {
    pgrx::check_for_interrupts!();
}

/// Bounds of the per-backend cache of caller-given key texts: entries, and their
/// total weight (text bytes plus an estimate per parsed key).
const KEY_CACHE_ENTRIES: usize = 32;
const KEY_CACHE_BYTES: usize = 4 << 20;

thread_local! {
    static KEYS: RefCell<KeyCache> = RefCell::new(KeyCache::new(KEY_CACHE_ENTRIES, KEY_CACHE_BYTES));
    static ROLE_PATH: RefCell<Option<(String, Rc<role::RolePath>)>> = const { RefCell::new(None) };
    static HEADERS: RefCell<token::HeaderCache> = RefCell::new(token::HeaderCache::default());
}

/// `verify::verify` with this backend's header cache.
fn verify_token(token: &str, keys: &KeySet, opts: &verify::Options) -> error::Result<String> {
    HEADERS.with(|h| verify::verify(token, keys, opts, &mut h.borrow_mut()))
}

fn cached_keys(text: &str, length: SecretLength) -> Rc<KeySet> {
    KEYS.with(|c| c.borrow_mut().get(text, length, SecretEncoding::Plain))
        .or_raise()
}

fn configured() -> Rc<store::Configured> {
    store::require(settings::secret_is_base64()).or_raise()
}

/// Transaction start time (`now()`), whole seconds since the epoch.
fn now_seconds() -> i64 {
    const PG_EPOCH_OFFSET: i64 = 946_684_800;
    let ts = unsafe { pg_sys::GetCurrentTransactionStartTimestamp() };
    ts.div_euclid(1_000_000) + PG_EPOCH_OFFSET
}

fn algorithm(name: Option<&str>) -> Option<Alg> {
    name.map(|n| Alg::from_arg(n).or_raise())
}

// ---------------------------------------------------------------- signing

fn sign_with(claims: &str, form: ClaimsForm, secret: &str, alg: Option<&str>) -> String {
    let keys = cached_keys(secret, SecretLength::Minimum);
    sign::sign(claims, form, &keys, algorithm(alg)).or_raise()
}

#[pg_extern(immutable, parallel_safe, name = "jwt_sign")]
fn jwt_sign_jsonb(
    claims: Option<JsonbText>,
    secret: Option<&str>,
    algorithm: default!(Option<&str>, "'HS256'"),
) -> Option<String> {
    Some(sign_with(&claims?.0, ClaimsForm::Jsonb, secret?, algorithm))
}

#[pg_extern(immutable, parallel_safe, name = "jwt_sign")]
fn jwt_sign_json(
    claims: Option<JsonText>,
    secret: Option<&str>,
    algorithm: default!(Option<&str>, "'HS256'"),
) -> Option<String> {
    Some(sign_with(
        &claims?.0,
        ClaimsForm::AsWritten,
        secret?,
        algorithm,
    ))
}

#[pg_extern(immutable, parallel_safe, name = "jwt_sign")]
fn jwt_sign_text(
    claims: Option<&str>,
    secret: Option<&str>,
    algorithm: default!(Option<&str>, "'HS256'"),
) -> Option<String> {
    Some(sign_with(
        claims?,
        ClaimsForm::AsWritten,
        secret?,
        algorithm,
    ))
}

fn sign_configured(claims: &str, form: ClaimsForm) -> String {
    let c = configured();
    sign::sign(claims, form, &c.keys, None).or_raise()
}

#[pg_extern(stable, parallel_safe, strict, name = "jwt_sign")]
fn jwt_sign_configured_jsonb(claims: JsonbText) -> String {
    sign_configured(&claims.0, ClaimsForm::Jsonb)
}

#[pg_extern(stable, parallel_safe, strict, name = "jwt_sign")]
fn jwt_sign_configured_json(claims: JsonText) -> String {
    sign_configured(&claims.0, ClaimsForm::AsWritten)
}

#[pg_extern(stable, parallel_safe, strict, name = "jwt_sign")]
fn jwt_sign_configured_text(claims: &str) -> String {
    sign_configured(claims, ClaimsForm::AsWritten)
}

// ---------------------------------------------------------------- verifying

fn options<'a>(
    alg: Option<&str>,
    leeway: Option<i32>,
    audience: Option<&'a str>,
) -> verify::Options<'a> {
    let leeway = leeway.unwrap_or(30);
    if leeway < 0 {
        report::raise(JwtError::with_detail(
            Kind::InvalidArgument("leeway"),
            "leeway must be zero or more seconds",
        ));
    }
    verify::Options {
        algorithm: algorithm(alg),
        rules: ClaimRules {
            now: now_seconds(),
            leeway: leeway as i64,
            audience,
        },
        max_bytes: settings::max_token_bytes(),
        postgrest: false,
    }
}

#[pg_extern(stable, parallel_safe)]
fn jwt_verify(
    token: Option<&str>,
    secret: Option<&str>,
    algorithm: default!(Option<&str>, "NULL"),
    leeway: default!(Option<i32>, "30"),
    audience: default!(Option<&str>, "NULL"),
) -> Option<JsonbDatum> {
    let (token, secret) = (token?, secret?);
    let opts = options(algorithm, leeway, audience);
    let keys = cached_keys(secret, SecretLength::Any);
    Some(to_jsonb(verify_token(token, &keys, &opts).or_raise()).or_raise())
}

/// PostgREST's rules: the configured secret, 30 s skew, `pgrst.jwt_aud`.
#[pg_extern(stable, parallel_safe, strict, name = "jwt_verify")]
fn jwt_verify_configured(token: &str) -> JsonbDatum {
    let aud = settings::audience();
    let opts = verify::Options {
        postgrest: true,
        ..options(None, None, aud.as_deref())
    };
    let c = configured();
    to_jsonb(verify_token(token, &c.keys, &opts).or_raise()).or_raise()
}

#[allow(clippy::type_complexity)] // pgrx needs the row type spelled out here
#[pg_extern(stable, parallel_safe)]
fn jwt_check(
    token: Option<&str>,
    secret: default!(Option<&str>, "NULL"),
    algorithm: default!(Option<&str>, "NULL"),
    leeway: default!(Option<i32>, "30"),
    audience: default!(Option<&str>, "NULL"),
) -> TableIterator<
    'static,
    (
        name!(valid, bool),
        name!(reason, Option<String>),
        name!(header, Option<JsonbDatum>),
        name!(claims, Option<JsonbDatum>),
    ),
> {
    let aud = settings::audience();
    let mut opts = options(algorithm, leeway, audience);
    let keys = match secret {
        Some(s) => Ok(cached_keys(s, SecretLength::Any)),
        None => {
            opts.postgrest = true;
            opts.rules.audience = audience.or(aud.as_deref());
            store::require(settings::secret_is_base64()).map(|c| c.keys.clone())
        }
    };
    let (result, decoded) = match (token, keys) {
        (None, _) => (Err(JwtError::new(Kind::EmptyToken)), None),
        (Some(t), Err(e)) => (Err(e), verify::decode(t, opts.max_bytes).ok()),
        (Some(t), Ok(keys)) => {
            let (decoded, result) =
                HEADERS.with(|h| verify::check(t, &keys, &opts, &mut h.borrow_mut()));
            (result, decoded)
        }
    };
    let (header, claims) = match decoded {
        Some(d) => (to_jsonb(d.header), to_jsonb(d.payload)),
        None => (
            Err(JwtError::new(Kind::Undecodable)),
            Err(JwtError::new(Kind::ClaimsParse)),
        ),
    };
    // claims that jsonb cannot hold make an otherwise valid token invalid
    let result = result.and(claims.as_ref().map(|_| ()).map_err(Clone::clone));
    let (valid, reason) = match result {
        Ok(()) => (true, None),
        Err(e) => (false, Some(e.reason().to_string())),
    };
    TableIterator::once((valid, reason, header.ok(), claims.ok()))
}

#[pg_extern(stable, parallel_safe, strict)]
fn jwt_decode(
    token: &str,
) -> TableIterator<'static, (name!(header, JsonbDatum), name!(claims, JsonbDatum))> {
    let d = verify::decode(token, settings::max_token_bytes()).or_raise();
    let header = to_jsonb(d.header)
        .map_err(|_| JwtError::new(Kind::Undecodable))
        .or_raise();
    TableIterator::once((header, to_jsonb(d.payload).or_raise()))
}

// ---------------------------------------------------------------- configuration

#[pg_extern(volatile, parallel_unsafe)]
fn set_pgrst_secret_from_env(
    env_var: default!(&str, "'JWT_SECRET'"),
    is_base64: default!(bool, "false"),
    postgrest_role: default!(Option<RoleName>, "NULL"),
) -> String {
    configure::set_from_env(
        env_var,
        is_base64,
        postgrest_role.as_ref().map(|r| r.0.as_str()),
    )
    .or_raise()
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
    let c = store::configured(settings::secret_is_base64()).or_raise();
    let s = store::status(c.map(|c| (c.source, c.fingerprint.clone()))).or_raise();
    let readable = s.readable_by_public();
    TableIterator::once((
        s.configured,
        s.source.map(|src| src.name().to_string()),
        s.fingerprint,
        readable,
        s.exposures,
    ))
}

// ---------------------------------------------------------------- request helpers

#[pg_extern(stable, parallel_safe, strict)]
fn jwt_role(claims: pgrx::JsonB) -> Option<String> {
    let key = settings::role_claim_key().unwrap_or_else(|| role::DEFAULT_KEY.to_string());
    let path = ROLE_PATH.with(|c| {
        let mut c = c.borrow_mut();
        match c.as_ref() {
            Some((k, p)) if *k == key => p.clone(),
            _ => {
                let p = Rc::new(role::RolePath::parse(&key).or_raise());
                *c = Some((key, p.clone()));
                p
            }
        }
    });
    path.role(&claims.0)
}

#[pg_extern(stable, parallel_safe)]
fn jwt_claims() -> Option<JsonbDatum> {
    let text = store::setting(c"request.jwt.claims")?;
    // PostgREST always sets a JSON object; anything else is treated as absent
    serde_json::from_str::<serde::de::IgnoredAny>(&text).ok()?;
    to_jsonb(text).ok()
}

#[pg_extern(stable, parallel_safe, strict)]
fn jwt_claim(name: &str) -> Option<String> {
    let text = store::setting(c"request.jwt.claims")?;
    let claims: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&text).ok()?;
    match claims.get(name)? {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

// ---------------------------------------------------------------- keys

#[pg_extern(volatile, parallel_safe)]
fn jwt_generate_key(
    kty: default!(&str, "'EC'"),
    kid: default!(Option<&str>, "NULL"),
) -> pgrx::JsonB {
    pgrx::JsonB(serde_json::Value::Object(
        keys::jwk::generate(kty, kid).or_raise(),
    ))
}

fn public_jwks(keys: &KeySet) -> pgrx::JsonB {
    pgrx::JsonB(keys.public_jwks())
}

#[pg_extern(immutable, parallel_safe, strict, name = "jwt_public_jwks")]
fn jwt_public_jwks_of(keys: &str) -> pgrx::JsonB {
    public_jwks(&cached_keys(keys, SecretLength::Any))
}

#[pg_extern(stable, parallel_safe, name = "jwt_public_jwks")]
fn jwt_public_jwks_configured() -> pgrx::JsonB {
    public_jwks(&configured().keys)
}

#[pg_trigger]
fn pgrst_jwt_secret_changed<'a>(
    trigger: &'a pgrx::PgTrigger<'a>,
) -> Result<Option<PgHeapTuple<'a, AllocatedByPostgres>>, pgrx::PgTriggerError> {
    let rel = trigger.relation()?;
    unsafe { pg_sys::CacheInvalidateRelcacheByRelid(rel.oid()) };
    Ok(None)
}

// The #[pg_test]s (src/pgrx_tests.rs), compiled only with the Cargo feature `pg_test`,
// which `cargo pgrx test` turns on (pgrx requires that name); they run in schema `tests`.
#[cfg(feature = "pg_test")]
mod pgrx_tests;
#[cfg(feature = "pg_test")]
pub use pgrx_tests::tests;

/// Required by `cargo pgrx test` under this name. (The SQL and Python tests on real
/// clusters are another thing: `test/`, run by `test/run`.)
#[cfg(test)]
pub mod pg_test {
    pub fn setup(_options: Vec<&str>) {}

    pub fn postgresql_conf_options() -> Vec<&'static str> {
        vec![]
    }
}

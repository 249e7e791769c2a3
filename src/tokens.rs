//! What the token functions do with their SQL arguments: sign, verify, check and decode
//! with a caller's key text or the configured secret, the clock and the settings of the
//! call, and results as jsonb. The work itself is the core's (`pgrst_jwt_core`).

use crate::caches;
use crate::report::{raise, OrRaise};
use crate::settings;
use crate::sqltypes::{to_jsonb, JsonbDatum};
use crate::store::{self, Configured};
use pgrst_jwt_core::{
    Alg, Checked, ClaimsForm, JwtError, Kind, Options, SecretLength, DEFAULT_LEEWAY,
};
use pgrx::pg_sys;
use std::rc::Rc;

/// `jwt_check`'s row: valid, reason, header, claims.
pub type CheckRow = (bool, Option<String>, Option<JsonbDatum>, Option<JsonbDatum>);

/// The configured secret's keys, or PostgREST's `Server lacks JWT secret` raised.
fn configured() -> Rc<Configured> {
    store::require(settings::secret_is_base64()).or_raise()
}

/// Transaction start time (`now()`), whole seconds since the epoch.
fn now_seconds() -> i64 {
    const PG_EPOCH_OFFSET: i64 = 946_684_800;
    // SAFETY: reads the start time of the current transaction, which every function
    // call runs in; no pointers are involved.
    let ts = unsafe { pg_sys::GetCurrentTransactionStartTimestamp() };
    ts.div_euclid(1_000_000) + PG_EPOCH_OFFSET
}

/// A caller's verification options at this transaction's time; bad ones raise.
fn options<'a>(
    algorithm: Option<&str>,
    leeway: Option<i32>,
    audience: Option<&'a str>,
) -> Options<'a> {
    let max_bytes = settings::max_token_bytes();
    Options::new(algorithm, leeway, audience, now_seconds(), max_bytes).or_raise()
}

// ---------------------------------------------------------------- signing

/// `jwt_sign(claims, secret, algorithm)`.
pub fn sign_with_secret(
    claims: &str,
    form: ClaimsForm,
    secret: &str,
    algorithm: Option<&str>,
) -> String {
    let keys = caches::keys(secret, SecretLength::Minimum);
    let alg = algorithm.map(|a| Alg::from_arg(a).or_raise());
    pgrst_jwt_core::sign(claims, form, &keys, alg).or_raise()
}

/// `jwt_sign(claims)`: the configured secret (its first key that can sign).
pub fn sign_with_configured(claims: &str, form: ClaimsForm) -> String {
    let c = configured();
    pgrst_jwt_core::sign(claims, form, &c.keys, None).or_raise()
}

// ---------------------------------------------------------------- verifying

/// `jwt_verify(token, secret, algorithm, leeway, audience)`.
pub fn verify_with_secret(
    token: &str,
    secret: &str,
    algorithm: Option<&str>,
    leeway: Option<i32>,
    audience: Option<&str>,
) -> JsonbDatum {
    let opts = options(algorithm, leeway, audience);
    let keys = caches::keys(secret, SecretLength::Any);
    to_jsonb(caches::verify(token, &keys, &opts).or_raise()).or_raise()
}

/// `jwt_verify(token)`: PostgREST's rules (the configured secret, 30 s skew,
/// `pgrst.jwt_aud`).
pub fn verify_with_configured(token: &str) -> JsonbDatum {
    let aud = settings::audience();
    let opts = options(None, None, None).postgrest(aud.as_deref());
    let c = configured();
    to_jsonb(caches::verify(token, &c.keys, &opts).or_raise()).or_raise()
}

/// `jwt_check(...)`: never raises for a bad token. Without a secret, the configured one
/// by PostgREST's rules (`audience`, else `pgrst.jwt_aud`), and no configured secret is
/// a reason, not an error.
pub fn check(
    token: Option<&str>,
    secret: Option<&str>,
    algorithm: Option<&str>,
    leeway: Option<i32>,
    audience: Option<&str>,
) -> CheckRow {
    let setting = settings::audience();
    let mut opts = options(algorithm, leeway, audience);
    let keys = match secret {
        Some(s) => Ok(caches::keys(s, SecretLength::Any)),
        None => {
            // the configured secret means PostgREST's rules, which a caller cannot loosen:
            // its 30 s skew and the superuser-only pgrst.jwt_aud
            if leeway.is_some_and(|l| l != DEFAULT_LEEWAY) || audience.is_some() {
                raise(JwtError::with_detail(
                    Kind::InvalidArgument("leeway or audience"),
                    "with the configured secret (secret NULL) jwt_check applies PostgREST's rules: a 30 s leeway and pgrst.jwt_aud; pass a secret to choose your own",
                ));
            }
            opts = opts.postgrest(setting.as_deref());
            store::require(settings::secret_is_base64()).map(|c| c.keys.clone())
        }
    };
    check_row(caches::check(
        token,
        keys.as_deref().map_err(Clone::clone),
        &opts,
    ))
}

/// The row of a check: header and claims as jsonb where they decode; claims that jsonb
/// cannot hold make an otherwise valid token invalid.
fn check_row(checked: Checked) -> CheckRow {
    let (header, claims) = match checked.decoded {
        Some(d) => (to_jsonb(d.header).ok(), to_jsonb(d.payload)),
        None => (None, Err(JwtError::new(Kind::ClaimsParse))),
    };
    let result = checked
        .result
        .and(claims.as_ref().map(|_| ()).map_err(Clone::clone));
    let reason = result.err().map(|e| e.reason().to_string());
    (reason.is_none(), reason, header, claims.ok())
}

/// `jwt_decode(token)`: header and claims, unverified.
pub fn decode(token: &str) -> (JsonbDatum, JsonbDatum) {
    let d = pgrst_jwt_core::decode(token, settings::max_token_bytes()).or_raise();
    let header = to_jsonb(d.header)
        .map_err(|_| JwtError::new(Kind::Undecodable))
        .or_raise();
    (header, to_jsonb(d.payload).or_raise())
}

// ---------------------------------------------------------------- keys

/// `jwt_public_jwks(keys)`.
pub fn public_jwks_of(text: &str) -> JsonbDatum {
    to_jsonb(
        caches::keys(text, SecretLength::Any)
            .public_jwks()
            .to_string(),
    )
    .or_raise()
}

/// `jwt_public_jwks()`: the configured secret's.
pub fn public_jwks_of_configured() -> JsonbDatum {
    to_jsonb(configured().keys.public_jwks().to_string()).or_raise()
}

/// `jwt_generate_key(kty, kid)`.
pub fn generate_key(kty: &str, kid: Option<&str>) -> JsonbDatum {
    let jwk = pgrst_jwt_core::generate_key(kty, kid).or_raise();
    to_jsonb(serde_json::Value::Object(jwk).to_string()).or_raise()
}

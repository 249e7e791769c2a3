//! pgrst_jwt: sign and verify JSON Web Tokens inside PostgreSQL, by PostgREST's rules.
//! This file only wires the pure modules to SQL.

use pgrx::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;

pub mod alg;
pub mod claims;
pub mod compact;
pub mod error;
pub mod keys;
pub mod sign;
pub mod token;
pub mod verify;

mod pgjson;
mod report;
mod settings;

use alg::Alg;
use claims::ClaimRules;
use keys::{KeyCache, KeySet, Use};
use pgjson::JsonbText;
use report::ok;
use sign::Source;

::pgrx::pg_module_magic!();

#[pg_guard]
pub extern "C-unwind" fn _PG_init() {
    settings::define();
    report::install_log_hook();
}

thread_local! {
    static KEYS: RefCell<KeyCache> = RefCell::new(KeyCache::new(32));
}

fn cached_keys(text: &str, usage: Use) -> Rc<KeySet> {
    ok(KEYS.with(|c| c.borrow_mut().get(text, usage, false)))
}

/// Transaction start time (`now()`), whole seconds since the epoch.
fn now_seconds() -> i64 {
    const PG_EPOCH_OFFSET: i64 = 946_684_800;
    let ts = unsafe { pg_sys::GetCurrentTransactionStartTimestamp() };
    ts.div_euclid(1_000_000) + PG_EPOCH_OFFSET
}

fn algorithm(name: Option<&str>) -> Option<Alg> {
    name.map(|n| ok(Alg::from_arg(n)))
}

fn sign_with(claims: &str, source: Source, secret: &str, alg: Option<&str>) -> String {
    let keys = cached_keys(secret, Use::Strict);
    ok(sign::sign(claims, source, &keys, algorithm(alg)))
}

// ---------------------------------------------------------------- signing

#[pg_extern(immutable, parallel_safe, name = "jwt_sign")]
fn jwt_sign_jsonb(
    claims: Option<JsonbText>,
    secret: Option<&str>,
    algorithm: default!(Option<&str>, "'HS256'"),
) -> Option<String> {
    Some(sign_with(&claims?.0, Source::Jsonb, secret?, algorithm))
}

#[pg_extern(immutable, parallel_safe, name = "jwt_sign")]
fn jwt_sign_json(
    claims: Option<pgjson::JsonText>,
    secret: Option<&str>,
    algorithm: default!(Option<&str>, "'HS256'"),
) -> Option<String> {
    Some(sign_with(&claims?.0, Source::JsonText, secret?, algorithm))
}

#[pg_extern(immutable, parallel_safe, name = "jwt_sign")]
fn jwt_sign_text(
    claims: Option<&str>,
    secret: Option<&str>,
    algorithm: default!(Option<&str>, "'HS256'"),
) -> Option<String> {
    Some(sign_with(claims?, Source::JsonText, secret?, algorithm))
}

// ---------------------------------------------------------------- verifying

fn options<'a>(alg: Option<&str>, leeway: i32, audience: Option<&'a str>) -> verify::Options<'a> {
    if leeway < 0 {
        report::raise(error::JwtError::with_detail(
            error::Kind::InvalidArgument("leeway"),
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
) -> Option<JsonbText> {
    let (token, secret) = (token?, secret?);
    let opts = options(algorithm, leeway.unwrap_or(30), audience);
    let keys = cached_keys(secret, Use::Verify);
    let decoded = ok(verify::verify(token, &keys, &opts));
    Some(JsonbText(decoded.payload))
}

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
        name!(header, Option<JsonbText>),
        name!(claims, Option<JsonbText>),
    ),
> {
    let opts = options(algorithm, leeway.unwrap_or(30), audience);
    let row = match (token, secret) {
        (None, _) => (false, Some("malformed".to_string()), None, None),
        (Some(_), None) => (false, Some("no_secret".to_string()), None, None),
        (Some(token), Some(secret)) => {
            let keys = cached_keys(secret, Use::Verify);
            let (decoded, result) = verify::check(token, &keys, &opts);
            let (header, claims) = match decoded {
                Some(d) => (Some(JsonbText(d.header)), Some(JsonbText(d.payload))),
                None => (None, None),
            };
            match result {
                Ok(()) => (true, None, header, claims),
                Err(e) => (false, Some(e.reason().to_string()), header, claims),
            }
        }
    };
    TableIterator::once(row)
}

#[pg_extern(stable, parallel_safe, strict)]
fn jwt_decode(
    token: &str,
) -> TableIterator<'static, (name!(header, JsonbText), name!(claims, JsonbText))> {
    let d = ok(verify::decode(token, settings::max_token_bytes()));
    TableIterator::once((JsonbText(d.header), JsonbText(d.payload)))
}

#[cfg(feature = "pg_test")]
#[pg_schema]
mod tests {
    use pgrx::prelude::*;

    const SECRET: &str = "reallyreallyreallyreallyverysafe";

    #[pg_test]
    fn sign_then_verify_in_sql() {
        let token = Spi::get_one::<String>(&format!(
            "SELECT jwt_sign('{{\"role\": \"web\", \"exp\": 4102444800.7}}'::jsonb, '{SECRET}')"
        ))
        .unwrap()
        .unwrap();
        let role = Spi::get_one::<String>(&format!(
            "SELECT jwt_verify('{token}', '{SECRET}') ->> 'role'"
        ))
        .unwrap();
        assert_eq!(role.as_deref(), Some("web"));
        let exp = Spi::get_one::<String>(&format!(
            "SELECT jwt_verify('{token}', '{SECRET}') ->> 'exp'"
        ))
        .unwrap();
        assert_eq!(exp.as_deref(), Some("4102444800"));
    }

    #[pg_test]
    fn json_jsonb_and_literal_claims_resolve() {
        for claims in ["'{\"a\":1}'::jsonb", "'{\"a\":1}'::json", "'{\"a\":1}'"] {
            let t = Spi::get_one::<String>(&format!("SELECT jwt_sign({claims}, '{SECRET}')"))
                .unwrap()
                .unwrap();
            assert!(t.starts_with("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhIjoxfQ."));
        }
    }

    #[pg_test(error = "JWT expired")]
    fn expired_token_raises() {
        let t = Spi::get_one::<String>(&format!("SELECT jwt_sign('{{\"exp\":1}}', '{SECRET}')"))
            .unwrap()
            .unwrap();
        Spi::run(&format!("SELECT jwt_verify('{t}', '{SECRET}')")).unwrap();
    }

    #[pg_test]
    fn check_reports_reason() {
        let reason =
            Spi::get_one::<String>(&format!("SELECT reason FROM jwt_check('a.b', '{SECRET}')"))
                .unwrap();
        assert_eq!(reason.as_deref(), Some("malformed"));
    }
}

/// This module is required by `cargo pgrx test` invocations.
#[cfg(test)]
pub mod pg_test {
    pub fn setup(_options: Vec<&str>) {}

    pub fn postgresql_conf_options() -> Vec<&'static str> {
        vec![]
    }
}

//! Verified sessions with pg_session_jwt's names: `auth.init()`,
//! `auth.jwt_session_init(jwt)`, `auth.session()`, `auth.user_id()`.
//!
//! A session is the claims of a token verified in this backend with the configured keys
//! by PostgREST's rules (`jwt_verify(token)`'s path): either the token given to
//! `jwt_session_init`, or, when there is none, the current request's bearer token,
//! read from PostgREST's `request.headers` and verified here. Settings a caller can set
//! (`request.jwt.claims`, a token in `request.headers`) are never taken on trust.
//!
//! - End: `jwt_session_init` stores its session under a fresh random id and sets the
//!   superuser-only setting `pgrst_jwt.session_id` to it at session level (bypassing the
//!   privilege check, as the extension's own code). The session counts only while the
//!   setting holds that id: `RESET ALL` and `DISCARD ALL` reset it, a rolled-back
//!   transaction restores the previous value, and no ordinary role can set it back.
//!   A new `jwt_session_init` ends the previous session before it verifies, so a token
//!   that fails leaves no session at all (a pooled connection never keeps the last
//!   client's claims); `jwt_session_init(NULL)` just ends it.
//! - Expiry: `exp` is checked against the statement's start time on every call, with
//!   PostgREST's 30 s skew.
//! - Rotation: the configured secret's cache generation (`store::generation`) is checked
//!   on every call; when it moved, the session's token is verified again with the keys
//!   configured now, and claims that no longer verify are refused.
//! - `jti` replay protection (`pgrst_jwt.session_jti_increasing`, superusers only, off by
//!   default): `jwt_session_init` then requires an integer `jti` above the last one this
//!   backend accepted.

use super::values::{self, JsonbValue};
use crate::report::{self, OrRaise};
use crate::{caches, settings, store};
use pgrst_jwt_core::session::{bearer_token, next_jti, SessionClaims, SessionError, Subject};
use pgrst_jwt_core::{JwtError, Kind, Options, Result};
use pgrx::prelude::*;
use pgrx::{pg_sys, GucContext, GucFlags, GucRegistry, GucSetting, IntoDatum};
use std::cell::{Cell, RefCell};
use std::ffi::CString;

/// The id of the session `jwt_session_init` started (empty: none).
static SESSION_ID: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(None);
/// Whether `jwt_session_init` requires a strictly increasing integer `jti`.
pub static JTI_INCREASING: GucSetting<bool> = GucSetting::<bool>::new(false);

/// The settings of sessions (from `_PG_init`).
pub fn define() {
    GucRegistry::define_string_guc(
        c"pgrst_jwt.session_id",
        c"Id of the verified session auth.jwt_session_init() started in this backend.",
        c"Set by auth.jwt_session_init() only; RESET ALL and DISCARD ALL end the session.",
        &SESSION_ID,
        GucContext::Suset,
        GucFlags::NO_SHOW_ALL
            | GucFlags::NOT_WHILE_SEC_REST
            | GucFlags::DISALLOW_IN_FILE
            | GucFlags::DISALLOW_IN_AUTO_FILE,
    );
    GucRegistry::define_bool_guc(
        c"pgrst_jwt.session_jti_increasing",
        c"Whether auth.jwt_session_init() requires a strictly increasing integer jti.",
        c"Replay protection per backend, as pg_session_jwt's. Superusers only.",
        &JTI_INCREASING,
        GucContext::Suset,
        GucFlags::default(),
    );
}

/// A verified session.
struct Session {
    token: String,
    claims: SessionClaims,
    /// the claims as a jsonb varlena
    jsonb: Vec<u8>,
    /// what it was verified with: the configured secret's fingerprint, `pgrst.jwt_aud`,
    /// and the secret cache's generation then
    fingerprint: String,
    audience: Option<String>,
    generation: u64,
    /// whether the secret came from the table (the generation covers its changes; the
    /// `pgrst.jwt_secret` setting's are seen by its fingerprint only)
    from_table: bool,
}

thread_local! {
    /// `jwt_session_init`'s session and its id.
    static STARTED: RefCell<Option<(String, Session)>> = const { RefCell::new(None) };
    /// The last request's bearer token verified, as a session.
    static HEADER: RefCell<Option<Session>> = const { RefCell::new(None) };
    /// The last `request.headers` text read, and its bearer token.
    static HEADERS_TEXT: RefCell<Option<(Vec<u8>, Option<String>)>> = const { RefCell::new(None) };
    static LAST_JTI: Cell<Option<i64>> = const { Cell::new(None) };
    static NULL_JSONB: RefCell<Option<Vec<u8>>> = const { RefCell::new(None) };
}

/// Whole seconds since the epoch of `ts` (PostgreSQL's microseconds since 2000).
fn seconds(ts: pg_sys::TimestampTz) -> i64 {
    const PG_EPOCH_OFFSET: i64 = 946_684_800;
    ts.div_euclid(1_000_000) + PG_EPOCH_OFFSET
}

/// Verify `token` as `jwt_verify(token)` does: the configured keys, PostgREST's rules.
fn verify(token: &str) -> Result<Session> {
    let audience = settings::audience();
    // SAFETY: reads the start time of the current transaction (jwt_verify's "now").
    let now = seconds(unsafe { pg_sys::GetCurrentTransactionStartTimestamp() });
    let opts = Options::new(None, None, None, now, settings::max_token_bytes())?
        .postgrest(audience.as_deref());
    let generation = store::generation();
    let c = store::require(settings::secret_is_base64())?;
    let payload = caches::verify(token, &c.keys, &opts)?;
    let claims = SessionClaims::parse(&payload).map_err(|_| {
        JwtError::with_detail(Kind::ClaimsParse, "the payload is not a JSON object")
    })?;
    let datum = crate::sqltypes::to_jsonb(payload)?
        .into_datum()
        .expect("jsonb_in returns a value");
    Ok(Session {
        token: token.to_string(),
        claims,
        jsonb: values::varlena_bytes(datum),
        fingerprint: c.fingerprint.clone(),
        audience,
        generation,
        from_table: c.source == store::SecretSource::Table,
    })
}

/// A session still holds at this statement: not expired, and its token still verifies
/// with the keys and audience configured now (verified again after any change).
fn revalidate(s: &mut Session) -> Result<()> {
    // SAFETY: reads the start time of the current statement.
    let now = seconds(unsafe { pg_sys::GetCurrentStatementStartTimestamp() });
    if s.claims.expired(now) {
        return Err(JwtError::with_detail(
            Kind::Expired,
            "the session's token has expired: start a new session with a fresh token",
        ));
    }
    let generation = store::generation();
    let audience = settings::audience();
    if s.from_table && generation == s.generation && audience == s.audience {
        return Ok(());
    }
    let c = store::require(settings::secret_is_base64())?;
    if c.fingerprint == s.fingerprint && audience == s.audience {
        s.generation = generation;
        return Ok(());
    }
    let token = std::mem::take(&mut s.token);
    match verify(&token) {
        Ok(fresh) => {
            *s = fresh;
            Ok(())
        }
        Err(e) => {
            s.token = token;
            Err(JwtError {
                detail: Some(format!(
                    "the session's token no longer verifies with the configured secret or pgrst.jwt_aud ({})",
                    e.detail.as_deref().unwrap_or(&e.message())
                )),
                ..e
            })
        }
    }
}

/// `f` of the current session (None: there is none); a session that no longer holds
/// raises.
fn with_session<R>(f: impl FnOnce(Option<&Session>) -> R) -> R {
    // SAFETY: the value is compared before anything can change a setting.
    let id = unsafe { values::setting(c"pgrst_jwt.session_id") };
    if let Some(id) = id {
        let hit = STARTED.with(|s| {
            let mut s = s.borrow_mut();
            match s.as_mut() {
                Some((sid, session)) if sid.as_bytes() == id => {
                    revalidate(session).or_raise();
                    Some(())
                }
                _ => None,
            }
        });
        if hit.is_some() {
            return STARTED.with(|s| f(s.borrow().as_ref().map(|(_, session)| session)));
        }
    }
    let Some(token) = header_token() else {
        return f(None);
    };
    HEADER.with(|h| {
        let mut h = h.borrow_mut();
        match h.as_mut() {
            Some(s) if s.token == token => revalidate(s).or_raise(),
            _ => {
                *h = None;
                *h = Some(verify(&token).or_raise());
            }
        }
        f(h.as_ref())
    })
}

/// The bearer token of `request.headers` (PostgREST's request), if any.
fn header_token() -> Option<String> {
    // SAFETY: the value is compared and copied before anything can change a setting.
    let text = unsafe { values::setting(c"request.headers") }?;
    if let Some(t) = HEADERS_TEXT.with(|c| {
        c.borrow()
            .as_ref()
            .filter(|(k, _)| k.as_slice() == text)
            .map(|(_, t)| t.clone())
    }) {
        return t;
    }
    let owned = text.to_vec();
    let token = std::str::from_utf8(&owned).ok().and_then(bearer_token);
    HEADERS_TEXT.with(|c| *c.borrow_mut() = Some((owned, token.clone())));
    token
}

/// `auth.init()`: checks that a secret is configured (pg_session_jwt loads its key here).
#[pg_extern(volatile, parallel_unsafe, sql = false)]
fn auth_init() {
    store::require(settings::secret_is_base64()).or_raise();
}

/// `auth.jwt_session_init(jwt)`: ends the current session, then starts one with `jwt`
/// once it verifies (NULL: only ends it).
#[pg_extern(volatile, parallel_unsafe, sql = false)]
fn auth_jwt_session_init(jwt: Option<crate::sqltypes::Text>) {
    report::mark_statement();
    STARTED.with(|s| *s.borrow_mut() = None);
    let Some(jwt) = jwt else {
        set_session_id("");
        return;
    };
    let session = verify(&jwt).or_raise();
    if JTI_INCREASING.get() {
        let last = LAST_JTI.with(Cell::get);
        match next_jti(last, session.claims.jti) {
            Ok(jti) => LAST_JTI.with(|l| l.set(Some(jti))),
            Err(e) => raise_session_error(e),
        }
    }
    let id = new_session_id();
    set_session_id(&id);
    STARTED.with(|s| *s.borrow_mut() = Some((id, session)));
}

/// `auth.session()`: the session's claims; JSON `null` without a session (as
/// pg_session_jwt's).
#[pg_extern(stable, parallel_restricted, sql = false)]
fn auth_session() -> JsonbValue {
    let bytes = with_session(|s| s.map(|s| values::varlena_datum(&s.jsonb)));
    JsonbValue(bytes.unwrap_or_else(null_jsonb))
}

/// `auth.user_id()`: the session's `sub` (NULL without a session or without `sub`).
#[pg_extern(stable, parallel_restricted, sql = false)]
fn auth_user_id() -> Option<crate::sqltypes::TextOut> {
    let sub = with_session(|s| s.map(|s| s.claims.sub.clone()))?;
    match sub {
        Subject::Absent => None,
        Subject::Text(t) => Some(crate::sqltypes::TextOut(t, "the sub claim")),
        Subject::NotText => values::raise(
            PgSqlErrorCode::ERRCODE_DATATYPE_MISMATCH,
            "invalid subject claim in the JWT",
            "the session's sub claim is not a string",
        ),
    }
}

fn raise_session_error(e: SessionError) -> ! {
    let code = PgSqlErrorCode::ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION;
    match e {
        SessionError::JtiMissing => values::raise(
            code,
            "JWT payload must contain a valid 'jti' (JWT ID)",
            "pgrst_jwt.session_jti_increasing is on: a session's token needs an integer jti",
        ),
        SessionError::JtiNotIncreasing { last, got } => values::raise(
            code,
            "Token ID must be strictly monotonically increasing.",
            &format!("jti {got} is not above {last}, the last one this backend accepted"),
        ),
        SessionError::NotObject => report::raise(JwtError::new(Kind::ClaimsParse)),
    }
}

/// `'null'::jsonb`, built once.
fn null_jsonb() -> pg_sys::Datum {
    NULL_JSONB.with(|n| {
        let mut n = n.borrow_mut();
        let bytes = n.get_or_insert_with(|| values::varlena_bytes(values::jsonb_in(b"null")));
        values::varlena_datum(bytes)
    })
}

/// A fresh, unguessable session id.
fn new_session_id() -> String {
    let mut bytes = [0u8; 16];
    // SAFETY: fills the 16 bytes of `bytes` from the system's strong random source.
    let ok = unsafe { pg_sys::pg_strong_random(bytes.as_mut_ptr().cast(), bytes.len()) };
    if !ok {
        values::raise(
            PgSqlErrorCode::ERRCODE_SYSTEM_ERROR,
            "could not generate a random session id",
            "pg_strong_random failed",
        );
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Sets `pgrst_jwt.session_id` at session level, as the extension (the setting is
/// superuser-only: no caller can set it).
fn set_session_id(id: &str) {
    let value = CString::new(id).expect("hex digits hold no NUL");
    // SAFETY: set_config_option with valid NUL-terminated name and value; PGC_SUSET as
    // the context lets the extension set its superuser-only setting for any caller, and
    // the change is transactional (a rollback restores the previous value).
    unsafe {
        pg_sys::set_config_option(
            c"pgrst_jwt.session_id".as_ptr(),
            value.as_ptr(),
            pg_sys::GucContext::PGC_SUSET,
            pg_sys::GucSource::PGC_S_SESSION,
            pg_sys::GucAction::GUC_ACTION_SET,
            true,
            0,
            false,
        );
    }
}

//! Where the configured secret lives, and the per-backend cache of its parsed keys.
//!
//! Primary source: the extension's table `pgrst_jwt_secret` (no privileges for PUBLIC),
//! read and written by [`table`] without any SQL, whoever calls (the current user is
//! never changed; no SQL runs, so no caller's `search_path` matters). It is written
//! only by `set_pgrst_secret_from_env()`, which is for superusers.
//!
//! Cache and invalidation: each write sends a relcache invalidation for the table (by
//! our code, or by the table's statement trigger for a superuser's own SQL). Our
//! relcache callback bumps a generation counter; a cached load is used only while the
//! generation it was read under is current, and a load during which the counter moved
//! (an invalidation arrived while we read) is used once but not kept. Invalidations
//! reach every backend and every hot standby (they are WAL-logged), and a rolled-back
//! change is undone locally as well.
//!
//! Fallback source: the `pgrst.jwt_secret` setting (the `ALTER SYSTEM` recipe). The
//! extension defines it superuser-only, so a value an ordinary role sets in its
//! session never becomes a key (see `settings`).

mod exposure;
mod table;

pub use exposure::StatusRow;

use crate::report::OrRaise;
use pgrst_jwt_core::{JwtError, Kind, Result};
use pgrst_jwt_core::{KeySet, SecretEncoding, SecretLength};
use pgrx::pg_sys;
use sha2::{Digest, Sha256};
use std::cell::{Cell, RefCell};
use std::ffi::CStr;
use std::rc::Rc;
use zeroize::Zeroizing;

/// Where the configured secret comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretSource {
    /// the extension's table, written by `set_pgrst_secret_from_env()`
    Table,
    /// the `pgrst.jwt_secret` setting (the fallback)
    Setting,
}

impl SecretSource {
    /// As `jwt_secret_status()` reports it in `source`.
    pub fn name(self) -> &'static str {
        match self {
            SecretSource::Table => "extension table",
            SecretSource::Setting => "pgrst.jwt_secret setting",
        }
    }
}

/// The configured secret, parsed.
pub struct Configured {
    pub keys: Rc<KeySet>,
    pub source: SecretSource,
    pub fingerprint: String,
}

/// A load of the `pgrst.jwt_secret` setting: its text (wiped when replaced), whether it
/// was read as base64, and what it holds.
type SettingLoad = (Zeroizing<String>, bool, Rc<Configured>);

/// A load of the table: where it was, and what it held (None: no row).
struct Loaded {
    generation: u64,
    table: Option<table::Location>,
    row: Option<Rc<Configured>>,
}

thread_local! {
    /// Bumped by every invalidation of our table (or of all relations). Only `Cell`s
    /// are touched by the callback, which may run inside any PostgreSQL call.
    static GENERATION: Cell<u64> = const { Cell::new(0) };
    /// The table's oid once known, so the callback can recognise it.
    static TABLE_OID: Cell<pg_sys::Oid> = const { Cell::new(pg_sys::InvalidOid) };
    static LOADED: RefCell<Option<Loaded>> = const { RefCell::new(None) };
    /// The setting source, keyed by the setting's text and base64 flag.
    static SETTING: RefCell<Option<SettingLoad>> = const { RefCell::new(None) };
}

/// Register the relcache callback (from `_PG_init`).
pub fn init() {
    // SAFETY: called once per backend from _PG_init; the callback only touches Cells.
    unsafe { pg_sys::CacheRegisterRelcacheCallback(Some(relcache_changed), pg_sys::Datum::from(0)) }
}

/// The relcache callback: bumps the generation when our table (or every relation) is
/// invalidated.
///
/// # Safety
/// Called by PostgreSQL's invalidation processing, which may happen inside any of its
/// calls: it touches only this thread's `Cell`s (no allocation, no catalog access).
#[pgrx::pg_guard]
unsafe extern "C-unwind" fn relcache_changed(_arg: pg_sys::Datum, relid: pg_sys::Oid) {
    let ours = TABLE_OID.with(Cell::get);
    if relid == pg_sys::InvalidOid || ours == pg_sys::InvalidOid || relid == ours {
        GENERATION.with(|g| g.set(g.get().wrapping_add(1)));
    }
}

/// The generation of the configured secret's cache, once the invalidations committed
/// so far are taken in: it moves whenever the secret table (or every relation) was
/// invalidated, so what was verified under an equal generation used the keys configured
/// now (the `pgrst.jwt_secret` fallback setting is not covered: compare fingerprints).
pub fn generation() -> u64 {
    // SAFETY: processing invalidations is what every lock acquisition does.
    unsafe { pg_sys::AcceptInvalidationMessages() };
    GENERATION.with(Cell::get)
}

/// Short, stable fingerprint of a secret text: compare it across nodes, never reversible.
pub fn fingerprint(secret: &str, is_base64: bool) -> String {
    let mut h = Sha256::new();
    h.update(if is_base64 { b"b64:" } else { b"raw:" });
    h.update(secret.as_bytes());
    let d = h.finalize();
    let hex: String = d[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// The table's location and its parsed row, from the cache while it is current.
fn load_table() -> Result<(Option<table::Location>, Option<Rc<Configured>>)> {
    // Take in what other backends have committed before the cache is trusted: inside an
    // open READ COMMITTED transaction, a statement that needs no lock (everything cached)
    // would otherwise keep a rotated-out secret until some lock acquisition processes the
    // queue. When nothing is queued this is one unlocked read of a flag.
    // SAFETY: processing invalidations is what every lock acquisition does.
    unsafe { pg_sys::AcceptInvalidationMessages() };
    let current = GENERATION.with(Cell::get);
    if let Some(hit) = LOADED.with(|l| {
        l.borrow()
            .as_ref()
            .filter(|l| l.generation == current)
            .map(|l| (l.table, l.row.clone()))
    }) {
        return Ok(hit);
    }
    let loc = table::locate();
    if let Some(l) = loc {
        TABLE_OID.with(|t| t.set(l.relid));
    }
    // Take in what has been committed so far, then note the generation: the read below
    // uses a snapshot taken after this point, so it sees every change announced so far.
    // SAFETY: processing invalidations is what every lock acquisition does.
    unsafe { pg_sys::AcceptInvalidationMessages() };
    let before = GENERATION.with(Cell::get);
    let row = match loc {
        Some(l) => table::read(l)?,
        None => None,
    };
    let configured = match row {
        None => None,
        Some(r) => Some(Rc::new(Configured {
            keys: Rc::new(KeySet::parse(
                &r.secret,
                SecretLength::Minimum,
                SecretEncoding::base64_if(r.is_base64),
            )?),
            source: SecretSource::Table,
            fingerprint: fingerprint(&r.secret, r.is_base64),
        })),
    };
    // An invalidation processed during the read (opening the table or its TOAST table
    // does that) may announce a change the snapshot missed: use this load once, but
    // keep it only when none arrived.
    if GENERATION.with(Cell::get) == before {
        LOADED.with(|l| {
            *l.borrow_mut() = Some(Loaded {
                generation: before,
                table: loc,
                row: configured.clone(),
            })
        });
    }
    Ok((loc, configured))
}

/// The `pgrst.jwt_secret` setting's secret, if set.
fn load_setting(is_base64: bool) -> Result<Option<Rc<Configured>>> {
    let Some(text) = crate::settings::secret_setting() else {
        return Ok(None);
    };
    if let Some(hit) = SETTING.with(|s| {
        s.borrow()
            .as_ref()
            .filter(|(t, b, _)| t.as_str() == text.as_str() && *b == is_base64)
            .map(|(_, _, c)| c.clone())
    }) {
        return Ok(Some(hit));
    }
    let c = Rc::new(Configured {
        keys: Rc::new(KeySet::parse(
            &text,
            SecretLength::Minimum,
            SecretEncoding::base64_if(is_base64),
        )?),
        source: SecretSource::Setting,
        fingerprint: fingerprint(&text, is_base64),
    });
    SETTING.with(|s| *s.borrow_mut() = Some((text, is_base64, c.clone())));
    Ok(Some(c))
}

/// The configured secret, if any: the table first, then `pgrst.jwt_secret`.
pub fn configured(setting_is_base64: bool) -> Result<Option<Rc<Configured>>> {
    match load_table()?.1 {
        Some(c) => Ok(Some(c)),
        None => load_setting(setting_is_base64),
    }
}

/// `jwt_secret_status()`: whether and where a secret is configured (the setting read as
/// base64 when `setting_is_base64`), and every way a non-superuser could read it.
pub fn status(setting_is_base64: bool) -> Result<StatusRow> {
    let c = configured(setting_is_base64)?;
    let s = exposure::status(c.map(|c| (c.source, c.fingerprint.clone())))?;
    Ok(s.into_row())
}

/// The table changed (the trigger of SQL writes, as [`table::write`] does for ours):
/// every backend reloads the secret at its next use.
pub fn announce_change(relid: pg_sys::Oid) {
    // SAFETY: queues a relcache invalidation for an existing relation (the trigger's);
    // it is sent at commit, to every backend and hot standby.
    unsafe { pg_sys::CacheInvalidateRelcacheByRelid(relid) };
}

/// Refuses a write to the secret table by anyone but a superuser (its write trigger).
pub fn refuse_unless_superuser() -> Result<()> {
    // SAFETY: whether the current user is a superuser (a syscache lookup).
    if unsafe { pg_sys::superuser() } {
        return Ok(());
    }
    Err(JwtError::with_detail(
        Kind::PermissionDenied("only a superuser may change the stored JWT secret"),
        "a superuser runs set_pgrst_secret_from_env()",
    ))
}

/// The configured secret, or PostgREST's `Server lacks JWT secret`.
pub fn require(setting_is_base64: bool) -> Result<Rc<Configured>> {
    configured(setting_is_base64)?.ok_or_else(|| {
        JwtError::with_detail(
            Kind::NoSecret,
            "run SELECT set_pgrst_secret_from_env(); as a superuser",
        )
    })
}

/// Store a secret in the table (the caller has validated it and checked privileges).
pub fn save(secret: &str, is_base64: bool, env_var: &str) -> Result<String> {
    let fp = fingerprint(secret, is_base64);
    let loc = table::locate().ok_or_else(|| {
        JwtError::with_detail(
            Kind::Internal("the extension's table is missing"),
            "reinstall the extension: DROP EXTENSION pgrst_jwt; CREATE EXTENSION pgrst_jwt;",
        )
    })?;
    TABLE_OID.with(|t| t.set(loc.relid));
    table::write(loc, secret, is_base64, &fp, env_var)?;
    Ok(fp)
}

/// A replicated row of the secret table (logical replication's workers, through the
/// replica trigger): stored as this node's one row, whether or not it had one.
pub fn take_replicated(
    row: &pgrx::heap_tuple::PgHeapTuple<'_, pgrx::AllocatedByPostgres>,
) -> Result<()> {
    let bad = |column: &str| {
        JwtError::with_detail(
            Kind::Internal("a replicated row of the secret table is not valid"),
            format!("column {column} is missing or NULL"),
        )
    };
    let secret = Zeroizing::new(
        row.get_by_name::<String>("secret")
            .ok()
            .flatten()
            .ok_or_else(|| bad("secret"))?,
    );
    let is_base64 = row
        .get_by_name::<bool>("is_base64")
        .ok()
        .flatten()
        .ok_or_else(|| bad("is_base64"))?;
    let env_var = row
        .get_by_name::<String>("env_var")
        .ok()
        .flatten()
        .ok_or_else(|| bad("env_var"))?;
    save(&secret, is_base64, &env_var).map(|_| ())
}

/// A setting's current text, if set and non-empty (no privilege check: Rust reads it).
pub fn setting(name: &CStr) -> Option<String> {
    // SAFETY: GetConfigOption with missing_ok returns NULL or a NUL-terminated string
    // owned by the GUC machinery, valid until the setting changes; we copy it at once.
    let p = unsafe { pg_sys::GetConfigOption(name.as_ptr(), true, false) };
    if p.is_null() {
        return None;
    }
    // SAFETY: not NULL (checked), NUL-terminated, and copied before anything can change it.
    let bytes = unsafe { CStr::from_ptr(p) }.to_bytes();
    let v = crate::encoding::from_database(bytes, "a setting").or_raise();
    let v = v.trim();
    (!v.is_empty()).then(|| v.to_string())
}

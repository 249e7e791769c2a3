//! Where the configured secret lives, and the per-backend cache of its parsed keys.
//!
//! Primary source: the extension's table `pgrst_jwt_secret` (no privileges for PUBLIC),
//! read by our code as the bootstrap superuser whoever calls, written only by
//! `set_pgrst_secret_from_env()`. A statement trigger on the table sends a relcache
//! invalidation for it; our relcache callback marks the cache stale, so every backend
//! (on a hot standby too: invalidations are WAL-logged) reloads at its next use, and a
//! rolled-back change is undone locally as well.
//! Fallback source: the `pgrst.jwt_secret` setting (the `ALTER SYSTEM` recipe).

use crate::error::{JwtError, Kind, Result};
use crate::keys::{KeySet, Use};
use pgrx::pg_sys;
use pgrx::prelude::*;
use sha2::{Digest, Sha256};
use std::cell::RefCell;
use std::ffi::CStr;
use std::rc::Rc;

pub const TABLE: &str = "pgrst_jwt_secret";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Table,
    Setting,
}

impl Source {
    pub fn name(self) -> &'static str {
        match self {
            Source::Table => "extension table",
            Source::Setting => "pgrst.jwt_secret setting",
        }
    }
}

/// The configured secret, parsed.
pub struct Configured {
    pub keys: Rc<KeySet>,
    pub source: Source,
    pub fingerprint: String,
}

struct Stored {
    secret: String,
    is_base64: bool,
}

#[derive(Default)]
struct State {
    /// oid and qualified name of the table, once resolved
    table: Option<(pg_sys::Oid, String)>,
    /// what the table held at the last load (None: no row); outer None: not loaded
    row: Option<Option<Rc<Configured>>>,
    /// the setting source, keyed by the setting's text and base64 flag
    setting: Option<(String, bool, Rc<Configured>)>,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

/// Register the relcache callback (from `_PG_init`).
pub fn init() {
    unsafe { pg_sys::CacheRegisterRelcacheCallback(Some(relcache_changed), pg_sys::Datum::from(0)) }
}

#[pg_guard]
unsafe extern "C-unwind" fn relcache_changed(_arg: pg_sys::Datum, relid: pg_sys::Oid) {
    STATE.with(|s| {
        if let Ok(mut s) = s.try_borrow_mut() {
            let ours = s.table.as_ref().map(|(oid, _)| *oid);
            if relid == pg_sys::InvalidOid || Some(relid) == ours {
                s.row = None;
                s.table = None;
            }
        }
    });
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

/// Runs `f` as the bootstrap superuser (like a SECURITY DEFINER function would), so
/// that the protected table can be read whoever the caller is. Restored on unwind.
fn as_owner<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(pg_sys::Oid, i32);
    impl Drop for Restore {
        fn drop(&mut self) {
            unsafe { pg_sys::SetUserIdAndSecContext(self.0, self.1) }
        }
    }
    let mut uid = pg_sys::InvalidOid;
    let mut ctx = 0;
    unsafe {
        pg_sys::GetUserIdAndSecContext(&mut uid, &mut ctx);
        pg_sys::SetUserIdAndSecContext(
            pg_sys::Oid::from(pg_sys::BOOTSTRAP_SUPERUSERID),
            ctx | pg_sys::SECURITY_LOCAL_USERID_CHANGE as i32,
        );
    }
    let _restore = Restore(uid, ctx);
    f()
}

/// The table's oid and qualified name, from the extension's schema.
fn resolve_table() -> Option<(pg_sys::Oid, String)> {
    let q = format!(
        "SELECT c.oid, format('%I.%I', n.nspname, c.relname) \
         FROM pg_catalog.pg_extension e \
         JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace \
         JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = '{TABLE}' \
         WHERE e.extname = 'pgrst_jwt'"
    );
    Spi::connect(|c| {
        let t = c.select(&q, Some(1), &[]).ok()?;
        if t.is_empty() {
            return None;
        }
        let t = t.first();
        Some((t.get::<pg_sys::Oid>(1).ok()??, t.get::<String>(2).ok()??))
    })
}

fn read_row(qualified: &str) -> Option<Stored> {
    let q = format!("SELECT secret, is_base64 FROM {qualified} LIMIT 1");
    Spi::connect(|c| {
        let t = c.select(&q, Some(1), &[]).ok()?;
        if t.is_empty() {
            return None;
        }
        let t = t.first();
        Some(Stored {
            secret: t.get::<String>(1).ok()??,
            is_base64: t.get::<bool>(2).ok()??,
        })
    })
}

fn load_table() -> Result<Option<Rc<Configured>>> {
    let (table, row) = as_owner(|| {
        let table = resolve_table();
        let row = table.as_ref().and_then(|(_, q)| read_row(q));
        (table, row)
    });
    let configured = match row {
        None => None,
        Some(r) => Some(Rc::new(Configured {
            keys: Rc::new(KeySet::parse(&r.secret, Use::Strict, r.is_base64)?),
            source: Source::Table,
            fingerprint: fingerprint(&r.secret, r.is_base64),
        })),
    };
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        s.table = table;
        s.row = Some(configured.clone());
    });
    Ok(configured)
}

/// A setting's current text, if set and non-empty (no privilege check: Rust reads it).
pub fn setting(name: &CStr) -> Option<String> {
    let p = unsafe { pg_sys::GetConfigOption(name.as_ptr(), true, false) };
    if p.is_null() {
        return None;
    }
    let v = unsafe { CStr::from_ptr(p) }.to_string_lossy();
    let v = v.trim();
    (!v.is_empty()).then(|| v.to_string())
}

fn load_setting(is_base64: bool) -> Result<Option<Rc<Configured>>> {
    let Some(text) = setting(c"pgrst.jwt_secret") else {
        return Ok(None);
    };
    if let Some(hit) = STATE.with(|s| {
        s.borrow()
            .setting
            .as_ref()
            .filter(|(t, b, _)| *t == text && *b == is_base64)
            .map(|(_, _, c)| c.clone())
    }) {
        return Ok(Some(hit));
    }
    let c = Rc::new(Configured {
        keys: Rc::new(KeySet::parse(&text, Use::Strict, is_base64)?),
        source: Source::Setting,
        fingerprint: fingerprint(&text, is_base64),
    });
    STATE.with(|s| s.borrow_mut().setting = Some((text, is_base64, c.clone())));
    Ok(Some(c))
}

/// The configured secret, if any: the table first, then `pgrst.jwt_secret`.
pub fn configured(setting_is_base64: bool) -> Result<Option<Rc<Configured>>> {
    let cached = STATE.with(|s| s.borrow().row.clone());
    let row = match cached {
        Some(r) => r,
        None => load_table()?,
    };
    match row {
        Some(c) => Ok(Some(c)),
        None => load_setting(setting_is_base64),
    }
}

/// The configured secret, or PostgREST's `Server lacks JWT secret`.
pub fn require(setting_is_base64: bool) -> Result<Rc<Configured>> {
    configured(setting_is_base64)?.ok_or_else(|| {
        JwtError::with_detail(
            Kind::NoSecret,
            "run SELECT set_pgrst_secret_from_env(); as a superuser, or set pgrst.jwt_secret",
        )
    })
}

/// Store a secret in the table (the caller has validated it and checked privileges).
pub fn save(secret: &str, is_base64: bool, env_var: &str) -> Result<String> {
    let fp = fingerprint(secret, is_base64);
    let (_, qualified) = as_owner(resolve_table).ok_or_else(|| {
        JwtError::with_detail(Kind::NoSecret, format!("the table {TABLE} is missing"))
    })?;
    let q = format!(
        "INSERT INTO {qualified} AS s (id, secret, is_base64, fingerprint, env_var, updated_at) \
         VALUES (true, $1, $2, $3, $4, pg_catalog.now()) \
         ON CONFLICT (id) DO UPDATE SET secret = EXCLUDED.secret, is_base64 = EXCLUDED.is_base64, \
         fingerprint = EXCLUDED.fingerprint, env_var = EXCLUDED.env_var, updated_at = EXCLUDED.updated_at"
    );
    Spi::run_with_args(
        &q,
        &[
            secret.into(),
            is_base64.into(),
            fp.as_str().into(),
            env_var.into(),
        ],
    )
    .map_err(|_| JwtError::with_detail(Kind::NoSecret, format!("could not write {TABLE}")))?;
    Ok(fp)
}

/// Whether any ordinary role could read the table: a GRANT to PUBLIC or to a role, or
/// a role made member of pg_read_all_data (predefined roles themselves are skipped).
pub fn table_readable_by_others() -> bool {
    let Some((oid, _)) = STATE
        .with(|s| s.borrow().table.clone())
        .or_else(|| as_owner(resolve_table))
    else {
        return false;
    };
    let q = format!(
        "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) a \
         WHERE c.oid = {oid} AND a.grantee = 0 AND a.privilege_type = 'SELECT') \
         OR EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE NOT r.rolsuper AND r.oid >= 16384 \
         AND pg_catalog.has_table_privilege(r.oid, {oid}::pg_catalog.oid, 'SELECT'))",
        oid = u32::from(oid)
    );
    select_bool(&q)
}

/// Whether `pgrst.jwt_secret` is stored in any role's or database's settings
/// (`pg_db_role_setting` is readable by every role).
pub fn secret_in_role_settings() -> bool {
    select_bool(
        "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_db_role_setting s, \
         pg_catalog.unnest(s.setconfig) AS c WHERE c LIKE 'pgrst.jwt\\_secret=%')",
    )
}

/// A one-value read-only query (read-only SPI: usable in parallel workers).
fn select_bool(q: &str) -> bool {
    Spi::connect(|c| {
        c.select(q, Some(1), &[])
            .ok()
            .and_then(|t| t.first().get::<bool>(1).ok().flatten())
    })
    .unwrap_or(false)
}

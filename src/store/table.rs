//! The extension's table `pgrst_jwt_secret`, reached without SQL.
//!
//! Nothing here builds or runs SQL text, resolves a name through `search_path`, or
//! changes the current user: the table is found through the catalog (the extension's
//! row in `pg_extension`, then the relation of that name in the extension's schema,
//! which must be a member of the extension), and its one row is read and written
//! with the table access functions. So there is nothing a caller's functions,
//! operators or casts could stand in for, no statement for `auto_explain`,
//! `pg_stat_statements` or an audit hook to see, and no parameter to log.
//! Privileges are not checked here: reading the row for `jwt_verify(token)` is the
//! extension's own business; the callers of [`write`] check that the user is a superuser.

use pgrst_jwt_core::{JwtError, Kind, Result};
use pgrx::pg_sys;
use std::ffi::CStr;
use zeroize::Zeroizing;

pub const NAME: &CStr = c"pgrst_jwt_secret";
const EXTENSION: &CStr = c"pgrst_jwt";

/// The columns, in order: id boolean, secret text, is_base64 boolean, fingerprint text,
/// env_var text, updated_at timestamptz.
const LAYOUT: [pg_sys::Oid; 6] = [
    pg_sys::BOOLOID,
    pg_sys::TEXTOID,
    pg_sys::BOOLOID,
    pg_sys::TEXTOID,
    pg_sys::TEXTOID,
    pg_sys::TIMESTAMPTZOID,
];
const SECRET: usize = 1;
const IS_BASE64: usize = 2;

/// Column number of `secret` (for column privilege checks).
pub const SECRET_ATTNUM: pg_sys::AttrNumber = SECRET as pg_sys::AttrNumber + 1;

/// Where the table is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    pub relid: pg_sys::Oid,
    pub schema: pg_sys::Oid,
}

/// The stored row; its secret is wiped from memory when dropped.
pub struct Row {
    pub secret: Zeroizing<String>,
    pub is_base64: bool,
}

fn internal(what: &'static str) -> JwtError {
    JwtError::new(Kind::Internal(what))
}

/// The table of the installed extension, if the extension is installed here.
pub fn locate() -> Option<Location> {
    // SAFETY: catalog lookups by name and oid in the current transaction; each returns
    // InvalidOid when nothing is found (missing_ok / not-found conventions), and
    // `extension_schema` only reads the fixed-size part of a pg_extension tuple.
    unsafe {
        let ext = pg_sys::get_extension_oid(EXTENSION.as_ptr(), true);
        if ext == pg_sys::InvalidOid {
            return None;
        }
        let schema = extension_schema(ext)?;
        let relid = pg_sys::get_relname_relid(NAME.as_ptr(), schema);
        // a relation of that name that the extension does not own is not ours
        if relid == pg_sys::InvalidOid
            || pg_sys::getExtensionOfObject(pg_sys::RelationRelationId, relid) != ext
        {
            return None;
        }
        Some(Location { relid, schema })
    }
}

/// `pg_extension.extnamespace` of extension `ext` (PostgreSQL 13–15 export no function
/// for it), by an index scan of `pg_extension`.
///
/// # Safety
/// Must run inside a transaction.
unsafe fn extension_schema(ext: pg_sys::Oid) -> Option<pg_sys::Oid> {
    let rel = pg_sys::table_open(pg_sys::ExtensionRelationId, pg_sys::AccessShareLock as _);
    let mut key = std::mem::zeroed::<pg_sys::ScanKeyData>();
    pg_sys::ScanKeyInit(
        &mut key,
        pg_sys::Anum_pg_extension_oid as _,
        pg_sys::BTEqualStrategyNumber as _,
        pg_sys::F_OIDEQ.into(),
        pg_sys::Datum::from(ext),
    );
    let scan = pg_sys::systable_beginscan(
        rel,
        pg_sys::ExtensionOidIndexId.into(),
        true,
        std::ptr::null_mut(),
        1,
        &mut key,
    );
    let tuple = pg_sys::systable_getnext(scan);
    let schema = if tuple.is_null() {
        None
    } else {
        let form = pg_sys::heap_tuple_get_struct::<pg_sys::FormData_pg_extension>(tuple);
        Some((*form).extnamespace)
    };
    pg_sys::systable_endscan(scan);
    pg_sys::table_close(rel, pg_sys::AccessShareLock as _);
    schema
}

/// Refuse a relation whose columns are not the ones this code reads and writes.
///
/// # Safety
/// `rel` must be an open relation.
unsafe fn check_layout(rel: pg_sys::Relation) -> Result<()> {
    if (*(*rel).rd_rel).relkind as u8 != pg_sys::RELKIND_RELATION {
        return Err(internal("pgrst_jwt_secret is not a table"));
    }
    let desc = pgrx::PgTupleDesc::from_pg_unchecked((*rel).rd_att);
    let fits = desc.len() == LAYOUT.len()
        && LAYOUT.iter().enumerate().all(|(i, oid)| {
            desc.get(i)
                .is_some_and(|a| a.atttypid == *oid && !a.attisdropped)
        });
    if fits {
        Ok(())
    } else {
        Err(internal(
            "the table pgrst_jwt_secret has an unexpected layout",
        ))
    }
}

/// Opens the table, scans it with a fresh catalog snapshot, and hands `f` the relation
/// and the first tuple (null when the table is empty) while the scan is open.
///
/// The snapshot: a REPEATABLE READ transaction's snapshot can be older than a secret
/// rotation whose invalidation this backend has already processed, and a load under it
/// would keep the old secret for the life of the connection. A catalog snapshot is
/// taken now (after invalidating the cached one), and unlike `GetLatestSnapshot` it may
/// be taken in parallel workers. The scan registers it, which also keeps it available
/// for detoasting a long secret inside `f`.
///
/// # Safety
/// Must run inside a transaction; `f` must not keep the tuple beyond the call.
unsafe fn with_first_tuple<R>(
    loc: Location,
    lockmode: pg_sys::LOCKMODE,
    f: impl FnOnce(pg_sys::Relation, pg_sys::HeapTuple) -> Result<R>,
) -> Result<R> {
    let rel = pg_sys::table_open(loc.relid, lockmode);
    if let Err(e) = check_layout(rel) {
        pg_sys::table_close(rel, lockmode);
        return Err(e);
    }
    pg_sys::InvalidateCatalogSnapshot();
    let scan = begin_full_scan(rel);
    let tuple = pg_sys::systable_getnext(scan);
    let result = f(rel, tuple);
    pg_sys::systable_endscan(scan);
    // a writer keeps its lock to the end of the transaction
    let release = if lockmode == pg_sys::AccessShareLock as pg_sys::LOCKMODE {
        lockmode
    } else {
        pg_sys::NoLock as _
    };
    pg_sys::table_close(rel, release);
    result
}

/// The stored row, if any.
pub fn read(loc: Location) -> Result<Option<Row>> {
    // SAFETY: reads one tuple of an open relation whose layout was checked; the text
    // values are copied (and the detoasted copies wiped) before the scan ends.
    unsafe {
        with_first_tuple(loc, pg_sys::AccessShareLock as _, |rel, tuple| {
            if tuple.is_null() {
                return Ok(None);
            }
            let mut values = [pg_sys::Datum::from(0); LAYOUT.len()];
            let mut nulls = [false; LAYOUT.len()];
            pg_sys::heap_deform_tuple(
                tuple,
                (*rel).rd_att,
                values.as_mut_ptr(),
                nulls.as_mut_ptr(),
            );
            if nulls[SECRET] || nulls[IS_BASE64] {
                return Err(internal("the stored secret row has NULL columns"));
            }
            Ok(Some(Row {
                secret: copy_text(values[SECRET])?,
                is_base64: values[IS_BASE64].value() != 0,
            }))
        })
    }
}

/// A text datum as a Rust string; a detoasted copy of a secret is wiped before it is freed.
///
/// # Safety
/// `datum` must be a non-null text datum that stays valid during the call.
unsafe fn copy_text(datum: pg_sys::Datum) -> Result<Zeroizing<String>> {
    let stored = datum.cast_mut_ptr::<pg_sys::varlena>();
    let plain = pg_sys::pg_detoast_datum_packed(stored);
    let bytes = pgrx::varlena::varlena_to_byte_slice(plain);
    let text = std::str::from_utf8(bytes)
        .map(|s| Zeroizing::new(s.to_owned()))
        .map_err(|_| internal("the stored secret is not UTF-8"));
    if plain != stored {
        wipe_varlena(plain);
    }
    text
}

/// Store `secret` as the one row (insert or update), then invalidate every backend's
/// cached keys. The caller has checked that the user is a superuser.
pub fn write(
    loc: Location,
    secret: &str,
    is_base64: bool,
    fingerprint: &str,
    env_var: &str,
) -> Result<()> {
    // SAFETY: a self-conflicting lock serialises writers, so the row found is the
    // current one; the new tuple is formed from datums built here and freed with the
    // memory context; CatalogTupleInsert/Update also maintain the primary key index.
    unsafe {
        let lock = pg_sys::ShareRowExclusiveLock as pg_sys::LOCKMODE;
        with_first_tuple(loc, lock, |rel, old| {
            let secret_datum = text_datum(secret);
            let values = [
                pg_sys::Datum::from(true),
                secret_datum,
                pg_sys::Datum::from(is_base64),
                text_datum(fingerprint),
                text_datum(env_var),
                pg_sys::Datum::from(pg_sys::GetCurrentTransactionStartTimestamp()),
            ];
            let mut nulls = [false; LAYOUT.len()];
            let new = pg_sys::heap_form_tuple(
                (*rel).rd_att,
                values.as_ptr() as *mut pg_sys::Datum,
                nulls.as_mut_ptr(),
            );
            if old.is_null() {
                pg_sys::CatalogTupleInsert(rel, new);
            } else {
                pg_sys::CatalogTupleUpdate(rel, &mut (*old).t_self, new);
            }
            wipe_tuple(new);
            wipe_varlena(secret_datum.cast_mut_ptr());
            // what the trigger does for SQL writes: every backend reloads at its next use
            pg_sys::CacheInvalidateRelcacheByRelid(loc.relid);
            // and this transaction's next read sees the new row
            pg_sys::CommandCounterIncrement();
            Ok(())
        })
    }
}

/// # Safety
/// Allocates in the current memory context.
unsafe fn text_datum(s: &str) -> pg_sys::Datum {
    pg_sys::Datum::from(pg_sys::cstring_to_text_with_len(
        s.as_ptr().cast(),
        s.len() as _,
    ))
}

/// Wipe and free a palloc'd varlena that held a secret.
///
/// # Safety
/// `v` must be a palloc'd varlena not used afterwards.
unsafe fn wipe_varlena(v: *mut pg_sys::varlena) {
    std::ptr::write_bytes(v.cast::<u8>(), 0, pgrx::varlena::varsize_any(v));
    pg_sys::pfree(v.cast());
}

/// Wipe and free a tuple formed from secret values (its copy on disk is the table's).
///
/// # Safety
/// `tuple` must come from `heap_form_tuple` and not be used afterwards.
unsafe fn wipe_tuple(tuple: pg_sys::HeapTuple) {
    let len = (*tuple).t_len as usize;
    std::ptr::write_bytes((*tuple).t_data.cast::<u8>(), 0, len);
    pg_sys::heap_freetuple(tuple);
}

/// A scan of every row of `rel` under the catalog snapshot (registered by the scan).
///
/// # Safety
/// `rel` must be an open relation; end the scan with `systable_endscan`.
pub(super) unsafe fn begin_full_scan(rel: pg_sys::Relation) -> pg_sys::SysScanDesc {
    // SAFETY: no index and no keys: a heap scan of `rel`, which the caller has open.
    unsafe {
        pg_sys::systable_beginscan(
            rel,
            pg_sys::InvalidOid,
            false,
            std::ptr::null_mut(),
            0,
            std::ptr::null_mut(),
        )
    }
}

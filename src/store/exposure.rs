//! `jwt_secret_status()`: whether a secret is configured, and every way a role other
//! than a superuser could read it. Like the rest of the store, this runs no SQL: it
//! asks the privilege functions PostgreSQL itself uses (table and column ACLs, role
//! membership, predefined roles) and scans the catalogs directly.

use super::{table, SecretSource};
use pgrst_jwt_core::Result;
use pgrx::pg_sys;
use std::ffi::CStr;

/// What `jwt_secret_status()` reports.
pub struct Status {
    configured: bool,
    source: Option<SecretSource>,
    fingerprint: Option<String>,
    /// One line per way a non-superuser could read the secret; empty when none.
    exposures: Vec<String>,
}

/// `jwt_secret_status()`'s row: configured, source, fingerprint, readable_by_public,
/// exposures.
pub type StatusRow = (bool, Option<String>, Option<String>, bool, Vec<String>);

impl Status {
    /// The row, with the readability rule: readable by a non-superuser when any
    /// exposure was found.
    pub fn into_row(self) -> StatusRow {
        let readable_by_public = !self.exposures.is_empty();
        (
            self.configured,
            self.source.map(|s| s.name().to_string()),
            self.fingerprint,
            readable_by_public,
            self.exposures,
        )
    }
}

/// Predefined roles whose members can read the secret, with what they can do, and
/// whether it reaches the table (true) or the setting (false) or both (None).
fn predefined() -> Vec<(u32, &'static str, Option<bool>)> {
    let mut roles = vec![
        (
            pg_sys::ROLE_PG_READ_SERVER_FILES,
            "can read the server's files",
            None,
        ),
        (
            pg_sys::ROLE_PG_EXECUTE_SERVER_PROGRAM,
            "can run programs as the server",
            None,
        ),
        (
            pg_sys::ROLE_PG_READ_ALL_SETTINGS,
            "can read superuser-only settings",
            Some(false),
        ),
    ];
    #[cfg(not(feature = "pg13"))]
    roles.push((
        pg_sys::ROLE_PG_READ_ALL_DATA,
        "can read every table",
        Some(true),
    ));
    roles
}

/// The status, given the configured secret (if any).
pub fn status(configured: Option<(SecretSource, String)>) -> Result<Status> {
    let mut exposures = role_settings();
    let source = configured.as_ref().map(|(s, _)| *s);
    let roles = ordinary_roles();
    match source {
        Some(SecretSource::Table) => {
            if let Some(loc) = table::locate() {
                exposures.extend(table_readers(loc, &roles));
                exposures.extend(publications(loc));
            }
        }
        Some(SecretSource::Setting) if !crate::settings::preloaded() => exposures.push(
            "the pgrst.jwt_secret setting: any role reads it with current_setting() in a \
             session that has not loaded pgrst_jwt (add pgrst_jwt to shared_preload_libraries)"
                .to_string(),
        ),
        Some(SecretSource::Setting) | None => {}
    }
    if let Some(src) = source {
        exposures.extend(predefined_members(&roles, src == SecretSource::Table));
    }
    Ok(Status {
        configured: configured.is_some(),
        source,
        fingerprint: configured.map(|(_, f)| f),
        exposures,
    })
}

/// Roles that are neither superusers nor predefined: (oid, name).
fn ordinary_roles() -> Vec<(pg_sys::Oid, String)> {
    let mut out = Vec::new();
    // SAFETY: a heap scan of pg_authid under the catalog snapshot; only the fixed-size
    // part of each tuple (oid, rolname, rolsuper) is read, and the name is copied.
    unsafe {
        scan(pg_sys::AuthIdRelationId, |tuple| {
            let form = &*pg_sys::heap_tuple_get_struct::<pg_sys::FormData_pg_authid>(tuple);
            if !form.rolsuper && u32::from(form.oid) >= pg_sys::FirstNormalObjectId {
                let name = CStr::from_ptr(form.rolname.data.as_ptr());
                out.push((form.oid, name.to_string_lossy().into_owned()));
            }
        });
    }
    out
}

/// Who may SELECT the table or its `secret` column: PUBLIC, or each ordinary role
/// (grants to the role or to a role it has the privileges of, ownership, pg_read_all_data).
fn table_readers(loc: table::Location, roles: &[(pg_sys::Oid, String)]) -> Vec<String> {
    let select = pg_sys::ACL_SELECT as pg_sys::AclMode;
    // SAFETY: the privilege functions PostgreSQL's own checks use, on an existing
    // relation and column; InvalidOid (0) is ACL_ID_PUBLIC, which matches grants to
    // PUBLIC only.
    let can_read = |role: pg_sys::Oid| unsafe {
        pg_sys::pg_class_aclcheck(loc.relid, role, select) == pg_sys::AclResult::ACLCHECK_OK
            || pg_sys::pg_attribute_aclcheck(loc.relid, table::SECRET_ATTNUM, role, select)
                == pg_sys::AclResult::ACLCHECK_OK
    };
    if can_read(pg_sys::Oid::from(pg_sys::ACL_ID_PUBLIC)) {
        return vec!["PUBLIC: SELECT on the secret table".to_string()];
    }
    roles
        .iter()
        .filter(|(oid, _)| can_read(*oid))
        .map(|(_, name)| {
            format!("role \"{name}\": SELECT on the secret table or its secret column")
        })
        .collect()
}

/// Members of predefined roles that reach the secret by other means.
fn predefined_members(roles: &[(pg_sys::Oid, String)], table_source: bool) -> Vec<String> {
    let mut out = Vec::new();
    for (role, what, reaches) in predefined() {
        if reaches.is_some_and(|t| t != table_source) {
            continue;
        }
        for (oid, name) in roles {
            // SAFETY: a membership lookup in the syscache.
            if unsafe { pg_sys::has_privs_of_role(*oid, pg_sys::Oid::from(role)) } {
                out.push(format!("role \"{name}\": {what}"));
            }
        }
    }
    out
}

/// Publications that replicate the table (explicitly, by schema, or FOR ALL TABLES).
fn publications(loc: table::Location) -> Vec<String> {
    // SAFETY: each function returns a palloc'd List of publication oids (or NIL).
    let lists = unsafe {
        let mut lists = vec![
            pg_sys::GetRelationPublications(loc.relid),
            pg_sys::GetAllTablesPublications(),
        ];
        #[cfg(not(any(feature = "pg13", feature = "pg14")))]
        lists.push(pg_sys::GetSchemaPublications(loc.schema));
        lists
    };
    let mut names: Vec<String> = Vec::new();
    for list in lists {
        // SAFETY: the list holds oids (an OID list), read before it is freed.
        let oids = unsafe { pgrx::PgList::<pg_sys::Oid>::from_pg(list) };
        for i in 0..oids.len() {
            let Some(oid) = oids.get_oid(i) else { continue };
            // SAFETY: a syscache lookup; NULL when the publication is gone.
            let p = unsafe { pg_sys::get_publication_name(oid, true) };
            if !p.is_null() {
                // SAFETY: a palloc'd NUL-terminated copy of the name, copied here.
                let name = unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned();
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        }
    }
    names
        .into_iter()
        .map(|n| format!("publication \"{n}\" replicates the secret table to its subscribers"))
        .collect()
}

/// `pgrst.jwt_secret` stored in `pg_db_role_setting`, which every role can read.
fn role_settings() -> Vec<String> {
    const DB_ROLE_SETTING: pg_sys::Oid = pg_sys::Oid::from_u32(2964);
    const ANUM_SETDATABASE: usize = 1;
    const ANUM_SETROLE: usize = 2;
    const ANUM_SETCONFIG: usize = 3;
    let mut out = Vec::new();
    // SAFETY: a heap scan of pg_db_role_setting; each tuple is deformed with the
    // relation's descriptor and the text[] is converted by pgrx before the scan moves.
    unsafe {
        scan_with_desc(DB_ROLE_SETTING, |tuple, desc| {
            let mut values = [pg_sys::Datum::from(0); 3];
            let mut nulls = [true; 3];
            pg_sys::heap_deform_tuple(tuple, desc, values.as_mut_ptr(), nulls.as_mut_ptr());
            if nulls[ANUM_SETCONFIG - 1] {
                return;
            }
            let config = <Vec<Option<String>> as pgrx::FromDatum>::from_datum(
                values[ANUM_SETCONFIG - 1],
                false,
            )
            .unwrap_or_default();
            if !config
                .iter()
                .flatten()
                .any(|c| c.starts_with("pgrst.jwt_secret="))
            {
                return;
            }
            let role = pg_sys::Oid::from(values[ANUM_SETROLE - 1].value() as u32);
            let db = pg_sys::Oid::from(values[ANUM_SETDATABASE - 1].value() as u32);
            let who = match role == pg_sys::InvalidOid {
                true => "every role".to_string(),
                false => format!(
                    "role \"{}\"",
                    name_of(pg_sys::GetUserNameFromId(role, true))
                ),
            };
            let place = match db == pg_sys::InvalidOid {
                true => String::new(),
                false => format!(
                    " in database \"{}\"",
                    name_of(pg_sys::get_database_name(db))
                ),
            };
            out.push(format!(
                "pg_db_role_setting: pgrst.jwt_secret is set for {who}{place}, and every role can read that catalog"
            ));
        });
    }
    out
}

/// # Safety
/// `p` is NULL or a NUL-terminated string.
unsafe fn name_of(p: *const std::ffi::c_char) -> String {
    if p.is_null() {
        "(dropped)".to_string()
    } else {
        CStr::from_ptr(p).to_string_lossy().into_owned()
    }
}

/// Calls `f` on every tuple of a catalog, under a catalog snapshot.
///
/// # Safety
/// Must run in a transaction; `f` must not keep the tuple.
unsafe fn scan(relid: pg_sys::Oid, mut f: impl FnMut(pg_sys::HeapTuple)) {
    scan_with_desc(relid, |t, _| f(t))
}

/// # Safety
/// As [`scan`].
unsafe fn scan_with_desc(
    relid: pg_sys::Oid,
    mut f: impl FnMut(pg_sys::HeapTuple, pg_sys::TupleDesc),
) {
    let rel = pg_sys::table_open(relid, pg_sys::AccessShareLock as _);
    let scan = table::begin_full_scan(rel);
    loop {
        let tuple = pg_sys::systable_getnext(scan);
        if tuple.is_null() {
            break;
        }
        pgrx::check_for_interrupts!();
        f(tuple, (*rel).rd_att);
    }
    pg_sys::systable_endscan(scan);
    pg_sys::table_close(rel, pg_sys::AccessShareLock as _);
}

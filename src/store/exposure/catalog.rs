//! What the exposure checks share: catalog scans, role lists, privilege checks and names.
//! No SQL: PostgreSQL's own privilege functions and direct catalog access.

use crate::store::table;
use pgrx::pg_sys;
use std::ffi::CStr;

/// A role that is neither a superuser nor predefined.
pub struct Role {
    pub oid: pg_sys::Oid,
    pub name: String,
    pub createrole: bool,
}

/// The roles whose privileges matter: every non-superuser, non-predefined role.
pub fn ordinary_roles() -> Vec<Role> {
    let mut out = Vec::new();
    // SAFETY: a heap scan of pg_authid under the catalog snapshot; only the fixed-size
    // part of each tuple is read, and the name is copied.
    unsafe {
        scan(pg_sys::AuthIdRelationId, |tuple, _| {
            let form = &*pg_sys::heap_tuple_get_struct::<pg_sys::FormData_pg_authid>(tuple);
            if !form.rolsuper && u32::from(form.oid) >= pg_sys::FirstNormalObjectId {
                let name = CStr::from_ptr(form.rolname.data.as_ptr());
                out.push(Role {
                    oid: form.oid,
                    name: name.to_string_lossy().into_owned(),
                    createrole: form.rolcreaterole,
                });
            }
        });
    }
    out
}

/// Who passes `check`: `PUBLIC` when the grant is to PUBLIC (InvalidOid, ACL_ID_PUBLIC),
/// else the quoted names of the ordinary roles that pass; empty when nobody does.
pub fn who(roles: &[Role], check: impl Fn(pg_sys::Oid) -> bool) -> Vec<String> {
    if check(pg_sys::Oid::from(pg_sys::ACL_ID_PUBLIC)) {
        return vec!["PUBLIC".to_string()];
    }
    roles
        .iter()
        .filter(|r| check(r.oid))
        .map(|r| format!("\"{}\"", r.name))
        .collect()
}

/// A list of names for a report line, at most 20 of them.
pub fn listed(names: &[String]) -> String {
    const MAX: usize = 20;
    let mut s = names
        .iter()
        .take(MAX)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > MAX {
        s.push_str(&format!(" and {} more", names.len() - MAX));
    }
    s
}

/// Whether `role` may use `mode` on function `proc`.
pub fn may_execute(proc: pg_sys::Oid, role: pg_sys::Oid) -> bool {
    let mode = pg_sys::ACL_EXECUTE as pg_sys::AclMode;
    // SAFETY: PostgreSQL's privilege check on an existing function.
    unsafe {
        #[cfg(any(feature = "pg13", feature = "pg14", feature = "pg15"))]
        let r = pg_sys::pg_proc_aclcheck(proc, role, mode);
        #[cfg(not(any(feature = "pg13", feature = "pg14", feature = "pg15")))]
        let r = pg_sys::object_aclcheck(pg_sys::ProcedureRelationId, proc, role, mode);
        r == pg_sys::AclResult::ACLCHECK_OK
    }
}

/// Whether `role` may create objects in schema `nsp`.
pub fn may_create_in(nsp: pg_sys::Oid, role: pg_sys::Oid) -> bool {
    let mode = pg_sys::ACL_CREATE as pg_sys::AclMode;
    // SAFETY: PostgreSQL's privilege check on an existing schema.
    unsafe {
        #[cfg(any(feature = "pg13", feature = "pg14", feature = "pg15"))]
        let r = pg_sys::pg_namespace_aclcheck(nsp, role, mode);
        #[cfg(not(any(feature = "pg13", feature = "pg14", feature = "pg15")))]
        let r = pg_sys::object_aclcheck(pg_sys::NamespaceRelationId, nsp, role, mode);
        r == pg_sys::AclResult::ACLCHECK_OK
    }
}

/// Whether `role` has `mode` on relation `rel`.
pub fn may_use_rel(rel: pg_sys::Oid, role: pg_sys::Oid, mode: u32) -> bool {
    // SAFETY: PostgreSQL's privilege check on an existing relation.
    unsafe {
        pg_sys::pg_class_aclcheck(rel, role, mode as pg_sys::AclMode)
            == pg_sys::AclResult::ACLCHECK_OK
    }
}

/// The oid of function `name(args)` in schema `nsp`, if it exists.
pub fn function(nsp: pg_sys::Oid, name: &CStr, args: &[pg_sys::Oid]) -> Option<pg_sys::Oid> {
    // SAFETY: a syscache lookup by (name, argument types, schema), keyed as PostgreSQL's
    // own callers key it (a C string for the name); the name and the palloc'd oidvector
    // are alive for the call.
    let oid = unsafe {
        let v = pg_sys::buildoidvector(args.as_ptr(), args.len() as i32);
        pg_sys::GetSysCacheOid(
            pg_sys::SysCacheIdentifier::PROCNAMEARGSNSP as i32,
            pg_sys::Anum_pg_proc_oid as pg_sys::AttrNumber,
            pg_sys::Datum::from(name.as_ptr()),
            pg_sys::Datum::from(v),
            pg_sys::Datum::from(nsp),
            pg_sys::Datum::from(0),
        )
    };
    (oid != pg_sys::InvalidOid).then_some(oid)
}

/// A role's name (`(dropped)` when it no longer exists).
pub fn role_name(oid: pg_sys::Oid) -> String {
    // SAFETY: a syscache lookup; NULL when the role is gone (noerr).
    unsafe { name_of(pg_sys::GetUserNameFromId(oid, true)) }
}

/// A relation's schema-qualified name (`(dropped)` when it no longer exists).
pub fn relation_name(rel: pg_sys::Oid) -> String {
    // SAFETY: syscache lookups; each returns NULL for a missing object.
    unsafe {
        let nsp = pg_sys::get_rel_namespace(rel);
        format!(
            "{}.{}",
            name_of(pg_sys::get_namespace_name(nsp)),
            name_of(pg_sys::get_rel_name(rel))
        )
    }
}

/// A schema's name.
pub fn schema_name(nsp: pg_sys::Oid) -> String {
    // SAFETY: a syscache lookup; NULL for a missing schema.
    unsafe { name_of(pg_sys::get_namespace_name(nsp)) }
}

/// # Safety
/// `p` is NULL or a NUL-terminated string.
pub unsafe fn name_of(p: *const std::ffi::c_char) -> String {
    if p.is_null() {
        "(dropped)".to_string()
    } else {
        CStr::from_ptr(p).to_string_lossy().into_owned()
    }
}

/// Calls `f` on every tuple of a catalog (with the relation's descriptor), under a
/// catalog snapshot, checking for interrupts at each tuple.
///
/// # Safety
/// Must run in a transaction; `f` must not keep the tuple.
pub unsafe fn scan(relid: pg_sys::Oid, mut f: impl FnMut(pg_sys::HeapTuple, pg_sys::TupleDesc)) {
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

/// A catalog tuple's columns (datums and null flags), by the relation's descriptor.
///
/// # Safety
/// `tuple` and `desc` belong together and are valid; pointer datums live as long as the
/// tuple does.
pub unsafe fn deform(
    tuple: pg_sys::HeapTuple,
    desc: pg_sys::TupleDesc,
) -> (Vec<pg_sys::Datum>, Vec<bool>) {
    let n = (*desc).natts as usize;
    let mut values = vec![pg_sys::Datum::from(0); n];
    let mut nulls = vec![true; n];
    pg_sys::heap_deform_tuple(tuple, desc, values.as_mut_ptr(), nulls.as_mut_ptr());
    (values, nulls)
}

/// An oid column of a deformed tuple (column numbers from 1).
pub fn oid_at(values: &[pg_sys::Datum], attnum: usize) -> pg_sys::Oid {
    pg_sys::Oid::from(values[attnum - 1].value() as u32)
}

/// The number (from 1) of the column `name` of a catalog's descriptor, if it has one
/// (for catalogs whose layout differs between PostgreSQL versions).
///
/// # Safety
/// `desc` is a valid tuple descriptor.
pub unsafe fn attnum(desc: pg_sys::TupleDesc, name: &CStr) -> Option<usize> {
    // borrowed: PostgreSQL's descriptor, not released by this wrapper
    let desc = pgrx::PgTupleDesc::from_pg_unchecked(desc);
    let name = name.to_str().ok()?;
    (0..desc.len())
        .find(|&i| desc.get(i).is_some_and(|a| a.name() == name))
        .map(|i| i + 1)
}

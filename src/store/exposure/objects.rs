//! Routes through the extension's own objects: the secret table, the publications that
//! replicate it, the schema the extension lives in, and the configured signers.

use super::catalog::{self, Role};
use super::Exposure;
use crate::store::table;
use pgrx::pg_sys;
use std::ffi::CStr;

/// Who may read the table or its `secret` column, write it (refused by its write guard
/// for non-superusers, but listed), or create triggers on it (a trigger runs when a
/// superuser changes the secret, and sees the new row).
pub fn table_access(loc: table::Location, roles: &[Role]) -> Vec<Exposure> {
    let select = pg_sys::ACL_SELECT;
    // SAFETY: a column privilege check on an existing relation and column.
    let can_read = |role: pg_sys::Oid| {
        catalog::may_use_rel(loc.relid, role, select)
            || unsafe {
                pg_sys::pg_attribute_aclcheck(
                    loc.relid,
                    table::SECRET_ATTNUM,
                    role,
                    select as pg_sys::AclMode,
                ) == pg_sys::AclResult::ACLCHECK_OK
            }
    };
    let mut out = Vec::new();
    let readers = catalog::who(roles, can_read);
    if !readers.is_empty() {
        out.push(Exposure::reads(format!(
            "SELECT on the secret table or its secret column: {}",
            catalog::listed(&readers)
        )));
    }
    let writes = [
        (pg_sys::ACL_INSERT, "INSERT"),
        (pg_sys::ACL_UPDATE, "UPDATE"),
        (pg_sys::ACL_DELETE, "DELETE"),
        (pg_sys::ACL_TRUNCATE, "TRUNCATE"),
    ];
    for (mode, name) in writes {
        let holders = catalog::who(roles, |r| catalog::may_use_rel(loc.relid, r, mode));
        if !holders.is_empty() {
            out.push(Exposure::listed(format!(
                "{name} on the secret table (refused by its write trigger, which only a superuser can disable): {}",
                catalog::listed(&holders)
            )));
        }
    }
    let triggers = catalog::who(roles, |r| {
        catalog::may_use_rel(loc.relid, r, pg_sys::ACL_TRIGGER)
    });
    if !triggers.is_empty() {
        out.push(Exposure::reads(format!(
            "TRIGGER on the secret table: a trigger of theirs runs when a superuser changes the secret, and sees it: {}",
            catalog::listed(&triggers)
        )));
    }
    out
}

/// Publications that replicate the table (explicitly, by schema, or FOR ALL TABLES).
pub fn publications(loc: table::Location) -> Vec<Exposure> {
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
        .map(|n| {
            Exposure::reads(format!(
                "publication \"{n}\" replicates the secret table to its subscribers"
            ))
        })
        .collect()
}

/// The extension's schema: an owner who is not a superuser (for `pg_database_owner`, the
/// database's owner) can rename or drop it and plant objects with the extension's names;
/// a role with CREATE on it can add overloads that a caller's arguments may resolve to.
pub fn schema(loc: table::Location, roles: &[Role]) -> Vec<Exposure> {
    let name = catalog::schema_name(loc.schema);
    let mut out = Vec::new();
    if let Some(owner) = effective_owner(loc.schema) {
        // SAFETY: whether a role is a superuser (a syscache lookup).
        if !unsafe { pg_sys::superuser_arg(owner) } {
            out.push(Exposure::reads(format!(
                "schema \"{name}\" of the extension: \"{}\" owns it and is not a superuser: it can rename or drop the schema and put its own objects in place of the extension's, which a superuser would then run",
                catalog::role_name(owner)
            )));
        }
    }
    let creators = catalog::who(roles, |r| catalog::may_create_in(loc.schema, r));
    if !creators.is_empty() {
        out.push(Exposure::reads(format!(
            "CREATE on schema \"{name}\" of the extension: objects of theirs beside the extension's may be resolved instead of them: {}",
            catalog::listed(&creators)
        )));
    }
    out
}

/// The owner of a schema, or for a schema of `pg_database_owner` the database's owner.
fn effective_owner(nsp: pg_sys::Oid) -> Option<pg_sys::Oid> {
    // SAFETY: syscache lookups of the schema and of the current database; each tuple is
    // released before returning and only fixed-size fields are read.
    unsafe {
        let tup = pg_sys::SearchSysCache1(
            pg_sys::SysCacheIdentifier::NAMESPACEOID as i32,
            pg_sys::Datum::from(nsp),
        );
        if tup.is_null() {
            return None;
        }
        let owner = (*pg_sys::heap_tuple_get_struct::<pg_sys::FormData_pg_namespace>(tup)).nspowner;
        pg_sys::ReleaseSysCache(tup);
        #[cfg(not(feature = "pg13"))]
        if owner == pg_sys::Oid::from(pg_sys::ROLE_PG_DATABASE_OWNER) {
            let db = pg_sys::SearchSysCache1(
                pg_sys::SysCacheIdentifier::DATABASEOID as i32,
                pg_sys::Datum::from(pg_sys::MyDatabaseId),
            );
            if db.is_null() {
                return None;
            }
            let dba = (*pg_sys::heap_tuple_get_struct::<pg_sys::FormData_pg_database>(db)).datdba;
            pg_sys::ReleaseSysCache(db);
            return Some(dba);
        }
        Some(owner)
    }
}

/// Who may execute a function that signs with the configured secret.
pub fn signers(loc: table::Location, roles: &[Role]) -> Vec<Exposure> {
    let forms = [
        (pg_sys::JSONBOID, "jwt_sign(jsonb)"),
        (pg_sys::JSONOID, "jwt_sign(json)"),
        (pg_sys::TEXTOID, "jwt_sign(text)"),
    ];
    let mut out = Vec::new();
    for (arg, shown) in forms {
        let Some(f) = catalog::function(loc.schema, c"jwt_sign", &[arg]) else {
            continue;
        };
        let holders = catalog::who(roles, |r| catalog::may_execute(f, r));
        if !holders.is_empty() {
            out.push(Exposure::listed(format!(
                "EXECUTE on {shown}: signs tokens with the configured secret: {}",
                catalog::listed(&holders)
            )));
        }
    }
    out
}

//! Routes through roles: members of the predefined roles that read every table, the
//! server's files or run programs; roles with CREATEROLE, which can make themselves such
//! members; and roles that may execute the functions that read the server's files (the
//! secret table's heap file among them).

use super::catalog::{self, Role};
use super::Exposure;
use pgrx::pg_sys;

/// Predefined roles whose members can read the secret, with what they can do, and
/// whether it reaches the table only (true) or every source (None).
fn predefined() -> Vec<(u32, &'static str, Option<bool>)> {
    let mut roles = vec![
        (
            pg_sys::ROLE_PG_READ_SERVER_FILES,
            "member of pg_read_server_files: can read the server's files",
            None,
        ),
        (
            pg_sys::ROLE_PG_EXECUTE_SERVER_PROGRAM,
            "member of pg_execute_server_program: can run programs as the server",
            None,
        ),
    ];
    #[cfg(not(feature = "pg13"))]
    roles.push((
        pg_sys::ROLE_PG_READ_ALL_DATA,
        "member of pg_read_all_data: can read every table",
        Some(true),
    ));
    roles
}

/// Members (inheriting or not: a member may SET ROLE) of the predefined roles.
pub fn predefined_members(roles: &[Role], table_source: bool) -> Vec<Exposure> {
    let mut out = Vec::new();
    for (role, what, reaches) in predefined() {
        if reaches.is_some_and(|t| t != table_source) {
            continue;
        }
        for r in roles {
            // SAFETY: a membership lookup in the syscache.
            if unsafe { pg_sys::is_member_of_role(r.oid, pg_sys::Oid::from(role)) } {
                out.push(Exposure::reads(format!("role \"{}\": {what}", r.name)));
            }
        }
    }
    out
}

/// Roles with CREATEROLE. Up to PostgreSQL 15 such a role grants itself any predefined
/// role; from 16 on only those it holds ADMIN OPTION on.
pub fn createrole(roles: &[Role], table_source: bool) -> Vec<Exposure> {
    let mut out = Vec::new();
    for r in roles.iter().filter(|r| r.createrole) {
        let reaches = cfg!(any(feature = "pg13", feature = "pg14", feature = "pg15"))
            || predefined()
                .into_iter()
                .filter(|(_, _, reaches)| reaches.is_none_or(|t| t == table_source))
                // SAFETY: a membership lookup in the syscache.
                .any(|(p, _, _)| unsafe { pg_sys::is_admin_of_role(r.oid, pg_sys::Oid::from(p)) });
        if reaches {
            out.push(Exposure::reads(format!(
                "role \"{}\" has CREATEROLE: it can grant itself (or a role of its own) pg_read_all_data or pg_read_server_files",
                r.name
            )));
        }
    }
    out
}

/// Who may execute PostgreSQL's functions that read the server's files (EXECUTE is
/// revoked from PUBLIC by default; a grant lets a role read the secret table's heap file).
pub fn file_readers(roles: &[Role]) -> Vec<Exposure> {
    let (text, int8, bool_, oid) = (
        pg_sys::TEXTOID,
        pg_sys::INT8OID,
        pg_sys::BOOLOID,
        pg_sys::OIDOID,
    );
    let forms: [(&std::ffi::CStr, &[pg_sys::Oid]); 10] = [
        (c"pg_read_file", &[text]),
        (c"pg_read_file", &[text, bool_]),
        (c"pg_read_file", &[text, int8, int8]),
        (c"pg_read_file", &[text, int8, int8, bool_]),
        (c"pg_read_binary_file", &[text]),
        (c"pg_read_binary_file", &[text, bool_]),
        (c"pg_read_binary_file", &[text, int8, int8]),
        (c"pg_read_binary_file", &[text, int8, int8, bool_]),
        (c"lo_import", &[text]),
        (c"lo_import", &[text, oid]),
    ];
    let mut out = Vec::new();
    for (name, args) in forms {
        let Some(f) = catalog::function(pg_sys::PG_CATALOG_NAMESPACE.into(), name, args) else {
            continue;
        };
        let holders = catalog::who(roles, |r| catalog::may_execute(f, r));
        if !holders.is_empty() {
            out.push(Exposure::reads(format!(
                "EXECUTE on pg_catalog.{}({} arguments): reads the server's files, the secret table's among them: {}",
                name.to_string_lossy(),
                args.len(),
                catalog::listed(&holders)
            )));
        }
    }
    out
}

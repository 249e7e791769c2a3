//! Routes through objects that read the secret table with their owner's rights: views
//! (and views of those views, materialized views), rules on other tables, and SECURITY
//! DEFINER functions, found through `pg_depend` (views, rules, SQL-standard function
//! bodies) and through the function's source text (other languages record no dependency
//! on what their body reads). A route is reported when its owner can read the table and
//! a non-superuser can use it.

use super::catalog::{self, Role};
use super::Exposure;
use crate::store::table;
use pgrx::pg_sys;
use std::collections::HashMap;
use std::ffi::CStr;

const DEPEND: pg_sys::Oid = pg_sys::Oid::from_u32(2608);
const REWRITE: pg_sys::Oid = pg_sys::Oid::from_u32(2618);

/// A rule: its name and the relation it belongs to.
struct Rule {
    name: String,
    relation: pg_sys::Oid,
}

pub fn readers_through_objects(loc: table::Location, roles: &[Role]) -> Vec<Exposure> {
    let (rule_edges, function_edges) = dependencies();
    let rules = rules();
    let can_read_table = |owner: pg_sys::Oid| {
        // SAFETY: whether a role is a superuser (a syscache lookup).
        let superuser = unsafe { pg_sys::superuser_arg(owner) };
        superuser || catalog::may_use_rel(loc.relid, owner, pg_sys::ACL_SELECT)
    };
    let mut out = Vec::new();
    // the relations that read the table: the table, then every view reading one of them
    let mut reading = vec![loc.relid];
    let mut i = 0;
    while i < reading.len() {
        pgrx::check_for_interrupts!();
        let rel = reading[i];
        i += 1;
        for (rule_oid, _) in rule_edges.iter().filter(|(_, r)| *r == rel) {
            let Some(rule) = rules.get(rule_oid) else {
                continue;
            };
            if reading.contains(&rule.relation) {
                continue;
            }
            // SAFETY: a syscache lookup of the rule's relation; '\0' when it is gone.
            let kind = unsafe { pg_sys::get_rel_relkind(rule.relation) } as u8;
            let owner = relation_owner(rule.relation);
            if kind == pg_sys::RELKIND_VIEW || kind == pg_sys::RELKIND_MATVIEW {
                reading.push(rule.relation);
                let readers = catalog::who(roles, |r| {
                    catalog::may_use_rel(rule.relation, r, pg_sys::ACL_SELECT)
                });
                if owner.is_some_and(can_read_table) && !readers.is_empty() {
                    out.push(Exposure::reads(format!(
                        "view {} reads the secret table with the rights of its owner \"{}\": SELECT on it: {}",
                        catalog::relation_name(rule.relation),
                        catalog::role_name(owner.unwrap_or(pg_sys::InvalidOid)),
                        catalog::listed(&readers)
                    )));
                }
            } else {
                let users = catalog::who(roles, |r| {
                    [
                        pg_sys::ACL_INSERT,
                        pg_sys::ACL_UPDATE,
                        pg_sys::ACL_DELETE,
                        pg_sys::ACL_SELECT,
                    ]
                    .into_iter()
                    .any(|m| catalog::may_use_rel(rule.relation, r, m))
                });
                if owner.is_some_and(can_read_table) && !users.is_empty() {
                    out.push(Exposure::reads(format!(
                        "rule \"{}\" on {} reads the secret table with its owner's rights when these roles use that table: {}",
                        rule.name,
                        catalog::relation_name(rule.relation),
                        catalog::listed(&users)
                    )));
                }
            }
        }
    }
    out.extend(definer_functions(
        &reading,
        &function_edges,
        roles,
        can_read_table,
    ));
    out
}

/// SECURITY DEFINER functions owned by a role that can read the table, whose body reads
/// one of `reading` (recorded dependency, or the relation's name in its source), with
/// the roles that may execute them.
fn definer_functions(
    reading: &[pg_sys::Oid],
    function_edges: &[(pg_sys::Oid, pg_sys::Oid)],
    roles: &[Role],
    can_read_table: impl Fn(pg_sys::Oid) -> bool,
) -> Vec<Exposure> {
    let names: Vec<String> = reading
        .iter()
        // SAFETY: a syscache lookup; NULL when the relation is gone.
        .map(|r| unsafe { catalog::name_of(pg_sys::get_rel_name(*r)) }.to_lowercase())
        .collect();
    let mut out = Vec::new();
    // SAFETY: a heap scan of pg_proc; the fixed part is read in place, the source text
    // through SysCacheGetAttr (detoasted into the current context) and copied.
    unsafe {
        catalog::scan(pg_sys::ProcedureRelationId, |tuple, _| {
            let form = &*pg_sys::heap_tuple_get_struct::<pg_sys::FormData_pg_proc>(tuple);
            if !form.prosecdef || !can_read_table(form.proowner) {
                return;
            }
            let depends = function_edges
                .iter()
                .any(|(f, rel)| *f == form.oid && reading.contains(rel));
            let mentions = || {
                let mut isnull = true;
                let src = pg_sys::SysCacheGetAttr(
                    pg_sys::SysCacheIdentifier::PROCOID as i32,
                    tuple,
                    pg_sys::Anum_pg_proc_prosrc as pg_sys::AttrNumber,
                    &mut isnull,
                );
                if isnull {
                    return false;
                }
                let text = pg_sys::text_to_cstring(src.cast_mut_ptr());
                let body = CStr::from_ptr(text).to_string_lossy().to_lowercase();
                names.iter().any(|n| body.contains(n.as_str()))
            };
            if !(depends || mentions()) {
                return;
            }
            let users = catalog::who(roles, |r| catalog::may_execute(form.oid, r));
            if !users.is_empty() {
                let name = CStr::from_ptr(form.proname.data.as_ptr()).to_string_lossy();
                out.push(Exposure::reads(format!(
                    "function {}.{}() is SECURITY DEFINER, owned by \"{}\", and reads the secret table: EXECUTE: {}",
                    catalog::schema_name(form.pronamespace),
                    name,
                    catalog::role_name(form.proowner),
                    catalog::listed(&users)
                )));
            }
        });
    }
    out
}

/// Normal dependencies on relations: (rule, relation) and (function, relation) pairs.
#[allow(clippy::type_complexity)]
fn dependencies() -> (
    Vec<(pg_sys::Oid, pg_sys::Oid)>,
    Vec<(pg_sys::Oid, pg_sys::Oid)>,
) {
    const CLASSID: usize = 1;
    const OBJID: usize = 2;
    const REFCLASSID: usize = 4;
    const REFOBJID: usize = 5;
    const DEPTYPE: usize = 7;
    let (mut rules, mut functions) = (Vec::new(), Vec::new());
    // SAFETY: a heap scan of pg_depend; every column read is a fixed-size value.
    unsafe {
        catalog::scan(DEPEND, |tuple, desc| {
            let (v, _) = catalog::deform(tuple, desc);
            if catalog::oid_at(&v, REFCLASSID) != pg_sys::RelationRelationId
                || v[DEPTYPE - 1].value() as u8 != pg_sys::DependencyType::DEPENDENCY_NORMAL as u8
            {
                return;
            }
            let pair = (catalog::oid_at(&v, OBJID), catalog::oid_at(&v, REFOBJID));
            match catalog::oid_at(&v, CLASSID) {
                c if c == REWRITE => rules.push(pair),
                c if c == pg_sys::ProcedureRelationId => functions.push(pair),
                _ => {}
            }
        });
    }
    (rules, functions)
}

/// Every rule by its oid: name, relation.
fn rules() -> HashMap<pg_sys::Oid, Rule> {
    let mut out = HashMap::new();
    // SAFETY: a heap scan of pg_rewrite: oid (1), rulename (2, a name read in place and
    // copied), ev_class (3).
    unsafe {
        catalog::scan(REWRITE, |tuple, desc| {
            let (v, _) = catalog::deform(tuple, desc);
            let name = CStr::from_ptr(v[1].cast_mut_ptr::<std::ffi::c_char>());
            out.insert(
                catalog::oid_at(&v, 1),
                Rule {
                    name: name.to_string_lossy().into_owned(),
                    relation: catalog::oid_at(&v, 3),
                },
            );
        });
    }
    out
}

/// A relation's owner.
fn relation_owner(rel: pg_sys::Oid) -> Option<pg_sys::Oid> {
    // SAFETY: a syscache lookup of pg_class, released after reading a fixed-size field.
    unsafe {
        let tup = pg_sys::SearchSysCache1(
            pg_sys::SysCacheIdentifier::RELOID as i32,
            pg_sys::Datum::from(rel),
        );
        if tup.is_null() {
            return None;
        }
        let owner = (*pg_sys::heap_tuple_get_struct::<pg_sys::FormData_pg_class>(tup)).relowner;
        pg_sys::ReleaseSysCache(tup);
        Some(owner)
    }
}

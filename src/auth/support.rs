//! The planner support function of the `auth` helpers: `auth.uid()` in a query with a
//! FROM clause becomes `(SELECT auth.uid())`, which PostgreSQL plans as an initplan,
//! evaluated once per execution of the statement instead of once per row: what
//! Supabase's linter asks users to write by hand (lint 0003 `auth_rls_initplan`), done
//! by the planner, so that a bare `USING (owner = auth.uid())` runs as fast as the
//! wrapped form.
//!
//! When it applies (`SupportRequestSimplify`, while the planner simplifies the call):
//! - in a query being planned (a planner root: never for column defaults, constraints
//!   or other expressions planned alone) that reads a relation (a query without FROM
//!   evaluates the call once anyway, and the generated subquery is one: no recursion);
//! - and only when the whole statement calls no volatile function: a `set_config()` in
//!   the same statement could change the settings between rows, and the helpers never
//!   return a value computed from other settings than the current ones;
//! - and `pgrst_jwt.auth_initplan` is on (the default).
//!
//! An initplan is evaluated again at every execution of the plan (a prepared statement,
//! a function's query), so the value always comes from the settings of the execution.
//! The helpers are STABLE: one value per statement is what they promise.

use pgrx::pg_sys;
use pgrx::prelude::*;
use pgrx::{GucContext, GucFlags, GucRegistry, GucSetting, PgBox};

/// Whether the support function turns calls into initplans.
pub static INITPLAN: GucSetting<bool> = GucSetting::<bool>::new(true);

pub fn define() {
    GucRegistry::define_bool_guc(
        c"pgrst_jwt.auth_initplan",
        c"Whether the planner evaluates auth.uid() and the other auth helpers once per statement (as an initplan).",
        c"Only in statements without volatile functions. Off: once per row, as Supabase's SQL helpers.",
        &INITPLAN,
        GucContext::Userset,
        GucFlags::default(),
    );
}

/// `auth.helper_support(internal)`: the support function of the helpers.
#[pg_extern(immutable, parallel_safe, strict, sql = false)]
fn auth_helper_support(request: pgrx::Internal) -> pgrx::Internal {
    let node = request
        .unwrap()
        .map(|d| d.cast_mut_ptr::<pg_sys::Node>())
        .unwrap_or(std::ptr::null_mut());
    // SAFETY: PostgreSQL calls a support function with a pointer to a request node.
    let replaced = unsafe { simplify(node) };
    // a NULL pointer (not an SQL NULL) says "no simplification"
    pgrx::Internal::from(Some(pg_sys::Datum::from(replaced)))
}

/// Whether a range table holds more than the RTE_RESULT entry the planner gives a query
/// without FROM (`SELECT auth.uid()`, and the subquery made here, stay as they are).
///
/// # Safety
/// `rtable` is a query's range table (a List of RangeTblEntry, or NIL).
unsafe fn has_relations(rtable: *mut pg_sys::List) -> bool {
    // SAFETY: the caller's contract: a list of valid range table entries.
    let list = unsafe { pgrx::PgList::<pg_sys::RangeTblEntry>::from_pg(rtable) };
    let found = list
        .iter_ptr()
        // SAFETY: each element is a valid RangeTblEntry.
        .any(|rte| unsafe { (*rte).rtekind != pg_sys::RTEKind::RTE_RESULT });
    found
}

/// The replacement of the call, or NULL to keep it.
///
/// # Safety
/// `node` is NULL or a planner support request node, as PostgreSQL passes it.
unsafe fn simplify(node: *mut pg_sys::Node) -> *mut pg_sys::Node {
    let none = std::ptr::null_mut();
    // SAFETY: `node` is a valid node (the caller's contract); its tag says its type.
    unsafe {
        if node.is_null() || (*node).type_ != pg_sys::NodeTag::T_SupportRequestSimplify {
            return none;
        }
        let req = node.cast::<pg_sys::SupportRequestSimplify>();
        let root = (*req).root;
        if root.is_null() || (*req).fcall.is_null() || !INITPLAN.get() {
            return none;
        }
        let parse = (*root).parse;
        if parse.is_null() || !has_relations((*parse).rtable) {
            return none;
        }
        let mut top = root;
        while !(*top).parent_root.is_null() {
            top = (*top).parent_root;
        }
        if (*top).parse.is_null() || pg_sys::contain_volatile_functions((*top).parse.cast()) {
            return none;
        }
        // SELECT <the call>, as the parser makes it of `(SELECT auth.uid())`
        let call = pg_sys::copyObjectImpl((*req).fcall.cast()).cast::<pg_sys::Expr>();
        let target = pg_sys::makeTargetEntry(call, 1, pg_sys::pstrdup(c"auth".as_ptr()), false);
        let mut query = PgBox::<pg_sys::Query>::alloc_node(pg_sys::NodeTag::T_Query);
        query.commandType = pg_sys::CmdType::CMD_SELECT;
        query.querySource = pg_sys::QuerySource::QSRC_ORIGINAL;
        query.canSetTag = true;
        query.jointree = pg_sys::makeFromExpr(std::ptr::null_mut(), std::ptr::null_mut());
        query.targetList = pg_sys::lappend(std::ptr::null_mut(), target.cast());
        let mut link = PgBox::<pg_sys::SubLink>::alloc_node(pg_sys::NodeTag::T_SubLink);
        link.subLinkType = pg_sys::SubLinkType::EXPR_SUBLINK;
        link.subLinkId = 0;
        link.subselect = query.into_pg().cast();
        link.location = (*(*req).fcall).location;
        // the planner turns sublinks into subplans only in queries that say they have some
        (*parse).hasSubLinks = true;
        link.into_pg().cast()
    }
}

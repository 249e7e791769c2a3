//! The companion extension `pgrst_jwt_auth` (sql/pgrst_jwt_auth--*.sql declares its
//! functions in schema `auth`; the main extension does not, so users who want no `auth`
//! schema never get one):
//! - `helpers`: Supabase's `auth.uid()`, `auth.role()`, `auth.email()`, `auth.jwt()`,
//!   with Supabase's results from the request settings PostgREST sets, cached per backend
//!   on the exact settings text;
//! - `session`: pg_session_jwt's `auth.init()`, `auth.jwt_session_init()`,
//!   `auth.session()`, `auth.user_id()`, over tokens verified in this backend only;
//! - `support`: their planner support function (one evaluation per statement, as an
//!   initplan, where that is safe);
//! - `values`: settings read and results built without copies.
//!
//! No function here runs SQL or looks anything up by name, so none depends on the
//! caller's `search_path` (and none carries a `SET search_path`, which would cost a
//! GUC save and restore on every call: see bench/rls).

mod helpers;
mod session;
mod support;
mod values;

/// The settings of the companion's functions (from `_PG_init`).
pub fn define() {
    session::define();
    support::define();
}

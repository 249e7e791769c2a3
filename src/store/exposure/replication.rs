//! Where the secret here comes from another server, and may lag behind it: a logical
//! replication subscription that includes the secret table (its replica trigger makes the
//! publisher's row this node's), and a hot standby (the primary's row, as far as WAL has
//! been replayed). Neither lets a role read the secret: the entries are listed, so that a
//! node that may verify with an older secret than its source says so.

use super::catalog;
use super::Exposure;
use crate::store::table;
use pgrx::pg_sys;

/// pg_subscription and pg_subscription_rel (pgrx binds neither catalog's header).
const SUBSCRIPTION_RELATION_ID: u32 = 6100;
const SUBSCRIPTION_REL_RELATION_ID: u32 = 6102;

/// Each subscription of this database that replicates the secret table, with whether it
/// can be stale: disabled (the publisher's changes do not arrive), or the table not yet
/// synchronised.
pub fn subscriptions(loc: table::Location) -> Vec<Exposure> {
    // (subscription, srsubstate) of the table's rows in pg_subscription_rel
    let mut tables: Vec<(pg_sys::Oid, u8)> = Vec::new();
    // SAFETY: a scan of a catalog in this transaction; the columns read are oids and a
    // char, copied out before the next tuple.
    unsafe {
        catalog::scan(SUBSCRIPTION_REL_RELATION_ID.into(), |tuple, desc| {
            let (values, nulls) = catalog::deform(tuple, desc);
            let (Some(sub), Some(rel), Some(state)) = (
                catalog::attnum(desc, c"srsubid"),
                catalog::attnum(desc, c"srrelid"),
                catalog::attnum(desc, c"srsubstate"),
            ) else {
                return;
            };
            if !nulls[rel - 1] && catalog::oid_at(&values, rel) == loc.relid {
                tables.push((
                    catalog::oid_at(&values, sub),
                    values[state - 1].value() as u8,
                ));
            }
        })
    };
    if tables.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    // SAFETY: as above, for pg_subscription (a shared catalog); the name is copied.
    unsafe {
        catalog::scan(SUBSCRIPTION_RELATION_ID.into(), |tuple, desc| {
            let (values, nulls) = catalog::deform(tuple, desc);
            let (Some(oid), Some(name), Some(enabled)) = (
                catalog::attnum(desc, c"oid"),
                catalog::attnum(desc, c"subname"),
                catalog::attnum(desc, c"subenabled"),
            ) else {
                return;
            };
            let sub = catalog::oid_at(&values, oid);
            let Some(&(_, state)) = tables.iter().find(|(s, _)| *s == sub) else {
                return;
            };
            let name = if nulls[name - 1] {
                "(unnamed)".to_string()
            } else {
                catalog::name_of(values[name - 1].cast_mut_ptr::<std::ffi::c_char>())
            };
            let enabled = !nulls[enabled - 1] && values[enabled - 1].value() != 0;
            out.push(Exposure::listed(describe(&name, enabled, state)));
        })
    };
    out
}

fn describe(name: &str, enabled: bool, state: u8) -> String {
    let now = if !enabled {
        "the subscription is disabled: the secret here is stale until it is enabled again"
            .to_string()
    } else if state != b'r' {
        format!(
            "the table is not synchronised yet (state '{}'): the secret here may be stale",
            state as char
        )
    } else {
        "the secret here is stale while the subscription lags (see pg_stat_subscription)"
            .to_string()
    };
    format!(
        "subscription \"{name}\" replicates the secret table from its publisher: this node \
         verifies with the publisher's secret as last replicated; {now}"
    )
}

/// On a hot standby: the secret is the primary's, as of the WAL replayed so far.
pub fn standby() -> Option<Exposure> {
    // SAFETY: reads shared memory state; callable in any backend.
    if unsafe { pg_sys::RecoveryInProgress() } {
        Some(Exposure::listed(
            "hot standby: this server verifies with the primary's secret as of the WAL replayed \
             so far; it is stale while replay lags (see pg_last_wal_replay_lsn())"
                .to_string(),
        ))
    } else {
        None
    }
}

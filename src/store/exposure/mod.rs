//! `jwt_secret_status()`: whether a secret is configured, and every way a role other
//! than a superuser could read it, mint tokens with it, replace it or become superuser
//! through the extension's schema. Like the rest of the store, this runs no SQL: it asks
//! the privilege functions PostgreSQL itself uses and scans the catalogs directly.
//!
//! - `objects`: the secret table (readers, writers, TRIGGER), publications, the
//!   extension's schema (owner, CREATE), the configured signers (EXECUTE);
//! - `dependents`: views, rules and SECURITY DEFINER functions that read the table;
//! - `replication`: a subscription or a hot standby that may lag behind its source;
//! - `roles`: predefined roles, CREATEROLE, EXECUTE on the file-reading functions;
//! - `settings`: the secret in a setting source (files, ALTER SYSTEM, role and
//!   database settings), under its own name or another.

mod catalog;
mod dependents;
mod objects;
mod replication;
mod roles;
mod settings;

use super::{table, SecretSource};
use pgrst_jwt_core::Result;

/// One route, as `exposures` lists it. `reads`: it lets a non-superuser read the secret
/// (or become superuser), which `readable_by_public` reports; a route that only lets a
/// role sign with the configured secret, or write (refused) to the table, is listed
/// without it.
pub struct Exposure {
    reads: bool,
    text: String,
}

impl Exposure {
    fn reads(text: String) -> Self {
        Exposure { reads: true, text }
    }

    fn listed(text: String) -> Self {
        Exposure { reads: false, text }
    }
}

/// What `jwt_secret_status()` reports.
pub struct Status {
    configured: bool,
    source: Option<SecretSource>,
    fingerprint: Option<String>,
    exposures: Vec<Exposure>,
}

/// `jwt_secret_status()`'s row: configured, source, fingerprint, readable_by_public,
/// exposures.
pub type StatusRow = (bool, Option<String>, Option<String>, bool, Vec<String>);

impl Status {
    pub fn into_row(self) -> StatusRow {
        let readable_by_public = self.exposures.iter().any(|e| e.reads);
        (
            self.configured,
            self.source.map(|s| s.name().to_string()),
            self.fingerprint,
            readable_by_public,
            self.exposures.into_iter().map(|e| e.text).collect(),
        )
    }
}

/// The status, given the configured secret (if any): where it is and its fingerprint.
pub fn status(configured: Option<(SecretSource, String)>) -> Result<Status> {
    let roles = catalog::ordinary_roles();
    let source = configured.as_ref().map(|(s, _)| *s);
    let fingerprint = configured.as_ref().map(|(_, f)| f.as_str());
    let mut exposures = settings::role_and_database_settings(fingerprint);
    exposures.extend(settings::server_settings(&roles));
    if let Some(loc) = table::locate() {
        exposures.extend(objects::schema(loc, &roles));
        exposures.extend(objects::signers(loc, &roles));
        // also while the table is empty: what a role can do to it applies to the next row
        exposures.extend(objects::table_access(loc, &roles));
        exposures.extend(objects::publications(loc));
        exposures.extend(replication::subscriptions(loc));
        exposures.extend(dependents::readers_through_objects(loc, &roles));
    }
    exposures.extend(replication::standby());
    if let Some(src) = source {
        exposures.extend(roles::predefined_members(
            &roles,
            src == SecretSource::Table,
        ));
        exposures.extend(roles::createrole(&roles, src == SecretSource::Table));
        exposures.extend(roles::file_readers(&roles));
    }
    Ok(Status {
        configured: configured.is_some(),
        source,
        fingerprint: configured.map(|(_, f)| f),
        exposures,
    })
}

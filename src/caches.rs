//! The per-backend caches: parsed key texts given by callers, the last token header
//! decoded, and the parsed role claim path. Each PostgreSQL backend is one thread, so
//! they are thread-locals; the pure core (`pgrst_jwt_core`) keeps no state of its own
//! and is handed these. (The configured secret's cache lives with its invalidation, in
//! `store`.)

use crate::report::OrRaise;
use pgrst_jwt_core::{
    Checked, HeaderCache, KeyCache, KeySet, Options, Result, RolePath, SecretEncoding, SecretLength,
};
use std::cell::RefCell;
use std::rc::Rc;

/// Bounds of the cache of caller-given key texts: entries, and their total weight (text
/// bytes plus an estimate per parsed key).
const KEY_CACHE_ENTRIES: usize = 32;
const KEY_CACHE_BYTES: usize = 4 << 20;

thread_local! {
    static KEYS: RefCell<KeyCache> = RefCell::new(KeyCache::new(KEY_CACHE_ENTRIES, KEY_CACHE_BYTES));
    static HEADERS: RefCell<HeaderCache> = RefCell::new(HeaderCache::default());
    static ROLE_PATH: RefCell<Option<(String, Rc<RolePath>)>> = const { RefCell::new(None) };
}

/// The keys of a caller-given key text (never base64: that is for the configured secret
/// only), parsed once while cached; a text that is not a key raises.
pub fn keys(text: &str, length: SecretLength) -> Rc<KeySet> {
    KEYS.with(|c| c.borrow_mut().get(text, length, SecretEncoding::Plain))
        .or_raise()
}

/// `pgrst_jwt_core::verify` with this backend's header cache.
pub fn verify(token: &str, keys: &KeySet, opts: &Options) -> Result<String> {
    HEADERS.with(|h| pgrst_jwt_core::verify(token, keys, opts, &mut h.borrow_mut()))
}

/// `pgrst_jwt_core::check` with this backend's header cache.
pub fn check(token: Option<&str>, keys: Result<&KeySet>, opts: &Options) -> Checked {
    HEADERS.with(|h| pgrst_jwt_core::check(token, keys, opts, &mut h.borrow_mut()))
}

/// The parsed role claim path `key`, parsed again only when the setting changed; a path
/// that is not valid raises.
pub fn role_path(key: String) -> Rc<RolePath> {
    let cached = ROLE_PATH.with(|c| {
        c.borrow()
            .as_ref()
            .filter(|(k, _)| *k == key)
            .map(|(_, p)| p.clone())
    });
    if let Some(p) = cached {
        return p;
    }
    let p = Rc::new(RolePath::parse(&key).or_raise());
    ROLE_PATH.with(|c| *c.borrow_mut() = Some((key, p.clone())));
    p
}

//! A small bounded cache of parsed key sets, keyed by the exact key text and how it
//! was read. Each Postgres backend is single-threaded and owns one cache.

use super::set::{KeySet, Use};
use crate::error::Result;
use std::rc::Rc;

struct Entry {
    text: String,
    usage: Use,
    base64: bool,
    keys: Rc<KeySet>,
    used: u64,
}

/// A handful of entries: a linear scan beats hashing the key text.
pub struct KeyCache {
    capacity: usize,
    entries: Vec<Entry>,
    tick: u64,
    /// how many texts were parsed (cache misses), for tests
    pub parses: u64,
}

impl KeyCache {
    pub fn new(capacity: usize) -> KeyCache {
        KeyCache {
            capacity: capacity.max(1),
            entries: Vec::new(),
            tick: 0,
            parses: 0,
        }
    }

    /// The parsed form of `text`; parsed at most once while it stays in the cache.
    pub fn get(&mut self, text: &str, usage: Use, base64: bool) -> Result<Rc<KeySet>> {
        self.tick += 1;
        let tick = self.tick;
        if let Some(e) = self
            .entries
            .iter_mut()
            .find(|e| e.text == text && e.usage == usage && e.base64 == base64)
        {
            e.used = tick;
            return Ok(e.keys.clone());
        }
        let keys = Rc::new(KeySet::parse(text, usage, base64)?);
        self.parses += 1;
        if self.entries.len() >= self.capacity {
            // evict the least recently used
            if let Some(i) = (0..self.entries.len()).min_by_key(|&i| self.entries[i].used) {
                self.entries.swap_remove(i);
            }
        }
        self.entries.push(Entry {
            text: text.to_string(),
            usage,
            base64,
            keys: keys.clone(),
            used: tick,
        });
        Ok(keys)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_once_and_stays_bounded() {
        let mut c = KeyCache::new(2);
        for _ in 0..100 {
            c.get("secret-one", Use::Verify, false).unwrap();
        }
        assert_eq!(c.parses, 1);
        c.get("secret-two", Use::Verify, false).unwrap();
        c.get("secret-one", Use::Verify, false).unwrap();
        c.get("secret-three", Use::Verify, false).unwrap(); // evicts secret-two
        assert_eq!(c.len(), 2);
        assert_eq!(c.parses, 3);
        c.get("secret-one", Use::Verify, false).unwrap();
        assert_eq!(c.parses, 3);
        c.get("secret-two", Use::Verify, false).unwrap();
        assert_eq!(c.parses, 4);
        // a failing parse is not cached and not counted as a hit
        assert!(c.get("", Use::Verify, false).is_err());
    }
}

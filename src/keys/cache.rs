//! A small bounded cache of parsed key sets, keyed by the exact key text and how it
//! was read. Each Postgres backend is single-threaded and owns one cache.

use super::set::{KeySet, Use};
use crate::error::Result;
use std::collections::HashMap;
use std::rc::Rc;

type CacheKey = (String, Use, bool);

pub struct KeyCache {
    capacity: usize,
    map: HashMap<CacheKey, (Rc<KeySet>, u64)>,
    tick: u64,
    /// how many texts were parsed (cache misses), for tests
    pub parses: u64,
}

impl KeyCache {
    pub fn new(capacity: usize) -> KeyCache {
        KeyCache {
            capacity: capacity.max(1),
            map: HashMap::new(),
            tick: 0,
            parses: 0,
        }
    }

    /// The parsed form of `text`; parsed at most once while it stays in the cache.
    pub fn get(&mut self, text: &str, usage: Use, base64: bool) -> Result<Rc<KeySet>> {
        self.tick += 1;
        let tick = self.tick;
        // Look up without allocating the key string.
        if let Some((ks, used)) = self
            .map
            .iter_mut()
            .find(|((t, u, b), _)| t == text && *u == usage && *b == base64)
            .map(|(_, v)| v)
        {
            *used = tick;
            return Ok(ks.clone());
        }
        let parsed = Rc::new(KeySet::parse(text, usage, base64)?);
        self.parses += 1;
        if self.map.len() >= self.capacity {
            if let Some(oldest) = self
                .map
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| k.clone())
            {
                self.map.remove(&oldest);
            }
        }
        self.map
            .insert((text.to_string(), usage, base64), (parsed.clone(), tick));
        Ok(parsed)
    }

    pub fn clear(&mut self) {
        self.map.clear();
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
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

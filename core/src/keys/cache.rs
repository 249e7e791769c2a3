//! A small bounded cache of parsed key sets, keyed by the exact key text and how it
//! was read. Each Postgres backend is single-threaded and owns one cache.
//!
//! The cache lives outside PostgreSQL's memory accounting, and every caller may fill
//! it, so it is bounded three ways: a number of entries, a total weight (the text's
//! bytes plus an estimate per parsed key), and a largest entry weight above which a
//! parsed text is used once and not kept.

use super::set::{KeySet, SecretEncoding, SecretLength};
use crate::error::Result;
use std::rc::Rc;
use zeroize::Zeroizing;

/// Estimated memory of one parsed key (an RSA-8192 key with its verifiers is below).
const KEY_WEIGHT: usize = 8 * 1024;

struct Entry {
    /// the key text (a secret, perhaps): wiped when the entry is dropped
    text: Zeroizing<String>,
    length: SecretLength,
    encoding: SecretEncoding,
    keys: Rc<KeySet>,
    weight: usize,
    used: u64,
}

/// A handful of entries: a linear scan beats hashing the key text.
pub struct KeyCache {
    capacity: usize,
    max_weight: usize,
    max_entry_weight: usize,
    weight: usize,
    entries: Vec<Entry>,
    tick: u64,
    /// how many texts were parsed (cache misses)
    #[cfg(test)]
    parses: u64,
}

impl KeyCache {
    /// At most `capacity` entries weighing `max_weight` bytes together; a text whose
    /// entry would weigh more than `max_weight / 4` is not kept.
    pub fn new(capacity: usize, max_weight: usize) -> KeyCache {
        KeyCache {
            capacity: capacity.max(1),
            max_weight,
            max_entry_weight: max_weight / 4,
            weight: 0,
            entries: Vec::new(),
            tick: 0,
            #[cfg(test)]
            parses: 0,
        }
    }

    /// The parsed form of `text`; parsed at most once while it stays in the cache.
    pub fn get(
        &mut self,
        text: &str,
        length: SecretLength,
        encoding: SecretEncoding,
    ) -> Result<Rc<KeySet>> {
        self.tick += 1;
        let tick = self.tick;
        if let Some(e) = self
            .entries
            .iter_mut()
            .find(|e| e.length == length && e.encoding == encoding && *e.text == text)
        {
            e.used = tick;
            return Ok(e.keys.clone());
        }
        let keys = Rc::new(KeySet::parse(text, length, encoding)?);
        #[cfg(test)]
        {
            self.parses += 1;
        }
        let weight = text.len() + keys.keys.len() * KEY_WEIGHT;
        if weight > self.max_entry_weight {
            return Ok(keys);
        }
        while !self.entries.is_empty()
            && (self.entries.len() >= self.capacity || self.weight + weight > self.max_weight)
        {
            self.evict_least_recently_used();
        }
        self.weight += weight;
        self.entries.push(Entry {
            text: Zeroizing::new(text.to_string()),
            length,
            encoding,
            keys: keys.clone(),
            weight,
            used: tick,
        });
        Ok(keys)
    }

    fn evict_least_recently_used(&mut self) {
        if let Some(i) = (0..self.entries.len()).min_by_key(|&i| self.entries[i].used) {
            let e = self.entries.swap_remove(i);
            self.weight -= e.weight;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl KeyCache {
        fn len(&self) -> usize {
            self.entries.len()
        }
    }

    #[test]
    fn parses_once_and_stays_bounded() {
        let mut c = KeyCache::new(2, 1 << 20);
        for _ in 0..100 {
            c.get("secret-one", SecretLength::Any, SecretEncoding::Plain)
                .unwrap();
        }
        assert_eq!(c.parses, 1);
        c.get("secret-two", SecretLength::Any, SecretEncoding::Plain)
            .unwrap();
        c.get("secret-one", SecretLength::Any, SecretEncoding::Plain)
            .unwrap();
        c.get("secret-three", SecretLength::Any, SecretEncoding::Plain)
            .unwrap(); // evicts secret-two
        assert_eq!(c.len(), 2);
        assert_eq!(c.parses, 3);
        c.get("secret-one", SecretLength::Any, SecretEncoding::Plain)
            .unwrap();
        assert_eq!(c.parses, 3);
        c.get("secret-two", SecretLength::Any, SecretEncoding::Plain)
            .unwrap();
        assert_eq!(c.parses, 4);
        // a failing parse is not cached and not counted as a hit
        assert!(c.get("", SecretLength::Any, SecretEncoding::Plain).is_err());
    }

    #[test]
    fn bounded_by_weight_and_large_texts_are_not_kept() {
        let mut c = KeyCache::new(32, 400_000);
        // an entry heavier than a quarter of the budget is parsed every time
        let big = "b".repeat(150_000);
        c.get(&big, SecretLength::Any, SecretEncoding::Plain)
            .unwrap();
        c.get(&big, SecretLength::Any, SecretEncoding::Plain)
            .unwrap();
        assert_eq!((c.parses, c.len()), (2, 0));
        // 90 kB texts: at most four fit in 400 kB
        for i in 0..20 {
            let t = format!("{i:02}{}", "x".repeat(90_000));
            c.get(&t, SecretLength::Any, SecretEncoding::Plain).unwrap();
            assert!(c.weight <= 400_000, "{}", c.weight);
        }
        assert_eq!(c.len(), 4);
        let recent = format!("19{}", "x".repeat(90_000));
        let parses = c.parses;
        c.get(&recent, SecretLength::Any, SecretEncoding::Plain)
            .unwrap();
        assert_eq!(c.parses, parses, "the most recent text stays cached");
    }
}

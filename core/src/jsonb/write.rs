//! The encoder of [`super`]: a tape of [`Node`]s to `jsonb_in`'s bytes.

use super::*;

/// Lays the tape out as jsonb (`convertJsonbValue` and what it calls).
pub(super) struct Writer<'a> {
    pub(super) text: &'a [u8],
    pub(super) tape: &'a [Node],
    pub(super) decoded: &'a [u8],
    pub(super) out: Vec<u8>,
    /// (key, value) node indexes of the objects being written, innermost last
    pub(super) pairs: Vec<(u32, u32)>,
}

impl<'a> Writer<'a> {
    /// The bytes of the string at tape index `i`.
    pub(super) fn str_at(&self, i: u32) -> &'a [u8] {
        str_bytes(self.text, self.decoded, self.tape[i as usize])
    }

    /// The index of the node after the value at `i` and everything in it.
    pub(super) fn after(&self, i: usize) -> usize {
        match self.tape[i] {
            Node::Array { end, .. } | Node::Object { end, .. } => end as usize,
            _ => i + 1,
        }
    }

    /// Zero bytes up to a 4-byte boundary (`padBufferToInt`); the number added.
    pub(super) fn pad(&mut self) -> usize {
        let n = (4 - self.out.len() % 4) % 4;
        self.out.resize(self.out.len() + n, 0);
        n
    }

    /// Room for `n` JEntries; where they start.
    pub(super) fn reserve(&mut self, n: usize) -> usize {
        let at = self.out.len();
        self.out.resize(at + 4 * n, 0);
        at
    }

    /// Append the data of the value at tape index `i`; its JEntry (type and length),
    /// None when too large.
    pub(super) fn convert(&mut self, i: usize) -> Option<u32> {
        Some(match self.tape[i] {
            Node::Null => JENTRY_ISNULL,
            Node::True => JENTRY_ISBOOL_TRUE,
            Node::False => JENTRY_ISBOOL_FALSE,
            node @ Node::Str { .. } => {
                let s = str_bytes(self.text, self.decoded, node);
                self.out.extend_from_slice(s);
                offlen(s.len())?
            }
            Node::Int(n) => {
                let padding = self.pad();
                JENTRY_ISNUMERIC | offlen(padding + numeric(&mut self.out, n))?
            }
            Node::Array { count, .. } => {
                let base = self.out.len();
                self.pad();
                let n = count as usize;
                let header = JB_FARRAY | offlen(n)?;
                self.out.extend_from_slice(&header.to_le_bytes());
                let entries = self.reserve(n);
                let mut total = 0;
                let mut j = i + 1;
                for k in 0..n {
                    let meta = self.convert(j)?;
                    total = child(&mut self.out, entries, k, meta, total)?;
                    j = self.after(j);
                }
                JENTRY_ISCONTAINER | offlen(self.out.len() - base)?
            }
            Node::Object { count, .. } => {
                let first = self.pairs.len();
                let mut j = i + 1;
                for _ in 0..count {
                    let v = j + 1;
                    self.pairs
                        .push((u32::try_from(j).ok()?, u32::try_from(v).ok()?));
                    j = self.after(v);
                }
                self.unique_keys(first);
                let n = self.pairs.len() - first;
                let base = self.out.len();
                self.pad();
                let header = JB_FOBJECT | offlen(n)?;
                self.out.extend_from_slice(&header.to_le_bytes());
                let entries = self.reserve(2 * n);
                let mut total = 0;
                for k in 0..n {
                    let key = self.str_at(self.pairs[first + k].0);
                    self.out.extend_from_slice(key);
                    total = child(&mut self.out, entries, k, offlen(key.len())?, total)?;
                }
                for k in 0..n {
                    let v = self.pairs[first + k].1 as usize;
                    let meta = self.convert(v)?;
                    total = child(&mut self.out, entries, n + k, meta, total)?;
                }
                self.pairs.truncate(first);
                JENTRY_ISCONTAINER | offlen(self.out.len() - base)?
            }
        })
    }

    /// The pairs from `first` on in jsonb's key order (shorter keys first, then bytewise)
    /// with one pair per key, the last one written (`uniqueifyJsonbObject`).
    pub(super) fn unique_keys(&mut self, first: usize) {
        let (text, decoded, tape) = (self.text, self.decoded, self.tape);
        let key = |i: u32| str_bytes(text, decoded, tape[i as usize]);
        let pairs = &mut self.pairs[first..];
        if pairs.len() < 2 {
            return;
        }
        // stable: pairs with equal keys stay in the order written
        pairs.sort_by(|a, b| {
            let (ka, kb) = (key(a.0), key(b.0));
            ka.len().cmp(&kb.len()).then_with(|| ka.cmp(kb))
        });
        let n = pairs.len();
        let mut w = 0;
        for r in 0..n {
            if r + 1 < n && key(pairs[r].0) == key(pairs[r + 1].0) {
                continue; // a later pair has this key
            }
            pairs[w] = pairs[r];
            w += 1;
        }
        self.pairs.truncate(first + w);
    }
}

/// The bytes of a string node (empty for any other node).
fn str_bytes<'a>(text: &'a [u8], decoded: &'a [u8], node: Node) -> &'a [u8] {
    match node {
        Node::Str {
            at,
            len,
            decoded: d,
        } => {
            let src = if d { decoded } else { text };
            &src[at as usize..at as usize + len as usize]
        }
        _ => &[],
    }
}

pub(super) fn offlen(len: usize) -> Option<u32> {
    u32::try_from(len).ok().filter(|&l| l <= JENTRY_OFFLENMASK)
}

/// Store the `i`th child's JEntry: its length, or every JB_OFFSET_STRIDE'th one the
/// end offset of its data within the container's. The running total is returned.
fn child(out: &mut [u8], entries: usize, i: usize, meta: u32, total: u32) -> Option<u32> {
    let total = total.checked_add(meta & JENTRY_OFFLENMASK)?;
    if total > JENTRY_OFFLENMASK {
        return None;
    }
    let meta = if i.is_multiple_of(JB_OFFSET_STRIDE) {
        (meta & JENTRY_TYPEMASK) | total | JENTRY_HAS_OFF
    } else {
        meta
    };
    out[entries + 4 * i..entries + 4 * i + 4].copy_from_slice(&meta.to_le_bytes());
    Some(total)
}

/// Append the numeric datum `numeric_in` makes of a whole number (its short form: a
/// 4-byte varlena header, the 16-bit header, base-10000 digits without trailing zero
/// digits); its length.
fn numeric(out: &mut Vec<u8>, n: i64) -> usize {
    let mut u = n.unsigned_abs();
    let mut digits = [0u16; 5]; // least significant first
    let mut count = 0;
    while u > 0 {
        digits[count] = (u % NBASE) as u16;
        u /= NBASE;
        count += 1;
    }
    // weight: the power of NBASE of the first digit; trailing zero digits are dropped
    let weight = count.saturating_sub(1) as u16;
    let skip = digits[..count].iter().take_while(|&&d| d == 0).count();
    let kept = &digits[skip..count];
    let mut header = NUMERIC_SHORT | (weight & 0x3F);
    if n < 0 {
        header |= NUMERIC_SHORT_SIGN_MASK;
    }
    let len = 6 + 2 * kept.len();
    out.extend_from_slice(&((len as u32) << 2).to_le_bytes());
    out.extend_from_slice(&header.to_le_bytes());
    for d in kept.iter().rev() {
        out.extend_from_slice(&d.to_le_bytes());
    }
    len
}

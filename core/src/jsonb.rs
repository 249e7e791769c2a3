//! PostgreSQL's `jsonb` binary form built straight from a JSON object's text, the bytes
//! `jsonb_in` would build in a UTF-8 database, without going through PostgreSQL's JSON
//! lexer (which copies every string a character at a time) and `numeric_in`.
//!
//! Only what is certain to come out byte for byte as `jsonb_in` makes it is built here: a
//! top-level object of objects, arrays, strings (any escape but `\u0000` and unpaired
//! surrogates), `true`, `false`, `null` and whole numbers of at most 18 digits written
//! without fraction or exponent. Anything else (another number, a syntax error, deep
//! nesting, a huge value) is [`None`], and the caller hands the text to `jsonb_in`, which
//! decides, as it always has. The layout follows PostgreSQL's `jsonb_util.c`
//! (`convertToJsonb` and the functions it calls) and `numeric.c` (`make_result`), for a
//! little-endian machine (the caller checks): it has not changed since PostgreSQL 9.4.

// src/include/utils/jsonb.h
const JB_FOBJECT: u32 = 0x2000_0000;
const JB_FARRAY: u32 = 0x4000_0000;
const JENTRY_OFFLENMASK: u32 = 0x0FFF_FFFF;
const JENTRY_TYPEMASK: u32 = 0x7000_0000;
const JENTRY_HAS_OFF: u32 = 0x8000_0000;
const JENTRY_ISNUMERIC: u32 = 0x1000_0000;
const JENTRY_ISBOOL_FALSE: u32 = 0x2000_0000;
const JENTRY_ISBOOL_TRUE: u32 = 0x3000_0000;
const JENTRY_ISNULL: u32 = 0x4000_0000;
const JENTRY_ISCONTAINER: u32 = 0x5000_0000;
const JB_OFFSET_STRIDE: usize = 32;
// src/backend/utils/adt/numeric.c
const NUMERIC_SHORT: u16 = 0x8000;
const NUMERIC_SHORT_SIGN_MASK: u16 = 0x2000;
const NBASE: u64 = 10_000;

/// Containers nested deeper than this are left to `jsonb_in`.
const MAX_DEPTH: usize = 64;
/// Whole numbers with more digits are left to `jsonb_in` (18 digits fit an i64).
const MAX_INT_DIGITS: usize = 18;

/// One value of the text, in document order: a container's members follow it (an
/// object's as key, value, key, value...).
#[derive(Clone, Copy)]
enum Node {
    Null,
    True,
    False,
    Int(i64),
    /// `len` bytes at `at` of the text, or of the decoded strings when `decoded`
    Str {
        at: u32,
        len: u32,
        decoded: bool,
    },
    /// `count` elements; `end`: the index of the node after the container's last one
    Array {
        count: u32,
        end: u32,
    },
    /// `count` pairs; `end` as for arrays
    Object {
        count: u32,
        end: u32,
    },
}

/// The `jsonb` datum (4-byte varlena header included, little-endian) that `jsonb_in`
/// makes of `json` in a UTF-8 database, when `json` is an object of the kind described
/// above; None otherwise (the caller uses `jsonb_in`).
pub fn from_json_object(json: &str) -> Option<Vec<u8>> {
    // offsets into the text are u32s; jsonb's own limit is far below
    if json.len() > JENTRY_OFFLENMASK as usize {
        return None;
    }
    let mut p = Parser {
        s: json.as_bytes(),
        i: 0,
        tape: Vec::with_capacity(16),
        decoded: Vec::new(),
    };
    p.skip_ws();
    if p.peek() != Some(b'{') {
        return None;
    }
    p.value(0)?;
    p.skip_ws();
    if p.i != p.s.len() {
        return None;
    }
    let mut w = Writer {
        text: p.s,
        tape: &p.tape,
        decoded: &p.decoded,
        out: Vec::with_capacity(json.len() + 64),
        pairs: Vec::new(),
    };
    w.out.extend_from_slice(&[0; 4]); // the varlena header, set below
    w.convert(0)?;
    let mut out = w.out;
    let len = offlen(out.len())?;
    out[..4].copy_from_slice(&(len << 2).to_le_bytes());
    Some(out)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    tape: Vec<Node>,
    decoded: Vec<u8>,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    /// JSON's whitespace, as PostgreSQL's lexer skips it.
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    fn literal(&mut self, word: &[u8], node: Node) -> Option<()> {
        if !self.s[self.i..].starts_with(word) {
            return None;
        }
        self.i += word.len();
        // "truex" is one (bad) token to PostgreSQL's lexer
        if self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_')
        {
            return None;
        }
        self.tape.push(node);
        Some(())
    }

    /// One value, pushed onto the tape with everything in it.
    fn value(&mut self, depth: usize) -> Option<()> {
        self.skip_ws();
        match self.peek()? {
            b'{' => self.container(depth, b'}'),
            b'[' => self.container(depth, b']'),
            b'"' => self.string(),
            b't' => self.literal(b"true", Node::True),
            b'f' => self.literal(b"false", Node::False),
            b'n' => self.literal(b"null", Node::Null),
            b'-' | b'0'..=b'9' => self.integer(),
            _ => None,
        }
    }

    /// An object (`close` is `}`) or an array (`]`), the opening bracket next.
    fn container(&mut self, depth: usize, close: u8) -> Option<()> {
        crate::interrupt::check();
        if depth >= MAX_DEPTH {
            return None;
        }
        self.i += 1;
        let at = self.tape.len();
        self.tape.push(Node::Null); // replaced below
        let mut count: u32 = 0;
        self.skip_ws();
        if self.peek() == Some(close) {
            self.i += 1;
        } else {
            loop {
                if close == b'}' {
                    self.skip_ws();
                    if self.peek() != Some(b'"') {
                        return None;
                    }
                    self.string()?;
                    self.skip_ws();
                    if self.peek() != Some(b':') {
                        return None;
                    }
                    self.i += 1;
                }
                self.value(depth + 1)?;
                count += 1;
                self.skip_ws();
                match self.peek()? {
                    b',' => self.i += 1,
                    c if c == close => {
                        self.i += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        let end = u32::try_from(self.tape.len()).ok()?;
        self.tape[at] = if close == b'}' {
            Node::Object { count, end }
        } else {
            Node::Array { count, end }
        };
        Some(())
    }

    /// A whole number: `-?(0|[1-9][0-9]*)`, not followed by a fraction, an exponent or
    /// anything else that continues a token.
    fn integer(&mut self) -> Option<()> {
        let neg = self.peek() == Some(b'-');
        if neg {
            self.i += 1;
        }
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        let digits = &self.s[start..self.i];
        if digits.is_empty()
            || digits.len() > MAX_INT_DIGITS
            || (digits[0] == b'0' && digits.len() > 1)
        {
            return None;
        }
        if self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'.' || c == b'_')
        {
            return None;
        }
        let mut n: i64 = 0;
        for &d in digits {
            n = n * 10 + i64::from(d - b'0');
        }
        self.tape.push(Node::Int(if neg { -n } else { n }));
        Some(())
    }

    /// A string (the opening quote is next): its UTF-8 bytes, escapes decoded.
    fn string(&mut self) -> Option<()> {
        self.i += 1;
        let start = self.i;
        // the common case: no escape, the text's own bytes
        let rest = &self.s[start..];
        let stop = rest
            .iter()
            .position(|&c| c == b'"' || c == b'\\' || c < 0x20)?;
        self.i += stop;
        if rest[stop] == b'"' {
            self.i += 1;
            self.tape.push(Node::Str {
                at: start as u32,
                len: stop as u32,
                decoded: false,
            });
            return Some(());
        }
        let at = self.decoded.len();
        self.decoded.extend_from_slice(&rest[..stop]);
        loop {
            match self.peek()? {
                b'"' => {
                    self.i += 1;
                    let len = self.decoded.len() - at;
                    self.tape.push(Node::Str {
                        at: u32::try_from(at).ok()?,
                        len: u32::try_from(len).ok()?,
                        decoded: true,
                    });
                    return Some(());
                }
                b'\\' => {
                    self.i += 1;
                    let c = self.peek()?;
                    self.i += 1;
                    let byte = match c {
                        b'"' | b'\\' | b'/' => c,
                        b'b' => 0x08,
                        b'f' => 0x0c,
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'u' => {
                            let ch = self.unicode_escape()?;
                            let mut tmp = [0u8; 4];
                            self.decoded
                                .extend_from_slice(ch.encode_utf8(&mut tmp).as_bytes());
                            continue;
                        }
                        _ => return None,
                    };
                    self.decoded.push(byte);
                }
                c if c < 0x20 => return None,
                c => {
                    self.decoded.push(c);
                    self.i += 1;
                }
            }
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let h = self.s.get(self.i..self.i + 4)?;
        let mut v = 0;
        for &c in h {
            v = v * 16 + char::from(c).to_digit(16)?;
        }
        self.i += 4;
        Some(v)
    }

    /// After `\u`: a character other than U+0000, a surrogate pair joined; a lone
    /// surrogate is left to `jsonb_in` (which refuses it).
    fn unicode_escape(&mut self) -> Option<char> {
        let hi = self.hex4()?;
        let code = match hi {
            0 => return None,
            0xD800..=0xDBFF => {
                if self.s.get(self.i..self.i + 2) != Some(b"\\u") {
                    return None;
                }
                self.i += 2;
                let lo = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&lo) {
                    return None;
                }
                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
            }
            0xDC00..=0xDFFF => return None,
            c => c,
        };
        char::from_u32(code)
    }
}

/// Lays the tape out as jsonb (`convertJsonbValue` and what it calls).
struct Writer<'a> {
    text: &'a [u8],
    tape: &'a [Node],
    decoded: &'a [u8],
    out: Vec<u8>,
    /// (key, value) node indexes of the objects being written, innermost last
    pairs: Vec<(u32, u32)>,
}

impl<'a> Writer<'a> {
    /// The bytes of the string at tape index `i`.
    fn str_at(&self, i: u32) -> &'a [u8] {
        str_bytes(self.text, self.decoded, self.tape[i as usize])
    }

    /// The index of the node after the value at `i` and everything in it.
    fn after(&self, i: usize) -> usize {
        match self.tape[i] {
            Node::Array { end, .. } | Node::Object { end, .. } => end as usize,
            _ => i + 1,
        }
    }

    /// Zero bytes up to a 4-byte boundary (`padBufferToInt`); the number added.
    fn pad(&mut self) -> usize {
        let n = (4 - self.out.len() % 4) % 4;
        self.out.resize(self.out.len() + n, 0);
        n
    }

    /// Room for `n` JEntries; where they start.
    fn reserve(&mut self, n: usize) -> usize {
        let at = self.out.len();
        self.out.resize(at + 4 * n, 0);
        at
    }

    /// Append the data of the value at tape index `i`; its JEntry (type and length),
    /// None when too large.
    fn convert(&mut self, i: usize) -> Option<u32> {
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
    fn unique_keys(&mut self, first: usize) {
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

fn offlen(len: usize) -> Option<u32> {
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

#[cfg(test)]
mod tests;

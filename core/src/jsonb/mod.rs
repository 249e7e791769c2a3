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
pub(crate) const JB_FOBJECT: u32 = 0x2000_0000;
pub(crate) const JB_FARRAY: u32 = 0x4000_0000;
pub(crate) const JENTRY_OFFLENMASK: u32 = 0x0FFF_FFFF;
pub(crate) const JENTRY_TYPEMASK: u32 = 0x7000_0000;
pub(crate) const JENTRY_HAS_OFF: u32 = 0x8000_0000;
pub(crate) const JENTRY_ISNUMERIC: u32 = 0x1000_0000;
pub(crate) const JENTRY_ISBOOL_FALSE: u32 = 0x2000_0000;
pub(crate) const JENTRY_ISBOOL_TRUE: u32 = 0x3000_0000;
pub(crate) const JENTRY_ISNULL: u32 = 0x4000_0000;
pub(crate) const JENTRY_ISCONTAINER: u32 = 0x5000_0000;
pub(crate) const JB_OFFSET_STRIDE: usize = 32;
// src/backend/utils/adt/numeric.c
pub(crate) const NUMERIC_SHORT: u16 = 0x8000;
pub(crate) const NUMERIC_SHORT_SIGN_MASK: u16 = 0x2000;
pub(crate) const NBASE: u64 = 10_000;

/// Containers nested deeper than this are left to `jsonb_in`.
pub(crate) const MAX_DEPTH: usize = 64;
/// Whole numbers with more digits are left to `jsonb_in` (18 digits fit an i64).
pub(crate) const MAX_INT_DIGITS: usize = 18;

/// One value of the text, in document order: a container's members follow it (an
/// object's as key, value, key, value...).
#[derive(Clone, Copy)]
pub(crate) enum Node {
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
    use parse::Parser;
    use write::{offlen, Writer};
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

mod parse;
#[cfg(test)]
mod tests;
mod write;

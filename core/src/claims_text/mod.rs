//! The claims text for signing: one validating pass over the caller's JSON text that
//! writes it back normalised, as compact JSON (no insignificant whitespace) in the
//! input's key order, with the time claims `exp`, `nbf` and `iat` truncated to whole
//! seconds (PostgREST reads a fractional time claim as 0; a name is the string it stands
//! for, so an escaped `"\u0065xp"` is `exp` too). No intermediate tree is built.
//! (Not to be confused with the JWS compact serialization of a token, `token.rs`.)

use crate::error::{JwtError, Kind, Result};
use crate::numeric::truncate_seconds;
use std::borrow::Cow;
use std::collections::HashSet;

mod unescape;
pub use unescape::unescape_non_ascii;

const MAX_DEPTH: usize = 128;
const TIME_CLAIMS: [&str; 3] = ["exp", "nbf", "iat"];

/// How the claims text reached us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimsForm {
    /// jsonb's text form: its names are unique already
    Jsonb,
    /// json or text as the caller wrote it: a repeated top-level name is refused (names
    /// are compared unescaped: `"r\u006fle"` repeats `"role"`)
    AsWritten,
}

/// Validate `input` as a JSON object and append its normalised form to `out`.
pub fn normalize(input: &str, out: &mut String, form: ClaimsForm) -> Result<()> {
    let check_duplicates = form == ClaimsForm::AsWritten;
    let mut p = Parser {
        s: input.as_bytes(),
        src: input,
        i: 0,
        out,
        names: Names::default(),
        check_duplicates,
    };
    p.ws();
    if p.peek() != Some(b'{') {
        return Err(match p.peek() {
            None => JwtError::with_detail(Kind::ClaimsInvalidJson, "the input is empty"),
            Some(_) if serde_json::from_str::<serde::de::IgnoredAny>(input).is_ok() => {
                JwtError::with_detail(
                    Kind::ClaimsNotObject,
                    "claims must be an object like {\"role\":\"web_user\"}",
                )
            }
            Some(_) => p.invalid(),
        });
    }
    p.value(0)?;
    p.ws();
    if p.i != p.s.len() {
        return Err(p.invalid());
    }
    Ok(())
}

/// Top-level claim names seen so far, unescaped: a short list scanned linearly, then a
/// hash set (a text with many names must not cost quadratic time).
#[derive(Default)]
struct Names<'a> {
    few: Vec<Cow<'a, str>>,
    many: Option<HashSet<Cow<'a, str>>>,
}

impl<'a> Names<'a> {
    const FEW: usize = 16;

    /// False when `name` was seen before.
    fn insert(&mut self, name: Cow<'a, str>) -> bool {
        if let Some(set) = &mut self.many {
            return set.insert(name);
        }
        if self.few.contains(&name) {
            return false;
        }
        self.few.push(name);
        if self.few.len() > Self::FEW {
            self.many = Some(self.few.drain(..).collect());
        }
        true
    }
}

struct Parser<'a, 'o> {
    s: &'a [u8],
    src: &'a str,
    i: usize,
    out: &'o mut String,
    names: Names<'a>,
    check_duplicates: bool,
}

impl<'a> Parser<'a, '_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    fn invalid(&self) -> JwtError {
        JwtError::with_detail(
            Kind::ClaimsInvalidJson,
            format!("unexpected input at byte {}", self.i),
        )
    }

    fn expect(&mut self, b: u8) -> Result<()> {
        if self.peek() == Some(b) {
            self.i += 1;
            self.out.push(b as char);
            Ok(())
        } else {
            Err(self.invalid())
        }
    }

    fn value(&mut self, depth: usize) -> Result<()> {
        if depth > MAX_DEPTH {
            return Err(JwtError::with_detail(
                Kind::ClaimsInvalidJson,
                format!("nesting deeper than {MAX_DEPTH}"),
            ));
        }
        self.ws();
        match self.peek() {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => self.string().map(|_| ()),
            Some(b'-' | b'0'..=b'9') => self.number().map(|_| ()),
            Some(b't') => self.literal("true"),
            Some(b'f') => self.literal("false"),
            Some(b'n') => self.literal("null"),
            _ => Err(self.invalid()),
        }
    }

    fn literal(&mut self, word: &str) -> Result<()> {
        if self.s[self.i..].starts_with(word.as_bytes()) {
            self.i += word.len();
            self.out.push_str(word);
            Ok(())
        } else {
            Err(self.invalid())
        }
    }

    fn object(&mut self, depth: usize) -> Result<()> {
        self.expect(b'{')?;
        self.ws();
        if self.peek() == Some(b'}') {
            return self.expect(b'}');
        }
        loop {
            crate::interrupt::check();
            self.ws();
            if self.peek() != Some(b'"') {
                return Err(self.invalid());
            }
            if depth > 0 {
                self.string()?;
                self.ws();
                self.expect(b':')?;
                self.value(depth + 1)?;
            } else {
                // a claim is the string its name stands for: "r\u006fle" is "role"
                let name = self.name()?;
                self.ws();
                self.expect(b':')?;
                let claim = TIME_CLAIMS.iter().find(|c| **c == name);
                if self.check_duplicates && !self.names.insert(name.clone()) {
                    return Err(JwtError::with_detail(
                        Kind::DuplicateClaim,
                        format!(
                            "{} appears more than once",
                            serde_json::Value::from(crate::error::truncate(&name, 64))
                        ),
                    ));
                }
                if let Some(claim) = claim {
                    self.time_claim(claim)?;
                } else {
                    self.value(depth + 1)?;
                }
            }
            self.ws();
            match self.peek() {
                Some(b',') => self.expect(b',')?,
                Some(b'}') => return self.expect(b'}'),
                _ => return Err(self.invalid()),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<()> {
        self.expect(b'[')?;
        self.ws();
        if self.peek() == Some(b']') {
            return self.expect(b']');
        }
        loop {
            crate::interrupt::check();
            self.value(depth + 1)?;
            self.ws();
            match self.peek() {
                Some(b',') => self.expect(b',')?,
                Some(b']') => return self.expect(b']'),
                _ => return Err(self.invalid()),
            }
        }
    }

    /// Copies a string token; returns its raw content (between the quotes, escapes kept).
    fn string(&mut self) -> Result<&'a str> {
        let start = self.i;
        self.i += 1;
        loop {
            match self.peek() {
                None => return Err(self.invalid()),
                Some(b'"') => break,
                Some(b'\\') => {
                    self.i += 1;
                    match self.peek() {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.i += 1,
                        Some(b'u') => self.unicode_escape()?,
                        _ => return Err(self.invalid()),
                    }
                }
                Some(c) if c < 0x20 => return Err(self.invalid()),
                Some(_) => self.i += 1,
            }
        }
        self.i += 1;
        self.out.push_str(&self.src[start..self.i]);
        Ok(&self.src[start + 1..self.i - 1])
    }

    /// A top-level name: copied like any string token, returned unescaped.
    fn name(&mut self) -> Result<Cow<'a, str>> {
        let start = self.i;
        let raw = self.string()?;
        if !raw.contains('\\') {
            return Ok(Cow::Borrowed(raw));
        }
        // a valid string token (checked by `string`): serde_json reads its escapes
        serde_json::from_str::<String>(&self.src[start..self.i])
            .map(Cow::Owned)
            .map_err(|_| self.invalid())
    }

    /// `\\uXXXX` (the `u` at `self.i`), which must stand for a character: UTF-16
    /// surrogates come in pairs (serde_json and jsonb refuse a lone one), and U+0000 is
    /// refused because PostgreSQL's jsonb cannot hold it (such claims could not be
    /// verified back into jsonb).
    fn unicode_escape(&mut self) -> Result<()> {
        let unit = self.hex4(self.i + 1).ok_or_else(|| self.invalid())?;
        self.i += 5;
        match unit {
            0 => Err(JwtError::with_detail(
                Kind::ClaimsInvalidJson,
                "\\u0000 is not allowed: PostgreSQL's jsonb cannot hold it",
            )),
            0xD800..=0xDBFF => {
                let low = (self.s.get(self.i..self.i + 2) == Some(b"\\u"))
                    .then(|| self.hex4(self.i + 2))
                    .flatten();
                match low {
                    Some(0xDC00..=0xDFFF) => {
                        self.i += 6;
                        Ok(())
                    }
                    _ => Err(self.lone_surrogate()),
                }
            }
            0xDC00..=0xDFFF => Err(self.lone_surrogate()),
            _ => Ok(()),
        }
    }

    fn hex4(&self, at: usize) -> Option<u32> {
        let h = self.s.get(at..at + 4)?;
        if !h.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()
    }

    fn lone_surrogate(&self) -> JwtError {
        JwtError::with_detail(
            Kind::ClaimsInvalidJson,
            format!("a lone UTF-16 surrogate escape before byte {}", self.i),
        )
    }

    /// Scans a number token without copying it; returns its text.
    fn scan_number(&mut self) -> Result<&'a str> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.invalid()),
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.invalid());
            }
            self.digits();
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.invalid());
            }
            self.digits();
        }
        Ok(&self.src[start..self.i])
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
    }

    fn number(&mut self) -> Result<&'a str> {
        let n = self.scan_number()?;
        // beyond a double's range most JSON readers fail (serde_json refuses it, many
        // others read infinity): only numbers that could be that large are parsed
        if (n.len() > 300 || n.contains(['e', 'E']))
            && n.parse::<f64>().map_or(true, f64::is_infinite)
        {
            return Err(JwtError::with_detail(
                Kind::ClaimsInvalidJson,
                format!("a number beyond a double's range before byte {}", self.i),
            ));
        }
        self.out.push_str(n);
        Ok(n)
    }

    fn time_claim(&mut self, claim: &'static str) -> Result<()> {
        self.ws();
        if !matches!(self.peek(), Some(b'-' | b'0'..=b'9')) {
            return Err(JwtError::with_detail(
                Kind::TimeClaimNotNumber(claim),
                "PostgREST refuses such a token",
            ));
        }
        let n = self.scan_number()?;
        // whole numbers too: one beyond 64 bits would be read as 0 (expired) by PostgREST
        let secs = truncate_seconds(n).ok_or_else(|| {
            JwtError::with_detail(Kind::TimeClaimOutOfRange(claim), "it must fit in 64 bits")
        })?;
        self.out.push_str(&secs.to_string());
        Ok(())
    }
}

#[cfg(test)]
mod tests;

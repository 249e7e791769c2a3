//! Claims for signing: one validating pass over the JSON text that writes it back as
//! compact JSON in the input's key order, with the time claims `exp`, `nbf` and `iat`
//! truncated to whole seconds (PostgREST reads a fractional time claim as 0).
//! No intermediate tree is built.

use crate::error::{JwtError, Kind, Result};
use crate::numeric::truncate_seconds;
use std::collections::HashSet;

const MAX_DEPTH: usize = 128;
const TIME_CLAIMS: [&str; 3] = ["exp", "nbf", "iat"];

/// Validate `input` as a JSON object and append its compact form to `out`.
/// `check_duplicates` refuses repeated top-level names (json/text input; jsonb has none).
pub fn compact_claims(input: &str, out: &mut String, check_duplicates: bool) -> Result<()> {
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

/// Top-level claim names seen so far: a short list scanned linearly, then a hash set
/// (a text with many names must not cost quadratic time).
#[derive(Default)]
struct Names<'a> {
    few: Vec<&'a str>,
    many: Option<HashSet<&'a str>>,
}

impl<'a> Names<'a> {
    const FEW: usize = 16;

    /// False when `name` was seen before.
    fn insert(&mut self, name: &'a str) -> bool {
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
            let name = self.string()?;
            self.ws();
            self.expect(b':')?;
            if depth == 0 {
                if self.check_duplicates && !self.names.insert(name) {
                    return Err(JwtError::with_detail(
                        Kind::DuplicateClaim,
                        format!(
                            "\"{}\" appears more than once",
                            crate::alg::truncate(name, 64)
                        ),
                    ));
                }
                if let Some(claim) = TIME_CLAIMS.iter().find(|c| **c == name) {
                    self.time_claim(claim)?;
                } else {
                    self.value(depth + 1)?;
                }
            } else {
                self.value(depth + 1)?;
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
                        Some(b'u') => {
                            let hex = self.s.get(self.i + 1..self.i + 5);
                            if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                                return Err(self.invalid());
                            }
                            self.i += 5;
                        }
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
mod tests {
    use super::*;

    fn c(s: &str) -> Result<String> {
        let mut out = String::new();
        compact_claims(s, &mut out, true).map(|_| out)
    }

    #[test]
    fn compacts_in_input_order() {
        assert_eq!(
            c("{ \"role\" : \"web\",\n \"a\": [1, 2.5e3, {\"x\" : null}], \"b\":true }").unwrap(),
            r#"{"role":"web","a":[1,2.5e3,{"x":null}],"b":true}"#
        );
        assert_eq!(
            c(r#"{"s":"a \"q\" \u00e9 ,: {"}"#).unwrap(),
            r#"{"s":"a \"q\" \u00e9 ,: {"}"#
        );
        assert_eq!(c("{}").unwrap(), "{}");
    }

    #[test]
    fn time_claims_become_whole_seconds() {
        assert_eq!(
            c(r#"{"exp": 1764345678.987654, "nbf": 1.7e9, "iat": -2.5, "x": 1.5}"#).unwrap(),
            r#"{"exp":1764345678,"nbf":1700000000,"iat":-2,"x":1.5}"#
        );
        assert_eq!(c(r#"{"exp": 12e-1}"#).unwrap(), r#"{"exp":1}"#);
        assert_eq!(c(r#"{"exp": 0.0}"#).unwrap(), r#"{"exp":0}"#);
        assert_eq!(c(r#"{"exp": -0}"#).unwrap(), r#"{"exp":0}"#);
        assert_eq!(
            c(r#"{"exp": 9223372036854775808}"#).unwrap_err().kind,
            Kind::TimeClaimOutOfRange("exp")
        );
        assert_eq!(
            c(r#"{"exp": 9223372036854775807}"#).unwrap(),
            r#"{"exp":9223372036854775807}"#
        );
        assert_eq!(c(r#"{"n":{"exp": 1.5}}"#).unwrap(), r#"{"n":{"exp":1.5}}"#);
        assert_eq!(
            c(r#"{"exp": 1e30}"#).unwrap_err().kind,
            Kind::TimeClaimOutOfRange("exp")
        );
        assert_eq!(
            c(r#"{"exp": "soon"}"#).unwrap_err().kind,
            Kind::TimeClaimNotNumber("exp")
        );
        assert_eq!(
            c(r#"{"iat": null}"#).unwrap_err().kind,
            Kind::TimeClaimNotNumber("iat")
        );
    }

    #[test]
    fn refuses_non_objects_bad_json_and_duplicates() {
        assert_eq!(c("[1]").unwrap_err().kind, Kind::ClaimsNotObject);
        assert_eq!(c("\"x\"").unwrap_err().kind, Kind::ClaimsNotObject);
        assert_eq!(c("").unwrap_err().kind, Kind::ClaimsInvalidJson);
        for bad in [
            "{",
            "{\"a\"}",
            "{\"a\":}",
            "{\"a\":1,}",
            "{\"a\":01}",
            "{\"a\":1.}",
            "{\"a\":tru}",
            "{\"a\":\"\\x\"}",
            "{\"a\":\"\u{1}\"}",
            "{\"a\":1} x",
            "{a:1}",
            "{\"a\":-}",
            "{\"a\":\"\\u12g4\"}",
            "{\"a\":[1 2]}",
        ] {
            assert_eq!(c(bad).unwrap_err().kind, Kind::ClaimsInvalidJson, "{bad}");
        }
        assert_eq!(
            c(r#"{"a":1,"a":2}"#).unwrap_err().kind,
            Kind::DuplicateClaim
        );
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(200), "]".repeat(200));
        assert_eq!(c(&deep).unwrap_err().kind, Kind::ClaimsInvalidJson);
    }
}

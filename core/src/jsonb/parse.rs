//! The tokenizer of [`super`]: the text to a tape of [`Node`]s in document order.

use super::*;

pub(super) struct Parser<'a> {
    pub(super) s: &'a [u8],
    pub(super) i: usize,
    pub(super) tape: Vec<Node>,
    pub(super) decoded: Vec<u8>,
}

impl Parser<'_> {
    pub(super) fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    /// JSON's whitespace, as PostgreSQL's lexer skips it.
    pub(super) fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    pub(super) fn literal(&mut self, word: &[u8], node: Node) -> Option<()> {
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
    pub(super) fn value(&mut self, depth: usize) -> Option<()> {
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
    pub(super) fn container(&mut self, depth: usize, close: u8) -> Option<()> {
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
    pub(super) fn integer(&mut self) -> Option<()> {
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
    pub(super) fn string(&mut self) -> Option<()> {
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

    pub(super) fn hex4(&mut self) -> Option<u32> {
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
    pub(super) fn unicode_escape(&mut self) -> Option<char> {
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

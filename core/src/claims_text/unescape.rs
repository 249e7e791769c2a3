//! Writing `\uXXXX` escapes of non-ASCII characters as the characters themselves.

/// The JSON text with every `\uXXXX` escape of a non-ASCII character (surrogate pairs
/// joined) written as the character itself; other escapes, and lone surrogates, are kept.
/// For databases whose JSON input does not take such escapes (SQL_ASCII) while it takes
/// the characters; strings are found by their quotes, so keys and values alike.
pub fn unescape_non_ascii(json: &str) -> std::borrow::Cow<'_, str> {
    if !json.contains("\\u") {
        return std::borrow::Cow::Borrowed(json);
    }
    let hex4 = |s: &str| -> Option<u32> {
        (s.len() >= 4 && s.is_char_boundary(4))
            .then(|| u32::from_str_radix(&s[..4], 16).ok())
            .flatten()
    };
    let mut out = String::with_capacity(json.len());
    let mut in_string = false;
    let mut rest = json;
    while let Some(c) = rest.chars().next() {
        if !in_string {
            in_string = c == '"';
            out.push(c);
            rest = &rest[c.len_utf8()..];
            continue;
        }
        match c {
            '"' => {
                in_string = false;
                out.push(c);
                rest = &rest[1..];
            }
            '\\' if rest[1..].starts_with('u') => {
                let first = hex4(&rest[2..]);
                let pair = first
                    .filter(|u| (0xD800..0xDC00).contains(u))
                    .and_then(|hi| {
                        rest[6..]
                            .strip_prefix("\\u")
                            .and_then(hex4)
                            .filter(|lo| (0xDC00..0xE000).contains(lo))
                            .map(|lo| 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
                    });
                match (first, pair) {
                    (_, Some(cp)) => {
                        out.extend(char::from_u32(cp));
                        rest = &rest[12..];
                    }
                    (Some(u), None) if u >= 0x80 && char::from_u32(u).is_some() => {
                        out.extend(char::from_u32(u));
                        rest = &rest[6..];
                    }
                    _ => {
                        out.push_str(&rest[..2]);
                        rest = &rest[2..];
                    }
                }
            }
            '\\' => {
                // any other escape: kept as it is (two characters)
                let next = rest[1..].chars().next().map_or(0, char::len_utf8);
                out.push_str(&rest[..1 + next]);
                rest = &rest[1 + next..];
            }
            _ => {
                out.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    std::borrow::Cow::Owned(out)
}

//! PostgREST's readings of its configuration values, for the settings that mirror them:
//! `jwt-secret-is-base64` (a boolean as its config parser reads one) and `jwt-aud` (a
//! string, or, when it holds a `:`, a URI by RFC 3986).

/// A boolean as PostgREST's config parser reads a text (`coerceBool`): the letters of the
/// text, case-insensitively, `true` or `false`; else an integer, true when above 0; else
/// not a boolean (PostgREST then takes the default, false). `on`, `yes`, `t` are not
/// booleans there.
pub fn postgrest_bool(text: &str) -> Option<bool> {
    let letters: String = text
        .chars()
        .filter(|c| c.is_alphabetic())
        .flat_map(char::to_lowercase)
        .collect();
    match letters.as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => text.trim().parse::<i128>().ok().map(|n| n > 0),
    }
}

/// Whether PostgREST accepts `value` as `jwt-aud`: any string without `:`, or an absolute
/// URI by RFC 3986 (`scheme ":" hier-part ["?" query] ["#" fragment]`: only URI
/// characters, `%` followed by two hex digits, brackets only around an IP literal host).
pub fn audience_ok(value: &str) -> bool {
    !value.contains(':') || is_uri(value)
}

fn is_uri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let mut sc = scheme.chars();
    if !sc.next().is_some_and(|c| c.is_ascii_alphabetic())
        || !sc.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    {
        return false;
    }
    let (before_fragment, fragment) = match rest.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (rest, None),
    };
    if fragment.is_some_and(|f| f.contains('#') || !uri_chars(f)) {
        return false;
    }
    // brackets only around the host of an authority: //[v6 or vFuture]:port/...
    let hier = match before_fragment.strip_prefix("//") {
        Some(after) if after.contains(['[', ']']) => {
            let end = after.find(['/', '?']).unwrap_or(after.len());
            let authority = &after[..end];
            let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            let Some((literal, port)) = host.strip_prefix('[').and_then(|h| h.split_once(']'))
            else {
                return false;
            };
            let port_ok = port.is_empty()
                || port
                    .strip_prefix(':')
                    .is_some_and(|p| p.bytes().all(|c| c.is_ascii_digit()));
            if literal.is_empty()
                || !literal
                    .bytes()
                    .all(|c| c.is_ascii_hexdigit() || matches!(c, b':' | b'.'))
                || !port_ok
                || !uri_chars(&authority[..authority.len() - host.len()])
            {
                return false;
            }
            &after[end..]
        }
        _ => before_fragment,
    };
    uri_chars(hier)
}

/// Only RFC 3986 characters: unreserved, sub-delims, `:` `@` `/` `?`, and `%HH`.
fn uri_chars(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = |j: usize| b.get(j).is_some_and(u8::is_ascii_hexdigit);
            if !(hex(i + 1) && hex(i + 2)) {
                return false;
            }
            i += 3;
            continue;
        }
        let c = b[i];
        let ok = c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b':'
                    | b'@'
                    | b'/'
                    | b'?'
            );
        if !ok {
            return false;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_as_postgrest_reads_them() {
        for t in ["true", "TRUE", "True", "tRuE", "\"true\"", " true "] {
            assert_eq!(postgrest_bool(t), Some(true), "{t}");
        }
        for t in ["false", "FALSE", "0", "-3"] {
            assert_eq!(postgrest_bool(t), Some(false), "{t}");
        }
        assert_eq!(postgrest_bool("1"), Some(true));
        assert_eq!(postgrest_bool("2"), Some(true));
        for t in ["on", "off", "yes", "no", "t", "f", "y", "", "1.0"] {
            assert_eq!(postgrest_bool(t), None, "{t}");
        }
    }

    #[test]
    fn audiences_as_postgrest_accepts_them() {
        for a in [
            "my-api",
            "anything at all",
            "https://api.example.com",
            "urn:example:api",
            "https://api.example.com/v1?x=1#frag",
            "http://[::1]:3000/",
            "mailto:a@b.c",
            "https://a.example/%C3%A9",
        ] {
            assert!(audience_ok(a), "{a}");
        }
        for a in [
            "foo://%%$$^^.com",
            "1http://x",
            ":nothing",
            "http://a b",
            "https://x/%zz",
            "http://x/#a#b",
            "http://[zz]/",
            "https://x^y",
        ] {
            assert!(!audience_ok(a), "{a}");
        }
    }
}

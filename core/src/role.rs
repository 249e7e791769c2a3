//! The role PostgREST takes from the claims: `jwt-role-claim-key`, an RFC 9535 JSONPath
//! (`$.role`, the default), or PostgREST's older syntax (`.role`, `."https://x".role`,
//! `.roles[0]`, `.roles[?(@ == "admin")]`). First match wins; a non-string value is
//! JSON-encoded; no match means PostgREST's anonymous role (None here).

use crate::error::{JwtError, Kind, Result};
use serde_json::Value;
use serde_json_path::JsonPath;

pub const DEFAULT_KEY: &str = "$.role";

/// Longest role claim path accepted.
pub const MAX_PATH_BYTES: usize = 512;
/// Deepest nesting of brackets and parentheses accepted. JSONPath parsing recurses on
/// nesting (5,000 levels overflow the stack) and nested filters cost time exponential
/// in their depth (about 0.5 ms at 8 levels, 1.7 s at 20).
pub const MAX_PATH_NESTING: usize = 8;

/// Checks a path's size and nesting before it reaches any parser.
fn check_bounds(key: &str) -> std::result::Result<(), String> {
    if key.len() > MAX_PATH_BYTES {
        return Err(format!(
            "the path has {} bytes; at most {MAX_PATH_BYTES} are accepted",
            key.len()
        ));
    }
    let (mut depth, mut deepest) = (0usize, 0usize);
    for b in key.bytes() {
        match b {
            b'[' | b'(' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    // serde_json_path 0.7 panics on a \\u escape without four hex digits (found by
    // fuzzing): such a path is not valid RFC 9535 anyway
    let bytes = key.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' {
            if bytes.get(i + 1) == Some(&b'u') {
                let hex = bytes.get(i + 2..i + 6);
                if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                    return Err("a \\u escape needs four hexadecimal digits".to_string());
                }
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    // a descendant segment visits the whole claims tree; one inside a filter visits it
    // once per node, so more than one costs time polynomial in the claims' size
    if key.matches("..").count() > 1 {
        return Err("at most one descendant segment (..) is accepted".to_string());
    }
    if deepest > MAX_PATH_NESTING {
        return Err(format!(
            "brackets and parentheses nest {deepest} deep; at most {MAX_PATH_NESTING} are accepted"
        ));
    }
    Ok(())
}

pub enum RolePath {
    Rfc9535(JsonPath),
    Legacy(Vec<Step>),
}

#[derive(Debug, PartialEq)]
pub enum Step {
    Key(String),
    Index(usize),
    Filter(Op, String),
}

#[derive(Debug, PartialEq, Clone, Copy)]
pub enum Op {
    Eq,
    Ne,
    StartsWith,
    EndsWith,
    Contains,
}

impl RolePath {
    pub fn parse(key: &str) -> Result<RolePath> {
        let key = key.trim();
        let bad = |why: &str| {
            JwtError::with_detail(
                Kind::InvalidArgument("pgrst.jwt_role_claim_key"),
                format!("{why}: {}", crate::error::truncate(key, 80)),
            )
        };
        check_bounds(key).map_err(|why| bad(&why))?;
        if key.starts_with('$') {
            // serde_json_path 0.7 can panic on some malformed paths ("entered unreachable
            // code", found by fuzzing): a panic is a refusal like any parse error
            return std::panic::catch_unwind(|| JsonPath::parse(key))
                .ok()
                .and_then(|r| r.ok())
                .map(RolePath::Rfc9535)
                .ok_or_else(|| bad("not a valid RFC 9535 JSONPath"));
        }
        parse_legacy(key)
            .map(RolePath::Legacy)
            .ok_or_else(|| bad("not a valid JSONPath"))
    }

    /// Whether the path uses PostgREST's older JSPath syntax (v14 and before), which
    /// PostgREST 16.2+ still reads but warns about.
    pub fn is_deprecated_syntax(&self) -> bool {
        matches!(self, RolePath::Legacy(_))
    }

    /// The role for these claims, or None.
    pub fn role(&self, claims: &Value) -> Option<String> {
        let found = match self {
            RolePath::Rfc9535(p) => std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                p.query(claims).first().cloned()
            }))
            .ok()
            .flatten(),
            RolePath::Legacy(steps) => walk(claims, steps).cloned(),
        }?;
        Some(match found {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    }
}

fn walk<'a>(mut v: &'a Value, steps: &[Step]) -> Option<&'a Value> {
    for (i, step) in steps.iter().enumerate() {
        v = match (step, v) {
            (Step::Key(k), Value::Object(o)) => o.get(k)?,
            (Step::Index(n), Value::Array(a)) => a.get(*n)?,
            // a filter is only allowed last, over an array of strings
            (Step::Filter(op, pat), Value::Array(a)) if i == steps.len() - 1 => {
                return a
                    .iter()
                    .find(|x| x.as_str().is_some_and(|s| matches(*op, s, pat)));
            }
            _ => return None,
        };
    }
    Some(v)
}

fn matches(op: Op, s: &str, pat: &str) -> bool {
    match op {
        Op::Eq => s == pat,
        Op::Ne => s != pat,
        Op::StartsWith => s.starts_with(pat),
        Op::EndsWith => s.ends_with(pat),
        Op::Contains => s.contains(pat),
    }
}

fn parse_legacy(src: &str) -> Option<Vec<Step>> {
    let mut steps = Vec::new();
    let mut rest = src;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            if let Some(r) = r.strip_prefix('"') {
                let end = r.find('"')?;
                steps.push(Step::Key(r[..end].to_string()));
                rest = &r[end + 1..];
            } else {
                let end = r
                    .find(|c: char| !(c.is_alphanumeric() || "_$@-".contains(c)))
                    .unwrap_or(r.len());
                if end == 0 {
                    return None;
                }
                steps.push(Step::Key(r[..end].to_string()));
                rest = &r[end..];
            }
        } else if let Some(r) = rest.strip_prefix("[?(@") {
            let r = r.trim_start();
            let (op, r) = [
                ("==^", Op::EndsWith),
                ("^==", Op::StartsWith),
                ("*==", Op::Contains),
                ("==", Op::Eq),
                ("!=", Op::Ne),
            ]
            .iter()
            .find_map(|(tok, op)| r.strip_prefix(tok).map(|r| (*op, r)))?;
            let r = r.trim_start().strip_prefix('"')?;
            let end = r.find('"')?;
            let pat = r[..end].to_string();
            rest = r[end + 1..].trim_start().strip_prefix(")]")?;
            steps.push(Step::Filter(op, pat));
        } else if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            steps.push(Step::Index(r[..end].trim().parse().ok()?));
            rest = &r[end + 1..];
        } else {
            return None;
        }
    }
    Some(steps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn role(key: &str, claims: Value) -> Option<String> {
        RolePath::parse(key).unwrap().role(&claims)
    }

    #[test]
    fn rfc9535_paths() {
        assert_eq!(
            role(DEFAULT_KEY, json!({"role": "web"})),
            Some("web".into())
        );
        assert_eq!(role("$.role", json!({"x": 1})), None);
        assert_eq!(
            role(
                "$['https://example.com/claims'].role",
                json!({"https://example.com/claims": {"role": "a"}})
            ),
            Some("a".into())
        );
        assert_eq!(
            role("$.roles[1]", json!({"roles": ["a", "b"]})),
            Some("b".into())
        );
        assert_eq!(
            role(
                "$.roles[?@ == 'admin']",
                json!({"roles": ["user", "admin"]})
            ),
            Some("admin".into())
        );
        // non-string values are JSON-encoded
        assert_eq!(role("$.n", json!({"n": 5})), Some("5".into()));
        assert_eq!(
            role("$.o", json!({"o": {"a": 1}})),
            Some("{\"a\":1}".into())
        );
        assert!(RolePath::parse("$[").is_err());
    }

    #[test]
    fn legacy_paths() {
        assert_eq!(role(".role", json!({"role": "web"})), Some("web".into()));
        assert_eq!(
            role(
                ".\"https://x.com/claims\".role",
                json!({"https://x.com/claims": {"role": "r"}})
            ),
            Some("r".into())
        );
        assert_eq!(
            role(".roles[0]", json!({"roles": ["first", "second"]})),
            Some("first".into())
        );
        assert_eq!(role(".roles[5]", json!({"roles": ["first"]})), None);
        let c = json!({"roles": ["app_user", "app_admin", 7]});
        assert_eq!(
            role(".roles[?(@ == \"app_admin\")]", c.clone()),
            Some("app_admin".into())
        );
        assert_eq!(
            role(".roles[?(@ ^== \"app_\")]", c.clone()),
            Some("app_user".into())
        );
        assert_eq!(
            role(".roles[?(@ ==^ \"admin\")]", c.clone()),
            Some("app_admin".into())
        );
        assert_eq!(
            role(".roles[?(@ *== \"p_a\")]", c.clone()),
            Some("app_admin".into())
        );
        assert_eq!(
            role(".roles[?(@ != \"app_user\")]", c),
            Some("app_admin".into())
        );
        for bad in ["role", ".", ".a[x]", ".a[?(@ ~= \"x\")]", ".\"open"] {
            assert!(RolePath::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn hostile_paths_are_refused_before_parsing() {
        let deep_parens = format!("$[?{}@.a{}]", "(".repeat(5000), ")".repeat(5000));
        let deep_filters = format!("${}{}", "[?@".repeat(100), "]".repeat(100));
        let nine = format!("${}{}", "[?@".repeat(9), "]".repeat(9));
        let long = format!("$.{}", "a".repeat(MAX_PATH_BYTES));
        let descendants = "$..[?@..role]".to_string();
        for bad in [deep_parens, deep_filters, nine, long, descendants] {
            let t = std::time::Instant::now();
            let e = RolePath::parse(&bad).err().expect("refused");
            assert_eq!(e.kind, Kind::InvalidArgument("pgrst.jwt_role_claim_key"));
            assert!(t.elapsed() < std::time::Duration::from_millis(50));
        }
        // eight levels are accepted and parse quickly
        let eight = format!("${}{}", "[?@".repeat(8), "]".repeat(8));
        let t = std::time::Instant::now();
        assert!(RolePath::parse(&eight).is_ok());
        assert!(t.elapsed() < std::time::Duration::from_millis(200));
        assert!(RolePath::parse("$.realm_access.roles[?(@ == 'admin')]").is_ok());
        assert!(RolePath::parse("$..role").is_ok());
        // serde_json_path panics on this one (fuzzing found it): refused, not a panic
        assert!(RolePath::parse("$[?$['[..$?\\\\\\u").is_err());
        assert!(RolePath::parse("$[?$['[..$?\\u").is_err());
        assert!(RolePath::parse("$['\\u00e9']").is_ok());
    }
}

//! Claims normalisation: order, whole-second time claims, refusals.

use super::*;

fn c(s: &str) -> Result<String> {
    let mut out = String::new();
    normalize(s, &mut out, ClaimsForm::AsWritten).map(|_| out)
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

#[test]
fn refuses_what_json_readers_or_jsonb_cannot_read() {
    for bad in [
        r#"{"a":"\ud800"}"#,
        r#"{"a":"\udc00x"}"#,
        r#"{"a":"\ud800\u0041"}"#,
        r#"{"a":"\u0000"}"#,
        r#"{"a":1e400}"#,
        r#"{"a":-1.8e308}"#,
    ] {
        assert_eq!(c(bad).unwrap_err().kind, Kind::ClaimsInvalidJson, "{bad}");
    }
    assert_eq!(
        c(r#"{"a":"\ud83d\ude00","b":1e-400,"c":1.7e308}"#).unwrap(),
        r#"{"a":"\ud83d\ude00","b":1e-400,"c":1.7e308}"#
    );
}

/// Names are compared as the strings they stand for: an escape (`\u006f`, `\/`, a
/// surrogate pair) does not make a second name.
#[test]
fn escaped_names_are_the_names_they_stand_for() {
    let plain = c(r#"{"role":"anon","role":"admin"}"#).unwrap_err();
    assert_eq!(plain.kind, Kind::DuplicateClaim);
    assert_eq!(
        plain.detail.as_deref(),
        Some("\"role\" appears more than once")
    );
    for escaped in [
        r#"{"role":"anon","r\u006fle":"admin"}"#,
        r#"{"r\u006Fle":"anon","role":"admin"}"#,
        r#"{"\u0072\u006f\u006c\u0065":"anon","role":"admin"}"#,
    ] {
        assert_eq!(c(escaped).unwrap_err(), plain, "{escaped}");
    }
    for dup in [
        r#"{"a/b":1,"a\/b":2}"#,
        r#"{"😀":1,"\ud83d\ude00":2}"#,
        r#"{"é":1,"\u00e9":2}"#,
        r#"{"exp":1,"\u0065xp":2}"#,
        r#"{"\u0069at":1,"iat":2}"#,
    ] {
        assert_eq!(c(dup).unwrap_err().kind, Kind::DuplicateClaim, "{dup}");
    }
    // past the short list of names, in the hash set
    let many: String = (0..40).map(|i| format!("\"n{i}\":{i},")).collect();
    assert_eq!(
        c(&format!(r#"{{{many}"role":1,"r\u006fle":2}}"#))
            .unwrap_err()
            .kind,
        Kind::DuplicateClaim
    );
    // different strings stay different names; escapes are written back as they came
    assert_eq!(
        c(r#"{"role":1,"r\u006fles":2,"\u0072":3}"#).unwrap(),
        r#"{"role":1,"r\u006fles":2,"\u0072":3}"#
    );
}

/// An escaped `exp`, `nbf` or `iat` is that claim: whole seconds, numbers only.
#[test]
fn escaped_time_claims_get_the_time_claim_rules() {
    for form in [ClaimsForm::AsWritten, ClaimsForm::Jsonb] {
        let n = |s: &str| {
            let mut out = String::new();
            normalize(s, &mut out, form).map(|_| out)
        };
        assert_eq!(
            n(r#"{"\u0065xp": 1764345678.9, "n\u0062f": 1.7e9, "\u0069\u0061\u0074": -2.5}"#)
                .unwrap(),
            r#"{"\u0065xp":1764345678,"n\u0062f":1700000000,"\u0069\u0061\u0074":-2}"#
        );
        for (text, claim) in [
            (r#"{"\u0065xp":"soon"}"#, "exp"),
            (r#"{"\u006ebf":null}"#, "nbf"),
            (r#"{"ia\u0074":[1]}"#, "iat"),
        ] {
            assert_eq!(
                n(text).unwrap_err().kind,
                Kind::TimeClaimNotNumber(claim),
                "{text}"
            );
        }
        assert_eq!(
            n(r#"{"\u0065xp": 1e30}"#).unwrap_err().kind,
            Kind::TimeClaimOutOfRange("exp")
        );
        // only the exact names: not a longer one, not one nested deeper
        assert_eq!(
            n(r#"{"\u0065xpx":1.5,"o":{"\u0065xp":1.5}}"#).unwrap(),
            r#"{"\u0065xpx":1.5,"o":{"\u0065xp":1.5}}"#
        );
    }
}

#[test]
fn non_ascii_escapes_become_characters_and_nothing_else_changes() {
    use super::unescape_non_ascii as u;
    assert_eq!(u(r#"{"a":"caf\u00e9"}"#), r#"{"a":"café"}"#);
    assert_eq!(u(r#"{"\u65e5":"\ud83d\ude00"}"#), r#"{"日":"😀"}"#);
    // ASCII escapes, other escapes, lone surrogates and text outside strings are kept
    for same in [
        r#"{"a":"\u0041\u0000\n\"\\u00e9"}"#,
        r#"{"a":"\ud800"}"#,
        r#"{"a":"\udc00x"}"#,
        r#"{"a":1e5,"b":[true,null]}"#,
        r#"{"a":"\u00"}"#,
    ] {
        assert_eq!(u(same), same, "{same}");
    }
}

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

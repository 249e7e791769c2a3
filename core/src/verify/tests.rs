//! Verification: RFC 7515 A.1, round trips, tampering, algorithm pinning, kid selection.

use super::*;
use crate::claims_text::ClaimsForm;
use crate::keys::{SecretEncoding, SecretLength};
use crate::sign::sign;

const SECRET: &str = "reallyreallyreallyreallyverysafe";
const NOW: i64 = 1_700_000_000;

fn opts(postgrest: bool) -> Options<'static> {
    Options {
        algorithm: None,
        rules: ClaimRules {
            now: NOW,
            leeway: 30,
            audience: None,
        },
        max_bytes: 65536,
        postgrest,
    }
}

fn keys(s: &str) -> KeySet {
    KeySet::parse(s, SecretLength::Any, SecretEncoding::Plain).unwrap()
}

fn kind(token: &str, ks: &KeySet, postgrest: bool) -> Option<Kind> {
    verify(token, ks, &opts(postgrest), &mut HeaderCache::default())
        .err()
        .map(|e| e.kind)
}

#[test]
fn rfc7515_a1_hs256() {
    // RFC 7515 Appendix A.1: JWK {"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"}
    let jwk = r#"{"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"}"#;
    let ks = keys(jwk);
    let t = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    // the signature is right; the example expired in 2011
    assert_eq!(kind(t, &ks, false), Some(Kind::Expired));
    let then = Options {
        rules: ClaimRules {
            now: 1_300_819_380,
            leeway: 0,
            audience: None,
        },
        ..opts(false)
    };
    let d = verify(t, &ks, &then, &mut HeaderCache::default()).unwrap();
    assert!(d.contains("\"iss\":\"joe\""));
    // one changed signature character: refused
    let bad = t.replace("dBjftJeZ4CVP", "dBjftJeZ4CVQ");
    assert_eq!(
        verify(&bad, &ks, &then, &mut HeaderCache::default())
            .unwrap_err()
            .kind,
        Kind::BadSignature
    );
}

#[test]
fn round_trip_and_tampering() {
    let ks = keys(SECRET);
    for alg in [Alg::HS256, Alg::HS384, Alg::HS512] {
        let t = sign(r#"{"role":"web","n":1}"#, ClaimsForm::Jsonb, &ks, Some(alg)).unwrap();
        let d = verify(&t, &ks, &opts(false), &mut HeaderCache::default()).unwrap();
        assert_eq!(d, r#"{"role":"web","n":1}"#);
        // payload swapped for another one: signature no longer matches
        let mut parts: Vec<&str> = t.split('.').collect();
        let forged =
            crate::sign::sign(r#"{"role":"admin"}"#, ClaimsForm::Jsonb, &ks, Some(alg)).unwrap();
        parts[1] = forged.split('.').nth(1).unwrap();
        assert_eq!(kind(&parts.join("."), &ks, false), Some(Kind::BadSignature));
        // another secret
        assert_eq!(
            kind(&t, &keys("another-secret"), false),
            Some(Kind::BadSignature)
        );
        // signature stripped
        let stripped = format!("{}.", t.rsplit_once('.').unwrap().0);
        assert_eq!(kind(&stripped, &ks, false), Some(Kind::BadSignature));
    }
}

#[test]
fn alg_none_and_algorithm_pinning() {
    let ks = keys(SECRET);
    // {"alg":"none"} . {"role":"admin"} . (empty)
    let none = "eyJhbGciOiJub25lIn0.eyJyb2xlIjoiYWRtaW4ifQ.";
    assert_eq!(kind(none, &ks, false), Some(Kind::UnsupportedAlgorithm));
    let t = sign("{}", ClaimsForm::Jsonb, &ks, Some(Alg::HS512)).unwrap();
    let o = Options {
        algorithm: Some(Alg::HS256),
        ..opts(false)
    };
    assert_eq!(
        verify(&t, &ks, &o, &mut HeaderCache::default())
            .unwrap_err()
            .kind,
        Kind::UnsupportedAlgorithm
    );
    // PostgREST pins a plain secret to HS256
    assert_eq!(kind(&t, &ks, true), Some(Kind::NoSuitableKey));
    let t256 = sign("{}", ClaimsForm::Jsonb, &ks, None).unwrap();
    assert_eq!(kind(&t256, &ks, true), None);
}

#[test]
fn kid_with_plain_secret() {
    let ks = keys(SECRET);
    let mut with_kid = KeySet::parse(SECRET, SecretLength::Any, SecretEncoding::Plain).unwrap();
    with_kid.keys[0].kid = Some("k1".into());
    let t = sign("{}", ClaimsForm::Jsonb, &with_kid, None).unwrap();
    assert!(t.starts_with("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0."));
    // a caller-given plain secret ignores kid; PostgREST's configured one refuses it
    assert_eq!(kind(&t, &ks, false), None);
    assert_eq!(kind(&t, &ks, true), Some(Kind::NoSuitableKey));
}

#[test]
fn malformed_tokens() {
    let ks = keys(SECRET);
    assert_eq!(kind("a.b", &ks, false), Some(Kind::WrongParts(2)));
    assert_eq!(kind("!!.b.c", &ks, false), Some(Kind::Undecodable));
    let t = sign("{}", ClaimsForm::Jsonb, &ks, None).unwrap();
    let (h, rest) = t.split_once('.').unwrap();
    let (_, s) = rest.split_once('.').unwrap();
    // payload not JSON, correctly signed
    let payload = "bm90IGpzb24"; // "not json"
    let key = &ks.keys[0];
    let t2 = format!("{h}.{payload}.{s}");
    assert_eq!(kind(&t2, &ks, false), Some(Kind::BadSignature));
    let sig = key
        .sign(Alg::HS256, format!("{h}.{payload}").as_bytes())
        .unwrap();
    let mut enc = String::new();
    crate::token::b64_encode_into(&sig, &mut enc);
    assert_eq!(
        kind(&format!("{h}.{payload}.{enc}"), &ks, false),
        Some(Kind::ClaimsParse)
    );
    // signature with padding: not base64url
    assert_eq!(kind(&format!("{t}="), &ks, false), Some(Kind::Undecodable));
}

#[test]
fn check_returns_parts_of_refused_tokens() {
    let ks = keys(SECRET);
    let t = sign(r#"{"exp":1}"#, ClaimsForm::Jsonb, &ks, None).unwrap();
    let c = check(Some(&t), Ok(&ks), &opts(false), &mut HeaderCache::default());
    assert_eq!(c.result.unwrap_err().kind, Kind::Expired);
    assert_eq!(c.decoded.unwrap().payload, r#"{"exp":1}"#);
    let c = check(
        Some("x.y"),
        Ok(&ks),
        &opts(false),
        &mut HeaderCache::default(),
    );
    assert!(c.decoded.is_none());
    assert_eq!(c.result.unwrap_err().reason(), "malformed");
    // no token; keys that could not be had (the outcome), the token still decoded
    let c = check(None, Ok(&ks), &opts(false), &mut HeaderCache::default());
    assert_eq!(c.result.unwrap_err().kind, Kind::EmptyToken);
    let no_secret = Err(JwtError::new(Kind::NoSecret));
    let c = check(
        Some(&t),
        no_secret,
        &opts(true),
        &mut HeaderCache::default(),
    );
    assert_eq!(c.result.unwrap_err().reason(), "no_secret");
    assert_eq!(c.decoded.unwrap().payload, r#"{"exp":1}"#);
}

#[test]
fn options_of_a_caller() {
    let o = Options::new(Some("hs512"), None, Some("api"), NOW, 100).unwrap();
    assert_eq!(o.algorithm, Some(Alg::HS512));
    assert_eq!((o.rules.leeway, o.rules.audience), (30, Some("api")));
    assert!(!o.postgrest);
    let p = o.postgrest(None);
    assert!(p.postgrest && p.rules.audience.is_none() && p.algorithm == Some(Alg::HS512));
    // a negative leeway is refused before the algorithm is read
    let e = Options::new(Some("none"), Some(-1), None, NOW, 100).unwrap_err();
    assert_eq!(e.kind, Kind::InvalidArgument("leeway"));
    let e = Options::new(Some("none"), Some(0), None, NOW, 100).unwrap_err();
    assert_eq!(e.kind, Kind::UnknownAlgorithm);
}

#[test]
fn kid_selects_keys_in_a_set() {
    let k1 =
        r#"{"kty":"oct","kid":"k1","k":"c2VjcmV0LW9uZS1zZWNyZXQtb25lLXNlY3JldC1vbmUtc2VjcmV0"}"#;
    let k2 =
        r#"{"kty":"oct","kid":"k2","k":"c2VjcmV0LXR3by1zZWNyZXQtdHdvLXNlY3JldC10d28tc2VjcmV0"}"#;
    let set = keys(&format!(r#"{{"keys":[{k1},{k2}]}}"#));
    let only1 = keys(k1);
    let t1 = sign("{}", ClaimsForm::Jsonb, &only1, None).unwrap();
    assert!(t1.starts_with("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0."));
    assert_eq!(kind(&t1, &set, false), None);
    assert_eq!(kind(&t1, &set, true), None);
    // signed by k1 but naming k2: only k2 is tried
    let mut lying = KeySet::parse(k1, SecretLength::Any, SecretEncoding::Plain).unwrap();
    lying.keys[0].kid = Some("k2".into());
    let t = sign("{}", ClaimsForm::Jsonb, &lying, None).unwrap();
    assert_eq!(kind(&t, &set, false), Some(Kind::BadSignature));
    // an unknown kid finds no key
    lying.keys[0].kid = Some("zz".into());
    let t = sign("{}", ClaimsForm::Jsonb, &lying, None).unwrap();
    assert_eq!(kind(&t, &set, false), Some(Kind::NoSuitableKey));
    // a JWK without kid: a caller's choice accepts any kid, PostgREST's rules do not
    let anon = keys(r#"{"kty":"oct","k":"c2VjcmV0LW9uZS1zZWNyZXQtb25lLXNlY3JldC1vbmUtc2VjcmV0"}"#);
    assert_eq!(kind(&t1, &anon, false), None);
    assert_eq!(kind(&t1, &anon, true), Some(Kind::NoSuitableKey));
}

#[test]
fn header_keys_and_key_urls_are_never_trusted() {
    // RFC 8725 3.10: "jwk", "jku", "x5u", "x5c" in a header name keys the token's
    // author chose; verification uses only the caller's or the configured keys
    let ks = keys(SECRET);
    let attacker = "attacker-own-secret-0123456789abcdef";
    let header = r#"{"alg":"HS256","jwk":{"kty":"oct","k":"YXR0YWNrZXItb3duLXNlY3JldC0wMTIzNDU2Nzg5YWJjZGVm"},"jku":"https://evil.example/jwks","x5u":"https://evil.example/cert","x5c":["AAAA"]}"#;
    let mut t = String::new();
    crate::token::b64_encode_into(header.as_bytes(), &mut t);
    t.push('.');
    crate::token::b64_encode_into(br#"{"role":"admin"}"#, &mut t);
    let sig = keys(attacker).keys[0]
        .sign(Alg::HS256, t.as_bytes())
        .unwrap();
    t.push('.');
    crate::token::b64_encode_into(&sig, &mut t);
    for postgrest in [false, true] {
        assert_eq!(kind(&t, &ks, postgrest), Some(Kind::BadSignature));
    }
    // the same token verifies with the attacker's key, so only the key decided
    assert_eq!(kind(&t, &keys(attacker), false), None);
}

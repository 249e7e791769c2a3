//! JWK parsing, JWK Sets, public export, RFC 7638 thumbprints and key generation.

use super::*;
use crate::error::Kind;
use crate::keys::testdata as td;
use thumbprint::thumbprint;

fn json(s: &str) -> Map<String, Value> {
    match serde_json::from_str(s) {
        Ok(Value::Object(o)) => o,
        _ => panic!("test JSON is not an object"),
    }
}

fn detail_of(obj: &Map<String, Value>) -> String {
    let e = parse_jwk(obj).err().expect("must fail");
    assert_eq!(e.kind, Kind::InvalidKey, "{e:?}");
    assert_eq!(e.message(), "Invalid JWT key");
    e.detail.expect("a detail")
}

fn without(s: &str, member: &str) -> Map<String, Value> {
    let mut o = json(s);
    o.remove(member);
    o
}

fn with(s: &str, member: &str, v: Value) -> Map<String, Value> {
    let mut o = json(s);
    o.insert(member.into(), v);
    o
}

const PRIVATE_MEMBERS: [&str; 6] = ["d", "p", "q", "dp", "dq", "qi"];

#[test]
fn rfc7638_thumbprint() {
    let key = json(
        r#"{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"}"#,
    );
    let k = parse_jwk(&key).unwrap();
    assert_eq!(k.kid.as_deref(), Some("2011-04-29"));
    assert_eq!(k.alg, Some(Alg::RS256));
    assert_eq!(
        thumbprint(k.material()),
        "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    );
    // the same key from PEM and from a private JWK has the same thumbprint
    let pem = crate::keys::pem::parse_key(td::P256_PKCS8).unwrap();
    let j = parse_jwk(&json(td::P256_JWK_PUB)).unwrap();
    assert_eq!(thumbprint(&*pem), thumbprint(j.material()));
    assert_eq!(thumbprint(&*pem).len(), 43);
}

#[test]
fn public_jwk_holds_no_private_member() {
    for text in [
        td::RSA_JWK,
        td::P256_JWK,
        td::P384_JWK,
        td::P521_JWK,
        td::ED_JWK,
    ] {
        let mut obj = json(text);
        obj.insert("kid".into(), "k1".into());
        let key = parse_jwk(&obj).unwrap();
        assert!(key.can_sign());
        let public = key.public_jwk().unwrap();
        for m in PRIVATE_MEMBERS {
            assert!(!public.contains_key(m), "{m} leaked");
        }
        assert_eq!(public["use"], "sig");
        assert_eq!(public["kid"], "k1");
        assert!(!public.contains_key("alg"));
        // the public JWK parses back into a public key with the same members
        let back = parse_jwk(&public).unwrap();
        assert!(!back.can_sign());
        assert_eq!(back.public_jwk().unwrap(), public);
        let mut expect = json(text);
        expect.remove("d");
        for m in PRIVATE_MEMBERS {
            expect.remove(m);
        }
        let mut got = public.clone();
        got.remove("use");
        got.remove("kid");
        assert_eq!(got, expect, "export equals Python's public members");
    }
    let hmac = parse_jwk(&json(r#"{"kty":"oct","k":"c2VjcmV0"}"#)).unwrap();
    assert!(hmac.public_jwk().is_none());
    let pinned = parse_jwk(&with(td::ED_JWK_PUB, "alg", "EdDSA".into())).unwrap();
    assert_eq!(pinned.public_jwk().unwrap()["alg"], "EdDSA");
}

#[test]
fn generated_keys_round_trip() {
    for (kty, alg, kty_out) in [
        ("RSA", Alg::RS256, "RSA"),
        ("ec", Alg::ES256, "EC"),
        ("Okp", Alg::EdDSA, "OKP"),
    ] {
        let jwk = generate(kty, None).unwrap();
        assert_eq!(jwk["kty"], kty_out);
        assert_eq!(jwk["alg"], alg.name());
        assert_eq!(jwk["use"], "sig");
        assert!(jwk.contains_key("d"));
        let key = parse_jwk(&jwk).unwrap();
        assert!(key.can_sign() && key.fits(alg));
        assert_eq!(jwk["kid"], thumbprint(key.material()).as_str());
        let sig = key.sign(alg, b"msg").unwrap();
        let public = parse_jwk(&key.public_jwk().unwrap()).unwrap();
        assert!(public.verify(alg, b"msg", &sig));
        assert!(!public.verify(alg, b"msh", &sig));
        let again = generate(kty, Some("mine")).unwrap();
        assert_eq!(again["kid"], "mine");
        assert_ne!(again["d"], jwk["d"]);
    }
    let rsa = generate("RSA", None).unwrap();
    assert_eq!(rsa["e"], "AQAB");
    let n = rsa["n"].as_str().unwrap();
    assert_eq!(
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(n)
            .unwrap()
            .len(),
        256
    );
    for m in PRIVATE_MEMBERS {
        assert!(rsa.contains_key(m), "{m}");
    }
    let ec = generate("EC", None).unwrap();
    for m in ["x", "y", "d"] {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(ec[m].as_str().unwrap())
            .unwrap();
        assert_eq!(bytes.len(), 32, "{m} is full width");
    }
    let e = generate("DSA", None).unwrap_err();
    assert_eq!(e.kind, Kind::InvalidArgument("kty"));
    assert!(e.detail.unwrap().contains("RSA, EC, OKP"));
    assert_eq!(
        generate("EC", Some("")).unwrap_err().kind,
        Kind::InvalidArgument("kid")
    );
}

#[test]
fn malformed_jwks() {
    assert_eq!(
        detail_of(&without(td::RSA_JWK_PUB, "n")),
        "RSA JWK lacks \"n\""
    );
    assert_eq!(
        detail_of(&without(td::RSA_JWK_PUB, "e")),
        "RSA JWK lacks \"e\""
    );
    assert_eq!(
        detail_of(&without(td::RSA_JWK_PUB, "kty")),
        "JWK lacks \"kty\""
    );
    assert_eq!(
        detail_of(&without(td::P256_JWK_PUB, "y")),
        "EC JWK lacks \"y\""
    );
    assert_eq!(
        detail_of(&without(td::P256_JWK_PUB, "crv")),
        "EC JWK lacks \"crv\""
    );
    assert_eq!(
        detail_of(&without(td::ED_JWK_PUB, "x")),
        "OKP JWK lacks \"x\""
    );
    assert!(detail_of(&without(td::RSA_JWK, "qi")).contains("lacks \"qi\""));
    assert_eq!(
        detail_of(&with(td::RSA_JWK_PUB, "n", "AQ*B".into())),
        "RSA JWK \"n\" is not valid base64url"
    );
    assert_eq!(
        detail_of(&with(td::P256_JWK_PUB, "x", "ab+/".into())),
        "EC JWK \"x\" is not valid base64url"
    );
    assert_eq!(
        detail_of(&with(td::RSA_JWK_PUB, "n", 5.into())),
        "RSA JWK \"n\" must be a string"
    );
    // a point off the curve: y taken from another key
    let other_y = json(td::P256_JWK_PUB)["x"].clone();
    assert_eq!(
        detail_of(&with(td::P256_JWK_PUB, "y", other_y)),
        "EC point is not on curve P-256"
    );
    assert!(
        detail_of(&with(td::P256_JWK, "d", json(td::P256_JWK)["x"].clone()))
            .contains("not a P-256 private key matching")
    );
    assert!(
        detail_of(&with(td::P256_JWK_PUB, "crv", "secp256k1".into())).contains("not supported")
    );
    assert!(detail_of(&with(td::ED_JWK_PUB, "crv", "X25519".into())).contains("only Ed25519"));
    assert!(detail_of(&with(td::ED_JWK_PUB, "x", "AAAA".into())).contains("32 bytes, not 3"));
    assert!(
        detail_of(&with(td::ED_JWK, "d", json(td::P256_JWK)["d"].clone()))
            .contains("does not match")
    );
    // an unregistered kty is described by its length, never quoted
    let d = detail_of(&with(td::RSA_JWK_PUB, "kty", "DSA".into()));
    assert!(
        d.contains("a value of 3 characters is not supported"),
        "{d}"
    );
    assert!(!d.contains("DSA"), "{d}");
    assert!(detail_of(&with(td::RSA_JWK_PUB, "kty", "rsa".into())).contains("case matters"));
    for (member, base) in [
        ("kty", td::RSA_JWK_PUB),
        ("crv", td::P256_JWK_PUB),
        ("crv", td::ED_JWK_PUB),
        ("alg", td::RSA_JWK_PUB),
        ("use", td::RSA_JWK_PUB),
    ] {
        let marker = "Zq9-secret-marker-7Hf2";
        let d = detail_of(&with(base, member, marker.into()));
        assert!(!d.contains("marker") && !d.contains("Zq9"), "{member}: {d}");
    }
    assert!(detail_of(&with(td::RSA_JWK_PUB, "e", "AAE".into())).contains("exponent"));
    assert_eq!(
        detail_of(&with(td::P256_JWK_PUB, "alg", "RS256".into())),
        "JWK \"alg\" RS256 does not fit kty EC"
    );
    assert_eq!(
        detail_of(&with(td::P256_JWK_PUB, "alg", "ES384".into())),
        "JWK \"alg\" ES384 does not fit an EC P-256 public key"
    );
    assert!(detail_of(&with(td::RSA_JWK_PUB, "alg", "none".into())).contains("not a supported"));
    assert!(detail_of(&with(td::RSA_JWK_PUB, "use", "enc".into())).contains("\"use\" is \"enc\""));
    assert!(detail_of(&with(
        r#"{"kty":"oct","k":"c2VjcmV0"}"#,
        "alg",
        "RS256".into()
    ))
    .contains("kty oct"));
    assert!(detail_of(&json(r#"{"kty":"oct","k":""}"#)).contains("empty"));
    // a private key is fine where a public one is expected: it verifies too
    let private = parse_jwk(&json(td::RSA_JWK)).unwrap();
    let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(td::SIG_PS256)
        .unwrap();
    assert!(private.verify(Alg::PS256, td::MSG, &sig));
}

#[test]
fn jwk_sets() {
    let set = |members: Vec<Value>| {
        let mut o = Map::new();
        o.insert("keys".into(), Value::Array(members));
        o
    };
    let v = |s: &str| Value::Object(json(s));
    let mut enc = json(td::RSA_JWK_PUB);
    enc.insert("use".into(), "enc".into());
    enc.insert("alg".into(), "RSA-OAEP".into());
    let mut ec = json(td::P256_JWK_PUB);
    ec.insert("kid".into(), "e1".into());
    let keys = parse_jwks(
        &set(vec![
            Value::Object(enc.clone()),
            Value::Object(ec),
            v(td::ED_JWK),
        ]),
        SecretLength::Any,
    )
    .unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0].kid.as_deref(), Some("e1"));
    assert!(keys[1].can_sign());

    let e = parse_jwks(
        &set(vec![
            v(td::ED_JWK_PUB),
            Value::Object(without(td::RSA_JWK_PUB, "n")),
        ]),
        SecretLength::Any,
    )
    .err()
    .unwrap();
    assert_eq!(e.kind, Kind::InvalidKey);
    assert_eq!(
        e.detail.unwrap(),
        "JWK Set member keys[1]: RSA JWK lacks \"n\""
    );
    let e = parse_jwks(
        &set(vec![v(td::ED_JWK_PUB), Value::from(3)]),
        SecretLength::Any,
    )
    .err()
    .unwrap();
    assert!(e.detail.unwrap().contains("keys[1] is not an object"));
    let e = parse_jwks(&set(vec![Value::Object(enc)]), SecretLength::Any)
        .err()
        .unwrap();
    assert!(e.detail.unwrap().contains("no signature key"));
    assert!(parse_jwks(&set(vec![]), SecretLength::Any).is_err());
    let e = parse_jwks(&json(r#"{"keys":{}}"#), SecretLength::Any)
        .err()
        .unwrap();
    assert!(e.detail.unwrap().contains("\"keys\" array"));
}

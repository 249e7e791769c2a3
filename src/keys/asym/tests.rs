//! Known-answer tests (RFC 7515 A.2-A.4, RFC 8037 A.4), interop with Python
//! `cryptography`, round trips for every algorithm and input form, family binding,
//! and malformed input.

use super::testdata as td;
use super::*;
use crate::keys::{jwk, Key, Material};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;

fn json(s: &str) -> Map<String, Value> {
    match serde_json::from_str(s) {
        Ok(Value::Object(o)) => o,
        _ => panic!("test JSON is not an object"),
    }
}

fn jwk_key(s: &str) -> AsymKey {
    match jwk::parse_jwk(&json(s)).expect("JWK parses").material {
        Material::Asym(k) => k,
        Material::Hmac(_) => panic!("not asymmetric"),
    }
}

fn pem_key(s: &str) -> AsymKey {
    AsymKey::from_pem(s).expect("PEM parses")
}

fn flip(sig: &[u8], bit: usize) -> Vec<u8> {
    let mut s = sig.to_vec();
    s[bit / 8] ^= 1 << (bit % 8);
    s
}

fn err_detail(r: Result<AsymKey>) -> String {
    let e = r.err().expect("must fail");
    assert_eq!(e.kind, Kind::InvalidKey, "{e:?}");
    assert_eq!(e.sqlstate().code(), "22023");
    e.detail.expect("a detail")
}

// RFC 7515 A.2 to A.4: the "joe" payload and its signing inputs.
const PAYLOAD: &str = "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
const RFC_RSA_JWK: &str = r#"{"kty":"RSA",
 "n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ",
 "e":"AQAB",
 "d":"Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_GQ5sLKMgvfTeXZx9SE-7YwVol2NXOoAJe46sui395IW_GO-pWJ1O0BkTGoVEn2bKVRUCgu-GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzjkn439X0M_V51gfpRLI9JYanrC4D4qAdGcopV_0ZHHzQlBjudU2QvXt4ehNYTCBr6XCLQUShb1juUO1ZdiYoFaFQT5Tw8bGUl_x_jTj3ccPDVZFD9pIuhLhBOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopznQ",
 "p":"4BzEEOtIpmVdVEZNCqS7baC4crd0pqnRH_5IB3jw3bcxGn6QLvnEtfdUdiYrqBdss1l58BQ3KhooKeQTa9AB0Hw_Py5PJdTJNPY8cQn7ouZ2KKDcmnPGBY5t7yLc1QlQ5xHdwW1VhvKn-nXqhJTBgIPgtldC-KDV5z-y2XDwGUc",
 "q":"uQPEfgmVtjL0Uyyx88GZFF1fOunH3-7cepKmtH4pxhtCoHqpWmT8YAmZxaewHgHAjLYsp1ZSe7zFYHj7C6ul7TjeLQeZD_YwD66t62wDmpe_HlB-TnBA-njbglfIsRLtXlnDzQkv5dTltRJ11BKBBypeeF6689rjcJIDEz9RWdc",
 "dp":"BwKfV3Akq5_MFZDFZCnW-wzl-CCo83WoZvnLQwCTeDv8uzluRSnm71I3QCLdhrqE2e9YkxvuxdBfpT_PI7Yz-FOKnu1R6HsJeDCjn12Sk3vmAktV2zb34MCdy7cpdTh_YVr7tss2u6vneTwrA86rZtu5Mbr1C1XsmvkxHQAdYo0",
 "dq":"h_96-mK1R_7glhsum81dZxjTnYynPbZpHziZjeeHcXYsXaaMwkOlODsWa7I9xXDoRwbKgB719rrmI2oKr6N3Do9U0ajaHF-NKJnwgjMd2w9cjz3_-kyNlxAr2v4IKhGNpmM5iIgOS1VZnOZ68m6_pbLBSp3nssTdlqvd0tIiTHU",
 "qi":"IYd7DHOhrWvxkwPQsRM2tOgrjbcrfvtQJipd-DlcxyVuuM9sQLdgjVk2oy26F0EmpScGLq2MowX7fhd_QJQ3ydy5cY7YIBi87w93IKLEdfnbJtoOPLUW0ITrJReOgo1cq9SbsxYawBgfp_gh6A5603k2-ZQwVK0JKSHuLFkuQ3U"}"#;
const RFC_RS256_SIG: &str = "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";
const RFC_EC_JWK: &str = r#"{"kty":"EC","crv":"P-256",
 "x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
 "y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
 "d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"}"#;
const RFC_ES256_SIG: &str =
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
const RFC_P521_JWK: &str = r#"{"kty":"EC","crv":"P-521",
 "x":"AekpBQ8ST8a8VcfVOTNl353vSrDCLLJXmPk06wTjxrrjcBpXp5EOnYG_NjFZ6OvLFV1jSfS9tsz4qUxcWceqwQGk",
 "y":"ADSmRA43Z1DSNx_RvcLI87cdL07l6jQyyBXMoxVg_l2Th-x3S1WDhjDly79ajL4Kkd0AZMaZmh9ubmf63e3kyMj2"}"#;
const RFC_ES512_SIG: &str = "AdwMgeerwtHoh-l192l60hp9wAHZFVJbLfD_UxMi70cwnZOYaRI1bKPWROc-mZZqwqT2SI-KGDKB34XO0aw_7XdtAG8GaSwFKdCAPZgoXD2YBJZCPEX3xKpRwcdOO8KpEHwJjyqOgzDO7iKvU8vcnwNrmxYbSW9ERBXukOXolLzeO_Jn";
const RFC8037_JWK: &str = r#"{"kty":"OKP","crv":"Ed25519",
 "d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",
 "x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
const RFC8037_INPUT: &str = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
const RFC8037_SIG: &str =
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

#[test]
fn rfc7515_a2_rs256() {
    let input = format!("eyJhbGciOiJSUzI1NiJ9.{PAYLOAD}");
    let sig = B64.decode(RFC_RS256_SIG).unwrap();
    let private = jwk_key(RFC_RSA_JWK);
    let mut public_jwk = json(RFC_RSA_JWK);
    public_jwk.retain(|k, _| ["kty", "n", "e"].contains(&k.as_str()));
    let public = jwk_key(&Value::Object(public_jwk).to_string());
    assert!(!public.can_sign());
    for k in [&private, &public] {
        assert!(k.verify(Alg::RS256, input.as_bytes(), &sig));
        assert!(!k.verify(Alg::RS256, input.as_bytes(), &flip(&sig, 77)));
        assert!(!k.verify(Alg::RS256, &flip(input.as_bytes(), 3), &sig));
        assert!(!k.verify(Alg::PS256, input.as_bytes(), &sig));
        assert!(!k.verify(Alg::RS384, input.as_bytes(), &sig));
    }
    // PKCS#1 v1.5 is deterministic: signing gives the RFC's exact bytes
    assert_eq!(private.sign(Alg::RS256, input.as_bytes()).unwrap(), sig);
}

#[test]
fn rfc7515_a3_es256_and_a4_es512() {
    let input = format!("eyJhbGciOiJFUzI1NiJ9.{PAYLOAD}");
    let sig = B64.decode(RFC_ES256_SIG).unwrap();
    let k = jwk_key(RFC_EC_JWK);
    assert!(k.verify(Alg::ES256, input.as_bytes(), &sig));
    assert!(!k.verify(Alg::ES256, input.as_bytes(), &flip(&sig, 5)));
    assert!(!k.verify(Alg::ES256, input.as_bytes(), &flip(&sig, 300)));
    assert!(!k.verify(Alg::ES384, input.as_bytes(), &sig));
    let mine = k.sign(Alg::ES256, input.as_bytes()).unwrap();
    assert_eq!(mine.len(), 64);
    assert!(k.verify(Alg::ES256, input.as_bytes(), &mine));

    let input = "eyJhbGciOiJFUzUxMiJ9.UGF5bG9hZA";
    let sig = B64.decode(RFC_ES512_SIG).unwrap();
    let k = jwk_key(RFC_P521_JWK);
    assert!(k.verify(Alg::ES512, input.as_bytes(), &sig));
    assert!(!k.verify(Alg::ES512, input.as_bytes(), &flip(&sig, 1000)));
}

#[test]
fn rfc8037_a4_ed25519() {
    let sig = B64.decode(RFC8037_SIG).unwrap();
    let k = jwk_key(RFC8037_JWK);
    assert_eq!(k.sign(Alg::EdDSA, RFC8037_INPUT.as_bytes()).unwrap(), sig);
    assert!(k.verify(Alg::EdDSA, RFC8037_INPUT.as_bytes(), &sig));
    assert!(!k.verify(Alg::EdDSA, RFC8037_INPUT.as_bytes(), &flip(&sig, 9)));
    let public = jwk_key(
        r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#,
    );
    assert!(public.verify(Alg::EdDSA, RFC8037_INPUT.as_bytes(), &sig));
}

/// Every input form of one key pair: (private forms, public forms, algorithms, python signatures)
struct Forms {
    private: Vec<AsymKey>,
    public: Vec<AsymKey>,
    sigs: Vec<(Alg, &'static str)>,
}

fn families() -> Vec<Forms> {
    let rsa_algs = vec![
        (Alg::RS256, td::SIG_RS256),
        (Alg::RS384, td::SIG_RS384),
        (Alg::RS512, td::SIG_RS512),
        (Alg::PS256, td::SIG_PS256),
        (Alg::PS384, td::SIG_PS384),
        (Alg::PS512, td::SIG_PS512),
    ];
    vec![
        Forms {
            private: vec![
                pem_key(td::RSA_PKCS8),
                pem_key(td::RSA_PKCS1),
                jwk_key(td::RSA_JWK),
            ],
            public: vec![
                pem_key(td::RSA_SPKI),
                pem_key(td::RSA_PKCS1_PUB),
                jwk_key(td::RSA_JWK_PUB),
            ],
            sigs: rsa_algs,
        },
        Forms {
            private: vec![
                pem_key(td::P256_PKCS8),
                pem_key(td::P256_SEC1),
                jwk_key(td::P256_JWK),
            ],
            public: vec![pem_key(td::P256_SPKI), jwk_key(td::P256_JWK_PUB)],
            sigs: vec![(Alg::ES256, td::SIG_ES256)],
        },
        Forms {
            private: vec![
                pem_key(td::P384_PKCS8),
                pem_key(td::P384_SEC1),
                jwk_key(td::P384_JWK),
            ],
            public: vec![pem_key(td::P384_SPKI), jwk_key(td::P384_JWK_PUB)],
            sigs: vec![(Alg::ES384, td::SIG_ES384)],
        },
        Forms {
            private: vec![
                pem_key(td::P521_PKCS8),
                pem_key(td::P521_SEC1),
                jwk_key(td::P521_JWK),
            ],
            public: vec![pem_key(td::P521_SPKI), jwk_key(td::P521_JWK_PUB)],
            sigs: vec![(Alg::ES512, td::SIG_ES512)],
        },
        Forms {
            private: vec![pem_key(td::ED_PKCS8), jwk_key(td::ED_JWK)],
            public: vec![pem_key(td::ED_SPKI), jwk_key(td::ED_JWK_PUB)],
            sigs: vec![(Alg::EdDSA, td::SIG_EDDSA)],
        },
    ]
}

#[test]
fn every_form_round_trips_and_verifies_python_signatures() {
    for fam in families() {
        let all: Vec<&AsymKey> = fam.private.iter().chain(&fam.public).collect();
        let expected_jwk = all[0].public_jwk();
        for k in &all {
            assert_eq!(k.public_jwk(), expected_jwk, "every form is the same key");
        }
        for (alg, python_sig) in &fam.sigs {
            let python_sig = B64.decode(python_sig).unwrap();
            for k in &all {
                assert!(k.fits(*alg));
                assert!(
                    k.verify(*alg, td::MSG, &python_sig),
                    "{} {}",
                    alg.name(),
                    k.describe()
                );
                assert!(!k.verify(*alg, b"other", &python_sig));
            }
            for signer in &fam.private {
                assert!(signer.can_sign());
                let sig = signer.sign(*alg, td::MSG).unwrap();
                for k in &all {
                    assert!(
                        k.verify(*alg, td::MSG, &sig),
                        "{} {}",
                        alg.name(),
                        k.describe()
                    );
                    assert!(!k.verify(*alg, td::MSG, &flip(&sig, 17)));
                }
            }
            for k in &fam.public {
                assert!(!k.can_sign());
                let e = k.sign(*alg, td::MSG).unwrap_err();
                assert_eq!(e.kind, Kind::KeyCannotSign);
            }
        }
    }
}

#[test]
fn family_binding() {
    let rsa = pem_key(td::RSA_PKCS8);
    for a in [Alg::ES256, Alg::HS256, Alg::EdDSA, Alg::ES512] {
        assert!(!rsa.fits(a));
        assert_eq!(
            rsa.sign(a, b"x").unwrap_err().kind,
            Kind::AlgorithmKeyMismatch
        );
    }
    assert_eq!(rsa.default_alg(), Alg::RS256);
    assert_eq!(rsa.describe(), "an RSA private key");
    let p256 = pem_key(td::P256_SPKI);
    assert!(p256.fits(Alg::ES256) && !p256.fits(Alg::ES384) && !p256.fits(Alg::RS256));
    assert_eq!(p256.describe(), "an EC P-256 public key");
    assert_eq!(pem_key(td::P384_SPKI).default_alg(), Alg::ES384);
    let p521 = pem_key(td::P521_SEC1);
    assert_eq!(p521.default_alg(), Alg::ES512);
    assert!(p521.fits(Alg::ES512) && !p521.fits(Alg::ES256));
    let ed = pem_key(td::ED_SPKI);
    assert!(ed.fits(Alg::EdDSA) && !ed.fits(Alg::ES256) && !ed.fits(Alg::HS512));
    assert_eq!(ed.default_alg(), Alg::EdDSA);
    assert_eq!(ed.describe(), "an Ed25519 public key");
    // an ES256 signature never verifies as another family's algorithm
    let ec = pem_key(td::P256_PKCS8);
    let sig = ec.sign(Alg::ES256, b"m").unwrap();
    assert!(!ec.verify(Alg::HS256, b"m", &sig) && !ec.verify(Alg::ES384, b"m", &sig));
    // a JWK "alg" pins the key to that one algorithm (Key::fits)
    let mut obj = json(td::RSA_JWK);
    obj.insert("alg".into(), "RS256".into());
    let key: Key = jwk::parse_jwk(&obj).unwrap();
    assert!(key.fits(Alg::RS256) && !key.fits(Alg::PS256) && !key.fits(Alg::RS512));
}

#[test]
fn verify_never_panics_on_odd_signatures() {
    let keys = [
        pem_key(td::RSA_SPKI),
        pem_key(td::P256_SPKI),
        pem_key(td::P384_SPKI),
        pem_key(td::P521_SPKI),
        pem_key(td::ED_SPKI),
    ];
    let mut junk: Vec<Vec<u8>> = (0..600).step_by(7).map(|n| vec![0xa5u8; n]).collect();
    junk.extend([
        vec![],
        vec![0],
        vec![0xff; 64],
        vec![0; 64],
        vec![0xff; 256],
        vec![0; 132],
    ]);
    for k in &keys {
        for alg in Alg::ALL {
            for sig in &junk {
                assert!(!k.verify(alg, td::MSG, sig));
            }
        }
    }
}

#[test]
fn malformed_pem() {
    let d = err_detail(AsymKey::from_pem(&td::RSA_PKCS8[..td::RSA_PKCS8.len() / 2]));
    assert!(d.contains("no END line"), "{d}");
    // body cut short, END line kept
    let lines: Vec<&str> = td::RSA_PKCS8.lines().collect();
    let cut = [&lines[..10], &lines[lines.len() - 1..]]
        .concat()
        .join("\n");
    let d = err_detail(AsymKey::from_pem(&cut));
    assert!(d.contains("not a valid PKCS#8"), "{d}");
    let garbage = td::P256_SPKI.replacen("MFkw", "M!kw", 1);
    assert!(err_detail(AsymKey::from_pem(&garbage)).contains("not valid base64"));
    let cert = td::P256_SPKI.replace("PUBLIC KEY", "CERTIFICATE");
    assert_eq!(
        err_detail(AsymKey::from_pem(&cert)),
        "PEM block type \"CERTIFICATE\" is not a key"
    );
    // right base64, wrong label: an SPKI body under an RSA PRIVATE KEY label
    let wrong = td::RSA_SPKI.replace("PUBLIC KEY", "RSA PRIVATE KEY");
    assert!(err_detail(AsymKey::from_pem(&wrong)).contains("PKCS#1 RSA private key is malformed"));
    let wrong = td::RSA_PKCS1_PUB.replace("RSA PUBLIC KEY", "PUBLIC KEY");
    assert!(err_detail(AsymKey::from_pem(&wrong)).contains("not a valid SubjectPublicKeyInfo"));
    let wrong = td::P256_PKCS8.replace("PRIVATE KEY", "EC PRIVATE KEY");
    assert!(err_detail(AsymKey::from_pem(&wrong)).contains("EC PRIVATE KEY is malformed"));
    let ec_spki = td::P256_SPKI.replace("PUBLIC KEY", "RSA PUBLIC KEY");
    assert!(err_detail(AsymKey::from_pem(&ec_spki)).contains("not a valid PKCS#1"));
}

#[test]
fn short_rsa_keys_are_refused() {
    for text in [td::RSA1024_PKCS8, td::RSA1024_SPKI] {
        let d = err_detail(AsymKey::from_pem(text));
        assert_eq!(
            d,
            "RSA keys shorter than 2048 bits are refused (this key has 1024 bits)"
        );
    }
    let e = jwk::parse_jwk(&json(td::RSA1024_JWK_PUB)).err().unwrap();
    assert!(e.detail.unwrap().contains("shorter than 2048 bits"));
}

#[test]
fn error_details_never_hold_key_material() {
    let mut bad = json(td::RSA_JWK);
    bad.insert("qi".into(), bad["dq"].clone()); // inconsistent CRT member
    let e = jwk::parse_jwk(&bad).err().unwrap();
    let text = format!("{e} {e:?}");
    assert!(text.contains("inconsistent"), "{text}");
    for member in ["n", "d", "p", "q", "dp", "dq"] {
        let v = bad[member].as_str().unwrap();
        assert!(!text.contains(&v[..16]), "{member} leaked");
    }
}

#[test]
fn key_sets_accept_pem_and_jwk_texts() {
    use crate::keys::{KeySet, Use};
    for (text, alg) in [
        (td::P384_SEC1, Alg::ES384),
        (td::RSA_PKCS1_PUB, Alg::RS256),
        (td::ED_JWK, Alg::EdDSA),
        (td::P521_JWK_PUB, Alg::ES512),
    ] {
        let ks = KeySet::parse(text, Use::Strict, false).unwrap();
        assert!(!ks.plain);
        assert_eq!(ks.keys.len(), 1);
        assert!(ks.keys[0].fits(alg) && !ks.keys[0].fits(Alg::HS256));
    }
    let e = KeySet::parse(
        &td::RSA_SPKI.replace("PUBLIC KEY", "CERTIFICATE"),
        Use::Verify,
        false,
    );
    assert_eq!(e.err().unwrap().kind, Kind::InvalidKey);
}

//! Interop with Python `cryptography`, round trips for every algorithm and input form,
//! family binding, malformed and mutated input.

use super::testdata as td;
use super::{jwk, pem, Key};
use crate::alg::Alg;
use crate::error::{Kind, Result};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use serde_json::{Map, Value};

pub(super) fn json(s: &str) -> Map<String, Value> {
    match serde_json::from_str(s) {
        Ok(Value::Object(o)) => o,
        _ => panic!("test JSON is not an object"),
    }
}

pub(super) fn jwk_key(s: &str) -> Key {
    jwk::parse_jwk(&json(s)).expect("JWK parses")
}

fn pem_key(s: &str) -> Key {
    Key::new(pem::parse_key(s).expect("PEM parses"))
}

fn from_pem(s: &str) -> Result<Key> {
    pem::parse_key(s).map(Key::new)
}

pub(super) fn flip(sig: &[u8], bit: usize) -> Vec<u8> {
    let mut s = sig.to_vec();
    s[bit / 8] ^= 1 << (bit % 8);
    s
}

fn err_detail(r: Result<Key>) -> String {
    let e = r.err().expect("must fail");
    assert_eq!(e.kind, Kind::InvalidKey, "{e:?}");
    assert_eq!(e.sqlstate().code(), "22023");
    e.detail.expect("a detail")
}

/// Every input form of one key pair: (private forms, public forms, algorithms, python signatures)
struct Forms {
    private: Vec<Key>,
    public: Vec<Key>,
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
        let all: Vec<&Key> = fam.private.iter().chain(&fam.public).collect();
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
    let key = jwk::parse_jwk(&obj).unwrap();
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
        for &alg in Alg::ALL {
            for sig in &junk {
                assert!(!k.verify(alg, td::MSG, sig));
            }
        }
    }
}

#[test]
fn malformed_pem() {
    let d = err_detail(from_pem(&td::RSA_PKCS8[..td::RSA_PKCS8.len() / 2]));
    assert!(d.contains("no END line"), "{d}");
    // body cut short, END line kept
    let lines: Vec<&str> = td::RSA_PKCS8.lines().collect();
    let cut = [&lines[..10], &lines[lines.len() - 1..]]
        .concat()
        .join("\n");
    let d = err_detail(from_pem(&cut));
    assert!(d.contains("not a valid PKCS#8"), "{d}");
    let garbage = td::P256_SPKI.replacen("MFkw", "M!kw", 1);
    assert!(err_detail(from_pem(&garbage)).contains("not valid base64"));
    let cert = td::P256_SPKI.replace("PUBLIC KEY", "CERTIFICATE");
    assert_eq!(
        err_detail(from_pem(&cert)),
        "PEM block type \"CERTIFICATE\" is not a key"
    );
    // right base64, wrong label: an SPKI body under an RSA PRIVATE KEY label
    let wrong = td::RSA_SPKI.replace("PUBLIC KEY", "RSA PRIVATE KEY");
    assert!(err_detail(from_pem(&wrong)).contains("PKCS#1 RSA private key is malformed"));
    let wrong = td::RSA_PKCS1_PUB.replace("RSA PUBLIC KEY", "PUBLIC KEY");
    assert!(err_detail(from_pem(&wrong)).contains("not a valid SubjectPublicKeyInfo"));
    let wrong = td::P256_PKCS8.replace("PRIVATE KEY", "EC PRIVATE KEY");
    assert!(err_detail(from_pem(&wrong)).contains("EC PRIVATE KEY is malformed"));
    let ec_spki = td::P256_SPKI.replace("PUBLIC KEY", "RSA PUBLIC KEY");
    assert!(err_detail(from_pem(&ec_spki)).contains("not a valid PKCS#1"));
}

#[test]
fn short_rsa_keys_are_refused() {
    for text in [td::RSA1024_PKCS8, td::RSA1024_SPKI] {
        let d = err_detail(from_pem(text));
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
    use super::{KeySet, SecretEncoding, SecretLength};
    for (text, alg) in [
        (td::P384_SEC1, Alg::ES384),
        (td::RSA_PKCS1_PUB, Alg::RS256),
        (td::ED_JWK, Alg::EdDSA),
        (td::P521_JWK_PUB, Alg::ES512),
    ] {
        let ks = KeySet::parse(text, SecretLength::Minimum, SecretEncoding::Plain).unwrap();
        assert!(!ks.plain);
        assert_eq!(ks.keys.len(), 1);
        assert!(ks.keys[0].fits(alg) && !ks.keys[0].fits(Alg::HS256));
    }
    let e = KeySet::parse(
        &td::RSA_SPKI.replace("PUBLIC KEY", "CERTIFICATE"),
        SecretLength::Any,
        SecretEncoding::Plain,
    );
    assert_eq!(e.err().unwrap().kind, Kind::InvalidKey);
}

/// Truncated and bit-flipped DER in every container never panics and, when refused,
/// says why.
#[test]
fn mutated_der_never_panics() {
    let texts = [
        td::RSA_PKCS8,
        td::RSA_PKCS1,
        td::RSA_SPKI,
        td::RSA_PKCS1_PUB,
        td::P256_PKCS8,
        td::P256_SEC1,
        td::P384_SPKI,
        td::P521_SEC1,
        td::ED_PKCS8,
        td::ED_SPKI,
    ];
    let std = base64::engine::general_purpose::STANDARD;
    for text in texts {
        let block = pem::key_block(text).unwrap();
        let wrap = |der: &[u8]| {
            let label = &block.label;
            format!(
                "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
                std.encode(der)
            )
        };
        let der = &block.der;
        let step = (der.len() / 97).max(1);
        for cut in (0..der.len()).step_by(step) {
            let _ = err_detail(from_pem(&wrap(&der[..cut])));
        }
        for pos in (0..der.len()).step_by(step) {
            for bit in [0, 7] {
                if let Err(e) = from_pem(&wrap(&flip(der, pos * 8 + bit))) {
                    assert_eq!(e.kind, Kind::InvalidKey);
                    assert!(e.detail.is_some_and(|d| !d.is_empty()));
                }
            }
        }
    }
}

#[test]
fn public_only_sets_are_told_apart_from_anything_that_signs() {
    use super::{KeySet, SecretEncoding, SecretLength};
    let parse = |t: &str| KeySet::parse(t, SecretLength::Any, SecretEncoding::Plain).unwrap();
    let set = |a: &str, b: &str| format!("{{\"keys\":[{a},{b}]}}");
    assert!(parse(td::RSA_SPKI).is_public_only());
    assert!(parse(td::RSA_JWK_PUB).is_public_only());
    assert!(parse(&set(td::RSA_JWK_PUB, td::RSA_JWK_PUB)).is_public_only());
    // a private key, an HMAC secret (raw or as an oct JWK), or one of them in a set
    assert!(!parse(td::RSA_PKCS8).is_public_only());
    assert!(!parse(td::RSA_JWK).is_public_only());
    assert!(!parse("an-hmac-secret-of-at-least-32-bytes-long").is_public_only());
    assert!(
        !parse(r#"{"kty":"oct","k":"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA"}"#)
            .is_public_only()
    );
    assert!(!parse(&set(td::RSA_JWK_PUB, td::RSA_JWK)).is_public_only());
}

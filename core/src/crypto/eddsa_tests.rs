//! Ed25519 verification is strict: public keys of small order or in a non-canonical
//! encoding are refused, and signatures with a non-canonical `S` or an `R` of small
//! order never verify, though the plain (cofactorless) check of RFC 8032 takes them.

use super::eddsa::EdKey;
use super::{Signer, Verifier};
use crate::alg::Alg;
use crate::error::Kind;
use aws_lc_rs::signature::{ParsedPublicKey, ED25519};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64U;
use base64::Engine;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// The eight points of small order (the 8-torsion), canonically encoded.
const SMALL_ORDER: [&str; 8] = [
    // order 1: the identity
    "0100000000000000000000000000000000000000000000000000000000000000",
    // order 2
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    // order 4
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000080",
    // order 8
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
];

/// Non-canonical encodings: y >= p = 2^255 - 19 (p + 1 is the identity again, p is
/// y = 0), the identity and the order-2 point with the sign bit of x = 0 set.
const NON_CANONICAL: [&str; 6] = [
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "efffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    "0100000000000000000000000000000000000000000000000000000000000080",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
];

/// R = the identity, S = 0: [S]B = R + [k]A for every A of small order and every
/// message whose k = H(R || A || M) mod L is a multiple of A's order.
fn forged() -> Vec<u8> {
    [hex(SMALL_ORDER[0]), vec![0u8; 32]].concat()
}

/// The group order L, little-endian.
const L: &str = "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010";

#[test]
fn small_order_public_keys_are_refused() {
    let sig = forged();
    for a in SMALL_ORDER.map(hex) {
        // the plain check (aws-lc's own) takes the forgery: for the identity, for any
        // message; for the others, for one message in a few (k must be a multiple of 8)
        let plain = ParsedPublicKey::new(&ED25519, &a).unwrap();
        let forgeable = (0..64)
            .map(|i| format!("eyJhbGciOiJFZERTQSJ9.{i}"))
            .any(|m| plain.verify_sig(m.as_bytes(), &sig).is_ok());
        assert!(
            forgeable,
            "the plain check takes a forgery by a key of small order"
        );
        // ours refuses the key when it is read: raw bytes, JWK, SPKI
        let e = EdKey::from_public(&a).err().expect("refused");
        assert_eq!(
            (e.kind.clone(), e.sqlstate().code()),
            (Kind::InvalidKey, "22023")
        );
        let detail = e.detail.unwrap_or_default();
        assert!(detail.contains("small order"), "{detail}");
        let jwk = format!(
            r#"{{"kty":"OKP","crv":"Ed25519","x":"{}"}}"#,
            B64U.encode(&a)
        );
        let spki = [hex("302a300506032b6570032100"), a.clone()].concat();
        let pem = format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            base64::engine::general_purpose::STANDARD.encode(spki)
        );
        for text in [jwk, pem] {
            let r = crate::KeySet::parse(
                &text,
                crate::SecretLength::Any,
                crate::SecretEncoding::Plain,
            );
            assert_eq!(r.err().map(|e| e.kind), Some(Kind::InvalidKey), "{text}");
        }
    }
}

#[test]
fn non_canonical_public_keys_are_refused() {
    for a in NON_CANONICAL.map(hex) {
        let e = EdKey::from_public(&a).err().expect("refused");
        assert_eq!(e.kind, Kind::InvalidKey);
        let detail = e.detail.unwrap_or_default();
        assert!(
            detail.contains("not canonical") || detail.contains("small order"),
            "{detail}"
        );
    }
}

/// RFC 8037 A.1's key and A.4's signing input and signature.
const RFC8037_X: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
const RFC8037_D: &str = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
const RFC8037_INPUT: &[u8] = b"eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
const RFC8037_SIG: &str =
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

/// S + L (little-endian, no overflow: S < L < 2^253).
fn plus_l(s: &[u8]) -> Vec<u8> {
    let l = hex(L);
    let mut out = vec![0u8; 32];
    let mut carry = 0u16;
    for i in 0..32 {
        let v = u16::from(s[i]) + u16::from(l[i]) + carry;
        out[i] = v as u8;
        carry = v >> 8;
    }
    assert_eq!(carry, 0);
    out
}

#[test]
fn non_canonical_s_never_verifies() {
    let x = B64U.decode(RFC8037_X).unwrap();
    let public = EdKey::from_public(&x).unwrap();
    let private = EdKey::from_seed(&B64U.decode(RFC8037_D).unwrap(), Some(&x)).unwrap();
    let sig = B64U.decode(RFC8037_SIG).unwrap();
    assert!(public.verify(Alg::EdDSA, RFC8037_INPUT, &sig));
    let mut mine = private.sign(Alg::EdDSA, b"other message").unwrap();
    assert!(public.verify(Alg::EdDSA, b"other message", &mine));
    // S + L is S again modulo L: a malleated signature a lax check takes
    for (msg, sig) in [(RFC8037_INPUT, sig), (&b"other message"[..], mine.clone())] {
        let malleated = [&sig[..32], &plus_l(&sig[32..])].concat();
        assert!(!public.verify(Alg::EdDSA, msg, &malleated));
        assert!(!private.verify(Alg::EdDSA, msg, &malleated));
    }
    // S = L and S with the top bits set
    mine[32..].copy_from_slice(&hex(L));
    assert!(!public.verify(Alg::EdDSA, b"other message", &mine));
    mine[63] |= 0xe0;
    assert!(!public.verify(Alg::EdDSA, b"other message", &mine));
}

#[test]
fn small_order_r_never_verifies() {
    // R = identity, S = k * a mod L, made with the RFC 8037 private key
    // (core/testdata/make-ed25519-vectors.py): the plain check takes it
    let sig = B64U
        .decode(include_str!("../../testdata/ed25519-small-r.sig").trim())
        .unwrap();
    let x = B64U.decode(RFC8037_X).unwrap();
    let plain = ParsedPublicKey::new(&ED25519, &x).unwrap();
    assert!(plain.verify_sig(RFC8037_INPUT, &sig).is_ok());
    let public = EdKey::from_public(&x).unwrap();
    assert!(!public.verify(Alg::EdDSA, RFC8037_INPUT, &sig));
}

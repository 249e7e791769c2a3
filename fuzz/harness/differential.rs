//! Differential target against the `jsonwebtoken` crate, for every algorithm both
//! implement (HS256/384/512, RS256/384/512, PS256/384/512, ES256, ES384, EdDSA):
//! a token it signs verifies in ours with the same claims; a token ours signs verifies
//! in it with the same claims; and a mutated token ours accepts, it accepts too.
//!
//! Input: byte 0 picks the algorithm, bytes 1..3 a mutation (position, new byte), the
//! rest is the claims (a JSON object; time and audience claims are dropped: the two
//! libraries' clocks and audience rules are not under test here; so are `sub` and `iss`
//! values that are not strings, which jsonwebtoken refuses to decode at all).

use super::keys::{self, NOW};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use pgrst_jwt_core::{
    decode, sign, verify, Alg, ClaimRules, ClaimsForm, HeaderCache, KeySet, Options,
};
use serde_json::Value;
use std::sync::OnceLock;

struct Pair {
    ours: Alg,
    theirs: Algorithm,
    private: KeySet,
    public: KeySet,
    encoding: EncodingKey,
    decoding: DecodingKey,
}

fn pairs() -> &'static [Pair] {
    static PAIRS: OnceLock<Vec<Pair>> = OnceLock::new();
    PAIRS.get_or_init(|| {
        let secret = keys::HMAC_SECRET.as_bytes();
        let mut out = Vec::new();
        let mut add = |ours, theirs, private: &str, public: &str, enc, dec| {
            out.push(Pair {
                ours,
                theirs,
                private: keys::parse(private),
                public: keys::parse(public),
                encoding: enc,
                decoding: dec,
            })
        };
        for (ours, theirs) in [
            (Alg::HS256, Algorithm::HS256),
            (Alg::HS384, Algorithm::HS384),
            (Alg::HS512, Algorithm::HS512),
        ] {
            add(
                ours,
                theirs,
                keys::HMAC_SECRET,
                keys::HMAC_SECRET,
                EncodingKey::from_secret(secret).unwrap(),
                DecodingKey::from_secret(secret).unwrap(),
            );
        }
        for (ours, theirs) in [
            (Alg::RS256, Algorithm::RS256),
            (Alg::RS384, Algorithm::RS384),
            (Alg::RS512, Algorithm::RS512),
            (Alg::PS256, Algorithm::PS256),
            (Alg::PS384, Algorithm::PS384),
            (Alg::PS512, Algorithm::PS512),
        ] {
            add(
                ours,
                theirs,
                keys::RSA,
                keys::RSA_PUB,
                EncodingKey::from_rsa_pem(keys::RSA.as_bytes()).unwrap(),
                DecodingKey::from_rsa_pem(keys::RSA_PUB.as_bytes()).unwrap(),
            );
        }
        add(
            Alg::ES256,
            Algorithm::ES256,
            keys::P256,
            keys::P256_PUB,
            EncodingKey::from_ec_pem(keys::P256.as_bytes()).unwrap(),
            DecodingKey::from_ec_pem(keys::P256_PUB.as_bytes()).unwrap(),
        );
        add(
            Alg::ES384,
            Algorithm::ES384,
            keys::P384,
            keys::P384_PUB,
            EncodingKey::from_ec_pem(keys::P384.as_bytes()).unwrap(),
            DecodingKey::from_ec_pem(keys::P384_PUB.as_bytes()).unwrap(),
        );
        add(
            Alg::EdDSA,
            Algorithm::EdDSA,
            keys::ED25519,
            keys::ED25519_PUB,
            EncodingKey::from_ed_pem(keys::ED25519.as_bytes()).unwrap(),
            DecodingKey::from_ed_pem(keys::ED25519_PUB.as_bytes()).unwrap(),
        );
        out
    })
}

fn options(alg: Alg) -> Options<'static> {
    Options {
        algorithm: Some(alg),
        rules: ClaimRules {
            now: NOW,
            leeway: 30,
            audience: None,
        },
        max_bytes: 1 << 16,
        postgrest: false,
    }
}

fn validation(alg: Algorithm) -> Validation {
    let mut v = Validation::new(alg);
    v.required_spec_claims.clear();
    v.validate_exp = false;
    v.validate_nbf = false;
    v.validate_aud = false;
    v.leeway = 30;
    v
}

/// The payload part of a token, decoded.
fn payload_text(token: &str) -> String {
    decode(token, 1 << 16)
        .expect("a token both sign decodes")
        .payload
}

fn theirs_accept(token: &str, p: &Pair) -> Option<Value> {
    jsonwebtoken::decode::<Value>(token, &p.decoding, &validation(p.theirs))
        .ok()
        .map(|d| d.claims)
}

pub fn run(data: &[u8]) {
    // serde_json reserves this object key for its raw-value protocol (both libraries
    // use serde_json with that feature): tokens holding it are refused by both
    if data.len() < 3
        || data
            .windows(30)
            .any(|w| w == b"$serde_json::private::RawValue")
    {
        return;
    }
    let p = &pairs()[data[0] as usize % pairs().len()];
    let (pos, byte) = (data[1] as usize, data[2]);
    let Ok(Value::Object(mut claims)) = serde_json::from_slice::<Value>(&data[3..]) else {
        return;
    };
    for name in ["exp", "nbf", "iat", "aud"] {
        claims.remove(name);
    }
    // jsonwebtoken reads `sub` and `iss` typed (RFC 7519: StringOrURI) and fails the
    // whole token when one is an array or object: keep them only as strings
    for name in ["sub", "iss"] {
        if claims.get(name).is_some_and(|v| !v.is_string()) {
            claims.remove(name);
        }
    }
    // jsonb (and so our verifier) cannot hold U+0000: a documented difference
    let text = Value::Object(claims.clone()).to_string();
    if text.contains("\\u0000") {
        return;
    }
    let claims = Value::Object(claims);

    // theirs signs, ours verifies and returns exactly the payload it signed
    let theirs = jsonwebtoken::encode(&Header::new(p.theirs), &claims, &p.encoding).unwrap();
    let mut headers = HeaderCache::default();
    let payload = verify(&theirs, &p.public, &options(p.ours), &mut headers)
        .unwrap_or_else(|e| panic!("ours refuses {:?} by jsonwebtoken: {e:?}", p.ours));
    assert_eq!(payload, payload_text(&theirs));

    // ours signs, theirs verifies and reads the same claims
    let ours = sign(&text, ClaimsForm::AsWritten, &p.private, Some(p.ours)).unwrap();
    let got = theirs_accept(&ours, p)
        .unwrap_or_else(|| panic!("jsonwebtoken refuses our {:?} token", p.ours));
    assert_eq!(
        got,
        serde_json::from_str::<Value>(&payload_text(&ours)).unwrap()
    );

    // a mutated token ours accepts, theirs accepts too
    let mut bytes = ours.into_bytes();
    let i = pos % bytes.len();
    bytes[i] = byte;
    let Ok(mutated) = String::from_utf8(bytes) else {
        return;
    };
    if let Ok(payload) = verify(&mutated, &p.public, &options(p.ours), &mut headers) {
        let got = theirs_accept(&mutated, p).unwrap_or_else(|| {
            panic!(
                "ours accepts a mutated {:?} token jsonwebtoken refuses: {mutated}",
                p.ours
            )
        });
        assert_eq!(serde_json::from_str::<Value>(&payload).unwrap(), got);
    }
}

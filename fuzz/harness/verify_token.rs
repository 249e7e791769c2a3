//! Token parsing and verification with HMAC, RSA, EC and EdDSA keys.
//!
//! Properties, for every key set and both rule sets (a caller's key, PostgREST's rules):
//! no panic; every refusal is a token rejection (SQLSTATE 28000), never an argument
//! error; an accepted token has a JSON object payload, an algorithm of a key of the set,
//! and under PostgREST's rules with a plain secret only HS256 and no `kid`; `check`
//! agrees with `verify`; whatever `verify` accepts, `decode` decodes.

use super::keys::{verification_sets, NOW};
use pgrst_jwt_core::{check, decode, verify, Alg, ClaimRules, HeaderCache, Options, SqlState};
use serde_json::Value;

pub fn run(data: &[u8]) {
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    let mut headers = HeaderCache::default();
    for keys in verification_sets() {
        for (postgrest, audience) in [(false, None), (true, None), (true, Some("api"))] {
            let opts = Options {
                algorithm: None,
                rules: ClaimRules {
                    now: NOW,
                    leeway: 30,
                    audience,
                },
                max_bytes: 1 << 16,
                postgrest,
            };
            let result = verify(token, keys, &opts, &mut headers);
            let checked = check(Some(token), Ok(keys), &opts, &mut headers);
            assert_eq!(
                result.is_ok(),
                checked.result.is_ok(),
                "check disagrees with verify"
            );
            match result {
                Err(e) => assert_eq!(
                    e.sqlstate(),
                    SqlState::InvalidAuthorization,
                    "a token refusal that is not 28000: {e:?}"
                ),
                Ok(payload) => {
                    let claims: Value =
                        serde_json::from_str(&payload).expect("accepted payload is JSON");
                    assert!(claims.is_object(), "accepted payload is not an object");
                    let d = decode(token, 1 << 16).expect("an accepted token decodes");
                    assert_eq!(d.payload, payload);
                    let header: Value = serde_json::from_str(&d.header).expect("a JSON header");
                    let alg = header["alg"].as_str().and_then(Alg::from_header);
                    let alg = alg.expect("an accepted token names a known algorithm");
                    assert!(
                        keys.keys.iter().any(|k| k.fits(alg)),
                        "accepted {alg:?} with no key of that family"
                    );
                    if postgrest && keys.plain {
                        assert_eq!(alg, Alg::HS256);
                        assert!(header.get("kid").is_none_or(Value::is_null));
                    }
                }
            }
        }
    }
}

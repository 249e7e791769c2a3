//! Token parsing and verification with HMAC, RSA, EC and EdDSA keys.
//!
//! Properties, for every key set and both rule sets (a caller's key, PostgREST's rules):
//! no panic; every refusal is a token rejection (SQLSTATE 28000), never an argument
//! error; an accepted token has a JSON object payload, an algorithm of a key of the set,
//! and under PostgREST's rules with a plain secret only HS256 and no `kid`; `check`
//! agrees with `verify`; whatever `verify` accepts, `decode` decodes.

use super::keys::{verification_sets, NOW};
use pgrst_jwt_core::claims::ClaimRules;
use pgrst_jwt_core::error::SqlState;
use pgrst_jwt_core::token::HeaderCache;
use pgrst_jwt_core::verify::{check, decode, verify, Options};

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
            let (_, checked) = check(token, keys, &opts, &mut headers);
            assert_eq!(
                result.is_ok(),
                checked.is_ok(),
                "check disagrees with verify"
            );
            match result {
                Err(e) => assert_eq!(
                    e.sqlstate(),
                    SqlState::InvalidAuthorization,
                    "a token refusal that is not 28000: {e:?}"
                ),
                Ok(payload) => {
                    let claims: serde_json::Value =
                        serde_json::from_str(&payload).expect("accepted payload is JSON");
                    assert!(claims.is_object(), "accepted payload is not an object");
                    let parts = pgrst_jwt_core::token::split(token, 1 << 16).unwrap();
                    let header = pgrst_jwt_core::token::header(parts.header).unwrap();
                    assert!(
                        keys.keys.iter().any(|k| k.fits(header.alg)),
                        "accepted {:?} with no key of that family",
                        header.alg
                    );
                    if postgrest && keys.plain {
                        assert_eq!(header.alg, pgrst_jwt_core::alg::Alg::HS256);
                        assert!(header.kid.is_none());
                    }
                    let d = decode(token, 1 << 16).expect("an accepted token decodes");
                    assert_eq!(d.payload, payload);
                }
            }
        }
    }
}

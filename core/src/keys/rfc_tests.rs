//! Known answers: RFC 7515 A.2 (RS256), A.3 (ES256), A.4 (ES512) and RFC 8037 A.4
//! (Ed25519), with the RFC's keys, signing inputs and signatures.

use super::key_tests::{flip, json, jwk_key};
use crate::alg::Alg;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use serde_json::Value;

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

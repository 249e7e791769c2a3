//! Claims normalisation for signing (`claims_text::normalize`), checked differentially
//! against `serde_json`: whatever it accepts, serde_json parses the input and the output
//! to the same value (time claims truncated to whole seconds, as normalisation does);
//! whatever serde_json refuses, it refuses. It may refuse more (documented: repeated
//! names in json/text input, `\u0000`, time claims that are not numbers or out of
//! range, non-objects).

use pgrst_jwt_core::{normalize_claims as normalize, truncate_seconds, ClaimsForm, Kind};
use serde_json::value::RawValue;
use serde_json::Value;
use std::collections::BTreeMap;

const TIME_CLAIMS: [&str; 3] = ["exp", "nbf", "iat"];

pub fn run(data: &[u8]) {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    // serde_json (with its raw_value feature, which the crate uses) reserves this object
    // key for its own protocol and refuses an object holding it: valid JSON that
    // normalisation rightly accepts, so it is not a difference
    if input.contains("$serde_json::private::RawValue") {
        return;
    }
    let parsed = serde_json::from_str::<Value>(input);
    for form in [ClaimsForm::Jsonb, ClaimsForm::AsWritten] {
        let mut out = String::new();
        match normalize(input, &mut out, form) {
            Ok(()) => {
                let Ok(Value::Object(mut want)) = parsed.as_ref().cloned() else {
                    panic!(
                        "normalize accepted what serde_json refuses or is not an object: {input:?}"
                    );
                };
                // the exact text of each time claim (the last one, as serde_json keeps it)
                let raw: BTreeMap<String, Box<RawValue>> =
                    serde_json::from_str(input).expect("an object");
                for name in TIME_CLAIMS {
                    if let Some(v) = want.get_mut(name) {
                        let text = raw[name].get();
                        let secs = truncate_seconds(text)
                            .expect("a time claim normalize accepted is in range");
                        *v = Value::from(secs);
                    }
                }
                let got: Value = serde_json::from_str(&out).expect("normalized output is JSON");
                assert_eq!(got, Value::Object(want), "input {input:?} output {out:?}");
                assert!(
                    !out.contains(['\n', '\r', '\t']),
                    "output is not compact: {out:?}"
                );
            }
            Err(e) => {
                if parsed.is_ok() {
                    assert!(
                        matches!(
                            e.kind,
                            Kind::ClaimsNotObject
                                | Kind::DuplicateClaim
                                | Kind::TimeClaimNotNumber(_)
                                | Kind::TimeClaimOutOfRange(_)
                                | Kind::ClaimsInvalidJson
                        ),
                        "unexpected refusal {e:?} of {input:?}"
                    );
                    if e.kind == Kind::ClaimsInvalidJson {
                        // only for what jsonb cannot hold either, or nesting beyond the limit
                        let d = e.detail.as_deref().unwrap_or("");
                        assert!(
                            d.contains("\\u0000") || d.contains("nesting"),
                            "normalize refused JSON serde_json accepts: {input:?}: {e:?}"
                        );
                    }
                }
            }
        }
    }
}

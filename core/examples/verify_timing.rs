//! A quick timing of the HS256 verification path of the core (what `jwt_verify` does
//! besides PostgreSQL's own work), step by step, for profiling: not a test (bench/run
//! measures the SQL functions). Run it alone, or under `perf record`:
//!     cargo run --release -p pgrst_jwt_core --example verify_timing [iterations]

use pgrst_jwt_core::{ClaimsForm, HeaderCache, KeyCache, Options, SecretEncoding, SecretLength};
use std::hint::black_box;
use std::time::Instant;

fn time(label: &str, n: u32, mut f: impl FnMut(u32)) {
    let t = Instant::now();
    for i in 0..n {
        f(i);
    }
    let ns = t.elapsed().as_nanos() as f64 / f64::from(n);
    println!("{ns:8.1} ns  {label}");
}

fn main() {
    let n: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let secret = "bench-0123456789abcdef0123456789abcdef0123456789abcdef";
    let mut cache = KeyCache::new(32, 4 << 20);
    let keys = cache
        .get(secret, SecretLength::Any, SecretEncoding::Plain)
        .unwrap();
    let now = 1_800_000_000;
    let tokens: Vec<String> = (0..1000)
        .map(|g| {
            let claims = format!(
                r#"{{"role":"web_user","exp":{},"email":"user{g}@example.org"}}"#,
                now + 86400
            );
            pgrst_jwt_core::sign(&claims, ClaimsForm::AsWritten, &keys, None).unwrap()
        })
        .collect();
    let opts = Options::new(None, None, None, now, 8192).unwrap();
    let mut headers = HeaderCache::default();
    let payloads: Vec<String> = tokens
        .iter()
        .map(|t| pgrst_jwt_core::verify(t, &keys, &opts, &mut headers).unwrap())
        .collect();
    println!(
        "token {} bytes, payload {} bytes",
        tokens[0].len(),
        payloads[0].len()
    );
    let pick = |i: u32| (i % 1000) as usize;
    time("verify (split, header, HMAC, payload, claims)", n, |i| {
        black_box(
            pgrst_jwt_core::verify(black_box(&tokens[pick(i)]), &keys, &opts, &mut headers)
                .unwrap(),
        );
    });
    time("jsonb::from_json_object(payload)", n, |i| {
        black_box(pgrst_jwt_core::jsonb::from_json_object(black_box(&payloads[pick(i)])).unwrap());
    });
    time("verify + jsonb", n, |i| {
        let p = pgrst_jwt_core::verify(black_box(&tokens[pick(i)]), &keys, &opts, &mut headers)
            .unwrap();
        black_box(pgrst_jwt_core::jsonb::from_json_object(&p).unwrap());
    });
}

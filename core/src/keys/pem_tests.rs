//! PEM texts: the work of reading one is linear in its length, whatever its lines.

use super::pem::{key_block, scan, MAX_BLOCKS};
use super::testdata as td;
use super::{KeySet, SecretEncoding, SecretLength, MAX_KEY_TEXT_BYTES};
use std::time::{Duration, Instant};

/// Texts that made the reading quadratic, or could: many blocks, BEGIN lines without
/// END lines, blank lines, blocks that are skipped (EC PARAMETERS), CRLF line ends.
const UNITS: [&str; 9] = [
    "-----BEGIN PUBLIC KEY-----\n\n",
    "-----BEGIN PUBLIC KEY-----\n",
    "-----BEGIN PUBLIC KEY-----\n\nAAEC\n-----END PUBLIC KEY-----\n\n",
    "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n",
    "-----BEGIN EC PARAMETERS-----\n\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n\n",
    "-----BEGIN EC PARAMETERS-----\r\n\r\n",
    "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n\n",
    "\n",
    " \r\n\t\n",
];

/// `unit` repeated to about `size` bytes, before a key block or as its body.
fn texts(unit: &str, size: usize) -> [String; 2] {
    let filler = unit.repeat(size / unit.len());
    [
        format!("{filler}-----BEGIN PUBLIC KEY-----\nAAEC\n-----END PUBLIC KEY-----\n"),
        format!("-----BEGIN PUBLIC KEY-----\n{filler}AAEC\n-----END PUBLIC KEY-----\n"),
    ]
}

fn parse(text: &str) {
    assert!(text.len() <= MAX_KEY_TEXT_BYTES);
    assert!(KeySet::parse(text, SecretLength::Any, SecretEncoding::Plain).is_err());
}

/// The fastest of a few runs (the machine may be busy).
fn fastest(text: &str, runs: usize) -> Duration {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            parse(text);
            t.elapsed()
        })
        .min()
        .unwrap()
}

/// 16 times the text takes less than 40 times as long (linear work: about 16 times;
/// quadratic: 256 times). Generous, and with a small allowance for a busy machine.
#[test]
fn reading_a_pem_text_takes_time_linear_in_its_length() {
    for unit in UNITS {
        let small = texts(unit, 64 << 10).map(|t| fastest(&t, 5));
        let big = texts(unit, (1 << 20) - 64).map(|t| fastest(&t, 2));
        for (small, big) in small.into_iter().zip(big) {
            assert!(
                big < small * 40 + Duration::from_millis(25),
                "{unit:?}: 64 KiB in {small:?}, 1 MiB in {big:?}"
            );
        }
    }
}

/// The work counted by the reader: one pass over the text for its BEGIN lines, one over
/// the blocks examined (which do not overlap).
#[test]
fn the_work_of_reading_a_pem_text_is_bounded_by_its_length() {
    for unit in UNITS {
        for size in [64 << 10, (1 << 20) - 64] {
            for t in texts(unit, size) {
                let mut work = 0;
                let _ = scan(&t, &mut work);
                assert!(
                    work <= 2 * t.len(),
                    "{unit:?}: {work} bytes examined for {} bytes",
                    t.len()
                );
            }
        }
    }
}

#[test]
fn a_key_text_holds_a_few_pem_blocks() {
    let params = "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n";
    for n in 0..MAX_BLOCKS {
        let t = format!("{}{}", params.repeat(n), td::P256_SEC1);
        assert_eq!(key_block(&t).unwrap().label, "EC PRIVATE KEY");
    }
    let t = format!("{}{}", params.repeat(MAX_BLOCKS), td::P256_SEC1);
    let e = key_block(&t).err().expect("refused");
    assert_eq!(e.sqlstate().code(), "22023");
    assert_eq!(
        e.detail.as_deref(),
        Some("the PEM text holds more than 4 PEM blocks (a key text holds one key)")
    );
}

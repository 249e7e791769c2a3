//! PEM texts: the work of reading one is linear in its length, whatever its lines.

use super::pem::{key_block, scan, MAX_BLOCKS};
use super::testdata as td;
use super::{KeySet, SecretEncoding, SecretLength, MAX_KEY_TEXT_BYTES};

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

#[test]
fn the_work_of_reading_a_pem_text_is_bounded_by_its_length() {
    for unit in UNITS {
        for size in [64 << 10, (1 << 20) - 64] {
            for t in texts(unit, size) {
                parse(&t);
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

//! PEM keys (RFC 7468): the one key block of a text, decoded by the `pem` crate and read
//! into a key of its family by [`der`](super::der). Explanatory text around blocks is
//! ignored; an `EC PARAMETERS` block (as `openssl ecparam -genkey` writes before the
//! key) is skipped.
//!
//! What is done here is what the crate does not: finding each `-----BEGIN` line (a
//! cancellation point per line of the text) and naming what a refused text holds, by
//! its label when that is a registered PEM label and by its length otherwise. The work
//! is linear in the text: one pass for the BEGIN lines, and the crate is given one block
//! at a time (up to the next BEGIN line), at most [`MAX_BLOCKS`] of them.

use super::der;
use super::describe::{name_or_length, PEM_LABELS};
use crate::crypto::KeyMaterial;
use crate::error::{JwtError, Result};
use zeroize::Zeroizing;

/// A key block: its label and its DER contents (wiped when dropped: a private key).
pub struct Block {
    pub label: String,
    pub der: Zeroizing<Vec<u8>>,
}

/// The labels of the key containers [`der`](super::der) reads.
const KEY_LABELS: [&str; 5] = [
    "PRIVATE KEY",
    "RSA PRIVATE KEY",
    "EC PRIVATE KEY",
    "PUBLIC KEY",
    "RSA PUBLIC KEY",
];

/// The key of a PEM text.
pub fn parse_key(text: &str) -> Result<Box<dyn KeyMaterial>> {
    let block = key_block(text)?;
    der::parse_key(&block.label, &block.der)
}

/// Most PEM blocks a key text may hold: its key, the EC PARAMETERS block `openssl ecparam
/// -genkey` writes before it, and room to spare.
pub const MAX_BLOCKS: usize = 4;

/// The single key block of a PEM text.
pub fn key_block(text: &str) -> Result<Block> {
    scan(text, &mut 0)
}

/// [`key_block`], adding to `work` the length of what it goes over: the text once
/// for its BEGIN lines, and each block examined. A block ends where the next
/// BEGIN line starts: blocks do not overlap, so no byte is examined twice by them and
/// the work is linear in the text.
pub(super) fn scan(text: &str, work: &mut usize) -> Result<Block> {
    *work += text.len();
    let mut found: Option<Block> = None;
    let mut begins = begin_lines(text).peekable();
    let mut blocks = 0;
    while let Some((offset, line_label)) = begins.next() {
        blocks += 1;
        if blocks > MAX_BLOCKS {
            return Err(JwtError::invalid_key(format!(
                "the PEM text holds more than {MAX_BLOCKS} PEM blocks (a key text holds one key)"
            )));
        }
        let limit = begins.peek().map_or(text.len(), |(next, _)| *next);
        let rest = &text[offset..limit];
        *work += rest.len();
        let named = || name_or_length(line_label, PEM_LABELS);
        // RFC 1421 headers ("Proc-Type: 4,ENCRYPTED", "DEK-Info: ...") before the END line
        let body = rest.find("-----END ").map_or(rest, |end| &rest[..end]);
        if body.lines().skip(1).any(|l| l.contains(':')) {
            return Err(JwtError::invalid_key(
                "encrypted PEM keys are not supported: decrypt the key first",
            ));
        }
        // the crate would read a blank line as the end of RFC 1421 headers (there are none
        // here: refused above); a key body with one is read without it, as before
        let without_blank_lines;
        let rest = if body.lines().skip(1).any(|l| l.trim().is_empty()) {
            without_blank_lines = non_blank_lines(rest);
            without_blank_lines.as_str()
        } else {
            rest
        };
        // the crate reads the block that starts here: framing, labels, base64
        let parsed = ::pem::parse(rest);
        let label = match &parsed {
            Ok(p) => p.tag().to_string(),
            Err(::pem::PemError::MalformedFraming) => {
                return Err(JwtError::invalid_key(format!(
                    "PEM block {} has no END line (truncated?)",
                    named()
                )))
            }
            Err(::pem::PemError::MismatchedTags(..) | ::pem::PemError::MissingEndTag) => {
                return Err(JwtError::invalid_key(format!(
                    "PEM block {} ends with a different label",
                    named()
                )))
            }
            Err(
                ::pem::PemError::InvalidData(_)
                | ::pem::PemError::InvalidHeader(_)
                | ::pem::PemError::MissingBeginTag
                | ::pem::PemError::MissingData
                | ::pem::PemError::NotUtf8(_),
            ) => line_label.to_string(),
        };
        if label == "EC PARAMETERS" {
            continue;
        }
        if label == "ENCRYPTED PRIVATE KEY" {
            return Err(JwtError::invalid_key(
                "encrypted private keys are not supported: decrypt the key first",
            ));
        }
        if !KEY_LABELS.contains(&label.as_str()) {
            return Err(JwtError::invalid_key(format!(
                "PEM block type {} is not a key",
                name_or_length(&label, PEM_LABELS)
            )));
        }
        if found.is_some() {
            return Err(JwtError::invalid_key(
                "the PEM text holds more than one key",
            ));
        }
        // a key label from here on: it may be quoted
        let der = match parsed {
            Ok(p) => Zeroizing::new(p.into_contents()),
            Err(_) => {
                return Err(JwtError::invalid_key(format!(
                    "the body of PEM block \"{label}\" is not valid base64"
                )))
            }
        };
        if der.is_empty() {
            return Err(JwtError::invalid_key(format!(
                "PEM block \"{label}\" is empty"
            )));
        }
        found = Some(Block { label, der });
    }
    found.ok_or_else(|| JwtError::invalid_key("no PEM key block found"))
}

/// The lines of `text` that are not blank, joined by line feeds (a copy of a key body:
/// wiped when dropped, allocated once).
fn non_blank_lines(text: &str) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(text.len()));
    for line in text.lines() {
        crate::interrupt::check();
        if line.trim().is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(line);
    }
    out
}

/// Each line that is a BEGIN boundary (`-----BEGIN LABEL-----`, surrounding whitespace
/// allowed): where its `-----BEGIN` starts in the text, and its label.
fn begin_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut offset = 0;
    text.split_inclusive('\n').filter_map(move |line| {
        crate::interrupt::check();
        let start = offset + (line.len() - line.trim_start().len());
        offset += line.len();
        let label = line
            .trim()
            .strip_prefix("-----BEGIN ")?
            .strip_suffix("-----")?;
        Some((start, label))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Kind;

    fn detail(text: &str) -> String {
        let e = key_block(text).err().expect("must fail");
        assert_eq!(e.kind, Kind::InvalidKey);
        e.detail.unwrap_or_default()
    }

    #[test]
    fn blocks_and_labels() {
        let b = key_block("junk\n-----BEGIN PUBLIC KEY-----\nAAEC\n-----END PUBLIC KEY-----\n")
            .unwrap();
        assert_eq!(
            (b.label.as_str(), b.der.as_slice()),
            ("PUBLIC KEY", &[0u8, 1, 2][..])
        );
        let ec = "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n\
                  -----BEGIN EC PRIVATE KEY-----\nAAEC\n-----END EC PRIVATE KEY-----";
        assert_eq!(key_block(ec).unwrap().label, "EC PRIVATE KEY");
        assert!(
            detail("-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----")
                .contains("\"CERTIFICATE\" is not a key")
        );
        assert!(detail("-----BEGIN PUBLIC KEY-----\nAAEC\n").contains("no END line"));
        assert!(
            detail("-----BEGIN PUBLIC KEY-----\nAA*C\n-----END PUBLIC KEY-----")
                .contains("not valid base64")
        );
        assert!(
            detail("-----BEGIN PUBLIC KEY-----\nAAECA\n-----END PUBLIC KEY-----")
                .contains("not valid base64")
        );
        assert!(detail("-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----").contains("empty"));
        assert!(
            detail("-----BEGIN PUBLIC KEY-----\nAAEC\n-----END PRIVATE KEY-----")
                .contains("different label")
        );
        assert!(detail(
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAEC\n-----END ENCRYPTED PRIVATE KEY-----"
        )
        .contains("encrypted"));
        assert!(detail("-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nAAEC\n-----END RSA PRIVATE KEY-----")
            .contains("encrypted"));
        let two = "-----BEGIN PUBLIC KEY-----\nAAEC\n-----END PUBLIC KEY-----\n".repeat(2);
        assert!(detail(&two).contains("more than one"));
        assert!(detail("-----BEGIN").contains("no PEM key block"));
    }

    #[test]
    fn labels_found_in_the_text_are_named_only_when_registered() {
        let marker = "ZQ9SECRETMARKERLABEL";
        for body in ["AAEC", "AA*C", ""] {
            let text = format!("-----BEGIN {marker}-----\n{body}\n-----END {marker}-----\n");
            let d = detail(&text);
            assert!(!d.contains("ZQ9"), "{d}");
            assert!(d.contains("a value of 20 characters"), "{d}");
        }
        let d = detail(&format!("-----BEGIN {marker}-----\nAAEC\n"));
        assert!(d.contains("no END line") && !d.contains("ZQ9"), "{d}");
        // indented boundaries, CRLF line ends and blank lines around blocks and in them
        // are fine
        for text in [
            "\r\n  -----BEGIN PUBLIC KEY-----\r\nAAEC\r\n  -----END PUBLIC KEY-----\r\n\r\n",
            "-----BEGIN PUBLIC KEY-----\n\nAA\n  \nEC\n\n-----END PUBLIC KEY-----",
            "-----BEGIN PUBLIC KEY-----\r\nAA\r\n\r\nEC\r\n-----END PUBLIC KEY-----\r\n",
        ] {
            let b = key_block(text).unwrap();
            assert_eq!(b.der.as_slice(), [0u8, 1, 2], "{text:?}");
        }
    }
}

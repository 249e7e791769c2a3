//! PEM keys (RFC 7468): the one key block of the text, with its label, read into a key
//! of its family. Explanatory text outside blocks is ignored; an `EC PARAMETERS` block
//! (as `openssl ecparam -genkey` writes before the key) is skipped.
//!
//! Private keys: PKCS#8 ("PRIVATE KEY"), PKCS#1 ("RSA PRIVATE KEY"), SEC1 ("EC PRIVATE
//! KEY"); public keys: SPKI ("PUBLIC KEY"), PKCS#1 ("RSA PUBLIC KEY").

use super::der;
use crate::alg::Curve;
use crate::crypto::ecdsa::{self, EcKey};
use crate::crypto::eddsa::{self, EdKey};
use crate::crypto::rsa::RsaKey;
use crate::crypto::KeyMaterial;
use crate::error::{JwtError, Result};
use crate::keys::describe::{name_or_length, PEM_LABELS};
use base64::Engine;

/// The key of a PEM text.
pub fn parse_key(text: &str) -> Result<Box<dyn KeyMaterial>> {
    let block = key_block(text)?;
    let der_bytes = block.der.as_slice();
    match block.label.as_str() {
        "PRIVATE KEY" => from_pkcs8(der_bytes),
        "RSA PRIVATE KEY" => Ok(Box::new(RsaKey::from_pkcs1(der_bytes)?)),
        "EC PRIVATE KEY" => {
            let oid = der::sec1_curve(der_bytes).ok_or_else(|| {
                JwtError::invalid_key("the EC PRIVATE KEY is malformed or does not name its curve")
            })?;
            Ok(Box::new(EcKey::from_sec1(curve(oid)?, der_bytes)?))
        }
        "PUBLIC KEY" => from_spki(der_bytes),
        _ => {
            let (n, e) = der::rsa_public(der_bytes).ok_or_else(|| {
                JwtError::invalid_key("the RSA PUBLIC KEY is not a valid PKCS#1 public key")
            })?;
            Ok(Box::new(RsaKey::from_public(n, e)?))
        }
    }
}

fn from_pkcs8(der_bytes: &[u8]) -> Result<Box<dyn KeyMaterial>> {
    let (alg, inner) = der::pkcs8(der_bytes)
        .ok_or_else(|| JwtError::invalid_key("the PRIVATE KEY is not a valid PKCS#8 document"))?;
    match alg.oid {
        der::OID_RSA => Ok(Box::new(RsaKey::from_pkcs8(der_bytes, inner)?)),
        ecdsa::OID => Ok(Box::new(EcKey::from_pkcs8(
            curve(params_oid(alg.params)?)?,
            der_bytes,
        )?)),
        eddsa::OID => Ok(Box::new(EdKey::from_pkcs8(der_bytes)?)),
        other => Err(unsupported(other)),
    }
}

fn from_spki(der_bytes: &[u8]) -> Result<Box<dyn KeyMaterial>> {
    let (alg, bits) = der::spki(der_bytes).ok_or_else(|| {
        JwtError::invalid_key("the PUBLIC KEY is not a valid SubjectPublicKeyInfo")
    })?;
    match alg.oid {
        der::OID_RSA => {
            let (n, e) = der::rsa_public(bits)
                .ok_or_else(|| JwtError::invalid_key("the RSA public key is malformed"))?;
            Ok(Box::new(RsaKey::from_public(n, e)?))
        }
        ecdsa::OID => Ok(Box::new(EcKey::from_point(
            curve(params_oid(alg.params)?)?,
            bits,
        )?)),
        eddsa::OID => Ok(Box::new(EdKey::from_public(bits)?)),
        other => Err(unsupported(other)),
    }
}

fn params_oid(params: Option<(u8, &[u8])>) -> Result<&[u8]> {
    match params {
        Some((der::OID, oid)) => Ok(oid),
        _ => Err(JwtError::invalid_key(
            "the EC key does not name its curve (explicit parameters are not supported)",
        )),
    }
}

fn curve(oid: &[u8]) -> Result<Curve> {
    ecdsa::curve_of_oid(oid).ok_or_else(|| {
        JwtError::invalid_key(format!(
            "EC curve {} is not supported (P-256, P-384, P-521 are)",
            der::oid_name(oid)
        ))
    })
}

fn unsupported(oid: &[u8]) -> JwtError {
    JwtError::invalid_key(format!(
        "{} keys are not supported (RSA, EC and Ed25519 are)",
        der::oid_name(oid)
    ))
}

pub struct Block {
    pub label: String,
    pub der: Vec<u8>,
}

const KEY_LABELS: [&str; 5] = [
    "PRIVATE KEY",
    "RSA PRIVATE KEY",
    "EC PRIVATE KEY",
    "PUBLIC KEY",
    "RSA PUBLIC KEY",
];

/// The single key block of a PEM text.
pub fn key_block(text: &str) -> Result<Block> {
    let mut found: Option<Block> = None;
    let mut lines = text.lines().map(str::trim);
    while let Some(line) = lines.next() {
        crate::interrupt::check();
        let Some(label) = boundary(line, "-----BEGIN ") else {
            continue;
        };
        let label = label.to_string();
        let mut body = String::new();
        let mut ended = false;
        for line in lines.by_ref() {
            if let Some(end) = boundary(line, "-----END ") {
                if end != label {
                    return Err(JwtError::invalid_key(format!(
                        "PEM block {} ends with a different label",
                        name_or_length(&label, PEM_LABELS)
                    )));
                }
                ended = true;
                break;
            }
            if line.contains(':') {
                // RFC 1421 headers ("Proc-Type: 4,ENCRYPTED", "DEK-Info: ...")
                return Err(JwtError::invalid_key(
                    "encrypted PEM keys are not supported: decrypt the key first",
                ));
            }
            body.push_str(line);
        }
        if !ended {
            return Err(JwtError::invalid_key(format!(
                "PEM block {} has no END line (truncated?)",
                name_or_length(&label, PEM_LABELS)
            )));
        }
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
        let der = decode_body(&body, &label)?;
        found = Some(Block { label, der });
    }
    found.ok_or_else(|| JwtError::invalid_key("no PEM key block found"))
}

/// `-----BEGIN LABEL-----` -> `LABEL`
fn boundary<'a>(line: &'a str, prefix: &str) -> Option<&'a str> {
    line.strip_prefix(prefix)?.strip_suffix("-----")
}

fn decode_body(body: &str, label: &str) -> Result<Vec<u8>> {
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    let der = engine.decode(body.as_bytes()).map_err(|_| {
        JwtError::invalid_key(format!(
            "the body of PEM block \"{label}\" is not valid base64"
        ))
    })?;
    if der.is_empty() {
        return Err(JwtError::invalid_key(format!(
            "PEM block \"{label}\" is empty"
        )));
    }
    Ok(der)
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
}

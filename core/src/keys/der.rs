//! Key containers, read by RustCrypto's crates: PKCS#8 (RFC 5958, `pkcs8`),
//! SubjectPublicKeyInfo (RFC 5280, `spki`), PKCS#1 (RFC 8017, `pkcs1`) and SEC1
//! (RFC 5915, `sec1`). The algorithm identifier picks the family (crypto/), which builds
//! the key; what is refused is named here (the container, the algorithm or curve found),
//! never by bytes of the key. A text that is such a container in base64, without PEM
//! armour, is recognised ([`bare_key`]) so that it is never taken as an HMAC secret.

use super::describe::oid_name;
use crate::alg::Curve;
use crate::crypto::ecdsa::{self, EcKey};
use crate::crypto::eddsa::{self, EdKey};
use crate::crypto::rsa::{self, RsaKey};
use crate::crypto::KeyMaterial;
use crate::error::{JwtError, Result};
use base64::Engine;
use pkcs1::RsaPublicKey;
use pkcs8::der::Decode;
use pkcs8::PrivateKeyInfo;
use sec1::EcPrivateKey;
use spki::{AlgorithmIdentifierRef, ObjectIdentifier, SubjectPublicKeyInfoRef};
use zeroize::Zeroizing;

/// The key in `der`, a container of the kind its PEM `label` names.
pub fn parse_key(label: &str, der: &[u8]) -> Result<Box<dyn KeyMaterial>> {
    match label {
        "PRIVATE KEY" => from_pkcs8(der),
        "RSA PRIVATE KEY" => Ok(Box::new(RsaKey::from_pkcs1(der)?)),
        "EC PRIVATE KEY" => {
            let named = EcPrivateKey::from_der(der)
                .ok()
                .and_then(|k| k.parameters)
                .and_then(|p| p.named_curve());
            let oid = named.ok_or_else(|| {
                JwtError::invalid_key("the EC PRIVATE KEY is malformed or does not name its curve")
            })?;
            Ok(Box::new(EcKey::from_sec1(curve(oid)?, der)?))
        }
        "PUBLIC KEY" => from_spki(der),
        _ => {
            let key = RsaPublicKey::from_der(der).map_err(|_| {
                JwtError::invalid_key("the RSA PUBLIC KEY is not a valid PKCS#1 public key")
            })?;
            Ok(Box::new(RsaKey::from_public(
                key.modulus.as_bytes(),
                key.public_exponent.as_bytes(),
            )?))
        }
    }
}

/// Fewest characters of base64 checked for a key container: the smallest one read here
/// (an Ed25519 SubjectPublicKeyInfo, 44 bytes) takes 60.
const MIN_BARE_CHARS: usize = 56;

/// `text` is base64 (either alphabet, padding optional, whitespace anywhere) of a key
/// container in DER form: a PEM body without its armour. Cheap for other texts: only one
/// that could be such base64 and starts like a DER SEQUENCE ("M": 0x30) is decoded.
pub(crate) fn bare_key(text: &str) -> bool {
    let text = text.trim();
    let base64 = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_');
    if !text.starts_with('M')
        || text.len() < MIN_BARE_CHARS
        || !text
            .bytes()
            .all(|b| base64(b) || b == b'=' || b.is_ascii_whitespace())
    {
        return false;
    }
    // a copy of what may be a secret: wiped when dropped, allocated once
    let mut compact = Zeroizing::new(Vec::with_capacity(text.len()));
    compact.extend(
        text.bytes()
            .filter(|b| !b.is_ascii_whitespace())
            .map(|b| match b {
                b'+' => b'-',
                b'/' => b'_',
                b => b,
            }),
    );
    let Ok(der) = super::BASE64URL_ANY_PADDING.decode(compact.as_slice()) else {
        return false;
    };
    let der = Zeroizing::new(der);
    der.first() == Some(&0x30)
        && (SubjectPublicKeyInfoRef::from_der(&der).is_ok()
            || PrivateKeyInfo::from_der(&der).is_ok()
            || pkcs1::RsaPrivateKey::from_der(&der).is_ok()
            || RsaPublicKey::from_der(&der).is_ok()
            || EcPrivateKey::from_der(&der).is_ok())
}

/// PKCS#8 `PrivateKeyInfo` / `OneAsymmetricKey` (v1 or v2).
fn from_pkcs8(der: &[u8]) -> Result<Box<dyn KeyMaterial>> {
    let info = PrivateKeyInfo::from_der(der)
        .map_err(|_| JwtError::invalid_key("the PRIVATE KEY is not a valid PKCS#8 document"))?;
    match info.algorithm.oid {
        rsa::OID => Ok(Box::new(RsaKey::from_pkcs8(der, info.private_key)?)),
        ecdsa::OID => Ok(Box::new(EcKey::from_pkcs8(
            named_curve(&info.algorithm)?,
            der,
        )?)),
        eddsa::OID => Ok(Box::new(EdKey::from_pkcs8(der)?)),
        other => Err(unsupported(other)),
    }
}

/// SubjectPublicKeyInfo.
fn from_spki(der: &[u8]) -> Result<Box<dyn KeyMaterial>> {
    let invalid = || JwtError::invalid_key("the PUBLIC KEY is not a valid SubjectPublicKeyInfo");
    let info = SubjectPublicKeyInfoRef::from_der(der).map_err(|_| invalid())?;
    // a key is whole bytes: a BIT STRING with unused bits is not one
    let bits = info.subject_public_key.as_bytes().ok_or_else(invalid)?;
    match info.algorithm.oid {
        rsa::OID => {
            let key = RsaPublicKey::from_der(bits)
                .map_err(|_| JwtError::invalid_key("the RSA public key is malformed"))?;
            Ok(Box::new(RsaKey::from_public(
                key.modulus.as_bytes(),
                key.public_exponent.as_bytes(),
            )?))
        }
        ecdsa::OID => Ok(Box::new(EcKey::from_point(
            named_curve(&info.algorithm)?,
            bits,
        )?)),
        eddsa::OID => Ok(Box::new(EdKey::from_public(bits)?)),
        other => Err(unsupported(other)),
    }
}

/// The curve an EC key's algorithm parameters name (RFC 5480 `namedCurve`).
fn named_curve(algorithm: &AlgorithmIdentifierRef<'_>) -> Result<Curve> {
    let oid = algorithm.parameters_oid().map_err(|_| {
        JwtError::invalid_key(
            "the EC key does not name its curve (explicit parameters are not supported)",
        )
    })?;
    curve(oid)
}

fn curve(oid: ObjectIdentifier) -> Result<Curve> {
    ecdsa::curve_of_oid(oid).ok_or_else(|| {
        JwtError::invalid_key(format!(
            "EC curve {} is not supported (P-256, P-384, P-521 are)",
            oid_name(oid)
        ))
    })
}

fn unsupported(oid: ObjectIdentifier) -> JwtError {
    JwtError::invalid_key(format!(
        "{} keys are not supported (RSA, EC and Ed25519 are)",
        oid_name(oid)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Kind;

    fn detail(label: &str, der: &[u8]) -> String {
        let e = parse_key(label, der).err().expect("refused");
        assert_eq!(e.kind, Kind::InvalidKey);
        e.detail.unwrap_or_default()
    }

    #[test]
    fn short_and_overlong_input_is_refused() {
        // truncated, indefinite and overlong lengths, trailing data, a negative modulus
        for der in [
            &[0x30][..],
            &[0x30, 0x85, 1, 1, 1, 1, 1],
            &[0x30, 0x82, 0xff, 0xff, 0],
            &[0x30, 0x80],
            &[0x30, 0x00],
            &[],
        ] {
            assert!(detail("PRIVATE KEY", der).contains("not a valid PKCS#8"));
            assert!(detail("PUBLIC KEY", der).contains("not a valid SubjectPublicKeyInfo"));
            assert!(detail("RSA PUBLIC KEY", der).contains("not a valid PKCS#1"));
            assert!(detail("EC PRIVATE KEY", der).contains("malformed"));
        }
        let negative = [0x30, 0x06, 0x02, 0x01, 0x80, 0x02, 0x01, 0x03];
        assert!(detail("RSA PUBLIC KEY", &negative).contains("not a valid PKCS#1"));
    }

    #[test]
    fn unsupported_algorithms_and_curves_are_named() {
        // SPKI of an X25519 key and of a secp256k1 key (public test vectors' shapes)
        let x25519 = [
            &[
                0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00,
            ][..],
            &[7u8; 32],
        ]
        .concat();
        assert_eq!(
            detail("PUBLIC KEY", &x25519),
            "X25519 keys are not supported (RSA, EC and Ed25519 are)"
        );
        let k256 = [
            &[
                0x30, 0x36, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06,
                0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a, 0x03, 0x22, 0x00, 0x02,
            ][..],
            &[7u8; 32],
        ]
        .concat();
        assert_eq!(
            detail("PUBLIC KEY", &k256),
            "EC curve secp256k1 is not supported (P-256, P-384, P-521 are)"
        );
        let unknown = [
            &[
                0x30, 0x2b, 0x30, 0x06, 0x06, 0x04, 0x2a, 0x03, 0x04, 0x05, 0x03, 0x21, 0x00,
            ][..],
            &[7u8; 32],
        ]
        .concat();
        assert_eq!(
            detail("PUBLIC KEY", &unknown),
            "OID 1.2.3.4.5 keys are not supported (RSA, EC and Ed25519 are)"
        );
    }
}

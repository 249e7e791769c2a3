//! Naming what was found in a key text without quoting it.
//!
//! A key text may be a secret (the configured `JWT_SECRET`, or a caller's HMAC secret
//! that merely looks like JSON or PEM), and error details reach clients and the server
//! log. So a detail never repeats bytes of the text: a value is named only when it is
//! one of the well-known names listed here (a registered JOSE or PEM name is not a
//! secret); anything else is described by its length alone.

use spki::ObjectIdentifier;

/// `"NAME"` when `value` is one of `known`, else `a value of N characters`.
pub fn name_or_length(value: &str, known: &[&'static str]) -> String {
    match known.iter().find(|k| **k == value) {
        Some(k) => format!("\"{k}\""),
        None => format!("a value of {} characters", value.chars().count()),
    }
}

/// JWK key types (IANA "JSON Web Key Types").
pub const KTY: &[&str] = &["oct", "RSA", "EC", "OKP", "AKP"];

/// Curves (IANA "JSON Web Key Elliptic Curve").
pub const CRV: &[&str] = &[
    "P-256",
    "P-384",
    "P-521",
    "Ed25519",
    "Ed448",
    "X25519",
    "X448",
    "secp256k1",
];

/// Algorithms (IANA "JSON Web Signature and Encryption Algorithms").
pub const ALG: &[&str] = &[
    "HS256",
    "HS384",
    "HS512",
    "RS256",
    "RS384",
    "RS512",
    "ES256",
    "ES384",
    "ES512",
    "PS256",
    "PS384",
    "PS512",
    "EdDSA",
    "Ed25519",
    "Ed448",
    "ES256K",
    "none",
    "RSA1_5",
    "RSA-OAEP",
    "RSA-OAEP-256",
    "RSA-OAEP-384",
    "RSA-OAEP-512",
    "A128KW",
    "A192KW",
    "A256KW",
    "dir",
    "ECDH-ES",
    "ECDH-ES+A128KW",
    "ECDH-ES+A192KW",
    "ECDH-ES+A256KW",
    "A128GCMKW",
    "A192GCMKW",
    "A256GCMKW",
    "PBES2-HS256+A128KW",
    "PBES2-HS384+A192KW",
    "PBES2-HS512+A256KW",
    "A128CBC-HS256",
    "A192CBC-HS384",
    "A256CBC-HS512",
    "A128GCM",
    "A192GCM",
    "A256GCM",
    "ML-DSA-44",
    "ML-DSA-65",
    "ML-DSA-87",
];

/// JWK `use` values (RFC 7517 4.2).
pub const USE: &[&str] = &["sig", "enc"];

/// PEM labels (RFC 7468 and common OpenSSL/OpenSSH ones).
pub const PEM_LABELS: &[&str] = &[
    "CERTIFICATE",
    "TRUSTED CERTIFICATE",
    "X509 CRL",
    "CERTIFICATE REQUEST",
    "NEW CERTIFICATE REQUEST",
    "PKCS7",
    "CMS",
    "ATTRIBUTE CERTIFICATE",
    "PRIVATE KEY",
    "PUBLIC KEY",
    "ENCRYPTED PRIVATE KEY",
    "RSA PRIVATE KEY",
    "RSA PUBLIC KEY",
    "EC PRIVATE KEY",
    "EC PARAMETERS",
    "DSA PRIVATE KEY",
    "DSA PARAMETERS",
    "DH PARAMETERS",
    "X9.42 DH PARAMETERS",
    "OPENSSH PRIVATE KEY",
    "SSH2 PUBLIC KEY",
    "PGP PUBLIC KEY BLOCK",
    "PGP PRIVATE KEY BLOCK",
    "PGP MESSAGE",
    "PGP SIGNATURE",
];

/// Key algorithms and curves we do not support, by OID (RFC 8410, RFC 4055, RFC 5480,
/// SEC 2), for naming them in a refusal.
const OIDS: &[(ObjectIdentifier, &str)] = &[
    (
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10"),
        "RSASSA-PSS",
    ),
    (ObjectIdentifier::new_unwrap("1.3.101.113"), "Ed448"),
    (ObjectIdentifier::new_unwrap("1.3.101.110"), "X25519"),
    (ObjectIdentifier::new_unwrap("1.3.101.111"), "X448"),
    (ObjectIdentifier::new_unwrap("1.2.840.10040.4.1"), "DSA"),
    (ObjectIdentifier::new_unwrap("1.3.132.0.10"), "secp256k1"),
    (ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.1"), "P-192"),
    (ObjectIdentifier::new_unwrap("1.3.132.0.33"), "P-224"),
];

/// A human name for a key algorithm or curve OID, else `OID <dotted form>` (an OID
/// names an algorithm, never key material).
pub fn oid_name(oid: ObjectIdentifier) -> String {
    match OIDS.iter().find(|(o, _)| *o == oid) {
        Some((_, name)) => (*name).to_string(),
        None => format!("OID {oid}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_registered_names_are_quoted() {
        assert_eq!(name_or_length("DSA", KTY), "a value of 3 characters");
        assert_eq!(name_or_length("AKP", KTY), "\"AKP\"");
        assert_eq!(name_or_length("secp256k1", CRV), "\"secp256k1\"");
        assert_eq!(
            name_or_length("my-secret-bytes-here", ALG),
            "a value of 20 characters"
        );
        assert_eq!(name_or_length("CERTIFICATE", PEM_LABELS), "\"CERTIFICATE\"");
    }

    #[test]
    fn oids_are_named_or_dotted() {
        assert_eq!(
            oid_name(ObjectIdentifier::new_unwrap("1.3.101.110")),
            "X25519"
        );
        assert_eq!(
            oid_name(ObjectIdentifier::new_unwrap("1.3.132.0.35")),
            "OID 1.3.132.0.35"
        );
        assert_eq!(
            oid_name(ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1")),
            "OID 1.2.840.113549.1.1.1"
        );
    }
}

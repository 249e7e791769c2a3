//! JWS algorithms (RFC 7518, RFC 8037) and the key family each one needs.

use crate::error::{JwtError, Kind, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Alg {
    HS256,
    HS384,
    HS512,
    RS256,
    RS384,
    RS512,
    PS256,
    PS384,
    PS512,
    ES256,
    ES384,
    ES512,
    EdDSA,
}

/// The key type an algorithm is bound to. Binding the family to the key type is what
/// defeats algorithm confusion (an RSA public key used as an HMAC secret, and so on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Hmac,
    Rsa,
    /// ECDSA on the named curve: P-256, P-384 or P-521
    Ec(&'static str),
    /// Ed25519
    Okp,
}

impl Alg {
    pub const ALL: [Alg; 13] = [
        Alg::HS256,
        Alg::HS384,
        Alg::HS512,
        Alg::RS256,
        Alg::RS384,
        Alg::RS512,
        Alg::PS256,
        Alg::PS384,
        Alg::PS512,
        Alg::ES256,
        Alg::ES384,
        Alg::ES512,
        Alg::EdDSA,
    ];

    /// The algorithm a token header names; exact, case-sensitive (RFC 7515 4.1.1).
    pub fn from_header(name: &str) -> Option<Alg> {
        Alg::ALL.into_iter().find(|a| a.name() == name)
    }

    /// The algorithm a caller names in SQL: case-insensitive, `'none'` refused.
    pub fn from_arg(name: &str) -> Result<Alg> {
        Alg::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| {
                JwtError::with_detail(
                    Kind::UnknownAlgorithm,
                    format!(
                        "\"{}\" is not one of HS256, HS384, HS512, RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA",
                        truncate(name, 40)
                    ),
                )
            })
    }

    pub fn name(self) -> &'static str {
        match self {
            Alg::HS256 => "HS256",
            Alg::HS384 => "HS384",
            Alg::HS512 => "HS512",
            Alg::RS256 => "RS256",
            Alg::RS384 => "RS384",
            Alg::RS512 => "RS512",
            Alg::PS256 => "PS256",
            Alg::PS384 => "PS384",
            Alg::PS512 => "PS512",
            Alg::ES256 => "ES256",
            Alg::ES384 => "ES384",
            Alg::ES512 => "ES512",
            Alg::EdDSA => "EdDSA",
        }
    }

    pub fn family(self) -> Family {
        match self {
            Alg::HS256 | Alg::HS384 | Alg::HS512 => Family::Hmac,
            Alg::RS256 | Alg::RS384 | Alg::RS512 | Alg::PS256 | Alg::PS384 | Alg::PS512 => {
                Family::Rsa
            }
            Alg::ES256 => Family::Ec("P-256"),
            Alg::ES384 => Family::Ec("P-384"),
            Alg::ES512 => Family::Ec("P-521"),
            Alg::EdDSA => Family::Okp,
        }
    }
}

/// Cut user-supplied text for a DETAIL line (on a char boundary).
pub fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_names_are_exact_and_args_case_insensitive() {
        assert_eq!(Alg::from_header("HS256"), Some(Alg::HS256));
        assert_eq!(Alg::from_header("hs256"), None);
        assert_eq!(Alg::from_header("none"), None);
        assert_eq!(Alg::from_arg("hs512").unwrap(), Alg::HS512);
        assert_eq!(Alg::from_arg("eddsa").unwrap(), Alg::EdDSA);
        assert_eq!(
            Alg::from_arg("none").unwrap_err().kind,
            Kind::UnknownAlgorithm
        );
        assert_eq!(Alg::ES512.family(), Family::Ec("P-521"));
    }
}

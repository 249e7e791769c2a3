//! JWS algorithms (RFC 7518, RFC 8037): the one table of the algorithms pgrst_jwt knows,
//! and the key family each one is bound to.
//!
//! Adding an algorithm is a row in the table below (its JOSE name and its family), plus
//! its parameters in the file of its family in `crypto/` (the hash and padding of an RSA
//! algorithm, the curve of an ECDSA one).

use crate::error::{truncate, JwtError, Kind, Result};

/// The key type an algorithm is bound to. Binding the family to the key type is what
/// defeats algorithm confusion (an RSA public key used as an HMAC secret, an ES256
/// signature against a P-384 key, and so on): a key serves exactly the algorithms of its
/// family ([`Family::serves`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// HMAC secrets
    Hmac,
    /// RSA keys (PKCS#1 v1.5 and PSS alike)
    Rsa,
    /// ECDSA keys on one curve; each curve has one algorithm
    Ec(Curve),
    /// Ed25519 keys (JWK `kty` "OKP")
    Okp,
}

/// The curves of ECDSA keys (JWK `crv`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curve {
    P256,
    P384,
    P521,
}

/// The table: each algorithm (its JOSE name is the variant's name) and its family.
/// Generates [`Alg`], [`Alg::ALL`] (in table order), [`Alg::name`] and [`Alg::family`].
macro_rules! algorithms {
    ($($alg:ident => $family:expr;)*) => {
        /// A JWS algorithm.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Alg {
            $($alg,)*
        }

        impl Alg {
            /// Every algorithm, in table order.
            pub const ALL: &'static [Alg] = &[$(Alg::$alg,)*];

            /// The JOSE name (`alg` of a header or a JWK).
            pub fn name(self) -> &'static str {
                match self {
                    $(Alg::$alg => stringify!($alg),)*
                }
            }

            /// The key family the algorithm is bound to.
            pub fn family(self) -> Family {
                match self {
                    $(Alg::$alg => $family,)*
                }
            }
        }
    };
}

// The first algorithm of a family is what its keys sign with when none is named.
algorithms! {
    HS256 => Family::Hmac;
    HS384 => Family::Hmac;
    HS512 => Family::Hmac;
    RS256 => Family::Rsa;
    RS384 => Family::Rsa;
    RS512 => Family::Rsa;
    PS256 => Family::Rsa;
    PS384 => Family::Rsa;
    PS512 => Family::Rsa;
    ES256 => Family::Ec(Curve::P256);
    ES384 => Family::Ec(Curve::P384);
    ES512 => Family::Ec(Curve::P521);
    EdDSA => Family::Okp;
}

impl Alg {
    /// The algorithm a token header names; exact, case-sensitive (RFC 7515 4.1.1).
    pub fn from_header(name: &str) -> Option<Alg> {
        Alg::ALL.iter().copied().find(|a| a.name() == name)
    }

    /// The algorithm a caller names in SQL: case-insensitive, `'none'` refused.
    pub fn from_arg(name: &str) -> Result<Alg> {
        Alg::ALL
            .iter()
            .copied()
            .find(|a| a.name().eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| {
                let known: Vec<&str> = Alg::ALL.iter().map(|a| a.name()).collect();
                JwtError::with_detail(
                    Kind::UnknownAlgorithm,
                    format!(
                        "\"{}\" is not one of {}",
                        truncate(name, 40),
                        known.join(", ")
                    ),
                )
            })
    }
}

impl Family {
    /// Whether a key of this family may be used with `alg`: the key-fit check (a JWK's
    /// `alg` narrows it to one algorithm, see `Key::fits`).
    pub fn serves(self, alg: Alg) -> bool {
        alg.family() == self
    }

    /// What a key of this family signs with when no algorithm is named: the family's
    /// first algorithm in the table (HS256, RS256, the curve's ES algorithm, EdDSA).
    pub fn default_alg(self) -> Alg {
        let first = Alg::ALL.iter().copied().find(|a| a.family() == self);
        // every family has a row in the table (tested); HS256 is never reached
        first.unwrap_or(Alg::HS256)
    }

    /// The JWK `kty`.
    pub fn kty(self) -> &'static str {
        match self {
            Family::Hmac => "oct",
            Family::Rsa => "RSA",
            Family::Ec(_) => "EC",
            Family::Okp => "OKP",
        }
    }

    /// For error details: "an HMAC secret", "an RSA public key", "an EC P-256 private
    /// key", "an Ed25519 private key".
    pub fn describe(self, private: bool) -> String {
        let part = if private { "private" } else { "public" };
        match self {
            Family::Hmac => "an HMAC secret".to_string(),
            Family::Rsa => format!("an RSA {part} key"),
            Family::Ec(c) => format!("an EC {} {part} key", c.name()),
            Family::Okp => format!("an Ed25519 {part} key"),
        }
    }
}

impl Curve {
    /// The JWK `crv` name.
    pub fn name(self) -> &'static str {
        match self {
            Curve::P256 => "P-256",
            Curve::P384 => "P-384",
            Curve::P521 => "P-521",
        }
    }

    pub fn from_name(name: &str) -> Option<Curve> {
        [Curve::P256, Curve::P384, Curve::P521]
            .into_iter()
            .find(|c| c.name() == name)
    }

    /// Bytes of one coordinate (and of the private scalar).
    pub fn size(self) -> usize {
        match self {
            Curve::P256 => 32,
            Curve::P384 => 48,
            Curve::P521 => 66,
        }
    }
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
        assert_eq!(Alg::ES512.family(), Family::Ec(Curve::P521));
    }

    #[test]
    fn the_table_gives_names_families_and_defaults() {
        assert_eq!(Alg::ALL.len(), 13);
        assert_eq!(
            Alg::from_arg("x").unwrap_err().detail.unwrap(),
            "\"x\" is not one of HS256, HS384, HS512, RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA"
        );
        let defaults = [
            (Family::Hmac, Alg::HS256),
            (Family::Rsa, Alg::RS256),
            (Family::Ec(Curve::P256), Alg::ES256),
            (Family::Ec(Curve::P384), Alg::ES384),
            (Family::Ec(Curve::P521), Alg::ES512),
            (Family::Okp, Alg::EdDSA),
        ];
        for (family, alg) in defaults {
            assert_eq!(family.default_alg(), alg);
            assert!(family.serves(alg));
        }
        assert!(!Family::Ec(Curve::P256).serves(Alg::ES384));
        assert!(!Family::Rsa.serves(Alg::HS256) && Family::Rsa.serves(Alg::PS512));
        assert_eq!(Curve::from_name("P-384"), Some(Curve::P384));
        assert_eq!(Curve::from_name("p-384"), None);
    }
}

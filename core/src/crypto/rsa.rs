//! RSA: RS256/384/512 (PKCS#1 v1.5) and PS256/384/512 (PSS, salt = hash length),
//! RFC 7518 3.3 and 3.5. The public key is parsed once into one ready verifier per
//! algorithm; keys of 2048 to 8192 bits, and private keys whose two primes have at least
//! 1024 bits each (a key with a small prime is factored at once, whatever its length).

use super::{b64u, backend_failed, not_served, strip_zeros, KeyMaterial, Signer, Verifier};
use crate::alg::{Alg, Family};
use crate::error::{JwtError, Result};
use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeyPairComponents, KeySize, PublicKeyComponents};
use aws_lc_rs::signature::{self, KeyPair as _, ParsedPublicKey, RsaEncoding, RsaParameters};
use pkcs1::RsaPrivateKey;
use pkcs8::der::Decode;
use pkcs8::PrivateKeyInfo;
use serde_json::{Map, Value};
use spki::ObjectIdentifier;

/// rsaEncryption (RFC 8017), the algorithm of RSA keys in PKCS#8 and SPKI.
pub const OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

pub const MIN_BITS: usize = 2048;
pub const MAX_BITS: usize = 8192;
/// Fewest bits of each prime of a private key: half of the shortest modulus.
pub const MIN_PRIME_BITS: usize = MIN_BITS / 2;

/// The verification parameters and the signing encoding of each RSA algorithm.
fn parameters(alg: Alg) -> Option<(&'static RsaParameters, &'static dyn RsaEncoding)> {
    use signature::*;
    Some(match alg {
        Alg::RS256 => (&RSA_PKCS1_2048_8192_SHA256, &RSA_PKCS1_SHA256),
        Alg::RS384 => (&RSA_PKCS1_2048_8192_SHA384, &RSA_PKCS1_SHA384),
        Alg::RS512 => (&RSA_PKCS1_2048_8192_SHA512, &RSA_PKCS1_SHA512),
        Alg::PS256 => (&RSA_PSS_2048_8192_SHA256, &RSA_PSS_SHA256),
        Alg::PS384 => (&RSA_PSS_2048_8192_SHA384, &RSA_PSS_SHA384),
        Alg::PS512 => (&RSA_PSS_2048_8192_SHA512, &RSA_PSS_SHA512),
        _ => return None,
    })
}

pub struct RsaKey {
    n: Vec<u8>,
    e: Vec<u8>,
    /// one parsed public key per RSA algorithm of the table
    verifiers: Vec<(Alg, ParsedPublicKey)>,
    pair: Option<KeyPair>,
}

impl RsaKey {
    /// A public key from its modulus and exponent (big-endian).
    pub fn from_public(n: &[u8], e: &[u8]) -> Result<RsaKey> {
        Self::build(n, e, None)
    }

    /// PKCS#8 `PrivateKeyInfo`; `inner` is its `RSAPrivateKey`.
    pub fn from_pkcs8(pkcs8: &[u8], inner: &[u8]) -> Result<RsaKey> {
        let key = two_prime(inner)
            .ok_or_else(|| JwtError::invalid_key("the PKCS#8 RSA private key is malformed"))?;
        check_public(key.modulus.as_bytes(), key.public_exponent.as_bytes())?;
        check_primes(key.prime1.as_bytes(), key.prime2.as_bytes())?;
        let pair = KeyPair::from_pkcs8(pkcs8).map_err(|e| rejected("PKCS#8 RSA private key", e))?;
        Self::with_pair(pair)
    }

    /// PKCS#1 `RSAPrivateKey` ("RSA PRIVATE KEY").
    pub fn from_pkcs1(der: &[u8]) -> Result<RsaKey> {
        let key = two_prime(der)
            .ok_or_else(|| JwtError::invalid_key("the PKCS#1 RSA private key is malformed"))?;
        check_public(key.modulus.as_bytes(), key.public_exponent.as_bytes())?;
        check_primes(key.prime1.as_bytes(), key.prime2.as_bytes())?;
        let pair = KeyPair::from_der(der).map_err(|e| rejected("PKCS#1 RSA private key", e))?;
        Self::with_pair(pair)
    }

    /// A private key from JWK members n, e, d, p, q, dp, dq, qi (big-endian).
    pub fn from_components(c: [&[u8]; 8]) -> Result<RsaKey> {
        let (n, e) = (strip_zeros(c[0]), strip_zeros(c[1]));
        check_public(n, e)?;
        check_primes(c[3], c[4])?;
        let parts = KeyPairComponents {
            public_key: PublicKeyComponents { n, e },
            d: c[2],
            p: c[3],
            q: c[4],
            dP: c[5],
            dQ: c[6],
            qInv: c[7],
        };
        let pair = KeyPair::from_components(&parts)
            .map_err(|_| JwtError::invalid_key("the RSA private JWK members are inconsistent"))?;
        Self::with_pair(pair)
    }

    pub fn generate() -> Result<RsaKey> {
        let pair = KeyPair::generate(KeySize::Rsa2048)
            .map_err(|_| backend_failed("RSA key generation failed"))?;
        Self::with_pair(pair)
    }

    fn with_pair(pair: KeyPair) -> Result<RsaKey> {
        let public = pair.public_key();
        let n = public.modulus().big_endian_without_leading_zero().to_vec();
        let e = public.exponent().big_endian_without_leading_zero().to_vec();
        Self::build(&n, &e, Some(pair))
    }

    fn build(n: &[u8], e: &[u8], pair: Option<KeyPair>) -> Result<RsaKey> {
        let (n, e) = (strip_zeros(n), strip_zeros(e));
        check_public(n, e)?;
        let components = PublicKeyComponents { n, e };
        let mut verifiers = Vec::new();
        for &alg in Alg::ALL {
            if let Some((params, _)) = parameters(alg) {
                let parsed = components
                    .to_parsed_public_key(params)
                    .map_err(|e| rejected("RSA public key", e))?;
                verifiers.push((alg, parsed));
            }
        }
        Ok(RsaKey {
            n: n.to_vec(),
            e: e.to_vec(),
            verifiers,
            pair,
        })
    }
}

impl Signer for RsaKey {
    fn can_sign(&self) -> bool {
        self.pair.is_some()
    }

    fn sign(&self, alg: Alg, msg: &[u8]) -> Result<Vec<u8>> {
        let Some((_, encoding)) = parameters(alg) else {
            return Err(not_served(Family::Rsa, alg));
        };
        let Some(pair) = &self.pair else {
            return Err(backend_failed("an RSA public key was asked to sign"));
        };
        let mut sig = vec![0u8; pair.public_modulus_len()];
        pair.sign(encoding, &SystemRandom::new(), msg, &mut sig)
            .map_err(|_| backend_failed("RSA signing failed"))?;
        Ok(sig)
    }
}

impl Verifier for RsaKey {
    fn family(&self) -> Family {
        Family::Rsa
    }

    fn verify(&self, alg: Alg, msg: &[u8], sig: &[u8]) -> bool {
        self.verifiers
            .iter()
            .find(|(a, _)| *a == alg)
            .is_some_and(|(_, v)| v.verify_sig(msg, sig).is_ok())
    }
}

impl KeyMaterial for RsaKey {
    fn public_jwk(&self) -> Option<Map<String, Value>> {
        let mut m = Map::new();
        m.insert("kty".into(), "RSA".into());
        m.insert("n".into(), b64u(&self.n));
        m.insert("e".into(), b64u(&self.e));
        Some(m)
    }

    /// Adds d, p, q, dp, dq, qi, read back from the key pair's PKCS#8 form.
    fn private_jwk(&self) -> Option<Map<String, Value>> {
        let pair = self.pair.as_ref()?;
        let doc: Pkcs8V1Der = AsDer::<Pkcs8V1Der>::as_der(pair).ok()?;
        let info = PrivateKeyInfo::from_der(doc.as_ref()).ok()?;
        let k = two_prime(info.private_key)?;
        let mut m = self.public_jwk()?;
        for (name, value) in [
            ("d", k.private_exponent),
            ("p", k.prime1),
            ("q", k.prime2),
            ("dp", k.exponent1),
            ("dq", k.exponent2),
            ("qi", k.coefficient),
        ] {
            m.insert(name.into(), b64u(value.as_bytes()));
        }
        Some(m)
    }
}

/// A PKCS#1 `RSAPrivateKey` of two primes (multi-prime keys are not supported: the
/// crate refuses them without its `alloc` feature).
fn two_prime(der: &[u8]) -> Option<RsaPrivateKey<'_>> {
    RsaPrivateKey::from_der(der).ok()
}

/// The size in bits of a big-endian unsigned value.
fn bits(v: &[u8]) -> usize {
    let v = strip_zeros(v);
    match v.first() {
        Some(b) => (v.len() - 1) * 8 + (8 - b.leading_zeros() as usize),
        None => 0,
    }
}

/// Refuses a private key with a prime shorter than [`MIN_PRIME_BITS`]: its modulus may
/// be long enough, but a small factor is found at once (n = 1000003 * q).
fn check_primes(p: &[u8], q: &[u8]) -> Result<()> {
    let shortest = bits(p).min(bits(q));
    if shortest < MIN_PRIME_BITS {
        return Err(JwtError::invalid_key(format!(
            "RSA private keys with a prime shorter than {MIN_PRIME_BITS} bits are refused \
             (this key has one of {shortest} bits)"
        )));
    }
    Ok(())
}

/// Refuses short, huge and malformed public parts; returns the modulus size in bits.
fn check_public(n: &[u8], e: &[u8]) -> Result<usize> {
    let bits = bits(n);
    let e = strip_zeros(e);
    if bits < MIN_BITS {
        return Err(JwtError::invalid_key(format!(
            "RSA keys shorter than {MIN_BITS} bits are refused (this key has {bits} bits)"
        )));
    }
    if bits > MAX_BITS {
        return Err(JwtError::invalid_key(format!(
            "RSA keys longer than {MAX_BITS} bits are not supported (this key has {bits} bits)"
        )));
    }
    let odd = e.last().is_some_and(|b| b & 1 == 1);
    if !odd || e == [1] || e.len() > 4 {
        return Err(JwtError::invalid_key(
            "the RSA public exponent is not acceptable (must be odd, > 1, at most 32 bits)",
        ));
    }
    Ok(bits)
}

fn rejected(what: &str, e: aws_lc_rs::error::KeyRejected) -> JwtError {
    JwtError::invalid_key(format!("the {what} was rejected ({})", e.description_()))
}

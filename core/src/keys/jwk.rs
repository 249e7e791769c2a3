//! JSON Web Keys (RFC 7517, RFC 7518 section 6, RFC 8037): `oct`, `RSA`, `EC`
//! (P-256/384/521) and `OKP` (Ed25519), public or private; JWK Sets; public export,
//! RFC 7638 thumbprints and key generation.

mod generate;
#[cfg(test)]
mod tests;
mod thumbprint;

pub use generate::generate;

use super::describe::{self, name_or_length};
use super::set::{Key, SecretLength};
use super::BASE64URL_ANY_PADDING;
use crate::alg::{Alg, Curve, Family};
use crate::crypto::ecdsa::EcKey;
use crate::crypto::eddsa::EdKey;
use crate::crypto::hmac::HmacKey;
use crate::crypto::rsa::RsaKey;
use crate::crypto::KeyMaterial;
use crate::error::{JwtError, Result};
use base64::Engine;
use serde_json::{Map, Value};
use zeroize::{Zeroize, Zeroizing};

/// One JWK object. Keeps `kid` and `alg`; an `alg` must be known and fit the key. An
/// `oct` key may have any length (see [`parse_jwk_with`]).
pub fn parse_jwk(obj: &Map<String, Value>) -> Result<Key> {
    parse_jwk_with(obj, SecretLength::Any)
}

/// One JWK object; the `k` of an `oct` key must have the `length` a secret text must.
pub(crate) fn parse_jwk_with(obj: &Map<String, Value>, length: SecretLength) -> Result<Key> {
    let kty = string_member(obj, "kty", "JWK")?
        .ok_or_else(|| JwtError::invalid_key("JWK lacks \"kty\""))?;
    let kid = string_member(obj, "kid", "JWK")?.map(str::to_string);
    let alg = match string_member(obj, "alg", "JWK")? {
        Some(a) => Some(Alg::from_header(a).ok_or_else(|| {
            JwtError::invalid_key(format!(
                "JWK \"alg\" ({}) is not a supported signature algorithm",
                name_or_length(a, describe::ALG)
            ))
        })?),
        None => None,
    };
    if let Some(u) = string_member(obj, "use", "JWK")? {
        if u != "sig" {
            return Err(JwtError::invalid_key(format!(
                "JWK \"use\" is {}: only signature keys (\"sig\") are accepted",
                name_or_length(u, describe::USE)
            )));
        }
    }
    let material: Box<dyn KeyMaterial> = match kty {
        "oct" => {
            let k = required(obj, "k", kty)?;
            if k.is_empty() {
                return Err(JwtError::invalid_key("oct JWK \"k\" is empty"));
            }
            length.check(&k, "the oct JWK \"k\"")?;
            Box::new(HmacKey::new(&k))
        }
        "RSA" => rsa_key(obj)?,
        "EC" => Box::new(ec_key(obj)?),
        "OKP" => Box::new(okp_key(obj)?),
        other => {
            return Err(JwtError::invalid_key(format!(
                "JWK \"kty\" {} is not supported (oct, RSA, EC and OKP are; case matters)",
                name_or_length(other, describe::KTY)
            )))
        }
    };
    let family = material.family();
    if let Some(a) = alg.filter(|a| !family.serves(*a)) {
        // another curve's algorithm: name the key's curve; another family's: its kty
        let what = match (a.family(), family) {
            (Family::Ec(_), Family::Ec(_)) => family.describe(material.can_sign()),
            _ => format!("kty {kty}"),
        };
        return Err(JwtError::invalid_key(format!(
            "JWK \"alg\" {} does not fit {what}",
            a.name()
        )));
    }
    let mut key = Key::new(material);
    key.kid = kid;
    key.alg = alg;
    Ok(key)
}

/// Most keys a JWK Set may hold (published sets hold two or three).
pub const MAX_KEYS_IN_SET: usize = 100;

/// A JWK Set (`{"keys":[...]}`). Members whose `use` is not "sig" are skipped; a
/// malformed member is an error naming its index (of its kind: a short `oct` key is
/// [`Kind::SecretTooShort`](crate::error::Kind)); no usable key is an error.
pub fn parse_jwks(obj: &Map<String, Value>, length: SecretLength) -> Result<Vec<Key>> {
    let keys = obj
        .get("keys")
        .and_then(Value::as_array)
        .ok_or_else(|| JwtError::invalid_key("a JWK Set needs a \"keys\" array"))?;
    if keys.len() > MAX_KEYS_IN_SET {
        return Err(JwtError::invalid_key(format!(
            "the JWK Set has {} keys; at most {MAX_KEYS_IN_SET} are accepted",
            keys.len()
        )));
    }
    let mut out = Vec::with_capacity(keys.len());
    for (i, k) in keys.iter().enumerate() {
        crate::interrupt::check();
        let Value::Object(o) = k else {
            return Err(JwtError::invalid_key(format!(
                "JWK Set member keys[{i}] is not an object"
            )));
        };
        if matches!(o.get("use"), Some(Value::String(u)) if u != "sig") {
            continue;
        }
        let key = parse_jwk_with(o, length).map_err(|e| {
            let detail = format!(
                "JWK Set member keys[{i}]: {}",
                e.detail.as_deref().unwrap_or("invalid")
            );
            JwtError::with_detail(e.kind, detail)
        })?;
        out.push(key);
    }
    if out.is_empty() {
        return Err(JwtError::invalid_key("the JWK Set holds no signature key"));
    }
    Ok(out)
}

fn rsa_key(obj: &Map<String, Value>) -> Result<Box<dyn KeyMaterial>> {
    let n = required(obj, "n", "RSA")?;
    let e = required(obj, "e", "RSA")?;
    if obj.contains_key("oth") {
        return Err(JwtError::invalid_key(
            "multi-prime RSA JWKs (\"oth\") are not supported",
        ));
    }
    let Some(d) = optional(obj, "d", "RSA")? else {
        return Ok(Box::new(RsaKey::from_public(&n, &e)?));
    };
    let mut crt: Vec<Zeroizing<Vec<u8>>> = Vec::with_capacity(5);
    for name in ["p", "q", "dp", "dq", "qi"] {
        crt.push(optional(obj, name, "RSA")?.ok_or_else(|| {
            JwtError::invalid_key(format!(
                "RSA private JWK lacks \"{name}\" (keys without the CRT members are not supported)"
            ))
        })?);
    }
    let c = [
        n.as_slice(),
        e.as_slice(),
        d.as_slice(),
        crt[0].as_slice(),
        crt[1].as_slice(),
        crt[2].as_slice(),
        crt[3].as_slice(),
        crt[4].as_slice(),
    ];
    Ok(Box::new(RsaKey::from_components(c)?))
}

fn ec_key(obj: &Map<String, Value>) -> Result<EcKey> {
    let crv = string_member(obj, "crv", "EC")?
        .ok_or_else(|| JwtError::invalid_key("EC JWK lacks \"crv\""))?;
    let curve = Curve::from_name(crv).ok_or_else(|| {
        JwtError::invalid_key(format!(
            "EC JWK \"crv\" {} is not supported (P-256, P-384 and P-521 are)",
            name_or_length(crv, describe::CRV)
        ))
    })?;
    let x = required(obj, "x", "EC")?;
    let y = required(obj, "y", "EC")?;
    match optional(obj, "d", "EC")? {
        Some(d) => EcKey::from_private(curve, &d, &x, &y),
        None => EcKey::from_coordinates(curve, &x, &y),
    }
}

fn okp_key(obj: &Map<String, Value>) -> Result<EdKey> {
    let crv = string_member(obj, "crv", "OKP")?
        .ok_or_else(|| JwtError::invalid_key("OKP JWK lacks \"crv\""))?;
    if crv != "Ed25519" {
        return Err(JwtError::invalid_key(format!(
            "OKP JWK \"crv\" {} is not supported (only Ed25519 is)",
            name_or_length(crv, describe::CRV)
        )));
    }
    let x = required(obj, "x", "OKP")?;
    match optional(obj, "d", "OKP")? {
        Some(d) => EdKey::from_seed(&d, Some(&x)),
        None => EdKey::from_public(&x),
    }
}

/// A member that must be a string when present.
fn string_member<'a>(
    obj: &'a Map<String, Value>,
    name: &str,
    kty: &str,
) -> Result<Option<&'a str>> {
    match obj.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(JwtError::invalid_key(format!(
            "{kty} JWK \"{name}\" must be a string"
        ))),
    }
}

/// A base64url member, when present; its bytes are wiped when dropped (private members
/// are key material).
fn optional(obj: &Map<String, Value>, name: &str, kty: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
    let Some(s) = string_member(obj, name, kty)? else {
        return Ok(None);
    };
    BASE64URL_ANY_PADDING
        .decode(s.as_bytes())
        .map(|bytes| Some(Zeroizing::new(bytes)))
        .map_err(|_| JwtError::invalid_key(format!("{kty} JWK \"{name}\" is not valid base64url")))
}

/// A base64url member that must be present.
fn required(obj: &Map<String, Value>, name: &str, kty: &str) -> Result<Zeroizing<Vec<u8>>> {
    optional(obj, name, kty)?
        .ok_or_else(|| JwtError::invalid_key(format!("{kty} JWK lacks \"{name}\"")))
}

/// A parsed JWK or JWK Set text, its strings (private members among them) wiped when
/// dropped.
pub(crate) struct WipedJson(pub Map<String, Value>);

impl Drop for WipedJson {
    fn drop(&mut self) {
        fn wipe(v: &mut Value) {
            match v {
                Value::String(s) => s.zeroize(),
                Value::Array(items) => items.iter_mut().for_each(wipe),
                Value::Object(members) => members.values_mut().for_each(wipe),
                Value::Null | Value::Bool(_) | Value::Number(_) => {}
            }
        }
        self.0.values_mut().for_each(wipe);
    }
}

//! A minimal DER reader: just enough to tell what a key container holds (PKCS#8, SPKI,
//! SEC1, PKCS#1) before handing the bytes to the crypto backend, and to read the RSA
//! integers back out of a PKCS#8 document for JWK export. Definite lengths only.

pub const SEQUENCE: u8 = 0x30;
pub const INTEGER: u8 = 0x02;
pub const BIT_STRING: u8 = 0x03;
pub const OCTET_STRING: u8 = 0x04;
pub const OID: u8 = 0x06;
/// `[0]` constructed, context-specific (SEC1 parameters)
pub const CTX0: u8 = 0xa0;

pub const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
pub const OID_RSA_PSS: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a];

/// A cursor over DER bytes. Every read returns `None` on malformed or short input.
pub struct Der<'a> {
    data: &'a [u8],
}

impl<'a> Der<'a> {
    pub fn new(data: &'a [u8]) -> Der<'a> {
        Der { data }
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The next TLV: its tag and contents.
    pub fn read(&mut self) -> Option<(u8, &'a [u8])> {
        let (&tag, rest) = self.data.split_first()?;
        let (&first, mut rest) = rest.split_first()?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 || n > 4 || rest.len() < n {
                return None;
            }
            let mut len = 0usize;
            for &b in &rest[..n] {
                len = (len << 8) | usize::from(b);
            }
            rest = &rest[n..];
            len
        };
        if rest.len() < len {
            return None;
        }
        let (content, after) = rest.split_at(len);
        self.data = after;
        Some((tag, content))
    }

    /// The contents of the next TLV, which must carry `tag`.
    pub fn expect(&mut self, tag: u8) -> Option<&'a [u8]> {
        match self.read()? {
            (t, c) if t == tag => Some(c),
            _ => None,
        }
    }

    /// A cursor over the contents of the next TLV, which must carry `tag`.
    pub fn nested(&mut self, tag: u8) -> Option<Der<'a>> {
        self.expect(tag).map(Der::new)
    }

    /// An unsigned INTEGER, big-endian without leading zeros; negative values refused.
    pub fn uint(&mut self) -> Option<&'a [u8]> {
        let c = self.expect(INTEGER)?;
        if c.first().is_none_or(|b| b & 0x80 != 0) {
            return None;
        }
        Some(strip_zeros(c))
    }

    /// A BIT STRING with no unused bits, without its leading count byte.
    pub fn bit_string(&mut self) -> Option<&'a [u8]> {
        match self.expect(BIT_STRING)?.split_first()? {
            (0, bits) => Some(bits),
            _ => None,
        }
    }
}

pub fn strip_zeros(mut b: &[u8]) -> &[u8] {
    while let [0, rest @ ..] = b {
        b = rest;
    }
    b
}

/// An AlgorithmIdentifier: the algorithm OID and the parameters (tag and contents), if any.
pub struct AlgId<'a> {
    pub oid: &'a [u8],
    pub params: Option<(u8, &'a [u8])>,
}

fn alg_id<'a>(d: &mut Der<'a>) -> Option<AlgId<'a>> {
    let mut a = d.nested(SEQUENCE)?;
    let oid = a.expect(OID)?;
    let params = if a.is_empty() { None } else { Some(a.read()?) };
    a.is_empty().then_some(AlgId { oid, params })
}

/// PKCS#8 PrivateKeyInfo / OneAsymmetricKey: the algorithm and the inner private key.
pub fn pkcs8(der: &[u8]) -> Option<(AlgId<'_>, &[u8])> {
    let mut outer = Der::new(der);
    let mut d = outer.nested(SEQUENCE)?;
    if !outer.is_empty() {
        return None;
    }
    d.uint()?; // version 0 or 1
    let alg = alg_id(&mut d)?;
    let key = d.expect(OCTET_STRING)?;
    Some((alg, key))
}

/// SubjectPublicKeyInfo: the algorithm and the key bits.
pub fn spki(der: &[u8]) -> Option<(AlgId<'_>, &[u8])> {
    let mut outer = Der::new(der);
    let mut d = outer.nested(SEQUENCE)?;
    let alg = alg_id(&mut d)?;
    let bits = d.bit_string()?;
    (d.is_empty() && outer.is_empty()).then_some((alg, bits))
}

/// PKCS#1 RSAPublicKey: (n, e).
pub fn rsa_public(der: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut outer = Der::new(der);
    let mut d = outer.nested(SEQUENCE)?;
    let n = d.uint()?;
    let e = d.uint()?;
    (d.is_empty() && outer.is_empty()).then_some((n, e))
}

/// PKCS#1 RSAPrivateKey (two-prime): [n, e, d, p, q, dp, dq, qi].
pub fn rsa_private(der: &[u8]) -> Option<[&[u8]; 8]> {
    let mut outer = Der::new(der);
    let mut d = outer.nested(SEQUENCE)?;
    if !d.uint()?.is_empty() {
        return None; // version 0 only: multi-prime keys are not supported
    }
    let mut out: [&[u8]; 8] = [&[]; 8];
    for slot in out.iter_mut() {
        *slot = d.uint()?;
    }
    Some(out)
}

/// The named curve of SEC1 ECPrivateKey (`[0]` parameters), when it names one.
pub fn sec1_curve(der: &[u8]) -> Option<&[u8]> {
    let mut outer = Der::new(der);
    let mut d = outer.nested(SEQUENCE)?;
    if d.uint()? != [1u8] {
        return None;
    }
    d.expect(OCTET_STRING)?;
    while let Some((tag, content)) = d.read() {
        if tag == CTX0 {
            return Der::new(content).expect(OID);
        }
    }
    None
}

/// Dotted form of an OID, for error details.
pub fn oid_string(oid: &[u8]) -> String {
    let mut parts: Vec<u64> = Vec::new();
    let mut acc: u64 = 0;
    for &b in oid {
        acc = (acc << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            if parts.is_empty() {
                let first = (acc / 40).min(2);
                parts.push(first);
                parts.push(acc - first * 40);
            } else {
                parts.push(acc);
            }
            acc = 0;
        }
        if acc > u64::MAX >> 8 {
            return "(unreadable OID)".into();
        }
    }
    parts
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

/// A human name for well-known key algorithm OIDs, else the dotted OID.
pub fn oid_name(oid: &[u8]) -> String {
    let known: &[(&[u8], &str)] = &[
        (OID_RSA_PSS, "RSASSA-PSS"),
        (&[0x2b, 0x65, 0x71], "Ed448"),
        (&[0x2b, 0x65, 0x6e], "X25519"),
        (&[0x2b, 0x65, 0x6f], "X448"),
        (&[0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x01], "DSA"),
        (&[0x2b, 0x81, 0x04, 0x00, 0x0a], "secp256k1"),
        (&[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x01], "P-192"),
        (&[0x2b, 0x81, 0x04, 0x00, 0x21], "P-224"),
    ];
    match known.iter().find(|(o, _)| *o == oid) {
        Some((_, name)) => (*name).to_string(),
        None => format!("OID {}", oid_string(oid)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oids_print_dotted() {
        assert_eq!(oid_string(OID_RSA), "1.2.840.113549.1.1.1");
        assert_eq!(oid_string(&[0x2b, 0x81, 0x04, 0x00, 0x23]), "1.3.132.0.35");
        assert_eq!(oid_name(&[0x2b, 0x65, 0x6e]), "X25519");
        assert_eq!(oid_name(&[0x2b, 0x65, 0x70]), "OID 1.3.101.112");
    }

    #[test]
    fn short_and_overlong_input_is_refused() {
        assert!(Der::new(&[0x30]).read().is_none());
        assert!(Der::new(&[0x30, 0x85, 1, 1, 1, 1, 1]).read().is_none());
        assert!(Der::new(&[0x30, 0x82, 0xff, 0xff, 0]).read().is_none());
        assert!(Der::new(&[0x30, 0x80]).read().is_none());
        assert_eq!(Der::new(&[0x02, 0x01, 0x05]).read(), Some((2, &[5u8][..])));
        assert!(pkcs8(&[]).is_none() && spki(&[0x30, 0x00]).is_none());
        assert!(rsa_public(&[0x30, 0x03, 0x02, 0x01, 0x80]).is_none());
    }
}

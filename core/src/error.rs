//! The one error type of pgrst_jwt: every failure maps to a stable primary message,
//! an optional DETAIL with the variable data, a SQLSTATE class and, for `jwt_check`,
//! a stable reason code. Pure Rust: the SQL layer turns it into `ereport`.
//!
//! Messages never contain a secret or key material: details carry lengths, names,
//! algorithm names and claim names only.

use std::fmt;

/// The SQLSTATE a failure is reported with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqlState {
    /// 22023 invalid_parameter_value: bad arguments, malformed keys.
    InvalidParameterValue,
    /// 28000 invalid_authorization_specification: a token that is rejected.
    InvalidAuthorization,
    /// 22P05 untranslatable_character: a claim holding U+0000 cannot become text, or a
    /// character has no equivalent in the database's encoding.
    UntranslatableCharacter,
    /// 22021 character_not_in_repertoire: text that is not valid UTF-8 where a token, a key
    /// or claims need it (a SQL_ASCII database holds any bytes).
    CharacterNotInRepertoire,
    /// 42501 insufficient_privilege.
    InsufficientPrivilege,
    /// 55000 object_not_in_prerequisite_state: no secret configured.
    NotInPrerequisiteState,
    /// XX000 internal_error: a failure of ours (the extension's own objects are damaged,
    /// the crypto backend failed), not of the caller's input.
    Internal,
}

impl SqlState {
    pub fn code(self) -> &'static str {
        match self {
            SqlState::InvalidParameterValue => "22023",
            SqlState::InvalidAuthorization => "28000",
            SqlState::UntranslatableCharacter => "22P05",
            SqlState::CharacterNotInRepertoire => "22021",
            SqlState::InsufficientPrivilege => "42501",
            SqlState::NotInPrerequisiteState => "55000",
            SqlState::Internal => "XX000",
        }
    }
}

/// What went wrong. The primary message of each kind is fixed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    // --- token rejected (28000) ---
    EmptyToken,
    TokenTooLarge,
    WrongParts(usize),
    /// base64url or JSON of the header/signature is broken
    Undecodable,
    UnsupportedAlgorithm,
    NoSuitableKey,
    BadSignature,
    Expired,
    NotYetValid,
    IssuedInFuture,
    ClaimNotNumber(&'static str),
    AudienceType,
    NotInAudience,
    ClaimsParse,
    // --- configuration (55000) ---
    NoSecret,
    // --- bad arguments (22023) ---
    ClaimsNotObject,
    ClaimsInvalidJson,
    TimeClaimOutOfRange(&'static str),
    TimeClaimNotNumber(&'static str),
    DuplicateClaim,
    SecretTooShort,
    EmptySecret,
    SecretNotBase64,
    UnknownAlgorithm,
    /// the pgjwt drop-in's unknown algorithm, in pgcrypto's words (pgjwt's own tests match them)
    PgjwtNoSuchHash,
    AlgorithmKeyMismatch,
    InvalidKey,
    KeyCannotSign,
    InvalidArgument(&'static str),
    EnvVarUnset,
    EnvVarNotText,
    // --- a claim that cannot become text (22P05) ---
    NulInText,
    NoEquivalentInDatabase,
    // --- text that is not UTF-8 (22021) ---
    NotUtf8,
    // --- privileges (42501) ---
    PermissionDenied(&'static str),
    // --- failures of ours (XX000): damaged objects of the extension, a crypto backend
    // that fails to sign, generate or export a key ---
    Internal(&'static str),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwtError {
    pub kind: Kind,
    pub detail: Option<String>,
}

pub type Result<T> = std::result::Result<T, JwtError>;

impl JwtError {
    pub fn new(kind: Kind) -> Self {
        JwtError { kind, detail: None }
    }

    pub fn with_detail(kind: Kind, detail: impl Into<String>) -> Self {
        JwtError {
            kind,
            detail: Some(detail.into()),
        }
    }

    /// A malformed key, with what was wrong in DETAIL (never the key itself).
    pub fn invalid_key(detail: impl Into<String>) -> Self {
        Self::with_detail(Kind::InvalidKey, detail)
    }

    pub fn message(&self) -> String {
        use Kind::*;
        match &self.kind {
            EmptyToken => "Empty JWT is sent in Authorization header".into(),
            TokenTooLarge => "JWT is too large".into(),
            WrongParts(n) => format!("Expected 3 parts in JWT; got {n}"),
            Undecodable => "JWT cryptographic operation failed".into(),
            UnsupportedAlgorithm => "Wrong or unsupported encoding algorithm".into(),
            NoSuitableKey | BadSignature => "No suitable key or wrong key type".into(),
            Expired => "JWT expired".into(),
            NotYetValid => "JWT not yet valid".into(),
            IssuedInFuture => "JWT issued at future".into(),
            ClaimNotNumber(c) | TimeClaimNotNumber(c) => {
                format!("The JWT '{c}' claim must be a number")
            }
            AudienceType => "The JWT 'aud' claim must be a string or an array of strings".into(),
            NotInAudience => "JWT not in audience".into(),
            ClaimsParse => "Parsing claims failed".into(),
            NoSecret => "Server lacks JWT secret".into(),
            ClaimsNotObject => "JWT claims must be a JSON object".into(),
            ClaimsInvalidJson => "JWT claims are not valid JSON".into(),
            TimeClaimOutOfRange(c) => format!("The JWT '{c}' claim is out of range"),
            DuplicateClaim => "JWT claims contain a duplicate name".into(),
            SecretTooShort => "The JWT secret must be at least 32 characters long.".into(),
            EmptySecret => "The JWT secret must not be empty".into(),
            SecretNotBase64 => "The JWT secret is not valid base64".into(),
            UnknownAlgorithm => "Unsupported JWT algorithm".into(),
            PgjwtNoSuchHash => "Cannot use \"\": No such hash algorithm".into(),
            AlgorithmKeyMismatch => "The algorithm does not fit the key".into(),
            InvalidKey => "Invalid JWT key".into(),
            KeyCannotSign => "The key cannot sign: a private key is needed".into(),
            InvalidArgument(what) => format!("invalid value for {what}"),
            EnvVarUnset => {
                "The environment variable holding the JWT secret is not set or empty".into()
            }
            EnvVarNotText => {
                "The environment variable holding the JWT secret is not UTF-8 text".into()
            }
            // PostgreSQL's own message for `->>` on such a value
            NulInText => "unsupported Unicode escape sequence".into(),
            NoEquivalentInDatabase => {
                "character has no equivalent in the database's encoding".into()
            }
            NotUtf8 => "invalid byte sequence for encoding \"UTF8\"".into(),
            PermissionDenied(what) => format!("permission denied: {what}"),
            Internal(what) => format!("pgrst_jwt: {what}"),
        }
    }

    pub fn sqlstate(&self) -> SqlState {
        use Kind::*;
        match &self.kind {
            EmptyToken | TokenTooLarge | WrongParts(_) | Undecodable | UnsupportedAlgorithm
            | NoSuitableKey | BadSignature | Expired | NotYetValid | IssuedInFuture
            | ClaimNotNumber(_) | AudienceType | NotInAudience | ClaimsParse => {
                SqlState::InvalidAuthorization
            }
            NoSecret => SqlState::NotInPrerequisiteState,
            ClaimsNotObject
            | ClaimsInvalidJson
            | TimeClaimOutOfRange(_)
            | TimeClaimNotNumber(_)
            | DuplicateClaim
            | SecretTooShort
            | EmptySecret
            | SecretNotBase64
            | UnknownAlgorithm
            | PgjwtNoSuchHash
            | AlgorithmKeyMismatch
            | InvalidKey
            | KeyCannotSign
            | InvalidArgument(_)
            | EnvVarUnset
            | EnvVarNotText => SqlState::InvalidParameterValue,
            NulInText | NoEquivalentInDatabase => SqlState::UntranslatableCharacter,
            NotUtf8 => SqlState::CharacterNotInRepertoire,
            PermissionDenied(_) => SqlState::InsufficientPrivilege,
            Internal(_) => SqlState::Internal,
        }
    }

    /// The stable code `jwt_check` reports in its `reason` column.
    pub fn reason(&self) -> &'static str {
        use Kind::*;
        match &self.kind {
            EmptyToken | WrongParts(_) | Undecodable | ClaimsParse => "malformed",
            TokenTooLarge => "too_large",
            UnsupportedAlgorithm => "unsupported_algorithm",
            NoSuitableKey => "no_suitable_key",
            BadSignature => "bad_signature",
            Expired => "expired",
            NotYetValid => "not_yet_valid",
            IssuedInFuture => "issued_in_future",
            ClaimNotNumber(_) => "invalid_claim",
            AudienceType | NotInAudience => "audience",
            NoSecret => "no_secret",
            ClaimsNotObject
            | ClaimsInvalidJson
            | TimeClaimOutOfRange(_)
            | TimeClaimNotNumber(_)
            | DuplicateClaim
            | SecretTooShort
            | EmptySecret
            | SecretNotBase64
            | UnknownAlgorithm
            | PgjwtNoSuchHash
            | AlgorithmKeyMismatch
            | InvalidKey
            | KeyCannotSign
            | InvalidArgument(_)
            | EnvVarUnset
            | EnvVarNotText => "invalid_argument",
            NulInText | NoEquivalentInDatabase => "invalid_claim",
            NotUtf8 => "invalid_argument",
            PermissionDenied(_) => "permission_denied",
            Internal(_) => "internal_error",
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

impl fmt::Display for JwtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())?;
        if let Some(d) = &self.detail {
            write!(f, " ({d})")?;
        }
        Ok(())
    }
}

impl std::error::Error for JwtError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_rejections_are_28000_and_arguments_22023() {
        assert_eq!(JwtError::new(Kind::Expired).sqlstate().code(), "28000");
        assert_eq!(
            JwtError::new(Kind::WrongParts(2)).message(),
            "Expected 3 parts in JWT; got 2"
        );
        assert_eq!(
            JwtError::new(Kind::SecretTooShort).sqlstate().code(),
            "22023"
        );
        assert_eq!(JwtError::new(Kind::NoSecret).sqlstate().code(), "55000");
        assert_eq!(
            JwtError::new(Kind::PermissionDenied("x")).sqlstate().code(),
            "42501"
        );
        assert_eq!(JwtError::new(Kind::BadSignature).reason(), "bad_signature");
        assert_eq!(
            JwtError::new(Kind::ClaimNotNumber("nbf")).message(),
            "The JWT 'nbf' claim must be a number"
        );
        for kind in [
            Kind::EnvVarUnset,
            Kind::InvalidKey,
            Kind::TimeClaimNotNumber("exp"),
        ] {
            let e = JwtError::new(kind);
            assert_eq!(
                (e.sqlstate().code(), e.reason()),
                ("22023", "invalid_argument")
            );
        }
        let e = JwtError::new(Kind::Internal("RSA signing failed"));
        assert_eq!(e.message(), "pgrst_jwt: RSA signing failed");
        assert_eq!(
            (e.sqlstate().code(), e.reason()),
            ("XX000", "internal_error")
        );
    }
}

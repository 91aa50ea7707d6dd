//! Address-of-record and MSISDN normalisation.
//!
//! Every map in the core is keyed by the *normalised* AOR string, and the shard that owns a
//! subscriber is a hash of that string ([`crate::ShardMap::owner`]). Two spellings of one user
//! ("SIP:alice@Example.COM;transport=tcp" and "sip:alice@example.com") must therefore collapse to
//! one key *before* they reach a shard, or the same user would live on two shards. RFC 3261 §10.3
//! step 5 asks the registrar to canonicalise the To URI the same way: URI parameters and headers
//! are dropped, the host is case-insensitive (§19.1.4), the user part is case-sensitive.
//!
//! Percent-encoded user parts are compared as written (no unescaping); the codec is expected to
//! hand over the user part in its decoded form if it ever matters.

use thiserror::Error;

/// Why a string is not a usable SIP address-of-record.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AorError {
    /// Only `sip:` and `sips:` URIs name IM users (a `tel:` URI is an MSISDN, not an AOR).
    #[error("unsupported URI scheme (expected sip: or sips:)")]
    UnsupportedScheme,
    /// RFC 3261 §10.2: an AOR has the form `user@host`.
    #[error("missing user part")]
    MissingUser,
    /// The host part is empty.
    #[error("missing host part")]
    MissingHost,
    /// A character that may not appear in a SIP URI (whitespace, control, `<>"`).
    #[error("invalid character {0:?}")]
    InvalidChar(char),
}

/// Why a string is not an E.164 MSISDN.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MsisdnError {
    /// International format is required: a leading `+`.
    #[error("MSISDN must start with '+'")]
    MissingPlus,
    /// ITU-T E.164 §6: at most 15 digits; we also require at least 8.
    #[error("MSISDN must have 8 to 15 digits, found {0}")]
    Length(usize),
    /// Only ASCII digits may follow the `+`, and a country code never starts with 0.
    #[error("MSISDN contains a non-digit or a leading zero")]
    NotDigits,
}

/// Normalises a SIP URI to the AOR key `sip:user@host[:port]`.
///
/// Accepts an optional `<...>` wrapper, `sips:` (mapped to `sip:`: the same user either way),
/// a password in the user-info (dropped), URI parameters and headers (dropped, RFC 3261 §10.3
/// step 5). The host is lower-cased; the user part keeps its case (§19.1.4).
pub fn normalize_aor(input: &str) -> Result<String, AorError> {
    let s = input.trim();
    let s = s
        .strip_prefix('<')
        .and_then(|r| r.strip_suffix('>'))
        .unwrap_or(s);
    let rest = strip_scheme(s).ok_or(AorError::UnsupportedScheme)?;
    // The user part may itself contain ';' and '?' (RFC 3261 §25.1 user-unreserved), so find
    // the '@' before cutting parameters off the host.
    let (userinfo, hostpart) = rest.split_once('@').ok_or(AorError::MissingUser)?;
    let user = userinfo.split_once(':').map_or(userinfo, |(u, _pw)| u);
    if user.is_empty() {
        return Err(AorError::MissingUser);
    }
    let host = hostpart.split([';', '?']).next().unwrap_or_default();
    if host.is_empty() {
        return Err(AorError::MissingHost);
    }
    for c in user.chars() {
        if c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"' | '@') {
            return Err(AorError::InvalidChar(c));
        }
    }
    for c in host.chars() {
        if !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '[' | ']' | ':' | '_')) {
            return Err(AorError::InvalidChar(c));
        }
    }
    let mut out = String::with_capacity(5 + user.len() + host.len());
    out.push_str("sip:");
    out.push_str(user);
    out.push('@');
    out.extend(host.chars().map(|c| c.to_ascii_lowercase()));
    Ok(out)
}

fn strip_scheme(s: &str) -> Option<&str> {
    let (scheme, rest) = s.split_once(':')?;
    if scheme.eq_ignore_ascii_case("sip") || scheme.eq_ignore_ascii_case("sips") {
        Some(rest)
    } else {
        None
    }
}

/// Checks that `msisdn` is an E.164 number in international format: `+` then 8–15 digits,
/// the first not `0`.
pub fn validate_msisdn(msisdn: &str) -> Result<(), MsisdnError> {
    let digits = msisdn.strip_prefix('+').ok_or(MsisdnError::MissingPlus)?;
    if !(8..=15).contains(&digits.len()) {
        return Err(MsisdnError::Length(digits.len()));
    }
    if !digits.bytes().all(|b| b.is_ascii_digit()) || digits.starts_with('0') {
        return Err(MsisdnError::NotDigits);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_params_and_scheme() {
        assert_eq!(
            normalize_aor("<SIPS:Alice:pw@Example.COM;transport=tcp?subject=x>").unwrap(),
            "sip:Alice@example.com"
        );
        assert_eq!(
            normalize_aor("sip:alice;day=tuesday@atlanta.com").unwrap(),
            "sip:alice;day=tuesday@atlanta.com"
        );
        assert_eq!(
            normalize_aor("sip:bob@10.0.0.1:5070").unwrap(),
            "sip:bob@10.0.0.1:5070"
        );
    }

    #[test]
    fn rejects_bad_aors() {
        assert_eq!(
            normalize_aor("tel:+8613800000001"),
            Err(AorError::UnsupportedScheme)
        );
        assert_eq!(normalize_aor("sip:example.com"), Err(AorError::MissingUser));
        assert_eq!(
            normalize_aor("sip:@example.com"),
            Err(AorError::MissingUser)
        );
        assert_eq!(normalize_aor("sip:a@"), Err(AorError::MissingHost));
        assert_eq!(
            normalize_aor("sip:a b@x.com"),
            Err(AorError::InvalidChar(' '))
        );
    }

    proptest::proptest! {
        #[test]
        fn normalisation_is_idempotent(input in "(sip|SIPS|tel):[ -~]{0,30}") {
            if let Ok(n) = normalize_aor(&input) {
                proptest::prop_assert_eq!(normalize_aor(&n), Ok(n.clone()));
            }
        }
    }

    #[test]
    fn msisdn_rules() {
        assert!(validate_msisdn("+8613800000001").is_ok());
        assert!(validate_msisdn("+12345678").is_ok());
        assert_eq!(
            validate_msisdn("8613800000001"),
            Err(MsisdnError::MissingPlus)
        );
        assert_eq!(validate_msisdn("+1234567"), Err(MsisdnError::Length(7)));
        assert_eq!(
            validate_msisdn("+1234567890123456"),
            Err(MsisdnError::Length(16))
        );
        assert_eq!(
            validate_msisdn("+86138000a0001"),
            Err(MsisdnError::NotDigits)
        );
        assert_eq!(
            validate_msisdn("+0613800000001"),
            Err(MsisdnError::NotDigits)
        );
    }
}

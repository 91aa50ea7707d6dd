//! Subscriber provisioning as CSV: `aor,msisdn,service,password,buddies`.
//!
//! Operators provision users from spreadsheets, so the format is plain RFC 4180 CSV with five
//! columns in a fixed order and an optional header line. `service` accepts `on/off`,
//! `true/false`, `1/0` (case-insensitive); `msisdn` may be empty; `buddies` is a `;`-separated
//! list of AORs, possibly empty. Fields may be double-quoted (a password may contain a comma);
//! records may not span lines. Blank lines and lines starting with `#` are skipped. Every error
//! names its 1-based line so an operator can fix the file.
//!
//! AORs (the subscriber's and the buddies') are normalised on import with
//! [`crate::normalize_aor`]; the writer emits the canonical form `service=on|off`.

use std::collections::HashMap;

use thiserror::Error;

use crate::aor::{normalize_aor, validate_msisdn, AorError, MsisdnError};
use crate::subscriber::Subscriber;

const HEADER: [&str; 5] = ["aor", "msisdn", "service", "password", "buddies"];

/// A CSV line that could not be imported.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("line {line}: {kind}")]
pub struct CsvError {
    /// 1-based line number in the input.
    pub line: usize,
    /// What was wrong with it.
    pub kind: CsvErrorKind,
}

/// What was wrong with a CSV line.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CsvErrorKind {
    /// Not exactly five columns.
    #[error("expected 5 fields, found {0}")]
    FieldCount(usize),
    /// A quoted field is not closed on this line, or text follows a closing quote.
    #[error("malformed quoted field")]
    Quote,
    /// The `aor` column.
    #[error("invalid aor: {0}")]
    Aor(AorError),
    /// The `msisdn` column.
    #[error("invalid msisdn: {0}")]
    Msisdn(MsisdnError),
    /// The `service` column is not on/off/true/false/1/0.
    #[error("invalid service flag {0:?}")]
    Service(String),
    /// One entry of the `buddies` column.
    #[error("invalid buddy {buddy:?}: {error}")]
    Buddy {
        /// The entry as written.
        buddy: String,
        /// Why it is not an AOR.
        error: AorError,
    },
    /// The same (normalised) AOR appears on an earlier line.
    #[error("duplicate aor {aor:?} (first on line {first_line})")]
    DuplicateAor {
        /// The normalised AOR.
        aor: String,
        /// Where it appeared first.
        first_line: usize,
    },
}

/// Parses a subscriber CSV (see the module docs for the format).
pub fn parse_subscribers_csv(input: &str) -> Result<Vec<Subscriber>, CsvError> {
    let mut out = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut first_record = true;
    let mut fields = Vec::with_capacity(5);
    for (i, raw) in input.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let err = |kind| CsvError {
            line: line_no,
            kind,
        };
        split_fields(line, &mut fields).map_err(|()| err(CsvErrorKind::Quote))?;
        if fields.len() != 5 {
            return Err(err(CsvErrorKind::FieldCount(fields.len())));
        }
        let is_header = first_record
            && fields
                .iter()
                .zip(HEADER)
                .all(|(f, h)| f.trim().eq_ignore_ascii_case(h));
        first_record = false;
        if is_header {
            continue;
        }
        let sub = parse_record(&fields).map_err(err)?;
        if let Some(&first_line) = seen.get(&sub.aor) {
            return Err(err(CsvErrorKind::DuplicateAor {
                aor: sub.aor,
                first_line,
            }));
        }
        seen.insert(sub.aor.clone(), line_no);
        out.push(sub);
    }
    Ok(out)
}

fn parse_record(f: &[String]) -> Result<Subscriber, CsvErrorKind> {
    let aor = normalize_aor(f[0].trim()).map_err(CsvErrorKind::Aor)?;
    let msisdn = match f[1].trim() {
        "" => None,
        m => {
            validate_msisdn(m).map_err(CsvErrorKind::Msisdn)?;
            Some(m.to_owned())
        }
    };
    let service = match f[2].trim().to_ascii_lowercase().as_str() {
        "on" | "true" | "1" => true,
        "off" | "false" | "0" => false,
        _ => return Err(CsvErrorKind::Service(f[2].clone())),
    };
    let password = f[3].clone();
    let mut buddies = Vec::new();
    for b in f[4].split(';').map(str::trim).filter(|b| !b.is_empty()) {
        let n = normalize_aor(b).map_err(|error| CsvErrorKind::Buddy {
            buddy: b.to_owned(),
            error,
        })?;
        if !buddies.contains(&n) {
            buddies.push(n);
        }
    }
    Ok(Subscriber {
        aor,
        msisdn,
        service,
        password,
        buddies,
    })
}

/// RFC 4180 field splitting for one line; `""` inside quotes is a literal quote.
fn split_fields(line: &str, out: &mut Vec<String>) -> Result<(), ()> {
    out.clear();
    let mut chars = line.chars().peekable();
    loop {
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    None => return Err(()),
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                }
            }
            match chars.next() {
                None => {
                    out.push(field);
                    return Ok(());
                }
                Some(',') => out.push(field),
                Some(_) => return Err(()),
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        out.push(field);
                        return Ok(());
                    }
                    Some(',') => break,
                    Some(c) => field.push(c),
                }
            }
            out.push(field);
        }
    }
}

/// Writes `subscribers` as CSV with a header line; [`parse_subscribers_csv`] reads it back.
pub fn write_subscribers_csv(subscribers: &[Subscriber], out: &mut String) {
    out.push_str("aor,msisdn,service,password,buddies\n");
    for s in subscribers {
        push_field(out, &s.aor);
        out.push(',');
        push_field(out, s.msisdn.as_deref().unwrap_or(""));
        out.push(',');
        out.push_str(if s.service { "on" } else { "off" });
        out.push(',');
        push_field(out, &s.password);
        out.push(',');
        push_field(out, &s.buddies.join(";"));
        out.push('\n');
    }
}

fn push_field(out: &mut String, v: &str) {
    let needs_quotes = v.contains([',', '"', '\n', '\r'])
        || v.starts_with([' ', '\t', '#'])
        || v.ends_with([' ', '\t']);
    if needs_quotes {
        out.push('"');
        out.push_str(&v.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_example_with_and_without_header() {
        let body = "sip:alice@example.com,+8613800000001,on,secret,sip:bob@example.com;sip:carol@example.com\n\
                    sip:bob@Example.com,,0,pw,\n";
        for input in [
            body.to_owned(),
            format!("aor,msisdn,service,password,buddies\r\n{body}"),
        ] {
            let subs = parse_subscribers_csv(&input).unwrap();
            assert_eq!(subs.len(), 2);
            assert_eq!(subs[0].msisdn.as_deref(), Some("+8613800000001"));
            assert!(subs[0].service);
            assert_eq!(
                subs[0].buddies,
                ["sip:bob@example.com", "sip:carol@example.com"]
            );
            assert_eq!(subs[1].aor, "sip:bob@example.com");
            assert_eq!(subs[1].msisdn, None);
            assert!(!subs[1].service);
            assert!(subs[1].buddies.is_empty());
        }
    }

    #[test]
    fn errors_carry_line_numbers() {
        let e = parse_subscribers_csv("# comment\n\nsip:a@x.com,+123,on,p,\n").unwrap_err();
        assert_eq!(e.line, 3);
        assert!(matches!(e.kind, CsvErrorKind::Msisdn(_)));
        let e = parse_subscribers_csv("sip:a@x.com,,maybe,p,\n").unwrap_err();
        assert_eq!((e.line, e.kind), (1, CsvErrorKind::Service("maybe".into())));
        let e = parse_subscribers_csv("sip:a@x.com,,on,p\n").unwrap_err();
        assert_eq!(e.kind, CsvErrorKind::FieldCount(4));
        let e = parse_subscribers_csv("sip:a@x.com,,on,\"p,\n").unwrap_err();
        assert_eq!(e.kind, CsvErrorKind::Quote);
        let e = parse_subscribers_csv("sip:a@x.com,,on,p,bob\n").unwrap_err();
        assert!(matches!(e.kind, CsvErrorKind::Buddy { .. }));
        let e = parse_subscribers_csv("x,,on,p,\n").unwrap_err();
        assert!(matches!(e.kind, CsvErrorKind::Aor(_)));
        let e = parse_subscribers_csv(
            "aor,msisdn,service,password,buddies\nsip:a@x.com,,on,p,\n\nsip:a@X.com,,on,p,\n",
        )
        .unwrap_err();
        assert_eq!(
            (e.line, e.kind),
            (
                4,
                CsvErrorKind::DuplicateAor {
                    aor: "sip:a@x.com".into(),
                    first_line: 2
                }
            )
        );
    }

    proptest::proptest! {
        #[test]
        fn write_then_parse_is_identity(
            rows in proptest::collection::vec(
                ("[a-z][a-z0-9._-]{0,8}", proptest::option::of("[1-9][0-9]{7,14}"),
                 proptest::bool::ANY, "[ -~]{0,12}",
                 proptest::collection::vec("[a-z]{1,6}", 0..4)),
                0..8,
            )
        ) {
            let mut subs: Vec<Subscriber> = Vec::new();
            for (i, (user, msisdn, service, password, buddies)) in rows.into_iter().enumerate() {
                let mut buddies: Vec<String> =
                    buddies.iter().map(|b| format!("sip:{b}@example.org")).collect();
                buddies.dedup();
                subs.push(Subscriber {
                    aor: format!("sip:{user}{i}@example.com"),
                    msisdn: msisdn.map(|m| format!("+{m}")),
                    service,
                    password,
                    buddies,
                });
            }
            let mut text = String::new();
            write_subscribers_csv(&subs, &mut text);
            let mut back = parse_subscribers_csv(&text).unwrap();
            // The parser drops repeated buddies; compare with the same rule applied.
            for s in &mut subs {
                let mut seen = Vec::new();
                s.buddies.retain(|b| if seen.contains(b) { false } else { seen.push(b.clone()); true });
            }
            for (a, b) in subs.iter().zip(&mut back) {
                proptest::prop_assert_eq!(a, &*b);
            }
            proptest::prop_assert_eq!(subs.len(), back.len());
        }

        #[test]
        fn parser_never_panics(input in "[ -~\n\",;]{0,200}") {
            match parse_subscribers_csv(&input) {
                // Whatever parses is a valid profile...
                Ok(subs) => {
                    for s in subs {
                        proptest::prop_assert!(s.validate().is_ok(), "{:?}", s);
                    }
                }
                // ...and every error points at a real line.
                Err(e) => proptest::prop_assert!(e.line >= 1 && e.line <= input.lines().count()),
            }
        }
    }

    #[test]
    fn round_trip_with_awkward_password() {
        let subs = vec![Subscriber {
            aor: "sip:alice@example.com".into(),
            msisdn: None,
            service: true,
            password: " a,\"b\" ".into(),
            buddies: vec!["sip:bob@example.com".into()],
        }];
        let mut s = String::new();
        write_subscribers_csv(&subs, &mut s);
        assert_eq!(parse_subscribers_csv(&s).unwrap(), subs);
    }
}

//! Addresses in text: the `@user` prefix of an SMS from a phone, the user part shown in the
//! SMS that carries an IM, and the light validation of what the runtime hands in.
//!
//! Why a hand-written scanner for `@user`: a phone keyboard produces `@bob hi`, `@bob: hi`,
//! `@bob,hi`, `@sip:bob@example.com hi`, and on Chinese input methods the full-width `＠bob：你好`
//! with no space at all. The prefix is recognised only at the start of the text (after blanks),
//! and only when what follows `@` is a plausible user name, so an SMS that merely contains an
//! `@` somewhere is never re-addressed. AORs are normalised like the core does (scheme `sip:`,
//! host lower-cased, user part kept as written: RFC 3261 §19.1.4).

/// Longest user or host accepted in an `@` prefix.
pub const MAX_PREFIX_PART: usize = 64;

/// A recognised `@` prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AtPrefix<'a> {
    /// The addressed AOR (`sip:user@host`).
    pub aor: String,
    /// The text after the prefix and its separator.
    pub rest: &'a str,
}

fn is_user_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+')
}

fn is_host_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-')
}

/// Longest prefix of `s` made of `pred` characters (ASCII, so the split is on a boundary).
fn take_while(s: &str, pred: fn(char) -> bool) -> (&str, &str) {
    let end = s.find(|c: char| !pred(c)).unwrap_or(s.len());
    s.split_at(end)
}

fn strip_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| s.get(prefix.len()..))
        .flatten()
}

/// Parses an `@` prefix: `@user`, `@user@host`, `@sip:user@host` or `@sips:user@host`
/// (also with the full-width `＠`), then an optional separator (`:`, `,`, `：`, `，`) and
/// blanks. `@user` alone means `sip:user@{domain}`. `@sip:` and `@sips:` always start a URI
/// (so a user literally named `sip` is addressed as `@sip:sip@host`).
pub fn parse_at_prefix<'a>(text: &'a str, domain: &str) -> Option<AtPrefix<'a>> {
    let t = text.trim_start();
    let after = t.strip_prefix('@').or_else(|| t.strip_prefix('＠'))?;
    let (explicit, body) = match strip_ci(after, "sips:").or_else(|| strip_ci(after, "sip:")) {
        Some(b) => (true, b),
        None => (false, after),
    };
    let (user, tail) = take_while(body, is_user_char);
    let user = if explicit {
        user
    } else {
        user.trim_end_matches('.')
    };
    let tail = body.get(user.len()..).unwrap_or(tail);
    if user.is_empty() || user.len() > MAX_PREFIX_PART {
        return None;
    }
    let (host, tail) = match tail.strip_prefix('@') {
        Some(h) => {
            let (host, rest) = take_while(h, is_host_char);
            let host = host.trim_end_matches('.');
            let rest = h.get(host.len()..).unwrap_or(rest);
            if host.is_empty() || host.len() > MAX_PREFIX_PART || host.starts_with(['.', '-']) {
                return None;
            }
            (host.to_ascii_lowercase(), rest)
        }
        None if explicit => return None,
        None => (domain.to_ascii_lowercase(), tail),
    };
    let tail = tail
        .strip_prefix([':', ',', '：', '，'])
        .unwrap_or(tail)
        .trim_start();
    Some(AtPrefix {
        aor: format!("sip:{user}@{host}"),
        rest: tail,
    })
}

/// The user part of an AOR (`sip:alice@example.com` → `alice`; `tel:+86...` → `+86...`).
pub fn user_part(aor: &str) -> &str {
    let rest = strip_ci(aor, "sips:")
        .or_else(|| strip_ci(aor, "sip:"))
        .or_else(|| strip_ci(aor, "tel:"))
        .unwrap_or(aor);
    rest.split(['@', ';']).next().unwrap_or(rest)
}

/// Replaces `{from_user}`, `{from}`, `{to}` and `{text}` in one pass (a placeholder inside a
/// substituted value is not expanded again; unknown `{...}` stay as written).
pub fn render(template: &str, from: &str, to: &str, text: &str) -> String {
    let mut out = String::with_capacity(template.len() + text.len() + from.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let (head, tail) = rest.split_at(open);
        out.push_str(head);
        let value = [
            ("{from_user}", user_part(from)),
            ("{from}", from),
            ("{to}", to),
            ("{text}", text),
        ]
        .into_iter()
        .find(|(name, _)| tail.starts_with(name));
        match value {
            Some((name, v)) => {
                out.push_str(v);
                rest = tail.get(name.len()..).unwrap_or_default();
            }
            None => {
                out.push('{');
                rest = tail.get(1..).unwrap_or_default();
            }
        }
    }
    out.push_str(rest);
    out
}

/// An MSISDN as SMPP carries it: optional `+`, then 3..=20 digits (SMPP 3.4 §5.2.8 / .9).
pub fn valid_msisdn(s: &str) -> bool {
    let d = s.strip_prefix('+').unwrap_or(s);
    (3..=20).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit())
}

/// A plausible normalised AOR: `sip:user@host`, no blanks, at most 256 bytes.
pub fn valid_aor(s: &str) -> bool {
    let Some(rest) = strip_ci(s, "sip:").or_else(|| strip_ci(s, "sips:")) else {
        return false;
    };
    let Some((user, host)) = rest.split_once('@') else {
        return false;
    };
    s.len() <= 256
        && !user.is_empty()
        && !host.is_empty()
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Option<(String, &str)> {
        parse_at_prefix(text, "Example.com").map(|a| (a.aor, a.rest))
    }

    #[test]
    fn prefix_forms() {
        let bob = || "sip:bob@example.com".to_string();
        assert_eq!(p("@bob hello"), Some((bob(), "hello")));
        assert_eq!(p("  @bob: hello"), Some((bob(), "hello")));
        assert_eq!(p("@bob,hello"), Some((bob(), "hello")));
        assert_eq!(p("@bob. hi"), Some((bob(), ". hi")));
        assert_eq!(p("＠bob：你好"), Some((bob(), "你好")));
        assert_eq!(p("@bob你好"), Some((bob(), "你好")));
        assert_eq!(
            p("@sip:Bob@Other.ORG hi"),
            Some(("sip:Bob@other.org".into(), "hi"))
        );
        assert_eq!(p("@SIPS:bob@x.org"), Some(("sip:bob@x.org".into(), "")));
        assert_eq!(p("@carol@x.org hi"), Some(("sip:carol@x.org".into(), "hi")));
    }

    #[test]
    fn not_a_prefix() {
        assert_eq!(p("hello @bob"), None);
        assert_eq!(p("@ bob"), None);
        assert_eq!(p("@@bob"), None);
        assert_eq!(p("@sip:bob hi"), None, "explicit URI needs a host");
        assert_eq!(p("@bob@ hi"), None);
        assert_eq!(p(""), None);
        assert_eq!(p(&format!("@{}", "a".repeat(65))), None);
    }

    #[test]
    fn template_and_user_part() {
        assert_eq!(user_part("sip:alice@example.com"), "alice");
        assert_eq!(user_part("tel:+8613800000000"), "+8613800000000");
        assert_eq!(
            render("{from_user}: {text}", "sip:alice@x", "", "hi {from}"),
            "alice: hi {from}"
        );
        assert_eq!(
            render("[{from}] {x} {text}", "sip:a@x", "", "t"),
            "[sip:a@x] {x} t"
        );
        assert_eq!(render("to {to}", "", "sip:b@x", ""), "to sip:b@x");
    }

    #[test]
    fn address_validation() {
        assert!(valid_msisdn("+8613800000000"));
        assert!(valid_msisdn("13800000000"));
        assert!(!valid_msisdn("+86 138"));
        assert!(!valid_msisdn("12"));
        assert!(valid_aor("sip:a@x"));
        assert!(!valid_aor("sip:@x"));
        assert!(!valid_aor("tel:+1234"));
        assert!(!valid_aor("sip:a b@x"));
    }
}

//! Property tests: the conversation-extension table against a reference model, and the `@`
//! prefix parser.

use proptest::prelude::*;
use smartchat_relay::{parse_at_prefix, Conversations};

const PHONES: [&str; 3] = ["+100001", "+100002", "+100003"];
const AORS: [&str; 6] = [
    "sip:a@x", "sip:b@x", "sip:c@x", "sip:d@x", "sip:e@x", "sip:f@x",
];
const MAX_EXT: u16 = 3;
const MAX_PHONES: usize = 2;

#[derive(Debug, Clone)]
enum Op {
    Use(usize, usize),
    Lookup(usize, u16),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..PHONES.len(), 0..AORS.len()).prop_map(|(p, a)| Op::Use(p, a)),
        1 => (0..PHONES.len(), 0u16..5).prop_map(|(p, e)| Op::Lookup(p, e)),
    ]
}

/// The rules, written as plainly as possible: per phone a list of (extension, aor) in
/// recency order (least recent first), phones in recency order too.
#[derive(Default)]
struct Model {
    phones: Vec<(usize, Vec<(u16, usize)>)>,
}

impl Model {
    fn touch_phone(&mut self, p: usize) -> &mut Vec<(u16, usize)> {
        let entry = match self.phones.iter().position(|(q, _)| *q == p) {
            Some(i) => self.phones.remove(i),
            None => {
                if self.phones.len() >= MAX_PHONES {
                    self.phones.remove(0);
                }
                (p, Vec::new())
            }
        };
        self.phones.push(entry);
        &mut self.phones.last_mut().expect("just pushed").1
    }

    /// Returns (extension, whether it is a new assignment).
    fn use_pair(&mut self, p: usize, a: usize) -> (u16, bool) {
        let slots = self.touch_phone(p);
        if let Some(i) = slots.iter().position(|(_, x)| *x == a) {
            let e = slots.remove(i);
            slots.push(e);
            return (e.0, false);
        }
        let ext = if slots.len() < usize::from(MAX_EXT) {
            (1..=MAX_EXT)
                .find(|e| !slots.iter().any(|(x, _)| x == e))
                .expect("free")
        } else {
            slots.remove(0).0
        };
        slots.push((ext, a));
        (ext, true)
    }

    fn lookup(&mut self, p: usize, ext: u16) -> Option<usize> {
        let slots = &mut self.phones.iter_mut().find(|(q, _)| *q == p)?.1;
        let i = slots.iter().position(|(e, _)| *e == ext)?;
        let e = slots.remove(i);
        slots.push(e);
        Some(e.1)
    }
}

proptest! {
    #[test]
    fn extension_table_follows_the_lru_model(ops in prop::collection::vec(op(), 1..200)) {
        let mut table = Conversations::new(2, MAX_EXT, MAX_PHONES, 1000);
        let mut model = Model::default();
        for (t, op) in ops.into_iter().enumerate() {
            match op {
                Op::Use(p, a) => {
                    let (ext, rec) = table.extension_for(PHONES[p], AORS[a], t as u64);
                    let (want, new) = model.use_pair(p, a);
                    prop_assert_eq!(ext, want);
                    prop_assert_eq!(rec.is_some(), new);
                    let dialled = format!("10659{}", table.format_extension(ext));
                    prop_assert_eq!(table.parse_extension(&dialled, "10659"), Some(ext));
                    let back = table.lookup(PHONES[p], ext);
                    prop_assert_eq!(back.as_deref(), Some(AORS[a]));
                    model.lookup(p, ext);
                }
                Op::Lookup(p, e) => {
                    let got = table.lookup(PHONES[p], e);
                    let want = model.lookup(p, e).map(|a| AORS[a].to_string());
                    prop_assert_eq!(got, want);
                }
            }
            prop_assert!(table.check_invariants().is_ok(), "{:?}", table.check_invariants());
        }
    }

    #[test]
    fn snapshot_replay_is_identical(ops in prop::collection::vec(op(), 1..100)) {
        let mut table = Conversations::new(2, MAX_EXT, MAX_PHONES, 1000);
        for (t, op) in ops.into_iter().enumerate() {
            if let Op::Use(p, a) = op {
                table.extension_for(PHONES[p], AORS[a], t as u64);
            }
        }
        let mut copy = Conversations::new(2, MAX_EXT, MAX_PHONES, 1000);
        for r in table.snapshot() {
            copy.apply(&r);
        }
        for p in PHONES {
            for e in 0..5 {
                prop_assert_eq!(table.lookup(p, e), copy.lookup(p, e));
            }
        }
    }

    #[test]
    fn at_user_prefix_is_parsed_and_stripped(
        user in "[A-Za-z0-9_+-]([A-Za-z0-9._+-]{0,30}[A-Za-z0-9_+-])?",
        sep in prop::sample::select(vec!["", ":", ",", "：", "，"]),
        blanks in " {1,3}",
        rest in "\\PC{0,40}",
    ) {
        // `@sip:` / `@sips:` always start a URI; a user literally named "sip" must use one.
        let is_scheme = ["sip", "sips"].iter().any(|s| user.eq_ignore_ascii_case(s));
        prop_assume!(!(is_scheme && sep == ":"));
        let text = format!("@{user}{sep}{blanks}{rest}");
        let p = parse_at_prefix(&text, "Example.COM").expect("a prefix");
        prop_assert_eq!(p.aor, format!("sip:{user}@example.com"));
        prop_assert_eq!(p.rest, rest.trim_start());
    }

    #[test]
    fn explicit_uri_prefix(
        user in "[a-z0-9_]{1,12}",
        host in "[A-Za-z0-9]{1,10}(\\.[A-Za-z0-9]{1,10}){0,2}",
        rest in "[a-z ]{0,20}",
    ) {
        let text = format!("@sip:{user}@{host} {rest}");
        let p = parse_at_prefix(&text, "example.com").expect("a prefix");
        prop_assert_eq!(p.aor, format!("sip:{user}@{}", host.to_ascii_lowercase()));
        prop_assert_eq!(p.rest, rest.trim_start());
    }

    #[test]
    fn parser_never_panics_and_only_strips_a_prefix(text in "\\s?[@＠]?\\PC{0,60}") {
        if let Some(p) = parse_at_prefix(&text, "example.com") {
            prop_assert!(text.trim_start().starts_with(['@', '＠']));
            prop_assert!(text.ends_with(p.rest));
            prop_assert!(p.aor.starts_with("sip:") && p.aor.contains('@'));
            prop_assert!(!p.aor.chars().any(char::is_whitespace));
        }
    }

    #[test]
    fn text_without_leading_at_is_never_readdressed(text in "[^@＠\\s]\\PC{0,40}") {
        prop_assert!(parse_at_prefix(&text, "example.com").is_none());
    }
}

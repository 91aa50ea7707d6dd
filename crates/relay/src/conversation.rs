//! Conversations seen from a phone (claim C9): which IM user a reply goes to.
//!
//! An SMS carrying an IM leaves from `access_number + extension`, where the extension names
//! *this correspondent for this phone*. The table is per phone (recipient MSISDN): extension →
//! correspondent AOR, allocated on first use, reused for the same pair, and when the phone has
//! `max_extensions` correspondents the least recently used one gives its extension up. The
//! phone's *last correspondent* (whoever it last exchanged a message with) backs up replies to
//! the bare access number within a window.
//!
//! Why LRU and not "never reuse": extensions are few (2–4 digits) and conversations are many;
//! the least recently used one is the one least likely to be answered. Why the lowest free
//! extension first: short, stable numbers a user can recognise. Phones themselves are bounded
//! too: the least recently used phone is forgotten (its replies then fall back to `@name` or
//! the help SMS — never to a wrong chat).
//!
//! Every new assignment yields a [`ConversationRecord`] to persist, so a restart keeps the
//! mapping; reuse of an existing pair only refreshes memory (LRU order is advisory).

use std::collections::{BTreeMap, HashMap};

use crate::record::ConversationRecord;

#[derive(Debug, Clone)]
struct Slot {
    aor: String,
    stamp: u64,
    at_ms: u64,
}

#[derive(Debug, Clone, Default)]
struct Phone {
    stamp: u64,
    by_ext: BTreeMap<u16, Slot>,
    by_aor: HashMap<String, u16>,
    /// stamp → extension, least recently used first.
    ext_lru: BTreeMap<u64, u16>,
    last: Option<(String, u64)>,
    last_help_ms: Option<u64>,
}

/// The per-phone extension tables of one shard.
#[derive(Debug, Clone)]
pub struct Conversations {
    digits: u8,
    max_extensions: u16,
    max_phones: usize,
    window_ms: u64,
    phones: HashMap<String, Phone>,
    /// stamp → msisdn, least recently used first.
    lru: BTreeMap<u64, String>,
    next_stamp: u64,
}

impl Conversations {
    /// Tables of `digits`-digit extensions (at most `max_extensions` per phone) for at most
    /// `max_phones` phones; a last correspondent counts for `window_ms`.
    pub fn new(digits: u8, max_extensions: u16, max_phones: usize, window_ms: u64) -> Self {
        let capacity = 10u32.pow(u32::from(digits.clamp(1, 4)));
        Conversations {
            digits: digits.clamp(1, 4),
            max_extensions: max_extensions.clamp(1, u16::try_from(capacity).unwrap_or(10_000)),
            max_phones: max_phones.max(1),
            window_ms,
            phones: HashMap::new(),
            lru: BTreeMap::new(),
            next_stamp: 0,
        }
    }

    /// Phones tracked.
    pub fn phones(&self) -> usize {
        self.phones.len()
    }

    /// Correspondents remembered for `msisdn`.
    pub fn extensions_of(&self, msisdn: &str) -> usize {
        self.phones.get(msisdn).map_or(0, |p| p.by_ext.len())
    }

    /// The extension as dialled: zero-padded to `digits`.
    pub fn format_extension(&self, ext: u16) -> String {
        format!("{:0width$}", ext, width = usize::from(self.digits))
    }

    /// The extension in a destination address `access_number + digits`, if it has that shape.
    pub fn parse_extension(&self, dest: &str, access_number: &str) -> Option<u16> {
        let digits = dest.trim_start_matches('+').strip_prefix(access_number)?;
        let ok =
            digits.len() == usize::from(self.digits) && digits.bytes().all(|b| b.is_ascii_digit());
        if ok {
            digits.parse().ok()
        } else {
            None
        }
    }

    fn stamp(&mut self) -> u64 {
        self.next_stamp += 1;
        self.next_stamp
    }

    /// The phone's entry, created (evicting the LRU phone) if needed, and marked used.
    fn phone(&mut self, msisdn: &str) -> &mut Phone {
        let stamp = self.stamp();
        if let Some(old) = self.phones.get(msisdn).map(|p| p.stamp) {
            self.lru.remove(&old);
        } else if self.phones.len() >= self.max_phones {
            if let Some((_, victim)) = self.lru.pop_first() {
                self.phones.remove(&victim);
            }
        }
        self.lru.insert(stamp, msisdn.to_owned());
        let phone = self.phones.entry(msisdn.to_owned()).or_default();
        phone.stamp = stamp;
        phone
    }

    /// The extension of (`msisdn`, `aor`), allocating one on first use; returns the record to
    /// persist when the assignment is new.
    pub fn extension_for(
        &mut self,
        msisdn: &str,
        aor: &str,
        now_ms: u64,
    ) -> (u16, Option<ConversationRecord>) {
        let stamp = self.stamp();
        let (digits, max) = (self.digits, self.max_extensions);
        let phone = self.phone(msisdn);
        if let Some(&ext) = phone.by_aor.get(aor) {
            if let Some(slot) = phone.by_ext.get_mut(&ext) {
                phone.ext_lru.remove(&slot.stamp);
                slot.stamp = stamp;
                slot.at_ms = now_ms;
                phone.ext_lru.insert(stamp, ext);
                return (ext, None);
            }
        }
        let ext = if phone.by_ext.len() < usize::from(max) {
            (0..max)
                .map(|i| slot_extension(digits, i))
                .find(|e| !phone.by_ext.contains_key(e))
                .unwrap_or(0)
        } else {
            phone.ext_lru.first_key_value().map_or(0, |(_, &e)| e)
        };
        assign(phone, ext, aor, stamp, now_ms);
        let rec = ConversationRecord {
            msisdn: msisdn.to_owned(),
            extension: ext,
            correspondent: aor.to_owned(),
            at_ms: now_ms,
        };
        (ext, Some(rec))
    }

    /// The correspondent extension `ext` of `msisdn` names, marking it used.
    pub fn lookup(&mut self, msisdn: &str, ext: u16) -> Option<String> {
        let stamp = self.stamp();
        let phone = self.phones.get_mut(msisdn)?;
        let slot = phone.by_ext.get_mut(&ext)?;
        phone.ext_lru.remove(&slot.stamp);
        slot.stamp = stamp;
        phone.ext_lru.insert(stamp, ext);
        Some(slot.aor.clone())
    }

    /// Records that `msisdn` just exchanged a message with `aor` (either direction).
    pub fn set_last(&mut self, msisdn: &str, aor: &str, now_ms: u64) {
        let phone = self.phone(msisdn);
        let newer = phone.last.as_ref().is_none_or(|(_, at)| *at <= now_ms);
        if newer {
            phone.last = Some((aor.to_owned(), now_ms));
        }
    }

    /// The last correspondent of `msisdn`, if within the window at `now_ms`.
    pub fn last(&self, msisdn: &str, now_ms: u64) -> Option<String> {
        let (aor, at) = self.phones.get(msisdn)?.last.as_ref()?;
        (now_ms.saturating_sub(*at) <= self.window_ms).then(|| aor.clone())
    }

    /// May `msisdn` get a help SMS at `now_ms` (none in the last `cooldown_ms`)?
    pub fn help_allowed(&self, msisdn: &str, now_ms: u64, cooldown_ms: u64) -> bool {
        let last = self.phones.get(msisdn).and_then(|p| p.last_help_ms);
        last.is_none_or(|t| now_ms.saturating_sub(t) >= cooldown_ms)
    }

    /// Notes a help SMS to `msisdn`.
    pub fn note_help(&mut self, msisdn: &str, now_ms: u64) {
        self.phone(msisdn).last_help_ms = Some(now_ms);
    }

    /// Applies a persisted assignment (recovery, in LSN order).
    pub fn apply(&mut self, rec: &ConversationRecord) {
        let capacity = 10u32.pow(u32::from(self.digits));
        if u32::from(rec.extension) >= capacity {
            return; // written under a wider configuration; cannot be dialled any more
        }
        let stamp = self.stamp();
        let max = usize::from(self.max_extensions);
        let phone = self.phone(&rec.msisdn);
        assign(phone, rec.extension, &rec.correspondent, stamp, rec.at_ms);
        while phone.by_ext.len() > max {
            let Some((_, victim)) = phone.ext_lru.pop_first() else {
                break;
            };
            if let Some(slot) = phone.by_ext.remove(&victim) {
                phone.by_aor.remove(&slot.aor);
            }
        }
    }

    /// The whole table as records (for a checkpoint), least recently used first.
    pub fn snapshot(&self) -> Vec<ConversationRecord> {
        let mut out = Vec::new();
        for msisdn in self.lru.values() {
            let Some(phone) = self.phones.get(msisdn) else {
                continue;
            };
            for ext in phone.ext_lru.values() {
                if let Some(slot) = phone.by_ext.get(ext) {
                    out.push(ConversationRecord {
                        msisdn: msisdn.clone(),
                        extension: *ext,
                        correspondent: slot.aor.clone(),
                        at_ms: slot.at_ms,
                    });
                }
            }
        }
        out
    }

    /// Checks the bijection between extensions and correspondents (tests, debug assertions).
    pub fn check_invariants(&self) -> Result<(), String> {
        for (msisdn, p) in &self.phones {
            if p.by_ext.len() != p.by_aor.len() || p.by_ext.len() != p.ext_lru.len() {
                return Err(format!("{msisdn}: table sizes differ"));
            }
            if p.by_ext.len() > usize::from(self.max_extensions) {
                return Err(format!("{msisdn}: over max_extensions"));
            }
            for (ext, slot) in &p.by_ext {
                if p.by_aor.get(&slot.aor) != Some(ext) {
                    return Err(format!("{msisdn}: {ext} -> {} not mirrored", slot.aor));
                }
            }
        }
        if self.phones.len() > self.max_phones || self.phones.len() != self.lru.len() {
            return Err("phone table out of bounds".into());
        }
        Ok(())
    }
}

/// Slot `i` in allocation order: 1, 2, ..., 10^digits - 1, then 0.
fn slot_extension(digits: u8, i: u16) -> u16 {
    let capacity = 10u32.pow(u32::from(digits));
    u16::try_from((u32::from(i) + 1) % capacity).unwrap_or(0)
}

/// Points `ext` at `aor`, unlinking whatever either of them named before.
fn assign(phone: &mut Phone, ext: u16, aor: &str, stamp: u64, at_ms: u64) {
    if let Some(old_ext) = phone.by_aor.remove(aor) {
        if let Some(slot) = phone.by_ext.remove(&old_ext) {
            phone.ext_lru.remove(&slot.stamp);
        }
    }
    if let Some(slot) = phone.by_ext.remove(&ext) {
        phone.ext_lru.remove(&slot.stamp);
        phone.by_aor.remove(&slot.aor);
    }
    phone.by_ext.insert(
        ext,
        Slot {
            aor: aor.to_owned(),
            stamp,
            at_ms,
        },
    );
    phone.by_aor.insert(aor.to_owned(), ext);
    phone.ext_lru.insert(stamp, ext);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocates_lowest_free_and_reuses_the_pair() {
        let mut c = Conversations::new(2, 100, 10, 1000);
        let (a, rec) = c.extension_for("+1", "sip:a@x", 0);
        assert_eq!(a, 1);
        assert!(rec.is_some());
        let (b, _) = c.extension_for("+1", "sip:b@x", 1);
        assert_eq!(b, 2);
        assert_eq!(c.extension_for("+1", "sip:a@x", 2), (1, None));
        assert_eq!(
            c.extension_for("+2", "sip:b@x", 3).0,
            1,
            "tables are per phone"
        );
        assert_eq!(c.format_extension(1), "01");
        assert_eq!(c.parse_extension("1065901", "10659"), Some(1));
        assert_eq!(c.parse_extension("10659", "10659"), None);
        assert_eq!(c.parse_extension("106591", "10659"), None);
        assert_eq!(c.lookup("+1", 2).as_deref(), Some("sip:b@x"));
    }

    #[test]
    fn full_phone_gives_up_its_least_recently_used_extension() {
        let mut c = Conversations::new(2, 2, 10, 1000);
        c.extension_for("+1", "sip:a@x", 0);
        c.extension_for("+1", "sip:b@x", 1);
        c.lookup("+1", 1); // a used again: b is now LRU
        let (e, rec) = c.extension_for("+1", "sip:c@x", 2);
        assert_eq!(e, 2);
        assert_eq!(rec.map(|r| r.correspondent).as_deref(), Some("sip:c@x"));
        assert_eq!(c.lookup("+1", 2).as_deref(), Some("sip:c@x"));
        assert_eq!(c.extensions_of("+1"), 2);
        c.check_invariants().expect("bijection");
    }

    #[test]
    fn phones_are_bounded_and_last_correspondent_expires() {
        let mut c = Conversations::new(2, 10, 2, 1000);
        c.set_last("+1", "sip:a@x", 0);
        c.set_last("+2", "sip:b@x", 0);
        assert_eq!(c.last("+1", 1000).as_deref(), Some("sip:a@x"));
        assert_eq!(c.last("+1", 1001), None);
        c.set_last("+3", "sip:c@x", 5); // evicts +1
        assert_eq!(c.phones(), 2);
        assert_eq!(c.last("+1", 5), None);
    }

    #[test]
    fn snapshot_replays_to_the_same_table() {
        let mut c = Conversations::new(2, 3, 10, 1000);
        for (i, aor) in ["sip:a@x", "sip:b@x", "sip:c@x", "sip:d@x"]
            .iter()
            .enumerate()
        {
            c.extension_for("+1", aor, i as u64);
        }
        let mut d = Conversations::new(2, 3, 10, 1000);
        for r in c.snapshot() {
            d.apply(&r);
        }
        for ext in 0..100 {
            assert_eq!(c.lookup("+1", ext), d.lookup("+1", ext), "ext {ext}");
        }
        assert!(c.help_allowed("+1", 0, 10));
        c.note_help("+1", 0);
        assert!(!c.help_allowed("+1", 9, 10));
        assert!(c.help_allowed("+1", 10, 10));
    }
}

//! The simulated world around one relay shard: a WAL with group commit, an SMSC, IM users,
//! crashes. Everything is driven by one seeded RNG, so a failing seed replays exactly.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use smartchat_relay::{
    Action, ImOutcome, MessageRecord, RateLimit, Ready, ReceiptStat, Record, RelayConfig,
    RelayShard, RetryPolicy, State, SubmitFailure,
};

pub const DOMAIN: &str = "example.com";
pub const USERS: usize = 6;

pub fn aor(u: usize) -> String {
    format!("sip:u{u}@{DOMAIN}")
}

/// Users 0..4 have a phone; 4 and 5 do not.
pub fn msisdn(u: usize) -> Option<String> {
    (u < 4).then(|| format!("+86139000000{u:02}"))
}

pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5EED_0F5E_ED00_0001)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut x = self.0;
        x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        x ^ (x >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub fn chance(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }
}

pub fn config() -> RelayConfig {
    RelayConfig {
        domain: DOMAIN.into(),
        max_messages: 48,
        max_held_per_recipient: 6,
        max_sms_parts: 3,
        validity_ms: 3_600_000,
        receipt_grace_ms: 600_000,
        hold_ms: 7_200_000,
        im_delivery_timeout_ms: 30_000,
        help_cooldown_ms: 300_000,
        msisdn_rate: RateLimit {
            per_minute: 30,
            burst: 6,
        },
        sender_rate: RateLimit {
            per_minute: 60,
            burst: 10,
        },
        retry: RetryPolicy {
            base_ms: 1_000,
            max_backoff_ms: 60_000,
            max_attempts: 4,
            throttle_delay_ms: 300,
        },
        ..RelayConfig::default()
    }
}

/// What became durable, for checking (the WAL itself may be compacted; this is not).
#[derive(Default)]
pub struct History {
    pub messages: BTreeMap<u64, MessageRecord>,
    pub finals: BTreeMap<u64, Vec<State>>,
    /// (id, part) with a recorded SMSC answer.
    pub answered: HashSet<(u64, u8)>,
}

impl History {
    fn add(&mut self, r: &Record) {
        match r {
            Record::Message(m) => {
                self.messages.entry(m.id).or_insert_with(|| m.clone());
            }
            Record::State(s) if s.state.is_final() => {
                self.finals.entry(s.id).or_default().push(s.state.clone());
            }
            Record::State(s) => match s.state {
                State::Submitted { part, .. }
                | State::PartDelivered { part }
                | State::Retry { part, .. } => {
                    self.answered.insert((s.id, part));
                }
                _ => {}
            },
            Record::Conversation(_) => {}
        }
    }
    pub fn is_final(&self, id: u64) -> bool {
        self.finals.get(&id).is_some_and(|f| !f.is_empty())
    }
}

pub struct SubmitJob {
    pub id: u64,
    pub part: u8,
    pub due: u64,
}

pub struct ReceiptJob {
    pub smsc_id: String,
    pub stat: ReceiptStat,
    pub due: u64,
}

pub struct ImJob {
    pub id: u64,
    pub to: String,
    pub due: u64,
}

pub struct World {
    pub seed: u64,
    pub rng: Rng,
    pub now: u64,
    pub shard: RelayShard,
    /// What recovery reads.
    pub wal: Vec<Record>,
    pub unsynced: Vec<Ready>,
    pub hist: History,
    pub submits: Vec<SubmitJob>,
    pub receipts: Vec<ReceiptJob>,
    pub ims: Vec<ImJob>,
    pub next_smsc: u64,
    pub final_actions: BTreeMap<u64, usize>,
    pub imdn_sent: HashSet<String>,
    pub draining: bool,
    pub stats: BTreeMap<&'static str, u64>,
}

impl World {
    pub fn new(seed: u64) -> World {
        let now = 1_700_000_000_000;
        World {
            seed,
            rng: Rng::new(seed),
            now,
            shard: RelayShard::new(config(), now).expect("config"),
            wal: Vec::new(),
            unsynced: Vec::new(),
            hist: History::default(),
            submits: Vec::new(),
            receipts: Vec::new(),
            ims: Vec::new(),
            next_smsc: 0,
            final_actions: BTreeMap::new(),
            imdn_sent: HashSet::new(),
            draining: false,
            stats: BTreeMap::new(),
        }
    }

    pub fn count(&mut self, what: &'static str) {
        *self.stats.entry(what).or_default() += 1;
    }

    /// Group commit: every pending Ready becomes durable, then its actions run.
    pub fn sync(&mut self) {
        for ready in std::mem::take(&mut self.unsynced) {
            for r in &ready.persist {
                self.hist.add(r);
            }
            self.wal.extend(ready.persist);
            for a in ready.after_persist {
                self.execute(a);
            }
        }
    }

    /// Runs one action. Everything an action claims must already be durable.
    pub fn execute(&mut self, a: Action) {
        let seed = self.seed;
        match a {
            Action::Ack202 { id } => {
                assert!(
                    self.hist.messages.contains_key(&id),
                    "seed {seed}: 202 for {id} before its record"
                );
                self.count("ack202");
            }
            Action::AckDeliverSm(_) => self.count("ack_deliver_sm"),
            Action::Submit(s) => {
                assert!(
                    self.hist.messages.contains_key(&s.id),
                    "seed {seed}: submit before record"
                );
                assert!(
                    !self.hist.is_final(s.id),
                    "seed {seed}: submit of final message {}",
                    s.id
                );
                for p in s.parts {
                    let due = self.now + self.rng.below(800);
                    self.submits.push(SubmitJob {
                        id: s.id,
                        part: p.part,
                        due,
                    });
                }
            }
            Action::DeliverIm(d) => {
                assert!(
                    self.hist.messages.contains_key(&d.id),
                    "seed {seed}: IM before record"
                );
                assert!(
                    !self.hist.is_final(d.id),
                    "seed {seed}: delivering final message"
                );
                let due = self.now + self.rng.below(2_000);
                self.ims.push(ImJob {
                    id: d.id,
                    to: d.to,
                    due,
                });
            }
            Action::SendImdn {
                original_message_id,
                status,
                ..
            } => {
                let want = match status {
                    smartchat_relay::ImdnStatus::Delivered => |s: &State| *s == State::Delivered,
                    smartchat_relay::ImdnStatus::Failed => {
                        |s: &State| matches!(s, State::Failed { .. } | State::Expired)
                    }
                };
                let backed = self.hist.messages.values().any(|m| {
                    m.imdn
                        .as_ref()
                        .is_some_and(|i| i.message_id == original_message_id)
                        && self
                            .hist
                            .finals
                            .get(&m.id)
                            .is_some_and(|f| f.iter().any(want))
                });
                assert!(
                    backed,
                    "seed {seed}: IMDN {status:?} not backed by a durable final state"
                );
                assert!(
                    self.imdn_sent.insert(original_message_id),
                    "seed {seed}: IMDN twice"
                );
            }
            Action::Final { id } => {
                let n = self.hist.finals.get(&id).map_or(0, Vec::len);
                assert_eq!(
                    n, 1,
                    "seed {seed}: Final for {id} with {n} durable final records"
                );
                *self.final_actions.entry(id).or_default() += 1;
            }
            Action::Notice { .. } => self.count("notice"),
            Action::HelpSuppressed { .. } => self.count("help_suppressed"),
        }
    }

    /// Drops the shard and everything not durable; recovers from the WAL.
    pub fn crash(&mut self) {
        let seed = self.seed;
        self.count("crash");
        self.unsynced.clear();
        self.ims.clear();
        // Submissions in flight: the SMSC may have taken some; their ids were never learned.
        for _ in std::mem::take(&mut self.submits) {
            if self.rng.chance(50) {
                self.next_smsc += 1;
                let due = self.now + self.rng.below(60_000);
                let smsc_id = format!("lost-{}", self.next_smsc);
                self.receipts.push(ReceiptJob {
                    smsc_id,
                    stat: ReceiptStat::Delivered,
                    due,
                });
            }
        }
        let (shard, rec) = RelayShard::recover(config(), &self.wal, self.now).expect("config");
        self.shard = shard;
        assert!(
            rec.ready.persist.is_empty(),
            "seed {seed}: recovery must not write"
        );
        for r in &rec.resubmitted {
            assert!(
                !self.hist.is_final(r.id),
                "seed {seed}: resubmitting final {}",
                r.id
            );
            for p in &r.parts {
                assert!(
                    !self.hist.answered.contains(&(r.id, *p)),
                    "seed {seed}: resubmitted {}/{p} although the SMSC answer was recorded",
                    r.id
                );
                self.count("resubmitted_part");
            }
        }
        self.check_never_lost();
        for a in rec.ready.after_persist {
            self.execute(a);
        }
    }

    /// Compaction: make everything durable, then replace the WAL by a checkpoint.
    pub fn compact(&mut self) {
        self.sync();
        self.wal = self.shard.checkpoint(self.now);
        self.count("compaction");
    }

    /// Every durable message is final (durably or in a Ready not yet synced) or in flight.
    pub fn check_never_lost(&self) {
        let pending_finals: BTreeSet<u64> = self
            .unsynced
            .iter()
            .flat_map(|r| r.final_ids().collect::<Vec<_>>())
            .collect();
        for &id in self.hist.messages.keys() {
            if self.hist.is_final(id) || pending_finals.contains(&id) {
                continue;
            }
            let p = self.shard.pending(id);
            assert!(
                p.is_some(),
                "seed {}: message {id} lost (not final, not in flight)",
                self.seed
            );
            let deadline = p.map_or(0, |p| p.deadline_ms);
            assert!(deadline > 0 && self.shard.next_deadline().is_some_and(|d| d <= deadline));
        }
    }

    pub fn submit_failure(&mut self) -> Option<SubmitFailure> {
        let roll = self.rng.below(100);
        let limit = if self.draining { 85 } else { 70 };
        if roll < limit {
            None
        } else if roll < 80 {
            Some(SubmitFailure::Throttled)
        } else if roll < 93 {
            Some(SubmitFailure::Temporary)
        } else {
            Some(SubmitFailure::Permanent {
                command_status: 0x0B,
            })
        }
    }

    pub fn im_outcome(&mut self, to: &str) -> Option<ImOutcome> {
        let roll = self.rng.below(100);
        let phone = (0..USERS).find(|&u| aor(u) == to).and_then(msisdn);
        Some(match roll {
            0..=54 => ImOutcome::Delivered,
            55..=74 => ImOutcome::Offline,
            75..=84 => match phone {
                Some(msisdn) => ImOutcome::Mobile { msisdn },
                None => ImOutcome::Offline,
            },
            85..=89 => ImOutcome::NoSuchUser,
            90..=91 => ImOutcome::Rejected,
            _ if self.draining => ImOutcome::Delivered,
            _ => return None, // never answered: the delivery timeout takes over
        })
    }
}

//! The simulation driver: random operations, routing by the map, effect checking.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use smartchat_core::*;

use crate::model::Model;

pub(crate) const USERS: usize = 8;
pub(crate) const UNKNOWN: usize = 2;
const LOG_LINES: usize = 40;

/// SplitMix64: tiny, seedable, good enough for choosing operations.
pub struct Rng(u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub(crate) fn pct(&mut self, p: u64) -> bool {
        self.below(100) < p
    }
    pub(crate) fn pick<T: Clone>(&mut self, v: &[T]) -> T {
        v[self.below(v.len() as u64) as usize].clone()
    }
}

pub fn aor(i: usize) -> String {
    format!("sip:u{i}@sim.test")
}

pub struct Sim<'a> {
    pub(crate) rng: Rng,
    pub(crate) now: u64,
    pub(crate) interval: u64,
    pub(crate) map: ShardMap,
    pub(crate) shards: Vec<PresenceShard>,
    pub(crate) limits: Limits,
    pub(crate) model: Model,
    pub(crate) next_dialog: u32,
    pub(crate) cseqs: HashMap<String, u32>,
    pub(crate) gens: [[u32; 4]; USERS],
    pub(crate) msisdn_ver: [u32; USERS],
    pub(crate) etags: HashSet<String>,
    pub(crate) dead_etags: Vec<String>,
    pub(crate) log: &'a RefCell<VecDeque<String>>,
    /// How often each request kind ended each way (coverage report).
    pub(crate) tally: BTreeMap<String, u64>,
}

impl<'a> Sim<'a> {
    pub fn new(seed: u64, log: &'a RefCell<VecDeque<String>>) -> Self {
        let mut rng = Rng(seed);
        let shard_count = 1 + rng.below(4) as u16;
        let interval = rng.pick(&[0, 1000, 5000]);
        let limits = Limits {
            max_subscribers: USERS,
            max_contacts_per_aor: 3,
            max_publications_per_aor: 2,
            max_watchers_per_presentity: 3,
            max_watchers_per_shard: 6,
            max_pending_effects: 64,
            max_timer_batch: rng.pick(&[1, 2, 1024]),
            ..Limits::default()
        };
        let policy = ExpiryPolicy {
            min_secs: crate::model::MIN,
            max_secs: crate::model::MAX,
            default_secs: crate::model::DEFAULT,
        };
        let config = ShardConfig {
            limits: limits.clone(),
            register: policy,
            publish: policy,
            subscribe: policy,
            min_notify_interval_ms: interval,
            etag_seed: seed,
        };
        let map = ShardMap::new(1, shard_count).unwrap();
        let shards = (0..shard_count)
            .map(|i| PresenceShard::new(ShardId(i), map, config.clone()).unwrap())
            .collect();
        log.borrow_mut().clear();
        let mut sim = Self {
            rng,
            now: 1_000_000,
            interval,
            map,
            shards,
            limits,
            model: Model::default(),
            next_dialog: 0,
            cseqs: HashMap::new(),
            gens: [[0; 4]; USERS],
            msisdn_ver: [0; USERS],
            etags: HashSet::new(),
            dead_etags: Vec::new(),
            log,
            tally: BTreeMap::new(),
        };
        sim.note(format!(
            "seed {seed}: {shard_count} shards, interval {interval} ms"
        ));
        for u in 0..USERS {
            sim.provision(u);
        }
        sim.settle_and_check();
        sim
    }

    pub fn counters(&self) -> Vec<Counters> {
        self.shards.iter().map(|s| s.counters().clone()).collect()
    }

    pub(crate) fn count<T, E: std::fmt::Debug>(&mut self, kind: &str, r: &Result<T, E>) {
        let key = match r {
            Ok(_) => format!("{kind} ok"),
            Err(e) => {
                let e = format!("{e:?}");
                format!(
                    "{kind} {}",
                    e.split(['(', ' ', '{']).next().unwrap_or_default()
                )
            }
        };
        *self.tally.entry(key).or_default() += 1;
    }

    pub(crate) fn note(&self, line: String) {
        let mut log = self.log.borrow_mut();
        if log.len() == LOG_LINES {
            log.pop_front();
        }
        log.push_back(line);
    }

    pub(crate) fn shard_of(&mut self, aor: &str) -> &mut PresenceShard {
        let id = self.map.owner(aor);
        &mut self.shards[usize::from(id.0)]
    }

    pub(crate) fn user(&mut self) -> usize {
        if self.rng.pct(10) {
            USERS + self.rng.below(UNKNOWN as u64) as usize
        } else {
            self.rng.below(USERS as u64) as usize
        }
    }

    pub fn step(&mut self) {
        match self.rng.below(1000) {
            0..=229 => self.op_register(),
            230..=269 => self.op_wildcard(),
            270..=449 => self.op_publish(),
            450..=579 => self.op_subscribe(),
            580..=679 => self.op_resubscribe(),
            680..=699 => self.op_notify_failed(),
            700..=749 => self.op_profile(),
            750..=769 => self.op_provision_toggle(),
            770..=819 => self.op_route(),
            820..=899 => {
                let dt = self.rng.below(3000);
                self.advance(dt, true);
            }
            900..=949 => {
                // Stop 1 ms before (or exactly at) the next deadline: boundary cases.
                let next = self
                    .shards
                    .iter()
                    .filter_map(PresenceShard::next_deadline)
                    .min();
                let dt = next.map_or(0, |d| d - self.now - u64::from(self.rng.pct(70)));
                self.advance(dt, true);
            }
            950..=996 => {
                let dt = self.rng.below(200_000);
                self.advance(dt, true);
            }
            _ => {
                let jump = self.rng.below(4 * 3_600_000);
                let precise = self.rng.pct(50);
                self.advance(jump, precise);
            }
        }
        self.settle_and_check();
    }

    pub fn finish(&mut self) {
        // Quiesce: run every remaining deadline; everything must end cleanly.
        self.advance(3 * 3_600_000 * 4, true);
        self.settle_and_check();
        assert!(
            self.model.dialogs.iter().all(|d| !d.active),
            "dialogs outlived their expiry"
        );
        assert!(self
            .shards
            .iter()
            .all(|s| s.next_deadline().is_none() && s.watcher_count() == 0));
    }

    /// Advances virtual time by `dt`: through every deadline in order (`precise`), or in one
    /// jump so the timer fires late.
    pub(crate) fn advance(&mut self, dt: u64, precise: bool) {
        let target = self.now + dt;
        self.note(format!(
            "t={} advance {dt} ms (precise {precise})",
            self.now
        ));
        if precise {
            while let Some(d) = self
                .shards
                .iter()
                .filter_map(PresenceShard::next_deadline)
                .min()
            {
                if d > target {
                    break;
                }
                self.now = d;
                self.settle_and_check();
            }
        }
        self.now = target;
    }
}

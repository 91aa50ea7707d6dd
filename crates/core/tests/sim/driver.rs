//! The simulation driver: random operations, routing by the map, effect checking.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use smartchat_core::*;

use crate::model::{resolve, MDialog, MUser, Model};

const USERS: usize = 8;
const UNKNOWN: usize = 2;
const LOG_LINES: usize = 40;

/// SplitMix64: tiny, seedable, good enough for choosing operations.
pub struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pct(&mut self, p: u64) -> bool {
        self.below(100) < p
    }
    fn pick<T: Clone>(&mut self, v: &[T]) -> T {
        v[self.below(v.len() as u64) as usize].clone()
    }
}

pub fn aor(i: usize) -> String {
    format!("sip:u{i}@sim.test")
}

pub struct Sim<'a> {
    rng: Rng,
    now: u64,
    interval: u64,
    map: ShardMap,
    shards: Vec<PresenceShard>,
    limits: Limits,
    model: Model,
    next_dialog: u32,
    cseqs: HashMap<String, u32>,
    gens: [[u32; 4]; USERS],
    msisdn_ver: [u32; USERS],
    etags: HashSet<String>,
    dead_etags: Vec<String>,
    log: &'a RefCell<VecDeque<String>>,
    /// How often each request kind ended each way (coverage report).
    pub tally: BTreeMap<String, u64>,
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
        sim.note(format!("seed {seed}: {shard_count} shards, interval {interval} ms"));
        for u in 0..USERS {
            sim.provision(u);
        }
        sim.settle_and_check();
        sim
    }

    pub fn counters(&self) -> Vec<Counters> {
        self.shards.iter().map(|s| s.counters().clone()).collect()
    }

    fn count<T, E: std::fmt::Debug>(&mut self, kind: &str, r: &Result<T, E>) {
        let key = match r {
            Ok(_) => format!("{kind} ok"),
            Err(e) => {
                let e = format!("{e:?}");
                format!("{kind} {}", e.split(['(', ' ', '{']).next().unwrap_or_default())
            }
        };
        *self.tally.entry(key).or_default() += 1;
    }

    fn note(&self, line: String) {
        let mut log = self.log.borrow_mut();
        if log.len() == LOG_LINES {
            log.pop_front();
        }
        log.push_back(line);
    }

    fn shard_of(&mut self, aor: &str) -> &mut PresenceShard {
        let id = self.map.owner(aor);
        &mut self.shards[usize::from(id.0)]
    }

    fn user(&mut self) -> usize {
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
                let next = self.shards.iter().filter_map(PresenceShard::next_deadline).min();
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
        assert!(self.model.dialogs.iter().all(|d| !d.active), "dialogs outlived their expiry");
        assert!(self.shards.iter().all(|s| s.next_deadline().is_none() && s.watcher_count() == 0));
    }

    // ----- operations -----

    fn provision(&mut self, u: usize) {
        let sub = self.random_profile(u);
        self.note(format!("t={} add {} {:?} svc={}", self.now, sub.aor, sub.msisdn, sub.service));
        let a = sub.aor.clone();
        self.shard_of(&a).add_subscriber(sub.clone()).expect("add_subscriber");
        self.model.users.insert(a, MUser::new(sub));
    }

    fn random_profile(&mut self, u: usize) -> Subscriber {
        let msisdn = if self.rng.pct(70) {
            self.msisdn_ver[u] += 1;
            Some(format!("+86139{u:02}{:06}", self.msisdn_ver[u]))
        } else {
            None
        };
        let buddies = (0..USERS + UNKNOWN)
            .filter(|&b| b != u && self.rng.pct(50))
            .map(aor)
            .collect();
        Subscriber {
            aor: aor(u),
            msisdn,
            service: self.rng.pct(70),
            password: format!("pw{u}"),
            buddies,
        }
    }

    fn op_register(&mut self) {
        let u = self.user();
        let a = aor(u);
        let ui = u % USERS;
        let n = 1 + self.rng.below(2) as usize;
        let k = self.rng.below(4) as usize;
        if self.rng.pct(5) {
            self.gens[ui][k] += 1;
        }
        let call_id = format!("reg-{u}-{k}-{}", self.gens[ui][k]);
        let prev = self.cseqs.get(&call_id).copied().unwrap_or(0);
        let cseq = if self.rng.pct(85) { prev + 1 } else { prev.saturating_sub(self.rng.below(2) as u32) };
        self.cseqs.insert(call_id.clone(), prev.max(cseq));
        let exp = [None, Some(0), Some(30), Some(60), Some(120), Some(600), Some(10_000)];
        let contacts = (0..n)
            .map(|i| ContactBinding {
                uri: format!("sip:u{u}@dev{}.sim", (k + i) % 4),
                expires_secs: if self.rng.pct(60) { self.rng.pick(&exp) } else { None },
                q: None,
            })
            .collect();
        let req = RegisterRequest {
            call_id,
            cseq,
            expires_secs: self.rng.pick(&exp),
            contacts: RegisterContacts::Bindings(contacts),
        };
        self.do_register(&a, req);
    }

    fn op_wildcard(&mut self) {
        let u = self.user();
        let k = self.rng.below(4) as usize;
        let call_id = format!("reg-{u}-{k}-{}", self.gens[u % USERS][k]);
        let cseq = self.cseqs.get(&call_id).copied().unwrap_or(0) + u32::from(self.rng.pct(80));
        self.cseqs.insert(call_id.clone(), cseq);
        let fetch = self.rng.pct(20);
        let req = RegisterRequest {
            call_id,
            cseq,
            expires_secs: if self.rng.pct(85) { Some(0) } else { Some(60) },
            contacts: if fetch { RegisterContacts::Fetch } else { RegisterContacts::Wildcard },
        };
        self.do_register(&aor(u), req);
    }

    fn do_register(&mut self, a: &str, req: RegisterRequest) {
        self.note(format!("t={} REGISTER {a} {req:?}", self.now));
        let (now, max) = (self.now, self.limits.max_contacts_per_aor);
        let expected = self.model.register(a, &req, max, now);
        let got = self.shard_of(a).register(a, &req, now);
        self.count("REGISTER", &got);
        match (&expected, &got) {
            (Ok(()), Ok(out)) => {
                let u = &self.model.users[a];
                assert_eq!(out.bindings.len(), u.bindings.len());
                for b in &out.bindings {
                    let m = &u.bindings[&b.uri];
                    assert_eq!(u64::from(b.expires_secs), (m.expires_at - now).div_ceil(1000));
                }
            }
            (Err(e), Err(g)) => assert_eq!(e, g),
            _ => panic!("REGISTER: model {expected:?}, shard {got:?}"),
        }
    }

    fn op_publish(&mut self) {
        let u = self.user();
        let a = aor(u);
        let live: Vec<String> = self
            .model
            .users
            .get(&a)
            .map(|m| m.pubs.iter().map(|p| p.etag.clone()).collect())
            .unwrap_or_default();
        let etag = match self.rng.below(100) {
            0..=39 => None,
            40..=84 if !live.is_empty() => Some(self.rng.pick(&live)),
            _ if !self.dead_etags.is_empty() => Some(self.rng.pick(&self.dead_etags)),
            _ => Some("bogus".to_owned()),
        };
        let body = if self.rng.pct(70) { Some(self.rng.pct(50)) } else { None };
        let expires = self.rng.pick(&[None, Some(0), Some(30), Some(60), Some(300), Some(9000)]);
        self.note(format!("t={} PUBLISH {a} etag={etag:?} busy={body:?} exp={expires:?}", self.now));
        let max = self.limits.max_publications_per_aor;
        let expected = self.model.check_publish(&a, etag.as_deref(), body, expires, max);
        let state = body.map(|b| PublishedState { busy: b, note: None });
        let now = self.now;
        let got = self.shard_of(&a).publish(&a, etag.as_deref(), state, expires, now);
        self.count("PUBLISH", &got);
        match (&expected, &got) {
            (Ok(exp), Ok(out)) => {
                assert_eq!(*exp, out.expires_secs);
                if out.expires_secs == 0 {
                    assert_eq!(Some(&out.etag), etag.as_ref(), "removal names the removed tag");
                } else {
                    assert!(self.etags.insert(out.etag.clone()), "ETag reused: {}", out.etag);
                }
                if let Some(old) = &etag {
                    self.dead_etags.push(old.clone());
                }
                self.model.apply_publish(&a, etag.as_deref(), body, out, now);
            }
            (Err(e), Err(g)) => assert_eq!(e, g),
            _ => panic!("PUBLISH: model {expected:?}, shard {got:?}"),
        }
    }

    fn op_subscribe(&mut self) {
        let p = aor(self.user());
        let buddies = self.model.users.get(&p).map(|u| u.sub.buddies.clone()).unwrap_or_default();
        let w = if self.rng.pct(70) && !buddies.is_empty() {
            self.rng.pick(&buddies)
        } else if self.rng.pct(20) {
            p.clone()
        } else {
            aor(self.user())
        };
        self.next_dialog += 1;
        let n = self.next_dialog;
        let req = SubscribeRequest {
            presentity: p.clone(),
            watcher: w.clone(),
            dialog: DialogKey { call_id: format!("sub{n}"), from_tag: format!("f{n}"), to_tag: format!("t{n}") },
            watcher_target: format!("sip:w{n}@sim"),
            expires_secs: self.rng.pick(&[None, Some(0), Some(30), Some(60), Some(120), Some(600)]),
            in_dialog: false,
        };
        self.do_subscribe(req, None);
    }

    fn op_resubscribe(&mut self) {
        if self.model.dialogs.is_empty() {
            return;
        }
        let i = self.rng.below(self.model.dialogs.len() as u64) as usize;
        let d = self.model.dialogs[i].clone();
        let req = SubscribeRequest {
            presentity: d.presentity.clone(),
            watcher: d.watcher.clone(),
            dialog: d.key.clone(),
            watcher_target: format!("sip:moved{}@sim", self.rng.below(9)),
            expires_secs: self.rng.pick(&[None, Some(0), Some(0), Some(30), Some(90), Some(600)]),
            in_dialog: true,
        };
        self.do_subscribe(req, Some(i));
    }

    fn do_subscribe(&mut self, req: SubscribeRequest, existing: Option<usize>) {
        self.note(format!("t={} SUBSCRIBE {req:?}", self.now));
        let now = self.now;
        let expected = self.expect_subscribe(&req, existing);
        let got = self.shard_of(&req.presentity).subscribe(&req, now);
        self.count("SUBSCRIBE", &got);
        let out = match (expected, got) {
            (Ok(exp), Ok(out)) => {
                assert_eq!(exp, out.expires_secs);
                out
            }
            (Err(e), Err(g)) => return assert_eq!(e, g),
            (e, g) => panic!("SUBSCRIBE: model {e:?}, shard {g:?}"),
        };
        let n = &out.notify;
        let status = self.model.status(&req.presentity);
        assert_eq!(n.status, status, "the answer carries the current state");
        assert_eq!((&n.dialog, &n.watcher, &n.watcher_target), (&req.dialog, &req.watcher, &req.watcher_target));
        let prev_cseq = existing.map_or(0, |i| self.model.dialogs[i].cseq);
        assert_eq!(n.cseq, prev_cseq + 1);
        let expected_state = if out.expires_secs == 0 {
            SubscriptionState::Terminated { reason: TerminationReason::Timeout }
        } else {
            SubscriptionState::Active { expires_secs: out.expires_secs }
        };
        assert_eq!(n.subscription_state, expected_state);
        let d = MDialog {
            presentity: req.presentity.clone(),
            watcher: req.watcher.clone(),
            key: req.dialog.clone(),
            expires_at: now + u64::from(out.expires_secs) * 1000,
            cseq: n.cseq,
            last_status: n.status.clone(),
            last_sent_at: now,
            active: out.expires_secs > 0,
        };
        match existing {
            Some(i) => self.model.dialogs[i] = d,
            None if d.active => self.model.dialogs.push(d),
            None => {} // fetch
        }
    }

    fn expect_subscribe(&self, req: &SubscribeRequest, existing: Option<usize>) -> Result<u32, SubscribeError> {
        let u = self.model.users.get(&req.presentity).ok_or(SubscribeError::UnknownPresentity)?;
        if !u.sub.may_watch(&req.watcher) {
            return Err(SubscribeError::Forbidden);
        }
        let exp = resolve(req.expires_secs).map_err(|min_expires| SubscribeError::IntervalTooBrief { min_expires })?;
        match existing {
            Some(i) if !self.model.dialogs[i].active => Err(SubscribeError::NoSuchSubscription),
            Some(_) => Ok(exp),
            None if exp == 0 => Ok(0),
            None => {
                let l = &self.limits;
                if self.model.active_dialogs_on(&req.presentity) >= l.max_watchers_per_presentity {
                    return Err(SubscribeError::TooManyWatchers { limit: l.max_watchers_per_presentity });
                }
                let owner = self.map.owner(&req.presentity);
                let on_shard = self
                    .model
                    .dialogs
                    .iter()
                    .filter(|d| d.active && self.map.owner(&d.presentity) == owner)
                    .count();
                if on_shard >= l.max_watchers_per_shard {
                    return Err(SubscribeError::TooManyWatchers { limit: l.max_watchers_per_shard });
                }
                Ok(exp)
            }
        }
    }

    fn op_notify_failed(&mut self) {
        if self.model.dialogs.is_empty() {
            return;
        }
        let i = self.rng.below(self.model.dialogs.len() as u64) as usize;
        let d = self.model.dialogs[i].clone();
        self.note(format!("t={} NOTIFY failed {:?}", self.now, d.key));
        let now = self.now;
        let removed = self.shard_of(&d.presentity).notify_failed(&d.presentity, &d.key, now);
        assert_eq!(removed, d.active);
        self.model.dialogs[i].active = false;
    }

    fn op_profile(&mut self) {
        let u = self.rng.below(USERS as u64) as usize;
        let a = aor(u);
        let Some(cur) = self.model.users.get(&a).map(|m| m.sub.clone()) else {
            return;
        };
        let fresh = self.random_profile(u);
        let mut next = cur.clone();
        if self.rng.pct(40) {
            next.service = !next.service;
        }
        if self.rng.pct(40) {
            next.msisdn = fresh.msisdn;
        }
        if self.rng.pct(40) {
            next.buddies = fresh.buddies;
        }
        self.note(format!("t={} UPDATE {a} {:?} svc={} buddies={:?}", self.now, next.msisdn, next.service, next.buddies));
        let now = self.now;
        self.shard_of(&a).update_subscriber(next.clone(), now).expect("update_subscriber");
        self.model.users.get_mut(&a).unwrap().sub = next;
    }

    fn op_provision_toggle(&mut self) {
        let u = self.rng.below(USERS as u64) as usize;
        let a = aor(u);
        if !self.model.users.contains_key(&a) {
            return self.provision(u);
        }
        if !self.rng.pct(25) {
            return;
        }
        self.note(format!("t={} REMOVE {a}", self.now));
        let now = self.now;
        let removed = self.shard_of(&a).remove_subscriber(&a, now).expect("remove_subscriber");
        assert_eq!(removed, self.model.users.remove(&a).unwrap().sub);
    }

    fn op_route(&mut self) {
        let a = aor(self.user());
        let now = self.now;
        let got = self.shard_of(&a).route_message(&a, now).expect("routed to owner");
        self.note(format!("t={now} ROUTE {a} -> {got:?}"));
        let Some(u) = self.model.users.get(&a) else {
            return assert_eq!(got, RouteDecision::UnknownUser);
        };
        match (u.compose(), got) {
            (s, RouteDecision::DeliverOnline { mut contacts }) if s.is_online() => {
                contacts.sort();
                assert_eq!(contacts, u.bindings.keys().cloned().collect::<Vec<_>>());
            }
            (Status::Mobile { msisdn }, RouteDecision::Mobile { msisdn: m }) => assert_eq!(msisdn, m),
            (Status::Offline, RouteDecision::OfflineNoService) => {}
            (s, g) => panic!("route {g:?} for status {s:?}"),
        }
    }

    /// Advances virtual time by `dt`: through every deadline in order (`precise`), or in one
    /// jump so the timer fires late.
    fn advance(&mut self, dt: u64, precise: bool) {
        let target = self.now + dt;
        self.note(format!("t={} advance {dt} ms (precise {precise})", self.now));
        if precise {
            while let Some(d) = self.shards.iter().filter_map(PresenceShard::next_deadline).min() {
                if d > target {
                    break;
                }
                self.now = d;
                self.settle_and_check();
            }
        }
        self.now = target;
    }

    // ----- effects and invariants -----

    /// Runs due timers, drains and checks effects, then checks every invariant.
    fn settle_and_check(&mut self) {
        let now = self.now;
        self.model.expire(now);
        for _round in 0..1000 {
            let mut busy = false;
            for i in 0..self.shards.len() {
                if self.shards[i].next_deadline().is_some_and(|d| d <= now) {
                    self.shards[i].on_timer(now);
                    busy = true;
                }
                let mut effects = Vec::new();
                self.shards[i].drain_effects(&mut effects);
                busy |= !effects.is_empty();
                for e in effects {
                    self.check_effect(e);
                }
            }
            if !busy {
                return self.check_invariants();
            }
        }
        panic!("timers did not quiesce");
    }

    fn check_effect(&mut self, e: Effect) {
        let now = self.now;
        match e {
            Effect::Notify(n) => {
                let users = &self.model.users;
                let status = self.model.status(&n.presentity);
                let d = self
                    .model
                    .dialogs
                    .iter_mut()
                    .find(|d| d.active && d.key == n.dialog && d.presentity == n.presentity)
                    .unwrap_or_else(|| panic!("NOTIFY for no live dialog: {n:?}"));
                assert_eq!(n.cseq, d.cseq + 1, "CSeq");
                assert_eq!(n.watcher, d.watcher);
                let authorised = users.get(&n.presentity).is_some_and(|u| u.sub.may_watch(&d.watcher));
                match n.subscription_state {
                    SubscriptionState::Active { .. } => {
                        assert!(authorised, "NOTIFY to an unauthorised watcher: {n:?}");
                        assert_eq!(n.status, status, "NOTIFY carries the current status");
                        assert_ne!(n.status, d.last_status, "duplicate NOTIFY");
                        assert!(now >= d.last_sent_at + self.interval, "NOTIFY inside the window");
                    }
                    SubscriptionState::Terminated { reason: TerminationReason::Timeout } => {
                        assert!(now >= d.expires_at, "terminated before expiry");
                        assert_eq!(n.status, status);
                        d.active = false;
                    }
                    SubscriptionState::Terminated { reason: TerminationReason::Rejected } => {
                        assert!(!authorised && status.is_some() && n.status.is_none());
                        d.active = false;
                    }
                    SubscriptionState::Terminated { reason: TerminationReason::Noresource } => {
                        assert!(status.is_none() && n.status.is_none());
                        d.active = false;
                    }
                    other => panic!("unexpected {other:?}"),
                }
                d.cseq = n.cseq;
                d.last_status = n.status;
                d.last_sent_at = now;
            }
            Effect::PresenceChanged { aor, status } => {
                let u = self.model.users.get_mut(&aor).expect("change for a provisioned user");
                assert_ne!(status, u.announced, "PresenceChanged without a change");
                assert_eq!(status, u.compose());
                u.announced = status;
            }
            Effect::IndexMsisdn { shard, msisdn, aor } => {
                assert_eq!(shard, self.map.msisdn_owner(&msisdn));
                self.shards[usize::from(shard.0)].index_msisdn(&msisdn, &aor).expect("index");
            }
            Effect::UnindexMsisdn { shard, msisdn, aor } => {
                assert_eq!(shard, self.map.msisdn_owner(&msisdn));
                self.shards[usize::from(shard.0)].unindex_msisdn(&msisdn, &aor).expect("unindex");
            }
        }
    }

    fn check_invariants(&mut self) {
        // Keep a few ended dialogs (to provoke 481), not all of them.
        let ended = self.model.dialogs.iter().filter(|d| !d.active).count();
        if ended > 16 {
            let mut drop = ended - 16;
            self.model.dialogs.retain(|d| {
                let keep = d.active || drop == 0;
                drop -= usize::from(!keep);
                keep
            });
        }
        let now = self.now;
        let l = &self.limits;
        for s in &self.shards {
            assert_eq!(s.pending_effects(), 0);
            assert!(s.next_deadline().is_none_or(|d| d > now), "a due deadline was not processed");
            assert!(s.watcher_count() <= l.max_watchers_per_shard);
            assert!(s.subscriber_count() <= l.max_subscribers);
        }
        let total: usize = self.shards.iter().map(PresenceShard::subscriber_count).sum();
        assert_eq!(total, self.model.users.len());
        let mut numbers = 0;
        for (a, u) in &self.model.users {
            let s = &self.shards[usize::from(self.map.owner(a).0)];
            let composed = u.compose();
            assert_eq!(s.status(a), Some(&composed), "status of {a}");
            assert_eq!(u.announced, composed, "announced status of {a}");
            let contacts = s.contacts(a, now);
            assert_eq!(contacts.len(), u.bindings.len(), "contacts of {a}");
            assert!(contacts.len() <= l.max_contacts_per_aor && u.pubs.len() <= l.max_publications_per_aor);
            for c in &contacts {
                let exp = u.bindings[&c.uri].expires_at;
                assert_eq!(u64::from(c.expires_secs), (exp - now).div_ceil(1000));
            }
            let views = s.watchers(a);
            assert_eq!(views.len(), self.model.active_dialogs_on(a));
            for v in &views {
                let d = self.model.dialogs.iter().find(|d| d.active && d.key == v.dialog).expect("model dialog");
                assert!(u.sub.may_watch(&d.watcher), "active dialog for an unauthorised watcher");
                assert!(d.expires_at > now, "dialog alive past its expiry");
                assert_eq!((v.cseq, &v.last_status, v.expires_at), (d.cseq, &d.last_status, d.expires_at));
                if d.last_status.as_ref() == Some(&composed) {
                    assert_eq!(v.pending_until, None);
                } else {
                    let window_end = d.last_sent_at + self.interval;
                    assert!(self.interval > 0 && now < window_end, "stale NOTIFY state, no window");
                    assert_eq!(v.pending_until, Some(window_end), "change not scheduled");
                }
            }
            if let Some(m) = &u.sub.msisdn {
                numbers += 1;
                let idx = &self.shards[usize::from(self.map.msisdn_owner(m).0)];
                assert_eq!(idx.lookup_msisdn(m), Ok(Some(a.as_str())));
            }
        }
        let indexed: usize = self.shards.iter().map(PresenceShard::msisdn_index_len).sum();
        assert_eq!(indexed, numbers, "MSISDN index has stale entries");
        for d in self.model.dialogs.iter().filter(|d| d.active) {
            assert!(self.model.users.contains_key(&d.presentity), "dialog on a removed presentity");
        }
    }
}

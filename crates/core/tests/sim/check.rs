//! Simulation checks: every effect as it is drained, and the invariants after every step.

use smartchat_core::*;

use crate::driver::Sim;

impl Sim<'_> {
    /// Runs due timers, drains and checks effects, then checks every invariant.
    pub(crate) fn settle_and_check(&mut self) {
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

    pub(crate) fn check_effect(&mut self, e: Effect) {
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
                let authorised = users
                    .get(&n.presentity)
                    .is_some_and(|u| u.sub.may_watch(&d.watcher));
                match n.subscription_state {
                    SubscriptionState::Active { .. } => {
                        assert!(authorised, "NOTIFY to an unauthorised watcher: {n:?}");
                        assert_eq!(n.status, status, "NOTIFY carries the current status");
                        assert_ne!(n.status, d.last_status, "duplicate NOTIFY");
                        assert!(
                            now >= d.last_sent_at + self.interval,
                            "NOTIFY inside the window"
                        );
                    }
                    SubscriptionState::Terminated {
                        reason: TerminationReason::Timeout,
                    } => {
                        assert!(now >= d.expires_at, "terminated before expiry");
                        assert_eq!(n.status, status);
                        d.active = false;
                    }
                    SubscriptionState::Terminated {
                        reason: TerminationReason::Rejected,
                    } => {
                        assert!(!authorised && status.is_some() && n.status.is_none());
                        d.active = false;
                    }
                    SubscriptionState::Terminated {
                        reason: TerminationReason::Noresource,
                    } => {
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
                let u = self
                    .model
                    .users
                    .get_mut(&aor)
                    .expect("change for a provisioned user");
                assert_ne!(status, u.announced, "PresenceChanged without a change");
                assert_eq!(status, u.compose());
                u.announced = status;
            }
            Effect::IndexMsisdn { shard, msisdn, aor } => {
                assert_eq!(shard, self.map.msisdn_owner(&msisdn));
                self.shards[usize::from(shard.0)]
                    .index_msisdn(&msisdn, &aor)
                    .expect("index");
            }
            Effect::UnindexMsisdn { shard, msisdn, aor } => {
                assert_eq!(shard, self.map.msisdn_owner(&msisdn));
                self.shards[usize::from(shard.0)]
                    .unindex_msisdn(&msisdn, &aor)
                    .expect("unindex");
            }
        }
    }

    pub(crate) fn check_invariants(&mut self) {
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
            assert!(
                s.next_deadline().is_none_or(|d| d > now),
                "a due deadline was not processed"
            );
            assert!(s.watcher_count() <= l.max_watchers_per_shard);
            assert!(s.subscriber_count() <= l.max_subscribers);
        }
        let total: usize = self
            .shards
            .iter()
            .map(PresenceShard::subscriber_count)
            .sum();
        assert_eq!(total, self.model.users.len());
        let mut numbers = 0;
        for (a, u) in &self.model.users {
            let s = &self.shards[usize::from(self.map.owner(a).0)];
            let composed = u.compose();
            assert_eq!(s.status(a), Some(&composed), "status of {a}");
            assert_eq!(u.announced, composed, "announced status of {a}");
            let contacts = s.contacts(a, now);
            assert_eq!(contacts.len(), u.bindings.len(), "contacts of {a}");
            assert!(
                contacts.len() <= l.max_contacts_per_aor
                    && u.pubs.len() <= l.max_publications_per_aor
            );
            for c in &contacts {
                let exp = u.bindings[&c.uri].expires_at;
                assert_eq!(u64::from(c.expires_secs), (exp - now).div_ceil(1000));
            }
            let views = s.watchers(a);
            assert_eq!(views.len(), self.model.active_dialogs_on(a));
            for v in &views {
                let d = self
                    .model
                    .dialogs
                    .iter()
                    .find(|d| d.active && d.key == v.dialog)
                    .expect("model dialog");
                assert!(
                    u.sub.may_watch(&d.watcher),
                    "active dialog for an unauthorised watcher"
                );
                assert!(d.expires_at > now, "dialog alive past its expiry");
                assert_eq!(
                    (v.cseq, &v.last_status, v.expires_at),
                    (d.cseq, &d.last_status, d.expires_at)
                );
                if d.last_status.as_ref() == Some(&composed) {
                    assert_eq!(v.pending_until, None);
                } else {
                    let window_end = d.last_sent_at + self.interval;
                    assert!(
                        self.interval > 0 && now < window_end,
                        "stale NOTIFY state, no window"
                    );
                    assert_eq!(v.pending_until, Some(window_end), "change not scheduled");
                }
            }
            if let Some(m) = &u.sub.msisdn {
                numbers += 1;
                let idx = &self.shards[usize::from(self.map.msisdn_owner(m).0)];
                assert_eq!(idx.lookup_msisdn(m), Ok(Some(a.as_str())));
            }
        }
        let indexed: usize = self
            .shards
            .iter()
            .map(PresenceShard::msisdn_index_len)
            .sum();
        assert_eq!(indexed, numbers, "MSISDN index has stale entries");
        for d in self.model.dialogs.iter().filter(|d| d.active) {
            assert!(
                self.model.users.contains_key(&d.presentity),
                "dialog on a removed presentity"
            );
        }
    }
}

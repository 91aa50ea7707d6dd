//! Simulation operations: one random request each, checked against the model's expectation.

use smartchat_core::*;

use crate::driver::{aor, Sim, UNKNOWN, USERS};
use crate::model::{resolve, MDialog, MUser};

impl Sim<'_> {
    pub(crate) fn provision(&mut self, u: usize) {
        let sub = self.random_profile(u);
        self.note(format!(
            "t={} add {} {:?} svc={}",
            self.now, sub.aor, sub.msisdn, sub.service
        ));
        let a = sub.aor.clone();
        self.shard_of(&a)
            .add_subscriber(sub.clone())
            .expect("add_subscriber");
        self.model.users.insert(a, MUser::new(sub));
    }

    pub(crate) fn random_profile(&mut self, u: usize) -> Subscriber {
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

    pub(crate) fn op_register(&mut self) {
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
        let cseq = if self.rng.pct(85) {
            prev + 1
        } else {
            prev.saturating_sub(self.rng.below(2) as u32)
        };
        self.cseqs.insert(call_id.clone(), prev.max(cseq));
        let exp = [
            None,
            Some(0),
            Some(30),
            Some(60),
            Some(120),
            Some(600),
            Some(10_000),
        ];
        let contacts = (0..n)
            .map(|i| ContactBinding {
                uri: format!("sip:u{u}@dev{}.sim", (k + i) % 4),
                expires_secs: if self.rng.pct(60) {
                    self.rng.pick(&exp)
                } else {
                    None
                },
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

    pub(crate) fn op_wildcard(&mut self) {
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
            contacts: if fetch {
                RegisterContacts::Fetch
            } else {
                RegisterContacts::Wildcard
            },
        };
        self.do_register(&aor(u), req);
    }

    pub(crate) fn do_register(&mut self, a: &str, req: RegisterRequest) {
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
                    assert_eq!(
                        u64::from(b.expires_secs),
                        (m.expires_at - now).div_ceil(1000)
                    );
                }
            }
            (Err(e), Err(g)) => assert_eq!(e, g),
            _ => panic!("REGISTER: model {expected:?}, shard {got:?}"),
        }
    }

    pub(crate) fn op_publish(&mut self) {
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
        let body = if self.rng.pct(70) {
            Some(self.rng.pct(50))
        } else {
            None
        };
        let expires = self
            .rng
            .pick(&[None, Some(0), Some(30), Some(60), Some(300), Some(9000)]);
        self.note(format!(
            "t={} PUBLISH {a} etag={etag:?} busy={body:?} exp={expires:?}",
            self.now
        ));
        let max = self.limits.max_publications_per_aor;
        let expected = self
            .model
            .check_publish(&a, etag.as_deref(), body, expires, max);
        let state = body.map(|b| PublishedState {
            busy: b,
            note: None,
        });
        let now = self.now;
        let got = self
            .shard_of(&a)
            .publish(&a, etag.as_deref(), state, expires, now);
        self.count("PUBLISH", &got);
        match (&expected, &got) {
            (Ok(exp), Ok(out)) => {
                assert_eq!(*exp, out.expires_secs);
                if out.expires_secs == 0 {
                    assert_eq!(
                        Some(&out.etag),
                        etag.as_ref(),
                        "removal names the removed tag"
                    );
                } else {
                    assert!(
                        self.etags.insert(out.etag.clone()),
                        "ETag reused: {}",
                        out.etag
                    );
                }
                if let Some(old) = &etag {
                    self.dead_etags.push(old.clone());
                }
                self.model
                    .apply_publish(&a, etag.as_deref(), body, out, now);
            }
            (Err(e), Err(g)) => assert_eq!(e, g),
            _ => panic!("PUBLISH: model {expected:?}, shard {got:?}"),
        }
    }

    pub(crate) fn op_subscribe(&mut self) {
        let p = aor(self.user());
        let buddies = self
            .model
            .users
            .get(&p)
            .map(|u| u.sub.buddies.clone())
            .unwrap_or_default();
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
            dialog: DialogKey {
                call_id: format!("sub{n}"),
                from_tag: format!("f{n}"),
                to_tag: format!("t{n}"),
            },
            watcher_target: format!("sip:w{n}@sim"),
            expires_secs: self
                .rng
                .pick(&[None, Some(0), Some(30), Some(60), Some(120), Some(600)]),
            in_dialog: false,
        };
        self.do_subscribe(req, None);
    }

    pub(crate) fn op_resubscribe(&mut self) {
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
            expires_secs: self
                .rng
                .pick(&[None, Some(0), Some(0), Some(30), Some(90), Some(600)]),
            in_dialog: true,
        };
        self.do_subscribe(req, Some(i));
    }

    pub(crate) fn do_subscribe(&mut self, req: SubscribeRequest, existing: Option<usize>) {
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
        assert_eq!(
            (&n.dialog, &n.watcher, &n.watcher_target),
            (&req.dialog, &req.watcher, &req.watcher_target)
        );
        let prev_cseq = existing.map_or(0, |i| self.model.dialogs[i].cseq);
        assert_eq!(n.cseq, prev_cseq + 1);
        let expected_state = if out.expires_secs == 0 {
            SubscriptionState::Terminated {
                reason: TerminationReason::Timeout,
            }
        } else {
            SubscriptionState::Active {
                expires_secs: out.expires_secs,
            }
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

    pub(crate) fn expect_subscribe(
        &self,
        req: &SubscribeRequest,
        existing: Option<usize>,
    ) -> Result<u32, SubscribeError> {
        let u = self
            .model
            .users
            .get(&req.presentity)
            .ok_or(SubscribeError::UnknownPresentity)?;
        if !u.sub.may_watch(&req.watcher) {
            return Err(SubscribeError::Forbidden);
        }
        let exp = resolve(req.expires_secs)
            .map_err(|min_expires| SubscribeError::IntervalTooBrief { min_expires })?;
        match existing {
            Some(i) if !self.model.dialogs[i].active => Err(SubscribeError::NoSuchSubscription),
            Some(_) => Ok(exp),
            None if exp == 0 => Ok(0),
            None => {
                let l = &self.limits;
                if self.model.active_dialogs_on(&req.presentity) >= l.max_watchers_per_presentity {
                    return Err(SubscribeError::TooManyWatchers {
                        limit: l.max_watchers_per_presentity,
                    });
                }
                let owner = self.map.owner(&req.presentity);
                let on_shard = self
                    .model
                    .dialogs
                    .iter()
                    .filter(|d| d.active && self.map.owner(&d.presentity) == owner)
                    .count();
                if on_shard >= l.max_watchers_per_shard {
                    return Err(SubscribeError::TooManyWatchers {
                        limit: l.max_watchers_per_shard,
                    });
                }
                Ok(exp)
            }
        }
    }

    pub(crate) fn op_notify_failed(&mut self) {
        if self.model.dialogs.is_empty() {
            return;
        }
        let i = self.rng.below(self.model.dialogs.len() as u64) as usize;
        let d = self.model.dialogs[i].clone();
        self.note(format!("t={} NOTIFY failed {:?}", self.now, d.key));
        let now = self.now;
        let removed = self
            .shard_of(&d.presentity)
            .notify_failed(&d.presentity, &d.key, now);
        assert_eq!(removed, d.active);
        self.model.dialogs[i].active = false;
    }

    pub(crate) fn op_profile(&mut self) {
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
        self.note(format!(
            "t={} UPDATE {a} {:?} svc={} buddies={:?}",
            self.now, next.msisdn, next.service, next.buddies
        ));
        let now = self.now;
        self.shard_of(&a)
            .update_subscriber(next.clone(), now)
            .expect("update_subscriber");
        self.model.users.get_mut(&a).unwrap().sub = next;
    }

    pub(crate) fn op_provision_toggle(&mut self) {
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
        let removed = self
            .shard_of(&a)
            .remove_subscriber(&a, now)
            .expect("remove_subscriber");
        assert_eq!(removed, self.model.users.remove(&a).unwrap().sub);
    }

    pub(crate) fn op_route(&mut self) {
        let a = aor(self.user());
        let now = self.now;
        let got = self
            .shard_of(&a)
            .route_message(&a, now)
            .expect("routed to owner");
        self.note(format!("t={now} ROUTE {a} -> {got:?}"));
        let Some(u) = self.model.users.get(&a) else {
            return assert_eq!(got, RouteDecision::UnknownUser);
        };
        match (u.compose(), got) {
            (s, RouteDecision::DeliverOnline { mut contacts }) if s.is_online() => {
                contacts.sort();
                assert_eq!(contacts, u.bindings.keys().cloned().collect::<Vec<_>>());
            }
            (Status::Mobile { msisdn }, RouteDecision::Mobile { msisdn: m }) => {
                assert_eq!(msisdn, m)
            }
            (Status::Offline, RouteDecision::OfflineNoService) => {}
            (s, g) => panic!("route {g:?} for status {s:?}"),
        }
    }
}

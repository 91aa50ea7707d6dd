//! The simulation's reference model: what the shards *should* hold, written as plainly as
//! possible (maps and linear scans), plus the expected outcome of each request.

use std::collections::BTreeMap;

use smartchat_core::*;

pub const MIN: u32 = 60;
pub const MAX: u32 = 7200;
pub const DEFAULT: u32 = 600;

#[derive(Debug, Clone)]
pub struct MBinding {
    pub expires_at: u64,
    pub call_id: String,
    pub cseq: u32,
}

#[derive(Debug, Clone)]
pub struct MPub {
    pub etag: String,
    pub expires_at: u64,
    pub busy: bool,
    pub modified: u64,
}

#[derive(Debug, Clone)]
pub struct MUser {
    pub sub: Subscriber,
    pub bindings: BTreeMap<String, MBinding>,
    pub pubs: Vec<MPub>,
    /// Last status announced with `PresenceChanged` (or the initial one).
    pub announced: Status,
}

#[derive(Debug, Clone)]
pub struct MDialog {
    pub presentity: String,
    pub watcher: String,
    pub key: DialogKey,
    pub expires_at: u64,
    pub cseq: u32,
    pub last_status: Option<Status>,
    pub last_sent_at: u64,
    pub active: bool,
}

#[derive(Debug, Default)]
pub struct Model {
    pub users: BTreeMap<String, MUser>,
    pub dialogs: Vec<MDialog>,
    pub seq: u64,
}

pub fn resolve(req: Option<u32>) -> Result<u32, u32> {
    match req.unwrap_or(DEFAULT) {
        0 => Ok(0),
        s if s < MIN => Err(MIN),
        s => Ok(s.min(MAX)),
    }
}

impl MUser {
    pub fn new(sub: Subscriber) -> Self {
        let mut u = Self {
            sub,
            bindings: BTreeMap::new(),
            pubs: Vec::new(),
            announced: Status::Offline,
        };
        u.announced = u.compose();
        u
    }

    pub fn compose(&self) -> Status {
        let busy = self
            .pubs
            .iter()
            .max_by_key(|p| p.modified)
            .is_some_and(|p| p.busy);
        if !self.bindings.is_empty() {
            return if busy {
                Status::Busy
            } else {
                Status::Available
            };
        }
        match (&self.sub.msisdn, self.sub.service) {
            (Some(m), true) => Status::Mobile { msisdn: m.clone() },
            _ => Status::Offline,
        }
    }
}

impl Model {
    /// Drops bindings and publications dead at `now` (dialogs end through their NOTIFY).
    pub fn expire(&mut self, now: u64) {
        for u in self.users.values_mut() {
            u.bindings.retain(|_, b| b.expires_at > now);
            u.pubs.retain(|p| p.expires_at > now);
        }
    }

    pub fn status(&self, aor: &str) -> Option<Status> {
        self.users.get(aor).map(MUser::compose)
    }

    pub fn active_dialogs_on(&self, presentity: &str) -> usize {
        self.dialogs
            .iter()
            .filter(|d| d.active && d.presentity == presentity)
            .count()
    }

    /// Expected result of a REGISTER; applies it on success.
    pub fn register(
        &mut self,
        aor: &str,
        req: &RegisterRequest,
        max_contacts: usize,
        now: u64,
    ) -> Result<(), RegistrarError> {
        let u = self.users.get_mut(aor).ok_or(RegistrarError::UnknownUser)?;
        let contacts = match &req.contacts {
            RegisterContacts::Fetch => return Ok(()),
            RegisterContacts::Wildcard => {
                if req.expires_secs != Some(0) {
                    return Err(RegistrarError::InvalidWildcard);
                }
                if u.bindings
                    .values()
                    .any(|b| b.call_id == req.call_id && req.cseq <= b.cseq)
                {
                    return Err(RegistrarError::OutOfOrder);
                }
                u.bindings.clear();
                return Ok(());
            }
            RegisterContacts::Bindings(c) => c,
        };
        let mut next = u.bindings.clone();
        for c in contacts {
            let exp = resolve(c.expires_secs.or(req.expires_secs))
                .map_err(|min_expires| RegistrarError::IntervalTooBrief { min_expires })?;
            if let Some(b) = u.bindings.get(&c.uri) {
                if b.call_id == req.call_id && req.cseq <= b.cseq {
                    return Err(RegistrarError::OutOfOrder);
                }
            }
            if exp == 0 {
                next.remove(&c.uri);
            } else {
                let b = MBinding {
                    expires_at: now + u64::from(exp) * 1000,
                    call_id: req.call_id.clone(),
                    cseq: req.cseq,
                };
                next.insert(c.uri.clone(), b);
            }
        }
        if next.len() > max_contacts {
            return Err(RegistrarError::TooManyContacts {
                limit: max_contacts,
            });
        }
        u.bindings = next;
        Ok(())
    }

    /// Expected result of a PUBLISH (without the new ETag, which the shard chooses).
    pub fn check_publish(
        &self,
        aor: &str,
        etag: Option<&str>,
        body: Option<bool>,
        expires: Option<u32>,
        max_pubs: usize,
    ) -> Result<u32, PublishError> {
        let u = self.users.get(aor).ok_or(PublishError::UnknownUser)?;
        let exp = resolve(expires)
            .map_err(|min_expires| PublishError::IntervalTooBrief { min_expires })?;
        match etag {
            None if body.is_none() => Err(PublishError::MissingBody),
            None if exp == 0 => Err(PublishError::InitialRemove),
            None if u.pubs.len() >= max_pubs => {
                Err(PublishError::TooManyPublications { limit: max_pubs })
            }
            None => Ok(exp),
            Some(e) if !u.pubs.iter().any(|p| p.etag == e) => Err(PublishError::UnknownEtag),
            Some(_) => Ok(exp),
        }
    }

    /// Applies a successful PUBLISH.
    pub fn apply_publish(
        &mut self,
        aor: &str,
        etag: Option<&str>,
        body: Option<bool>,
        out: &PublishOutcome,
        now: u64,
    ) {
        self.seq += 1;
        let seq = self.seq;
        let u = self.users.get_mut(aor).expect("published user exists");
        let expires_at = now + u64::from(out.expires_secs) * 1000;
        match etag {
            None => u.pubs.push(MPub {
                etag: out.etag.clone(),
                expires_at,
                busy: body.expect("initial has a body"),
                modified: seq,
            }),
            Some(e) => {
                let i = u.pubs.iter().position(|p| p.etag == e).expect("known etag");
                if out.expires_secs == 0 {
                    u.pubs.remove(i);
                    return;
                }
                let p = &mut u.pubs[i];
                p.etag.clone_from(&out.etag);
                p.expires_at = expires_at;
                if let Some(b) = body {
                    p.busy = b;
                    p.modified = seq;
                }
            }
        }
    }
}

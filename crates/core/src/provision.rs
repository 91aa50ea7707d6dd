//! Provisioning: adding, changing and removing subscribers on their owning shard, and the
//! MSISDN index entries that hash to this shard.
//!
//! A profile change can change presence without any SIP request: switching the service off or
//! dropping the MSISDN turns *mobile* into *offline* (C7), and removing a buddy revokes that
//! watcher's authorisation (RFC 3856 §5), which ends its subscription with
//! `reason=rejected` and no state in the body. Removing a subscriber ends every subscription
//! on it with `reason=noresource`.
//!
//! The MSISDN index is keyed by the number's own hash ([`crate::ShardMap::msisdn_owner`]), so
//! the subscriber's shard only *emits* index updates ([`Effect::IndexMsisdn`],
//! [`Effect::UnindexMsisdn`]); the runtime delivers them to the number's shard, which applies
//! them with [`PresenceShard::index_msisdn`] / [`PresenceShard::unindex_msisdn`].

use thiserror::Error;

use crate::effect::{Effect, SubscriptionState, TerminationReason};
use crate::error::{NotOwner, SubscriberError};
use crate::shard::{Entry, PresenceShard};
use crate::shard_map::IndexFull;
use crate::subscriber::Subscriber;

/// Why an MSISDN index update failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MsisdnIndexError {
    /// The number hashes to another shard.
    #[error(transparent)]
    NotOwner(#[from] NotOwner),
    /// `max_msisdn_index` reached.
    #[error(transparent)]
    Full(#[from] IndexFull),
}

impl PresenceShard {
    /// Adds a subscriber owned by this shard. Emits [`Effect::IndexMsisdn`] if it has an MSISDN.
    pub fn add_subscriber(&mut self, sub: Subscriber) -> Result<(), SubscriberError> {
        self.owns(&sub.aor)?;
        sub.validate()?;
        let limits = &self.config.limits;
        if sub.buddies.len() > limits.max_buddies {
            return Err(SubscriberError::TooManyBuddies {
                limit: limits.max_buddies,
            });
        }
        if self.slot_of(&sub.aor).is_some() {
            return Err(SubscriberError::AlreadyExists);
        }
        if self.subscriber_count() >= limits.max_subscribers {
            return Err(SubscriberError::TooManySubscribers {
                limit: limits.max_subscribers,
            });
        }
        if self.effects.len() >= limits.max_pending_effects {
            return Err(SubscriberError::EffectQueueFull);
        }
        if let Some(m) = &sub.msisdn {
            self.effects.push_back(Effect::IndexMsisdn {
                shard: self.map.msisdn_owner(m),
                msisdn: m.clone(),
                aor: sub.aor.clone(),
            });
        }
        self.insert_entry(Entry::new(sub));
        Ok(())
    }

    /// Replaces the profile of an existing subscriber (same AOR). Watchers no longer in the
    /// buddy list are terminated (`rejected`); a status change (e.g. service off: mobile →
    /// offline) is notified; an MSISDN change emits index updates.
    pub fn update_subscriber(&mut self, sub: Subscriber, now: u64) -> Result<(), SubscriberError> {
        self.owns(&sub.aor)?;
        sub.validate()?;
        let max_buddies = self.config.limits.max_buddies;
        if sub.buddies.len() > max_buddies {
            return Err(SubscriberError::TooManyBuddies { limit: max_buddies });
        }
        let slot = self.slot_of(&sub.aor).ok_or(SubscriberError::Unknown)?;
        if !self.has_room(slot) {
            return Err(SubscriberError::EffectQueueFull);
        }
        self.expire(slot, now);
        let old_msisdn = self.entry(slot).sub.msisdn.clone();
        if old_msisdn != sub.msisdn {
            if let Some(m) = old_msisdn {
                self.effects.push_back(Effect::UnindexMsisdn {
                    shard: self.map.msisdn_owner(&m),
                    msisdn: m,
                    aor: sub.aor.clone(),
                });
            }
            if let Some(m) = &sub.msisdn {
                self.effects.push_back(Effect::IndexMsisdn {
                    shard: self.map.msisdn_owner(m),
                    msisdn: m.clone(),
                    aor: sub.aor.clone(),
                });
            }
        }
        let Self {
            slots,
            effects,
            counters,
            watcher_count,
            ..
        } = self;
        let e = slots[slot as usize].as_mut().expect("live slot");
        e.sub = sub;
        let aor = e.sub.aor.clone();
        let policy = &e.sub;
        e.watchers.retain_mut(|w| {
            if policy.may_watch(&w.watcher) {
                return true;
            }
            let state = SubscriptionState::Terminated {
                reason: TerminationReason::Rejected,
            };
            effects.push_back(Effect::Notify(w.notify(&aor, None, state, now)));
            counters.notifies_emitted += 1;
            *watcher_count -= 1;
            false
        });
        self.settle(slot, now);
        Ok(())
    }

    /// Removes a subscriber and all its state. Every subscription on it ends with
    /// `reason=noresource`; its MSISDN index entry is withdrawn. Returns the profile.
    pub fn remove_subscriber(
        &mut self,
        aor: &str,
        now: u64,
    ) -> Result<Subscriber, SubscriberError> {
        self.owns(aor)?;
        let slot = self.slot_of(aor).ok_or(SubscriberError::Unknown)?;
        if !self.has_room(slot) {
            return Err(SubscriberError::EffectQueueFull);
        }
        self.expire(slot, now);
        let mut e = self.remove_entry(slot);
        for w in &mut e.watchers {
            let state = SubscriptionState::Terminated {
                reason: TerminationReason::Noresource,
            };
            let n = w.notify(&e.sub.aor, None, state, now);
            self.effects.push_back(Effect::Notify(n));
            self.counters.notifies_emitted += 1;
        }
        if let Some(m) = &e.sub.msisdn {
            self.effects.push_back(Effect::UnindexMsisdn {
                shard: self.map.msisdn_owner(m),
                msisdn: m.clone(),
                aor: e.sub.aor.clone(),
            });
        }
        Ok(e.sub)
    }

    /// Applies an [`Effect::IndexMsisdn`] addressed to this shard. Returns the AOR the number
    /// mapped to before, if any (a number moving between users).
    pub fn index_msisdn(
        &mut self,
        msisdn: &str,
        aor: &str,
    ) -> Result<Option<String>, MsisdnIndexError> {
        self.check_owner(self.map.msisdn_owner(msisdn))?;
        Ok(self.msisdn.insert(msisdn, aor)?)
    }

    /// Applies an [`Effect::UnindexMsisdn`] addressed to this shard; removes the entry only if
    /// it still names `aor`. Returns whether it did.
    pub fn unindex_msisdn(&mut self, msisdn: &str, aor: &str) -> Result<bool, NotOwner> {
        self.check_owner(self.map.msisdn_owner(msisdn))?;
        Ok(self.msisdn.remove(msisdn, aor))
    }

    /// Number of MSISDN index entries held by this shard.
    pub fn msisdn_index_len(&self) -> usize {
        self.msisdn.len()
    }

    /// The AOR whose MSISDN is `msisdn` (for an SMS from a phone, C9). Ask the shard
    /// [`crate::ShardMap::msisdn_owner`] names, then route to the AOR's owner.
    pub fn lookup_msisdn(&self, msisdn: &str) -> Result<Option<&str>, NotOwner> {
        self.check_owner(self.map.msisdn_owner(msisdn))?;
        Ok(self.msisdn.get(msisdn))
    }
}

impl PresenceShard {
    /// Every subscriber this shard owns, in no particular order (admin export, snapshots).
    pub fn subscribers(&self) -> impl Iterator<Item = &Subscriber> + '_ {
        self.slots.iter().flatten().map(|entry| &entry.sub)
    }
}

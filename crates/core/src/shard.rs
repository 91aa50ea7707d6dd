//! One shard: the struct that owns every piece of state for its subscribers.
//!
//! DESIGN.md "Shards": one shard per core owns a disjoint subscriber range; nothing is shared.
//! This type is that owner. It is sans-IO: each request is a method call with `now` (ms) passed
//! in, answered by a return value, with side outputs left as [`Effect`]s in a bounded queue.
//!
//! Per subscriber, state lives in one slot (profile, bindings, publications, watchers, last
//! composed status). Slots are indexed by normalised AOR and hold at most one scheduled timer:
//! the earliest of their binding, publication and subscription expiries and rate-limit flushes.
//! The timer set is ordered by (deadline, slot), so [`PresenceShard::next_deadline`] is O(1) and
//! [`PresenceShard::on_timer`] touches only due slots, in a deterministic order.
//!
//! Every request follows the same path: check ownership → check that the effect queue can take
//! the worst case of this request (one NOTIFY per watcher of the presentity + 3) → expire what
//! is due at `now` in that slot → apply the request → *settle*: recompose the status, emit
//! `PresenceChanged` if it changed, reconcile every watcher (rate-limited NOTIFY), reschedule.
//! Expiring before the request means a request never sees state that is already dead (an
//! expired ETag is 412, an expired binding is not "existing" for the CSeq rule) even if the
//! runtime's timer is late.

use std::collections::{BTreeSet, HashMap, VecDeque};

use crate::config::{ConfigError, ShardConfig};
use crate::effect::{Effect, SubscriptionState, TerminationReason};
use crate::error::NotOwner;
use crate::publication::Publication;
use crate::registrar::Binding;
use crate::shard_map::{MsisdnIndex, Owner, ShardId, ShardMap};
use crate::status::{compose_status, Status};
use crate::subscriber::Subscriber;
use crate::watcher::Watcher;

/// Monotonic counters for metrics; never reset by the core.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    /// Composed-status changes (each also emitted as [`Effect::PresenceChanged`]).
    pub presence_transitions: u64,
    /// NOTIFYs produced (queued or returned in a [`crate::SubscribeOutcome`]).
    pub notifies_emitted: u64,
    /// Status changes held back by the rate limit (sent later, coalesced).
    pub notifies_deferred: u64,
    /// Deferred changes that needed no NOTIFY because the status returned to the one sent.
    pub notifies_suppressed: u64,
    /// Successful REGISTERs (including fetches).
    pub registers: u64,
    /// Bindings removed by expiry.
    pub bindings_expired: u64,
    /// Successful PUBLISHes.
    pub publishes: u64,
    /// Publications removed by expiry.
    pub publications_expired: u64,
    /// Successful SUBSCRIBEs.
    pub subscribes: u64,
    /// Subscriptions ended by expiry.
    pub subscriptions_expired: u64,
    /// IM routing decisions made.
    pub routes: u64,
}

/// Everything one shard knows about one subscriber.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) sub: Subscriber,
    pub(crate) bindings: Vec<Binding>,
    pub(crate) publications: Vec<Publication>,
    pub(crate) watchers: Vec<Watcher>,
    /// Last composed status (what `PresenceChanged` last said).
    pub(crate) status: Status,
    /// The deadline this slot is filed under in `timers`, if any.
    scheduled: Option<u64>,
}

impl Entry {
    pub(crate) fn new(sub: Subscriber) -> Self {
        let status = compose_status(&sub, false, None);
        Self {
            sub,
            bindings: Vec::new(),
            publications: Vec::new(),
            watchers: Vec::new(),
            status,
            scheduled: None,
        }
    }

    /// Status from the current bindings, publications and profile (see [`crate::status`]).
    pub(crate) fn compose(&self) -> Status {
        let winner = self.publications.iter().max_by_key(|p| p.modified_seq);
        compose_status(
            &self.sub,
            !self.bindings.is_empty(),
            winner.map(|p| &p.state),
        )
    }

    fn deadline(&self, interval: u64) -> Option<u64> {
        let b = self.bindings.iter().map(|b| b.expires_at);
        let p = self.publications.iter().map(|p| p.expires_at);
        let w = self.watchers.iter().map(|w| w.deadline(interval));
        b.chain(p).chain(w).min()
    }
}

/// One shard of presence state (see the module docs).
#[derive(Debug, Clone)]
pub struct PresenceShard {
    pub(crate) id: ShardId,
    pub(crate) map: ShardMap,
    pub(crate) config: ShardConfig,
    index: HashMap<String, u32>,
    pub(crate) slots: Vec<Option<Entry>>,
    free: Vec<u32>,
    timers: BTreeSet<(u64, u32)>,
    pub(crate) effects: VecDeque<Effect>,
    pub(crate) msisdn: MsisdnIndex,
    pub(crate) watcher_count: usize,
    /// Orders bindings and publications by creation/modification.
    pub(crate) seq: u64,
    pub(crate) etag_counter: u64,
    pub(crate) counters: Counters,
}

impl PresenceShard {
    /// A shard `id` of `map`, empty.
    pub fn new(id: ShardId, map: ShardMap, config: ShardConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        if id.0 >= map.shard_count {
            return Err(ConfigError::ShardOutOfRange);
        }
        Ok(Self {
            id,
            map,
            msisdn: MsisdnIndex::new(config.limits.max_msisdn_index),
            config,
            index: HashMap::new(),
            slots: Vec::new(),
            free: Vec::new(),
            timers: BTreeSet::new(),
            effects: VecDeque::new(),
            watcher_count: 0,
            seq: 0,
            etag_counter: 0,
            counters: Counters::default(),
        })
    }

    /// This shard's id.
    pub fn id(&self) -> ShardId {
        self.id
    }

    /// The routing map this shard checks ownership against.
    pub fn map(&self) -> &ShardMap {
        &self.map
    }

    /// Adopts a newer map (stale revisions are ignored; see [`ShardMap::apply`]). Handing
    /// subscribers that moved to another owner is the runtime's job (remove here, add there).
    pub fn apply_map(&mut self, update: ShardMap) -> bool {
        self.map.apply(update)
    }

    /// The configuration.
    pub fn config(&self) -> &ShardConfig {
        &self.config
    }

    /// Metrics counters.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// Number of subscribers owned.
    pub fn subscriber_count(&self) -> usize {
        self.index.len()
    }

    /// Number of registered contact bindings on this shard (walks every subscriber: for
    /// introspection, not the data path).
    pub fn contact_count(&self) -> usize {
        self.slots.iter().flatten().map(|e| e.bindings.len()).sum()
    }

    /// Number of active watcher dialogs on this shard.
    pub fn watcher_count(&self) -> usize {
        self.watcher_count
    }

    /// The profile of `aor`, if this shard has it.
    pub fn subscriber(&self, aor: &str) -> Option<&Subscriber> {
        self.entry_of(aor).map(|e| &e.sub)
    }

    /// The composed status of `aor` as of the last request or timer that touched it
    /// (drive [`Self::on_timer`] so expiries are reflected on time).
    pub fn status(&self, aor: &str) -> Option<&Status> {
        self.entry_of(aor).map(|e| &e.status)
    }

    /// The earliest time at which [`Self::on_timer`] has work (ms).
    pub fn next_deadline(&self) -> Option<u64> {
        self.timers.first().map(|&(d, _)| d)
    }

    /// Processes due expiries and rate-limit flushes, at most `max_timer_batch` subscribers
    /// per call, and only while the effect queue has room. Returns the number processed; if
    /// [`Self::next_deadline`] is still `<= now` afterwards, drain effects and call again.
    pub fn on_timer(&mut self, now: u64) -> usize {
        let mut done = 0;
        while done < self.config.limits.max_timer_batch {
            let Some(&(deadline, slot)) = self.timers.first() else {
                break;
            };
            if deadline > now || !self.has_room(slot) {
                break;
            }
            self.expire(slot, now);
            self.settle(slot, now);
            done += 1;
        }
        done
    }

    /// Takes the oldest pending effect.
    pub fn poll_effect(&mut self) -> Option<Effect> {
        self.effects.pop_front()
    }

    /// Moves all pending effects into `out` (in order).
    pub fn drain_effects(&mut self, out: &mut Vec<Effect>) {
        out.extend(self.effects.drain(..));
    }

    /// Number of effects waiting.
    pub fn pending_effects(&self) -> usize {
        self.effects.len()
    }

    // ----- internals shared by the request modules -----

    pub(crate) fn check_owner(&self, key_owner: ShardId) -> Result<(), NotOwner> {
        if key_owner == self.id {
            Ok(())
        } else {
            Err(NotOwner {
                owner: Owner::Shard(key_owner),
                revision: self.map.revision,
            })
        }
    }

    pub(crate) fn owns(&self, aor: &str) -> Result<(), NotOwner> {
        self.check_owner(self.map.owner(aor))
    }

    pub(crate) fn slot_of(&self, aor: &str) -> Option<u32> {
        self.index.get(aor).copied()
    }

    pub(crate) fn entry_of(&self, aor: &str) -> Option<&Entry> {
        self.slot_of(aor).map(|s| self.entry(s))
    }

    pub(crate) fn entry(&self, slot: u32) -> &Entry {
        self.slots[slot as usize].as_ref().expect("live slot")
    }

    pub(crate) fn entry_mut(&mut self, slot: u32) -> &mut Entry {
        self.slots[slot as usize].as_mut().expect("live slot")
    }

    /// Whether the queue can take this slot's worst case (one NOTIFY per watcher + 3).
    pub(crate) fn has_room(&self, slot: u32) -> bool {
        let need = self.entry(slot).watchers.len() + 3;
        self.effects.len() + need <= self.config.limits.max_pending_effects
    }

    pub(crate) fn insert_entry(&mut self, entry: Entry) -> u32 {
        let aor = entry.sub.aor.clone();
        let slot = match self.free.pop() {
            Some(s) => {
                self.slots[s as usize] = Some(entry);
                s
            }
            None => {
                self.slots.push(Some(entry));
                u32::try_from(self.slots.len() - 1).expect("max_subscribers fits u32")
            }
        };
        self.index.insert(aor, slot);
        slot
    }

    pub(crate) fn remove_entry(&mut self, slot: u32) -> Entry {
        let entry = self.slots[slot as usize].take().expect("live slot");
        if let Some(d) = entry.scheduled {
            self.timers.remove(&(d, slot));
        }
        self.index.remove(&entry.sub.aor);
        self.watcher_count -= entry.watchers.len();
        self.free.push(slot);
        entry
    }

    /// Drops everything in `slot` that is dead at `now`; expired subscriptions get their
    /// terminating NOTIFY (`reason=timeout`, RFC 6665 §4.2.2) carrying the current state.
    pub(crate) fn expire(&mut self, slot: u32, now: u64) {
        let Self {
            slots,
            effects,
            counters,
            watcher_count,
            ..
        } = self;
        let e = slots[slot as usize].as_mut().expect("live slot");
        let before = e.bindings.len();
        e.bindings.retain(|b| b.expires_at > now);
        counters.bindings_expired += (before - e.bindings.len()) as u64;
        let before = e.publications.len();
        e.publications.retain(|p| p.expires_at > now);
        counters.publications_expired += (before - e.publications.len()) as u64;
        if e.watchers.iter().all(|w| w.expires_at > now) {
            return;
        }
        let status = e.compose();
        let aor = &e.sub.aor;
        e.watchers.retain_mut(|w| {
            if w.expires_at > now {
                return true;
            }
            let state = SubscriptionState::Terminated {
                reason: TerminationReason::Timeout,
            };
            effects.push_back(Effect::Notify(w.notify(
                aor,
                Some(status.clone()),
                state,
                now,
            )));
            counters.notifies_emitted += 1;
            counters.subscriptions_expired += 1;
            *watcher_count -= 1;
            false
        });
    }

    /// Recomposes the status, tells watchers (rate-limited) and reschedules the slot.
    pub(crate) fn settle(&mut self, slot: u32, now: u64) {
        let interval = self.config.min_notify_interval_ms;
        let Self {
            slots,
            effects,
            counters,
            timers,
            ..
        } = self;
        let e = slots[slot as usize].as_mut().expect("live slot");
        let status = e.compose();
        if status != e.status {
            counters.presence_transitions += 1;
            effects.push_back(Effect::PresenceChanged {
                aor: e.sub.aor.clone(),
                status: status.clone(),
            });
            e.status = status;
        }
        for w in &mut e.watchers {
            if let Some(n) = w.reconcile(&e.sub.aor, &e.status, now, interval, counters) {
                effects.push_back(Effect::Notify(n));
            }
        }
        let next = e.deadline(interval);
        if next != e.scheduled {
            if let Some(d) = e.scheduled {
                timers.remove(&(d, slot));
            }
            if let Some(d) = next {
                timers.insert((d, slot));
            }
            e.scheduled = next;
        }
    }
}

//! Event state publication (RFC 3903) for the presence event package.
//!
//! Each PUBLISH is one of four kinds, told apart by SIP-If-Match, body and Expires (§4):
//!
//! | If-Match | body | Expires | kind                                     |
//! |----------|------|---------|------------------------------------------|
//! | —        | yes  | > 0     | initial: new publication, new ETag       |
//! | etag     | —    | > 0     | refresh: extend, new ETag                |
//! | etag     | yes  | > 0     | modify: replace state, new ETag          |
//! | etag     | any  | 0       | remove                                   |
//!
//! Processing follows §6: 423 + Min-Expires for a non-zero Expires below the minimum (step 3),
//! 412 for an If-Match naming no live publication (step 4), 400 for an initial PUBLISH without
//! a body. Every success returns a *new* entity-tag (§6 step 7: "the ESC MUST ... generate a
//! new entity-tag"), so a client holding an old one gets 412 and starts over.
//!
//! Entity-tags are deterministic (no RNG in the core): shard id, the configured per-boot seed
//! and a per-shard counter, mixed and printed in hex. They are unique per shard and boot;
//! they are not secrets (PUBLISH is authenticated as the AOR before it gets here).

use crate::error::PublishError;
use crate::shard::PresenceShard;
use crate::shard_map::fmix64;
use crate::status::PublishedState;

/// A successful PUBLISH: answer 200 with `SIP-ETag: etag` and `Expires: expires_secs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishOutcome {
    /// The new entity-tag (for a removal: the removed one).
    pub etag: String,
    /// Granted duration (0 for a removal).
    pub expires_secs: u32,
}

/// A stored publication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Publication {
    pub(crate) etag: String,
    pub(crate) expires_at: u64,
    pub(crate) state: PublishedState,
    /// Order of the last initial/modify (not refresh): the latest one wins composition.
    pub(crate) modified_seq: u64,
}

impl PresenceShard {
    /// Handles a PUBLISH of presence state for `aor` (RFC 3903 §6; table in the module docs).
    /// `etag` is SIP-If-Match, `body` the parsed PIDF (or `None` for no body), `expires_secs`
    /// the Expires header (`None`: the configured default).
    pub fn publish(
        &mut self,
        aor: &str,
        etag: Option<&str>,
        body: Option<PublishedState>,
        expires_secs: Option<u32>,
        now: u64,
    ) -> Result<PublishOutcome, PublishError> {
        self.owns(aor)?;
        let slot = self.slot_of(aor).ok_or(PublishError::UnknownUser)?;
        if !self.has_room(slot) {
            return Err(PublishError::EffectQueueFull);
        }
        self.expire(slot, now);
        let result = self.publish_in(slot, etag, body, expires_secs, now);
        self.settle(slot, now);
        if result.is_ok() {
            self.counters.publishes += 1;
        }
        result
    }

    fn publish_in(
        &mut self,
        slot: u32,
        etag: Option<&str>,
        body: Option<PublishedState>,
        expires_secs: Option<u32>,
        now: u64,
    ) -> Result<PublishOutcome, PublishError> {
        let limits = &self.config.limits;
        let (max_pubs, max_note) = (limits.max_publications_per_aor, limits.max_note_bytes);
        let expires = self
            .config
            .publish
            .resolve(expires_secs)
            .map_err(|min_expires| PublishError::IntervalTooBrief { min_expires })?;
        if let Some(note) = body.as_ref().and_then(|b| b.note.as_ref()) {
            if note.len() > max_note {
                return Err(PublishError::NoteTooLong { limit: max_note });
            }
        }
        let expires_at = now + u64::from(expires) * 1000;
        let Some(etag) = etag else {
            let state = body.ok_or(PublishError::MissingBody)?;
            if expires == 0 {
                return Err(PublishError::InitialRemove);
            }
            if self.entry(slot).publications.len() >= max_pubs {
                return Err(PublishError::TooManyPublications { limit: max_pubs });
            }
            let etag = self.next_etag();
            self.seq += 1;
            let modified_seq = self.seq;
            self.entry_mut(slot).publications.push(Publication {
                etag: etag.clone(),
                expires_at,
                state,
                modified_seq,
            });
            return Ok(PublishOutcome {
                etag,
                expires_secs: expires,
            });
        };
        let i = self
            .entry(slot)
            .publications
            .iter()
            .position(|p| p.etag == etag)
            .ok_or(PublishError::UnknownEtag)?;
        if expires == 0 {
            let removed = self.entry_mut(slot).publications.remove(i);
            return Ok(PublishOutcome {
                etag: removed.etag,
                expires_secs: 0,
            });
        }
        let new_etag = self.next_etag();
        self.seq += 1;
        let seq = self.seq;
        let p = &mut self.entry_mut(slot).publications[i];
        p.etag.clone_from(&new_etag);
        p.expires_at = expires_at;
        if let Some(state) = body {
            p.state = state;
            p.modified_seq = seq;
        }
        Ok(PublishOutcome {
            etag: new_etag,
            expires_secs: expires,
        })
    }

    fn next_etag(&mut self) -> String {
        self.etag_counter += 1;
        let salt = fmix64(self.config.etag_seed ^ (u64::from(self.id.0) << 48));
        // fmix64 is a bijection, so distinct counters give distinct tags for one seed.
        format!("{:x}-{:016x}", self.id.0, fmix64(salt ^ self.etag_counter))
    }

    /// The state of `aor`'s winning live publication (for the user's own view or the ParlayX
    /// presence API); `None` if there is none.
    pub fn published_state(&self, aor: &str) -> Option<&PublishedState> {
        let e = self.entry_of(aor)?;
        e.publications
            .iter()
            .max_by_key(|p| p.modified_seq)
            .map(|p| &p.state)
    }
}

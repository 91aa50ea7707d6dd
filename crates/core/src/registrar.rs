//! The registrar: contact bindings per AOR (RFC 3261 §10.3).
//!
//! Followed step by step (numbers are §10.3's):
//! * 3 — the AOR must be a subscriber of this shard, else 404;
//! * 6 — `Contact: *` is valid only alone and with `Expires: 0`, else 400; a contact's expiry
//!   is its `expires` parameter, else the `Expires` header, else the configured default; a
//!   non-zero value below the minimum fails the whole request with 423 + Min-Expires (ours is
//!   enforced at every length; the RFC's "smaller than one hour" is the registrar's choice);
//!   values above the maximum are shortened;
//! * 7 — for an existing binding with the same Call-ID, the CSeq must be higher, else the whole
//!   update is aborted; a different Call-ID replaces the binding. Expires 0 removes it.
//!   Updates are committed only if every one of them succeeds (computed on a copy);
//! * 8 — the 200 lists every current binding with its remaining expiry.
//!
//! Contact URIs are compared as exact strings: the codec hands them over in canonical form.
//!
//! A binding keeps the sequence number of its *registration* — set when it is created or
//! replaced by a new Call-ID (a device restart), kept across refreshes — so that IM routing
//! can try the device that most recently came online first ([`crate::RouteDecision`]).

use crate::config::ExpiryPolicy;
use crate::error::RegistrarError;
use crate::shard::PresenceShard;

/// One `Contact` of a REGISTER.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactBinding {
    /// Contact URI in canonical form.
    pub uri: String,
    /// The contact's `expires` parameter, if present.
    pub expires_secs: Option<u32>,
    /// The `q` parameter in thousandths (`q=0.5` → 500); `None` means 1.0.
    pub q: Option<u16>,
}

/// The Contact header(s) of a REGISTER.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegisterContacts {
    /// No Contact: a query for the current bindings (§10.3 step 6, "fetch").
    Fetch,
    /// `Contact: *`: remove every binding (requires `Expires: 0`).
    Wildcard,
    /// Explicit contacts to add, refresh or remove.
    Bindings(Vec<ContactBinding>),
}

/// A REGISTER, as parsed by the runtime (after authentication, RFC 3261 §10.3 step 4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterRequest {
    /// Call-ID.
    pub call_id: String,
    /// CSeq number.
    pub cseq: u32,
    /// The `Expires` header, if present.
    pub expires_secs: Option<u32>,
    /// The contacts.
    pub contacts: RegisterContacts,
}

/// One current binding, for the 200 response (§10.3 step 8) or for inspection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindingView {
    /// Contact URI.
    pub uri: String,
    /// Seconds remaining, rounded up.
    pub expires_secs: u32,
    /// `q` in thousandths, as registered.
    pub q: Option<u16>,
}

/// A successful REGISTER: answer 200 listing `bindings`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterOutcome {
    /// All bindings after the update, in routing order (see [`crate::RouteDecision`]).
    pub bindings: Vec<BindingView>,
}

/// A stored binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Binding {
    pub(crate) uri: String,
    pub(crate) call_id: String,
    pub(crate) cseq: u32,
    pub(crate) expires_at: u64,
    pub(crate) q: Option<u16>,
    /// Registration order (see module docs).
    pub(crate) seq: u64,
}

impl Binding {
    pub(crate) fn view(&self, now: u64) -> BindingView {
        BindingView {
            uri: self.uri.clone(),
            expires_secs: u32::try_from(self.expires_at.saturating_sub(now).div_ceil(1000))
                .unwrap_or(u32::MAX),
            q: self.q,
        }
    }
}

/// Sorts bindings into routing order: highest q first (RFC 3261 §16.6 step 1 / RFC 3841 use
/// q to rank targets), then the most recent registration first.
pub(crate) fn routing_order(bindings: &mut [&Binding]) {
    bindings.sort_by_key(|b| std::cmp::Reverse((b.q.unwrap_or(1000), b.seq)));
}

/// Applies `req` to `bindings` (already stripped of expired ones). Pure and all-or-nothing:
/// on error `bindings` is untouched.
pub(crate) fn apply_register(
    bindings: &mut Vec<Binding>,
    req: &RegisterRequest,
    policy: ExpiryPolicy,
    max_contacts: usize,
    now: u64,
    seq: &mut u64,
) -> Result<(), RegistrarError> {
    let contacts = match &req.contacts {
        RegisterContacts::Fetch => return Ok(()),
        RegisterContacts::Wildcard => {
            if req.expires_secs != Some(0) {
                return Err(RegistrarError::InvalidWildcard);
            }
            if bindings
                .iter()
                .any(|b| b.call_id == req.call_id && req.cseq <= b.cseq)
            {
                return Err(RegistrarError::OutOfOrder);
            }
            bindings.clear();
            return Ok(());
        }
        RegisterContacts::Bindings(c) => c,
    };
    // Bound the work done for one request before looking at it.
    if contacts.len() > max_contacts.saturating_mul(2) {
        return Err(RegistrarError::TooManyContacts {
            limit: max_contacts,
        });
    }
    let mut next = bindings.clone();
    for c in contacts {
        let expires = policy
            .resolve(c.expires_secs.or(req.expires_secs))
            .map_err(|min_expires| RegistrarError::IntervalTooBrief { min_expires })?;
        // The CSeq rule compares with the bindings as they were before this request, so a
        // contact listed twice in one REGISTER is not "out of order" with itself.
        if bindings
            .iter()
            .any(|b| b.uri == c.uri && b.call_id == req.call_id && req.cseq <= b.cseq)
        {
            return Err(RegistrarError::OutOfOrder);
        }
        let existing = next.iter().position(|b| b.uri == c.uri);
        let expires_at = now + u64::from(expires) * 1000;
        match (existing, expires) {
            (Some(i), 0) => {
                next.remove(i);
            }
            (None, 0) => {}
            (Some(i), _) => {
                let b = &mut next[i];
                if b.call_id != req.call_id {
                    *seq += 1;
                    b.seq = *seq;
                    b.call_id.clone_from(&req.call_id);
                }
                b.cseq = req.cseq;
                b.expires_at = expires_at;
                b.q = c.q;
            }
            (None, _) => {
                *seq += 1;
                next.push(Binding {
                    uri: c.uri.clone(),
                    call_id: req.call_id.clone(),
                    cseq: req.cseq,
                    expires_at,
                    q: c.q,
                    seq: *seq,
                });
            }
        }
    }
    if next.len() > max_contacts {
        return Err(RegistrarError::TooManyContacts {
            limit: max_contacts,
        });
    }
    *bindings = next;
    Ok(())
}

impl PresenceShard {
    /// Handles a REGISTER for `aor` (RFC 3261 §10.3; see the module docs for the rules).
    /// Registering the first contact makes the user online; removing or expiring the last one
    /// makes them mobile or offline — watchers are notified either way.
    pub fn register(
        &mut self,
        aor: &str,
        req: &RegisterRequest,
        now: u64,
    ) -> Result<RegisterOutcome, RegistrarError> {
        self.owns(aor)?;
        let slot = self.slot_of(aor).ok_or(RegistrarError::UnknownUser)?;
        if !self.has_room(slot) {
            return Err(RegistrarError::EffectQueueFull);
        }
        self.expire(slot, now);
        let policy = self.config.register;
        let max = self.config.limits.max_contacts_per_aor;
        let mut seq = self.seq;
        let e = self.entry_mut(slot);
        let result = apply_register(&mut e.bindings, req, policy, max, now, &mut seq);
        self.seq = seq;
        self.settle(slot, now);
        result?;
        self.counters.registers += 1;
        let e = self.entry(slot);
        let mut order: Vec<&Binding> = e.bindings.iter().collect();
        routing_order(&mut order);
        Ok(RegisterOutcome {
            bindings: order.into_iter().map(|b| b.view(now)).collect(),
        })
    }
}

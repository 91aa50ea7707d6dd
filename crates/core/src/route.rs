//! The routing decision for an instant message (claims C2, C3; RFC 3428).
//!
//! The recipient's shard decides, from the recipient's state *at `now`*, where a MESSAGE goes:
//! * **online** (C2; busy is still online, C4) → to the registered contacts. We return all live
//!   contacts, ordered highest `q` first, then **most recent registration first**: the device
//!   the user most recently brought online is the likeliest to be in front of them. The runtime
//!   sends to the first and, on failure (timeout, 408/480/5xx), tries the next — serially, not
//!   forked, so one IM is not shown on several devices. When all fail, it falls back as below.
//! * **mobile** (C3) → SMS to the registered MSISDN via the SMSC;
//! * **offline without service or MSISDN** → the runtime stores it (C8) or answers 480;
//! * **unknown user** → 404.
//!
//! Bindings whose expiry is `<= now` are ignored here even if the timer has not yet removed
//! them, so a late timer never sends an IM to a dead contact. This is a read-only query.

use crate::error::NotOwner;
use crate::registrar::{routing_order, BindingView};
use crate::shard::PresenceShard;

/// Where an IM to a user goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteDecision {
    /// Send a SIP MESSAGE to these contact URIs, one at a time, in order (C2).
    DeliverOnline {
        /// Live contacts in routing order.
        contacts: Vec<String>,
    },
    /// Send the IM as SMS to this E.164 number (C3).
    Mobile {
        /// The recipient's MSISDN.
        msisdn: String,
    },
    /// Offline and no SMS fallback (service off or no MSISDN): store (C8) or 480.
    OfflineNoService,
    /// No such subscriber on this shard: 404.
    UnknownUser,
}

impl PresenceShard {
    /// Decides how to deliver an IM addressed to `to_aor` (see the module docs).
    pub fn route_message(&mut self, to_aor: &str, now: u64) -> Result<RouteDecision, NotOwner> {
        self.owns(to_aor)?;
        self.counters.routes += 1;
        let Some(e) = self.entry_of(to_aor) else {
            return Ok(RouteDecision::UnknownUser);
        };
        let mut live: Vec<_> = e.bindings.iter().filter(|b| b.expires_at > now).collect();
        if !live.is_empty() {
            routing_order(&mut live);
            return Ok(RouteDecision::DeliverOnline {
                contacts: live.into_iter().map(|b| b.uri.clone()).collect(),
            });
        }
        Ok(match (&e.sub.msisdn, e.sub.service) {
            (Some(m), true) => RouteDecision::Mobile { msisdn: m.clone() },
            _ => RouteDecision::OfflineNoService,
        })
    }

    /// Live contacts of `aor` at `now`, in routing order, with remaining expiry.
    pub fn contacts(&self, aor: &str, now: u64) -> Vec<BindingView> {
        let Some(e) = self.entry_of(aor) else {
            return Vec::new();
        };
        let mut live: Vec<_> = e.bindings.iter().filter(|b| b.expires_at > now).collect();
        routing_order(&mut live);
        live.into_iter().map(|b| b.view(now)).collect()
    }
}

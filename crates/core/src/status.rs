//! Status composition: the patent's status authority (claims C1, C4, C6, C7).
//!
//! The service server of the patent decides one status per user from everything it hears:
//! * C1 — status is *online* or *mobile*; C4 — online divides into *busy* and *not busy*;
//! * C7 — when the user goes offline and has SMS fallback, buddies are told *mobile*.
//!
//! In SIP terms: *online* means at least one live registrar binding (RFC 3261 §10). **The
//! registration is the authority for online**: a PUBLISH (RFC 3903) only refines an online user
//! into busy or available. A live publication without any registration (a client that crashed
//! after publishing, or a third party publishing on the user's behalf) does not make the user
//! online, because an IM routed on that basis would have no contact to go to (C2). The
//! publication is kept until it expires, so a quick re-registration restores *busy* at once.
//!
//! With several live publications (several devices), the most recently *modified* one (initial
//! or modify, not a mere refresh) wins: it is the user's latest explicit action.
//!
//! Offline users with the service on and an MSISDN are *mobile* (C1/C3/C7): IMs to them go out
//! as SMS. Everyone else offline is *offline* (store-and-forward or 480 is the runtime's call).

use crate::subscriber::Subscriber;

/// A user's composed presence, as published to watchers and used to route IMs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Status {
    /// Registered and not busy (RFC 3863 `open`).
    Available,
    /// Registered and published busy (RFC 3863 `open` + RFC 4480 `<rpid:busy/>`).
    Busy,
    /// Not registered, but reachable by SMS at `msisdn` (the patent's *mobile*, C1/C7).
    Mobile {
        /// E.164 number; the PIDF contact is `tel:` + this.
        msisdn: String,
    },
    /// Not registered and not reachable by SMS (RFC 3863 `closed`).
    Offline,
}

impl Status {
    /// Online means at least one live contact (Available or Busy).
    pub fn is_online(&self) -> bool {
        matches!(self, Status::Available | Status::Busy)
    }
}

/// The presence document of one publication (RFC 3903), reduced to what the core composes.
/// The codec parses PIDF/RPID into this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedState {
    /// RFC 4480 `<rpid:activities><rpid:busy/>` (or an equivalent "busy"/"dnd").
    pub busy: bool,
    /// RFC 3863 `<note>`, kept for the user's own queries; not part of [`Status`].
    pub note: Option<String>,
}

/// Composes a status from the profile, whether any binding is live, and the winning
/// publication (see the module docs for the rules).
pub fn compose_status(
    sub: &Subscriber,
    online: bool,
    published: Option<&PublishedState>,
) -> Status {
    match (online, published) {
        (true, Some(p)) if p.busy => Status::Busy,
        (true, _) => Status::Available,
        (false, _) => match (&sub.msisdn, sub.service) {
            (Some(m), true) => Status::Mobile { msisdn: m.clone() },
            _ => Status::Offline,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(msisdn: Option<&str>, service: bool) -> Subscriber {
        Subscriber {
            aor: "sip:a@x.com".into(),
            msisdn: msisdn.map(Into::into),
            service,
            password: String::new(),
            buddies: vec![],
        }
    }

    #[test]
    fn composition_table() {
        let busy = PublishedState {
            busy: true,
            note: None,
        };
        let free = PublishedState {
            busy: false,
            note: Some("hi".into()),
        };
        let s = sub(Some("+8613800000001"), true);
        assert_eq!(compose_status(&s, true, Some(&busy)), Status::Busy);
        assert_eq!(compose_status(&s, true, Some(&free)), Status::Available);
        assert_eq!(compose_status(&s, true, None), Status::Available);
        let mobile = Status::Mobile {
            msisdn: "+8613800000001".into(),
        };
        // Registration is the authority: a busy publication without a binding is not online.
        assert_eq!(compose_status(&s, false, Some(&busy)), mobile);
        assert_eq!(compose_status(&s, false, None), mobile);
        assert_eq!(
            compose_status(&sub(Some("+8613800000001"), false), false, None),
            Status::Offline
        );
        assert_eq!(
            compose_status(&sub(None, true), false, None),
            Status::Offline
        );
        assert!(Status::Busy.is_online() && !mobile.is_online());
    }
}

//! Digest authentication of requests (RFC 3261 §22, RFC 8760 SHA-256) on the shard that owns
//! the sender's credentials.
//!
//! REGISTER is authenticated against the To AOR (the binding being changed); PUBLISH, SUBSCRIBE
//! and MESSAGE against the From AOR when the sender is in our domain. Senders from other
//! domains are not ours to authenticate. Nonces are stateless (timestamp + HMAC), so any shard
//! can check any nonce and a restart does not invalidate clients mid-way beyond one 401.
//!
//! Replay: a stateless nonce alone can be replayed for its whole lifetime, so the shard that
//! owns the AOR (always the same shard for a given user) remembers, per (AOR, nonce, cnonce) it
//! has accepted, the highest `nc` seen (RFC 7616 §3.4.5). A request whose `nc` is not above it, or whose
//! digest `uri` is not its Request-URI, gets a fresh 401 and is not delivered. Credentials
//! without `qop` (no `nc`) make the nonce one-time. The table is bounded
//! ([`MAX_TRACKED_NONCES`] per shard); state is created only after a digest verified, and when
//! the table is full the oldest entry is dropped and every nonce issued at or before it is
//! treated as stale from then on, so forgetting never re-opens a replay.
//!
//! Enumeration: an unknown local user gets the same 401 challenge as a known one with a wrong
//! password. Failures are logged as `auth failure from <ip> ...` so fail2ban can match them
//! (tuning/fail2ban/smartchat.conf).

use super::outbound;
use super::ShardService;
use crate::config::Config;
use smartchat_auth::{Algorithm, NonceIssuer};
use smartchat_sip::{HeaderName, Method, SipMessage, Uri};
use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;

/// Nonces whose `nc` one shard remembers at once (about 100 bytes each).
pub(crate) const MAX_TRACKED_NONCES: usize = 16_384;

/// Highest `nc` accepted per nonce, bounded (see the module docs).
#[derive(Default)]
pub(crate) struct NonceCounts {
    /// nonce -> (issued at, highest nc accepted; 0 for credentials without qop).
    seen: HashMap<String, (u64, u32)>,
    /// (issued at, nonce), to find the oldest entry.
    by_age: BTreeSet<(u64, String)>,
    /// Nonces issued at or before this second and not in `seen` are refused as stale.
    floor: Option<u64>,
}

/// Whether a nonce count may be used.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum CountCheck {
    Fresh,
    /// Not above the last accepted count (or a one-time nonce used again): a replay.
    Replay,
    /// Issued before state about it was dropped: the client must get a new nonce.
    Forgotten,
}

impl NonceCounts {
    /// Checks `nc` (None: no qop) for `nonce` without recording it.
    pub(crate) fn check(&self, nonce: &str, issued: u64, nc: Option<u32>) -> CountCheck {
        match self.seen.get(nonce) {
            Some(&(_, last)) => match nc {
                Some(n) if n > last => CountCheck::Fresh,
                _ => CountCheck::Replay,
            },
            None if self.floor.is_some_and(|f| issued <= f) => CountCheck::Forgotten,
            None => CountCheck::Fresh,
        }
    }

    /// Records an accepted `nc` for `nonce`, dropping the oldest entry when full.
    pub(crate) fn record(&mut self, nonce: &str, issued: u64, nc: Option<u32>) {
        let n = nc.unwrap_or(0);
        if let Some(entry) = self.seen.get_mut(nonce) {
            entry.1 = n;
            return;
        }
        while self.seen.len() >= MAX_TRACKED_NONCES {
            let Some((ts, old)) = self.by_age.pop_first() else {
                break;
            };
            self.seen.remove(&old);
            self.floor = Some(self.floor.map_or(ts, |f| f.max(ts)));
        }
        self.seen.insert(nonce.to_owned(), (issued, n));
        self.by_age.insert((issued, nonce.to_owned()));
    }

    /// Drops entries for nonces older than `lifetime` (they are refused as stale anyway).
    pub(crate) fn expire(&mut self, now: u64, lifetime: u64) {
        while let Some((ts, _)) = self.by_age.first() {
            if now.saturating_sub(*ts) <= lifetime {
                break;
            }
            if let Some((_, old)) = self.by_age.pop_first() {
                self.seen.remove(&old);
            }
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.seen.len()
    }
}

/// This shard's digest state: the nonce issuer (a secret shared by all shards of the node).
pub(crate) struct Authenticator {
    enabled: bool,
    prefer_sha256: bool,
    realm: String,
    issuer: NonceIssuer,
    counts: NonceCounts,
}

impl Authenticator {
    pub fn new(config: &Config, secret: [u8; 32]) -> Self {
        Self {
            enabled: config.sip.auth,
            prefer_sha256: config.sip.digest_prefer_sha256,
            realm: config.sip.domain.clone(),
            issuer: NonceIssuer::new(secret, config.sip.nonce_lifetime_secs),
            counts: NonceCounts::default(),
        }
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }
}

/// The outcome of a credential check.
pub(crate) enum Verdict {
    Authenticated(String),
    /// The response to send (a 401 challenge).
    Reject(Vec<u8>),
}

/// The AOR whose credentials this request must carry, if any (see the module docs).
pub(crate) fn credential_aor(svc: &ShardService, msg: &SipMessage<'_>) -> Option<String> {
    let aor = match msg.method()? {
        Method::Register => msg.to().ok()?.uri.aor(),
        Method::Publish | Method::Subscribe | Method::Message => msg.from().ok()?.uri.aor(),
        _ => return None,
    };
    let domain = aor.rsplit_once('@').map(|(_, d)| d.to_ascii_lowercase())?;
    (domain == svc.settings.domain.to_ascii_lowercase()).then_some(aor)
}

/// Checks the request's Authorization header against the sender's stored password.
pub(crate) fn check(
    svc: &mut ShardService,
    msg: &SipMessage<'_>,
    peer: SocketAddr,
    now: u64,
) -> Verdict {
    let Some(aor) = credential_aor(svc, msg) else {
        return Verdict::Authenticated(String::new());
    };
    let wall = svc.wall_secs(now);
    let lifetime = svc.auth.issuer.lifetime_secs();
    svc.auth.counts.expire(wall, lifetime);
    let has_credentials = msg
        .header_values(&HeaderName::Authorization)
        .next()
        .is_some();
    let Some(password) = svc.presence.subscriber(&aor).map(|s| s.password.clone()) else {
        // The same challenge as for a known user: no 404-vs-401 user enumeration.
        if has_credentials {
            fail(svc, peer, &aor, "unknown user");
        }
        return Verdict::Reject(challenge(svc, msg, wall, false));
    };
    let method = msg
        .method()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_default();
    let mut stale = false;
    for value in msg.header_values(&HeaderName::Authorization) {
        let Ok(credentials) = smartchat_auth::parse_authorization(value) else {
            continue;
        };
        if !credentials.realm.eq_ignore_ascii_case(&svc.auth.realm) {
            continue;
        }
        let user = aor
            .split_once(':')
            .map(|(_, rest)| rest)
            .and_then(|rest| rest.split('@').next())
            .unwrap_or_default();
        if credentials.username != user && credentials.username != aor.as_str() {
            continue;
        }
        match svc
            .auth
            .issuer
            .check(&credentials.nonce, wall, &svc.auth.realm)
        {
            Ok(()) => {}
            Err(smartchat_auth::NonceError::Stale) => {
                stale = true;
                continue;
            }
            Err(_) => continue,
        }
        let issued = svc.auth.issuer.issued_at(&credentials.nonce).unwrap_or(0);
        let nc = credentials.nonce_count();
        if credentials.nc.is_some() && nc.is_none() {
            fail(svc, peer, &aor, "malformed nc");
            return Verdict::Reject(challenge(svc, msg, wall, false));
        }
        let secret = smartchat_auth::Secret::Password(&password);
        if smartchat_auth::verify(&credentials, &method, secret, msg.body).is_err() {
            fail(svc, peer, &aor, "digest response mismatch");
            return Verdict::Reject(challenge(svc, msg, wall, false));
        }
        let uri_matches = digest_uri_matches(svc, &credentials.uri, msg.request_uri());
        if !uri_matches {
            fail(svc, peer, &aor, "digest uri is not the Request-URI");
            return Verdict::Reject(challenge(svc, msg, wall, false));
        }
        // Nonces are per second, not per client (stateless), so two users (or two clients of one
        // user) can hold the same one: the count is kept per (AOR, nonce, cnonce). The response
        // binds all three, so a replayer cannot pick a fresh cnonce without the password.
        let key = format!(
            "{aor} {} {}",
            credentials.nonce,
            credentials.cnonce.as_deref().unwrap_or_default()
        );
        match svc.auth.counts.check(&key, issued, nc) {
            CountCheck::Fresh => {}
            CountCheck::Replay => {
                fail(svc, peer, &aor, "replayed nonce count");
                return Verdict::Reject(challenge(svc, msg, wall, false));
            }
            CountCheck::Forgotten => return Verdict::Reject(challenge(svc, msg, wall, true)),
        }
        svc.auth.counts.record(&key, issued, nc);
        return Verdict::Authenticated(aor);
    }
    Verdict::Reject(challenge(svc, msg, wall, stale))
}

/// Whether the digest `uri` names this request's Request-URI (RFC 2617 §3.2.2.5), so credentials
/// computed for one target cannot be reused on another. One equivalence is allowed: a digest uri
/// that is this node's advertised address with no user part (`sip:<host>:<port>`, what sipp's
/// `[authentication]` and some UAs put there) also matches; such credentials are still one-use
/// per `nc`, so they cannot be replayed.
fn digest_uri_matches(svc: &ShardService, digest_uri: &str, request_uri: Option<&Uri<'_>>) -> bool {
    let (Ok(digest), Some(request)) = (Uri::parse(digest_uri), request_uri) else {
        return false;
    };
    if digest.to_string() == request.to_string() {
        return true;
    }
    let advertised = svc.settings.advertised;
    digest.user.is_none()
        && digest.host == advertised.ip().to_string()
        && digest.port.unwrap_or(5060) == advertised.port()
}

/// Counts and logs a failed authentication in a form fail2ban can match:
/// `auth failure from <ip> aor=<aor> reason=<why>`.
fn fail(svc: &ShardService, peer: SocketAddr, aor: &str, reason: &str) {
    svc.count_auth_failure();
    tracing::warn!(
        shard = svc.id,
        "auth failure from {} aor={} reason={}",
        peer.ip(),
        aor,
        reason
    );
}

/// 401 with an MD5 and a SHA-256 challenge (RFC 8760 §2.4: one per algorithm, in order of
/// preference). Many deployed UAs (sipp among them) answer only the *first* challenge and know
/// only MD5, so MD5 comes first unless `sip.digest_prefer_sha256` is set.
fn challenge(svc: &mut ShardService, msg: &SipMessage<'_>, wall: u64, stale: bool) -> Vec<u8> {
    svc.count_challenge();
    let nonce = svc.auth.issuer.issue(wall, &svc.auth.realm);
    let sha = smartchat_auth::challenge(&svc.auth.realm, &nonce, Algorithm::Sha256, stale);
    let md5 = smartchat_auth::challenge(&svc.auth.realm, &nonce, Algorithm::Md5, stale);
    let (first, second) = if svc.auth.prefer_sha256 {
        (sha, md5)
    } else {
        (md5, sha)
    };
    outbound::response(
        msg,
        401,
        "Unauthorized",
        None,
        &[("WWW-Authenticate", &first), ("WWW-Authenticate", &second)],
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nc_must_increase_per_nonce() {
        let mut c = NonceCounts::default();
        assert_eq!(c.check("a", 10, Some(1)), CountCheck::Fresh);
        c.record("a", 10, Some(1));
        assert_eq!(c.check("a", 10, Some(1)), CountCheck::Replay);
        assert_eq!(c.check("a", 10, Some(2)), CountCheck::Fresh);
        c.record("a", 10, Some(2));
        assert_eq!(c.check("a", 10, Some(2)), CountCheck::Replay);
        assert_eq!(c.check("b", 10, Some(1)), CountCheck::Fresh);
    }

    #[test]
    fn nonce_without_qop_is_one_time() {
        let mut c = NonceCounts::default();
        c.record("a", 10, None);
        assert_eq!(c.check("a", 10, None), CountCheck::Replay);
    }

    #[test]
    fn bounded_and_forgetting_never_reopens_a_replay() {
        let mut c = NonceCounts::default();
        for i in 0..MAX_TRACKED_NONCES as u64 + 5 {
            c.record(&format!("n{i}"), i, Some(1));
        }
        assert_eq!(c.len(), MAX_TRACKED_NONCES);
        // n0..n4 were dropped: they are refused (stale), never accepted again.
        assert_eq!(c.check("n0", 0, Some(1)), CountCheck::Forgotten);
        assert_eq!(c.check("n4", 4, Some(9)), CountCheck::Forgotten);
        assert_eq!(c.check("new", 1_000_000, Some(1)), CountCheck::Fresh);
        c.expire(1_000_000, 300);
        assert_eq!(c.len(), 0);
    }
}

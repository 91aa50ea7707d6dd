//! Digest authentication of requests (RFC 3261 §22, RFC 8760 SHA-256) on the shard that owns
//! the sender's credentials.
//!
//! REGISTER is authenticated against the To AOR (the binding being changed); PUBLISH, SUBSCRIBE
//! and MESSAGE against the From AOR when the sender is in our domain. Senders from other
//! domains are not ours to authenticate. Nonces are stateless (timestamp + HMAC), so any shard
//! can check any nonce and a restart does not invalidate clients mid-way beyond one 401.

use super::outbound;
use super::ShardService;
use crate::config::Config;
use smartchat_auth::{Algorithm, NonceIssuer};
use smartchat_sip::{HeaderName, Method, SipMessage};

/// This shard's digest state: the nonce issuer (a secret shared by all shards of the node).
pub(crate) struct Authenticator {
    enabled: bool,
    prefer_sha256: bool,
    realm: String,
    issuer: NonceIssuer,
}

impl Authenticator {
    pub fn new(config: &Config, secret: [u8; 32]) -> Self {
        Self {
            enabled: config.sip.auth,
            prefer_sha256: config.sip.digest_prefer_sha256,
            realm: config.sip.domain.clone(),
            issuer: NonceIssuer::new(secret, config.sip.nonce_lifetime_secs),
        }
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }
}

/// The outcome of a credential check.
pub(crate) enum Verdict {
    Authenticated(String),
    /// The response to send (401, 403, 404).
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
pub(crate) fn check(svc: &mut ShardService, msg: &SipMessage<'_>, now: u64) -> Verdict {
    let Some(aor) = credential_aor(svc, msg) else {
        return Verdict::Authenticated(String::new());
    };
    let wall = svc.wall_secs(now);
    let Some(password) = svc.presence.subscriber(&aor).map(|s| s.password.clone()) else {
        let (code, reason) = if matches!(msg.method(), Some(Method::Register)) {
            (404, "Not Found")
        } else {
            (403, "Forbidden (unknown local user)")
        };
        return Verdict::Reject(outbound::response(msg, code, reason, None, &[], None));
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
        let secret = smartchat_auth::Secret::Password(&password);
        if smartchat_auth::verify(&credentials, &method, secret, msg.body).is_ok() {
            return Verdict::Authenticated(aor);
        }
        svc.count_auth_failure();
        tracing::info!(shard = svc.id, %aor, "digest response mismatch");
        return Verdict::Reject(challenge(svc, msg, wall, false));
    }
    Verdict::Reject(challenge(svc, msg, wall, stale))
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

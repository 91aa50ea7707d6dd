//! REGISTER, PUBLISH, SUBSCRIBE and MESSAGE on the shard that owns the target subscriber:
//! SIP in, presence-core calls, SIP out.
//!
//! The core decides (status composition, watcher authorisation, routing order); this module
//! only translates. Every core call is followed by draining its effects, so a status change
//! caused by a REGISTER reaches the watchers in the same batch as the 200.

use super::io::{Outputs, ReplyPath, ShardMsg, Transmit, Transport};
use super::{handlers, outbound, ClientContext, RelayContext, ShardService};
use crate::config::Config;
use smartchat_core::{
    ContactBinding, DialogKey, Effect, ExpiryPolicy, Notify, PresenceShard, PublishedState,
    RegisterContacts, RegisterRequest, RouteDecision, ShardConfig, ShardId, ShardMap, Status,
    SubscribeRequest, Subscriber, SubscriptionState,
};
use smartchat_sip::{Contacts, Method, SipMessage};

/// Builds this shard's presence core from the configuration and its share of subscribers.
pub(crate) fn new_presence_shard(
    id: usize,
    map: &ShardMap,
    config: &Config,
    subscribers: Vec<Subscriber>,
) -> PresenceShard {
    let policy = ExpiryPolicy {
        min_secs: config.sip.min_expires.max(1),
        max_secs: config.sip.max_expires,
        default_secs: config.sip.default_expires,
    };
    let shard_config = ShardConfig {
        register: policy,
        publish: policy,
        subscribe: policy,
        min_notify_interval_ms: config.presence.min_notify_interval_ms,
        etag_seed: id as u64,
        ..ShardConfig::default()
    };
    let shard_id = ShardId(u16::try_from(id).unwrap_or(u16::MAX));
    let mut shard = match PresenceShard::new(shard_id, *map, shard_config) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(shard = id, error = %e, "invalid presence configuration; using defaults");
            PresenceShard::new(shard_id, *map, ShardConfig::default())
                .unwrap_or_else(|_| unreachable_default(shard_id, map))
        }
    };
    for sub in subscribers {
        let aor = sub.aor.clone();
        if let Err(e) = shard.add_subscriber(sub) {
            tracing::warn!(shard = id, %aor, error = %e, "subscriber not loaded");
        }
        let mut effects = Vec::new();
        shard.drain_effects(&mut effects);
    }
    shard
}

/// The default configuration is valid by construction (tested in the core).
fn unreachable_default(id: ShardId, map: &ShardMap) -> PresenceShard {
    let single = ShardMap::new(map.revision, map.shard_count.max(1)).unwrap_or(*map);
    match PresenceShard::new(id, single, ShardConfig::default()) {
        Ok(s) => s,
        Err(e) => panic!("default presence configuration rejected: {e}"),
    }
}

/// The shard owning `aor` (normalised the way the core normalises).
pub(crate) fn owner(map: &ShardMap, aor: &str) -> usize {
    let normalised = smartchat_core::normalize_aor(aor).unwrap_or_else(|_| aor.to_owned());
    usize::from(map.owner(&normalised).0)
}

fn normalise(aor: String) -> String {
    smartchat_core::normalize_aor(&aor).unwrap_or(aor)
}

/// The subscriber a request is about: the To AOR for REGISTER, the Request-URI otherwise.
pub(crate) fn target_aor(msg: &SipMessage<'_>) -> Option<String> {
    let aor = match msg.method()? {
        Method::Register => msg.to().ok()?.uri.aor(),
        _ => match &msg.start {
            smartchat_sip::StartLine::Request { uri, .. } => uri.aor(),
            smartchat_sip::StartLine::Response { .. } => return None,
        },
    };
    Some(normalise(aor))
}

/// Handles a request on the shard that owns its target.
pub(crate) fn handle(
    svc: &mut ShardService,
    msg: &SipMessage<'_>,
    bytes: &[u8],
    reply: &ReplyPath,
    authenticated: Option<&str>,
    now: u64,
    out: &mut Outputs,
) {
    let Some(aor) = target_aor(msg) else {
        respond(svc, msg, reply, 404, "Not Found", &[], now, out);
        return;
    };
    // PUBLISH and SUBSCRIBE serve only the presence event package (RFC 3903 §6, RFC 6665 §4.2.1).
    if matches!(msg.method(), Some(Method::Publish | Method::Subscribe)) && !check_event(msg) {
        let allow = [("Allow-Events", "presence")];
        return respond(svc, msg, reply, 489, "Bad Event", &allow, now, out);
    }
    match msg.method() {
        Some(Method::Register) => register(svc, msg, &aor, reply, now, out),
        Some(Method::Publish) => publish(svc, msg, &aor, reply, authenticated, now, out),
        Some(Method::Subscribe) => subscribe(svc, msg, &aor, reply, now, out),
        Some(Method::Message) => message(svc, msg, bytes, &aor, reply, now, out),
        _ => respond(
            svc,
            msg,
            reply,
            405,
            "Method Not Allowed",
            &[("Allow", outbound::ALLOW)],
            now,
            out,
        ),
    }
    drain_effects(svc, now, out);
}

#[allow(clippy::too_many_arguments)]
fn respond(
    svc: &mut ShardService,
    msg: &SipMessage<'_>,
    reply: &ReplyPath,
    code: u16,
    reason: &str,
    headers: &[(&str, &str)],
    now: u64,
    out: &mut Outputs,
) {
    let tag = (code >= 200 && msg.to().ok().and_then(|t| t.tag()).is_none()).then(|| svc.new_tag());
    let response = outbound::response(msg, code, reason, tag.as_deref(), headers, None);
    count_response(svc, code);
    handlers::finish(svc, msg, reply, response, now, out);
}

/// A presence-core error as a SIP response: its status, a reason naming the error, and
/// Min-Expires with a 423 (RFC 3261 §10.3, RFC 3903 §6, RFC 6665 §4.2.1.1).
#[allow(clippy::too_many_arguments)]
fn respond_error(
    svc: &mut ShardService,
    msg: &SipMessage<'_>,
    reply: &ReplyPath,
    code: u16,
    error: &dyn std::fmt::Display,
    min_expires: Option<u32>,
    now: u64,
    out: &mut Outputs,
) {
    let reason = format!("{} ({error})", reason_phrase(code));
    let min = min_expires.map(|m| m.to_string());
    let headers: Vec<(&str, &str)> = min.iter().map(|m| ("Min-Expires", m.as_str())).collect();
    respond(svc, msg, reply, code, &reason, &headers, now, out);
}

fn count_response(svc: &ShardService, code: u16) {
    if (200..300).contains(&code) {
        svc.count(|c| &c.sip_out_2xx);
    } else {
        svc.count(|c| &c.sip_out_3xx_6xx);
    }
}

/// Standard reason phrases for the codes this node relays or originates.
pub(crate) fn reason_phrase(code: u16) -> &'static str {
    match code {
        200 => "OK",
        202 => "Accepted",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        412 => "Conditional Request Failed",
        413 => "Request Entity Too Large",
        415 => "Unsupported Media Type",
        423 => "Interval Too Brief",
        480 => "Temporarily Unavailable",
        481 => "Call/Transaction Does Not Exist",
        489 => "Bad Event",
        500 => "Server Internal Error",
        503 => "Service Unavailable",
        513 => "Message Too Large",
        c if c < 300 => "OK",
        c if c < 500 => "Request Failed",
        c if c < 600 => "Server Error",
        _ => "Global Failure",
    }
}

fn register(
    svc: &mut ShardService,
    msg: &SipMessage<'_>,
    aor: &str,
    reply: &ReplyPath,
    now: u64,
    out: &mut Outputs,
) {
    let contacts = match msg.contacts() {
        Ok(Contacts::Wildcard) => RegisterContacts::Wildcard,
        Ok(Contacts::List(list)) if list.is_empty() => RegisterContacts::Fetch,
        Ok(Contacts::List(list)) => RegisterContacts::Bindings(
            list.iter()
                .map(|c| ContactBinding {
                    uri: c.uri.to_string(),
                    expires_secs: c.expires(),
                    q: c.q_millis(),
                })
                .collect(),
        ),
        Err(e) => {
            let reason = format!("Bad Request (Contact: {e})");
            return respond(svc, msg, reply, 400, &reason, &[], now, out);
        }
    };
    if let RegisterContacts::Bindings(list) = &contacts {
        if matches!(reply.transport, Transport::Tcp(_)) {
            for binding in list {
                svc.flows.insert(binding.uri.clone(), reply.clone());
            }
        }
    }
    let request = RegisterRequest {
        call_id: msg.call_id().unwrap_or_default().to_owned(),
        cseq: msg.cseq().map(|c| c.seq).unwrap_or(0),
        expires_secs: msg.expires().ok().flatten(),
        contacts,
    };
    match svc.presence.register(aor, &request, now) {
        Ok(outcome) => {
            let values: Vec<String> = outcome
                .bindings
                .iter()
                .map(|b| format!("<{}>;expires={}", b.uri, b.expires_secs))
                .collect();
            let headers: Vec<(&str, &str)> =
                values.iter().map(|v| ("Contact", v.as_str())).collect();
            respond(svc, msg, reply, 200, "OK", &headers, now, out);
        }
        Err(e) => {
            let min = match e {
                smartchat_core::RegistrarError::IntervalTooBrief { min_expires } => {
                    Some(min_expires)
                }
                _ => None,
            };
            respond_error(svc, msg, reply, e.sip_status(), &e, min, now, out);
        }
    }
}

fn check_event(msg: &SipMessage<'_>) -> bool {
    matches!(msg.event(), Ok(Some(e)) if e.package.eq_ignore_ascii_case("presence"))
}

#[allow(clippy::too_many_arguments)]
fn publish(
    svc: &mut ShardService,
    msg: &SipMessage<'_>,
    aor: &str,
    reply: &ReplyPath,
    authenticated: Option<&str>,
    now: u64,
    out: &mut Outputs,
) {
    let publisher = authenticated
        .map(str::to_owned)
        .or_else(|| msg.from().ok().map(|f| normalise(f.uri.aor())));
    if publisher.as_deref() != Some(aor) {
        return respond(
            svc,
            msg,
            reply,
            403,
            "Forbidden (only the presentity publishes its state)",
            &[],
            now,
            out,
        );
    }
    let body = if msg.body.is_empty() {
        None
    } else {
        let content_type = msg.content_type().unwrap_or_default();
        if !content_type
            .to_ascii_lowercase()
            .starts_with("application/pidf+xml")
        {
            return respond(
                svc,
                msg,
                reply,
                415,
                "Unsupported Media Type",
                &[("Accept", "application/pidf+xml")],
                now,
                out,
            );
        }
        match smartchat_pidf::parse_pidf(msg.body) {
            Ok(doc) => Some(match smartchat_pidf::interpret(&doc) {
                smartchat_pidf::PublishedState::Open { busy, note } => {
                    PublishedState { busy, note }
                }
                smartchat_pidf::PublishedState::Closed => PublishedState {
                    busy: false,
                    note: None,
                },
            }),
            Err(e) => {
                let reason = format!("Bad Request (PIDF: {e})");
                return respond(svc, msg, reply, 400, &reason, &[], now, out);
            }
        }
    };
    let expires = msg.expires().ok().flatten();
    match svc
        .presence
        .publish(aor, msg.sip_if_match(), body, expires, now)
    {
        Ok(outcome) => {
            let expires = outcome.expires_secs.to_string();
            respond(
                svc,
                msg,
                reply,
                200,
                "OK",
                &[("SIP-ETag", &outcome.etag), ("Expires", &expires)],
                now,
                out,
            );
        }
        Err(e) => {
            let min = match e {
                smartchat_core::PublishError::IntervalTooBrief { min_expires } => Some(min_expires),
                _ => None,
            };
            respond_error(svc, msg, reply, e.sip_status(), &e, min, now, out);
        }
    }
}

fn subscribe(
    svc: &mut ShardService,
    msg: &SipMessage<'_>,
    aor: &str,
    reply: &ReplyPath,
    now: u64,
    out: &mut Outputs,
) {
    let (Ok(from), Ok(to)) = (msg.from(), msg.to()) else {
        return respond(svc, msg, reply, 400, "Bad Request", &[], now, out);
    };
    let Some(from_tag) = from.tag() else {
        return respond(
            svc,
            msg,
            reply,
            400,
            "Bad Request (From tag required)",
            &[],
            now,
            out,
        );
    };
    let target = match msg.contacts() {
        Ok(Contacts::List(list)) if !list.is_empty() => list[0].uri.to_string(),
        _ => {
            return respond(
                svc,
                msg,
                reply,
                400,
                "Bad Request (Contact required)",
                &[],
                now,
                out,
            )
        }
    };
    let in_dialog = to.tag().is_some();
    let to_tag = match to.tag() {
        Some(t) => t.to_owned(),
        None => svc.new_tag(),
    };
    let request = SubscribeRequest {
        presentity: aor.to_owned(),
        watcher: normalise(from.uri.aor()),
        dialog: DialogKey {
            call_id: msg.call_id().unwrap_or_default().to_owned(),
            from_tag: from_tag.to_owned(),
            to_tag: to_tag.clone(),
        },
        watcher_target: target.clone(),
        expires_secs: msg.expires().ok().flatten(),
        in_dialog,
    };
    if matches!(reply.transport, Transport::Tcp(_)) {
        svc.flows.insert(target, reply.clone());
    }
    match svc.presence.subscribe(&request, now) {
        Ok(outcome) => {
            let expires = outcome.expires_secs.to_string();
            let contact = format!("<sip:{}>", svc.settings.advertised);
            let response = outbound::response(
                msg,
                200,
                "OK",
                Some(&to_tag),
                &[("Expires", &expires), ("Contact", &contact)],
                None,
            );
            count_response(svc, 200);
            // The first NOTIFY leaves right behind the 200, from the same shard, so that the
            // watcher never sees the NOTIFY before the response that creates the dialog.
            // Any other NOTIFY the same call produced travels the same way, behind it.
            let mut then: Vec<Transmit> = build_notify(svc, &outcome.notify, now)
                .into_iter()
                .collect();
            let mut more = Outputs::default();
            drain_effects(svc, now, &mut more);
            then.append(&mut more.transmits);
            out.to_shards.append(&mut more.to_shards);
            if reply.shard != svc.id {
                let key = handlers::server_key(msg).map(|k| k.0).unwrap_or_default();
                out.to_shard(
                    reply.shard,
                    ShardMsg::ServerTxnReply {
                        reply: reply.clone(),
                        branch: key,
                        bytes: response,
                        then,
                    },
                );
            } else {
                handlers::finish(svc, msg, reply, response, now, out);
                out.transmits.append(&mut then);
            }
        }
        Err(e) => {
            let min = match e {
                smartchat_core::SubscribeError::IntervalTooBrief { min_expires } => {
                    Some(min_expires)
                }
                _ => None,
            };
            respond_error(svc, msg, reply, e.sip_status(), &e, min, now, out);
        }
    }
}

/// Encodes a NOTIFY for the core's decision and opens its client transaction. Returns the
/// first transmission (the transaction retransmits it over UDP until answered).
fn build_notify(svc: &mut ShardService, notify: &Notify, now: u64) -> Option<Transmit> {
    let flow = svc.flows.get(&notify.watcher_target).cloned();
    let Some(destination) = outbound::destination_for(&notify.watcher_target, flow.as_ref()) else {
        tracing::warn!(shard = svc.id, target = %notify.watcher_target, "no route for NOTIFY");
        return None;
    };
    let status = notify
        .status
        .clone()
        .or_else(|| svc.presence.status(&notify.presentity).cloned())
        .unwrap_or(Status::Offline);
    let pidf_status = match status {
        Status::Available => smartchat_pidf::Status::Available,
        Status::Busy => smartchat_pidf::Status::Busy,
        Status::Mobile { msisdn } => smartchat_pidf::Status::Mobile { tel: msisdn },
        Status::Offline => smartchat_pidf::Status::Offline,
    };
    let mut pidf = String::new();
    smartchat_pidf::build_pidf(&notify.presentity, &pidf_status, &mut pidf);
    let state = match notify.subscription_state {
        SubscriptionState::Active { expires_secs } => format!("active;expires={expires_secs}"),
        SubscriptionState::Terminated { reason } => {
            format!("terminated;reason={}", reason.as_str())
        }
    };
    let branch = svc.new_branch();
    let via = outbound::via_value(
        svc.settings.advertised,
        outbound::transport_token(&destination),
        &branch,
    );
    let contact = format!("sip:{}", svc.settings.advertised);
    let bytes = outbound::NotifyRequest {
        target: &notify.watcher_target,
        via: &via,
        presentity: &notify.presentity,
        local_tag: &notify.dialog.to_tag,
        watcher: &notify.watcher,
        remote_tag: &notify.dialog.from_tag,
        call_id: &notify.dialog.call_id,
        cseq: notify.cseq,
        contact: &contact,
        subscription_state: &state,
        pidf: &pidf,
    }
    .encode();
    let context = ClientContext::Notify {
        presentity: notify.presentity.clone(),
        dialog: notify.dialog.clone(),
    };
    if !svc
        .client_txns
        .start(branch, bytes.clone(), destination.clone(), now, context)
    {
        tracing::warn!(
            shard = svc.id,
            "client transaction table full; NOTIFY not sent"
        );
        return None;
    }
    svc.count(|c| &c.sip_out_notify);
    Some(Transmit { destination, bytes })
}

/// Sends out what the core decided since the last call (NOTIFYs, transitions, index updates).
pub(crate) fn drain_effects(svc: &mut ShardService, now: u64, out: &mut Outputs) {
    let mut effects = Vec::new();
    svc.presence.drain_effects(&mut effects);
    for effect in effects {
        match effect {
            Effect::Notify(notify) => {
                if let Some(t) = build_notify(svc, &notify, now) {
                    out.transmits.push(t);
                }
            }
            Effect::PresenceChanged { aor, status } => {
                svc.count(|c| &c.presence_transitions);
                tracing::debug!(shard = svc.id, %aor, ?status, "presence changed");
                if status.is_online() {
                    // IMs held for this user (on any shard) go out now.
                    for shard in 0..svc.map_shard_count() {
                        if shard != svc.id {
                            out.to_shard(shard, ShardMsg::UserOnline { aor: aor.clone() });
                        }
                    }
                    svc.on_user_online(&aor, now, out);
                }
            }
            Effect::IndexMsisdn { shard, msisdn, aor } => {
                let shard = usize::from(shard.0);
                if shard == svc.id {
                    let _ = svc.presence.index_msisdn(&msisdn, &aor);
                } else {
                    out.to_shard(shard, ShardMsg::IndexMsisdn { msisdn, aor });
                }
            }
            Effect::UnindexMsisdn { shard, msisdn, aor } => {
                let shard = usize::from(shard.0);
                if shard == svc.id {
                    let _ = svc.presence.unindex_msisdn(&msisdn, &aor);
                } else {
                    out.to_shard(shard, ShardMsg::UnindexMsisdn { msisdn, aor });
                }
            }
        }
    }
}

/// Online deliveries that failed and waited `sms.fallback_delay_ms`: now they go to SMS (or, if
/// the user came back online meanwhile, to the contacts again).
pub(crate) fn fallback_timers(svc: &mut ShardService, now: u64, out: &mut Outputs) {
    let (due, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut svc.fallbacks)
        .into_iter()
        .partition(|(at, ..)| *at <= now);
    svc.fallbacks = waiting;
    for (_, bytes, reply, recipient, msisdn) in due {
        let Ok(original) = smartchat_sip::parse_datagram(&bytes) else {
            continue;
        };
        if let Ok(RouteDecision::DeliverOnline { contacts }) =
            svc.presence.route_message(&recipient, now)
        {
            // One more online attempt; a second failure falls back without delay.
            let relay = RelayContext {
                original: bytes.clone(),
                reply: reply.clone(),
                remaining: contacts,
                recipient: recipient.clone(),
                fallback_waited: true,
            };
            relay_next(svc, &original, relay, now, out);
            continue;
        }
        if let Err((code, reason)) =
            svc.im_to_sms(&original, &bytes, &reply, &recipient, &msisdn, now, out)
        {
            respond(svc, &original, &reply, code, &reason, &[], now, out);
        }
    }
}

/// Expiries and rate-limit windows in the core, then their effects.
pub(crate) fn presence_timers(svc: &mut ShardService, now: u64, out: &mut Outputs) {
    if svc.presence.next_deadline().is_some_and(|d| d <= now) {
        svc.presence.on_timer(now);
    }
    drain_effects(svc, now, out);
}

/// A NOTIFY's transaction ended: 481 or a timeout ends the subscription (RFC 6665 §4.2.2).
pub(crate) fn notify_outcome(
    svc: &mut ShardService,
    presentity: &str,
    dialog: &DialogKey,
    status: u16,
    now: u64,
    out: &mut Outputs,
) {
    if status == 481 || status == 408 {
        if svc.presence.notify_failed(presentity, dialog, now) {
            tracing::info!(shard = svc.id, %presentity, status, "watcher gone; subscription removed");
        }
        drain_effects(svc, now, out);
    }
}

#[allow(clippy::too_many_arguments)]
fn message(
    svc: &mut ShardService,
    msg: &SipMessage<'_>,
    bytes: &[u8],
    aor: &str,
    reply: &ReplyPath,
    now: u64,
    out: &mut Outputs,
) {
    let limit = match reply.transport {
        Transport::Udp => svc.settings.udp_body_limit,
        Transport::Tcp(_) => svc.settings.tcp_body_limit,
    };
    if msg.body.len() > limit {
        return respond(svc, msg, reply, 513, "Message Too Large", &[], now, out);
    }
    let decision = match svc.presence.route_message(aor, now) {
        Ok(d) => d,
        Err(e) => {
            tracing::error!(shard = svc.id, %aor, error = %e, "MESSAGE on a shard that does not own it");
            return respond(svc, msg, reply, 500, "Server Internal Error", &[], now, out);
        }
    };
    match decision {
        RouteDecision::DeliverOnline { contacts } => {
            let relay = RelayContext {
                original: bytes.to_vec(),
                reply: reply.clone(),
                remaining: contacts,
                recipient: aor.to_owned(),
                fallback_waited: false,
            };
            relay_next(svc, msg, relay, now, out);
        }
        RouteDecision::Mobile { msisdn } => {
            // C3: the user is mobile — the IM becomes an SMS, 202 once it is durable.
            if let Err((code, reason)) = svc.im_to_sms(msg, bytes, reply, aor, &msisdn, now, out) {
                respond(
                    svc,
                    msg,
                    reply,
                    code,
                    &reason,
                    &[("Retry-After", "5")],
                    now,
                    out,
                );
            }
        }
        RouteDecision::OfflineNoService => {
            // C8 without SMS: held (store-and-forward) and delivered on the next REGISTER.
            if let Err((code, reason)) = svc.hold_im(msg, bytes, reply, aor, now, out) {
                respond(svc, msg, reply, code, &reason, &[], now, out);
            }
        }
        RouteDecision::UnknownUser => respond(svc, msg, reply, 404, "Not Found", &[], now, out),
    }
}

/// Sends the MESSAGE to the next contact in `relay.remaining`; answers 480 when none is left.
fn relay_next(
    svc: &mut ShardService,
    original: &SipMessage<'_>,
    mut relay: RelayContext,
    now: u64,
    out: &mut Outputs,
) {
    while !relay.remaining.is_empty() {
        let contact = relay.remaining.remove(0);
        let flow = svc.flows.get(&contact).cloned();
        let Some(destination) = outbound::destination_for(&contact, flow.as_ref()) else {
            continue;
        };
        if svc.client_txns.is_full() {
            tracing::warn!(
                shard = svc.id,
                "client transaction table full; MESSAGE refused"
            );
            let reply = relay.reply.clone();
            return respond(
                svc,
                original,
                &reply,
                503,
                "Service Unavailable",
                &[("Retry-After", "1")],
                now,
                out,
            );
        }
        let branch = svc.new_branch();
        let via = outbound::via_value(
            svc.settings.advertised,
            outbound::transport_token(&destination),
            &branch,
        );
        let request = outbound::relayed_message(original, &contact, &via);
        let context = ClientContext::Relay(Box::new(relay));
        svc.client_txns
            .start(branch, request.clone(), destination.clone(), now, context);
        svc.count(|c| &c.sip_out_message);
        out.send(destination, request);
        return;
    }
    // Every contact failed: fall back to SMS when the recipient has the service and an MSISDN
    // (the patent's "intelligent" part), else the failure goes back.
    let reply = relay.reply.clone();
    let fallback = svc
        .presence
        .subscriber(&relay.recipient)
        .filter(|s| s.service)
        .and_then(|s| s.msisdn.clone());
    if let Some(msisdn) = fallback {
        let bytes = relay.original.clone();
        if svc.settings.sms_fallback_delay_ms > 0 && !relay.fallback_waited {
            // Configurable grace before falling back (a UA may be re-registering); the sender's
            // retransmissions meanwhile are absorbed by the server transaction.
            let due = now + svc.settings.sms_fallback_delay_ms;
            svc.fallbacks
                .push((due, bytes, reply, relay.recipient.clone(), msisdn));
            return;
        }
        match svc.im_to_sms(
            original,
            &bytes,
            &reply,
            &relay.recipient,
            &msisdn,
            now,
            out,
        ) {
            Ok(()) => return,
            Err((code, reason)) => {
                return respond(svc, original, &reply, code, &reason, &[], now, out);
            }
        }
    }
    respond(
        svc,
        original,
        &reply,
        480,
        "Temporarily Unavailable",
        &[],
        now,
        out,
    );
}

/// Sends an IM the relay produced to the recipient's first live contact (C9: an SMS from a
/// phone arriving in the chat). False when no contact is usable.
pub(crate) fn send_im(
    svc: &mut ShardService,
    im: &smartchat_relay::DeliverIm,
    mut contacts: Vec<String>,
    origin: usize,
    now: u64,
    out: &mut Outputs,
) -> bool {
    while !contacts.is_empty() {
        let contact = contacts.remove(0);
        let flow = svc.flows.get(&contact).cloned();
        let Some(destination) = outbound::destination_for(&contact, flow.as_ref()) else {
            continue;
        };
        if svc.client_txns.is_full() {
            return false;
        }
        let branch = svc.new_branch();
        let via = outbound::via_value(
            svc.settings.advertised,
            outbound::transport_token(&destination),
            &branch,
        );
        let from = format!("<{}>;tag={}", im.from, svc.new_tag());
        let to = format!("<{}>", im.to);
        let call_id = format!("sms-{}-{}@{}", im.id, branch, svc.settings.domain);
        let mut request = Vec::with_capacity(512 + im.text.len());
        smartchat_sip::RequestBuilder::new("MESSAGE", &contact)
            .header("Via", &via)
            .header("Max-Forwards", "70")
            .header("From", &from)
            .header("To", &to)
            .header("Call-ID", &call_id)
            .header("CSeq", "1 MESSAGE")
            .body(&im.content_type, im.text.as_bytes())
            .encode(&mut request);
        let context = super::sms::sms_im_context(im.id, origin, contacts, im);
        svc.client_txns
            .start(branch, request.clone(), destination.clone(), now, context);
        svc.count(|c| &c.sip_out_message);
        out.send(destination, request);
        return true;
    }
    false
}

/// The IM made from an SMS got its final response (or timed out).
#[allow(clippy::too_many_arguments)]
pub(crate) fn sms_im_outcome(
    svc: &mut ShardService,
    id: u64,
    origin: usize,
    remaining: Vec<String>,
    im: smartchat_relay::DeliverIm,
    status: u16,
    now: u64,
    out: &mut Outputs,
) {
    use smartchat_relay::ImOutcome;
    if (200..300).contains(&status) {
        return svc.im_outcome(id, origin, ImOutcome::Delivered, now, out);
    }
    let retry = status == 408 || status == 480 || (500..600).contains(&status);
    if retry && send_im(svc, &im, remaining, origin, now, out) {
        return;
    }
    let outcome = if retry {
        match svc.presence.subscriber(&im.to) {
            Some(s) if s.service && s.msisdn.is_some() => ImOutcome::Mobile {
                msisdn: s.msisdn.clone().unwrap_or_default(),
            },
            Some(_) => ImOutcome::Offline,
            None => ImOutcome::NoSuchUser,
        }
    } else {
        ImOutcome::Rejected
    };
    svc.im_outcome(id, origin, outcome, now, out);
}

/// The relayed MESSAGE's transaction ended: pass a success back, try the next contact on a
/// delivery failure (timeout, 408, 480, 5xx), pass any other failure back.
pub(crate) fn relay_outcome(
    svc: &mut ShardService,
    relay: RelayContext,
    status: u16,
    now: u64,
    out: &mut Outputs,
) {
    let original_bytes = relay.original.clone();
    let Ok(original) = smartchat_sip::parse_datagram(&original_bytes) else {
        return;
    };
    let retry = status == 408 || status == 480 || (500..600).contains(&status);
    if (200..300).contains(&status) || !retry {
        let reply = relay.reply.clone();
        return respond(
            svc,
            &original,
            &reply,
            status,
            reason_phrase(status),
            &[],
            now,
            out,
        );
    }
    relay_next(svc, &original, relay, now, out);
}

/// Admin: add or replace a subscriber on this shard.
pub(crate) fn upsert_subscriber(
    svc: &mut ShardService,
    sub: Subscriber,
    now: u64,
    out: &mut Outputs,
) -> Result<(), String> {
    let result = if svc.presence.subscriber(&sub.aor).is_some() {
        svc.presence.update_subscriber(sub, now)
    } else {
        svc.presence.add_subscriber(sub)
    };
    drain_effects(svc, now, out);
    result.map_err(|e| e.to_string())
}

/// Admin: remove a subscriber; false when unknown.
pub(crate) fn remove_subscriber(
    svc: &mut ShardService,
    aor: &str,
    now: u64,
    out: &mut Outputs,
) -> bool {
    let aor = normalise(aor.to_owned());
    let removed = svc.presence.remove_subscriber(&aor, now).is_ok();
    drain_effects(svc, now, out);
    removed
}

/// Admin: every subscriber this shard owns.
pub(crate) fn all_subscribers(svc: &ShardService) -> Vec<Subscriber> {
    svc.presence.subscribers().cloned().collect()
}

/// Admin: a subscriber's composed status and live contacts.
pub(crate) fn presence_of(
    svc: &ShardService,
    aor: &str,
    now: u64,
) -> Option<(String, Vec<String>, Vec<String>)> {
    let aor = normalise(aor.to_owned());
    let status = svc.presence.status(&aor)?;
    let name = match status {
        Status::Available => "available",
        Status::Busy => "busy",
        Status::Mobile { .. } => "mobile",
        Status::Offline => "offline",
    };
    let contacts = svc
        .presence
        .contacts(&aor, now)
        .into_iter()
        .map(|b| b.uri)
        .collect();
    let watchers = svc
        .presence
        .watchers(&aor)
        .into_iter()
        .map(|w| format!("{};{}", w.dialog.call_id, w.dialog.to_tag))
        .collect();
    Some((name.to_owned(), contacts, watchers))
}

//! Request and response dispatch: transactions, validation, authentication stage, ownership.
//!
//! A request's path: the shard whose socket got it opens the server transaction (so
//! retransmissions are absorbed where they arrive), validates it, and sends it to the shard
//! holding the sender's credentials when digest auth applies, then to the shard owning the
//! target. The final response travels back to the receiving shard, which caches it (Timer J).

use super::io::{Outputs, ReplyPath, RequestStage, ShardMsg};
use super::txn::{ClientOutcome, ServerKey, ServerVerdict};
use super::{auth, outbound, routing, ClientContext, ShardService};
use smartchat_sip::{HeaderName, Method, SipMessage};

/// The server-transaction key of a request (RFC 3261 §17.2.3): top Via branch + CSeq method.
/// Requests without a RFC 3261 branch fall back to Call-ID + CSeq (RFC 2543 matching, simplified).
pub(crate) fn server_key(msg: &SipMessage<'_>) -> Option<ServerKey> {
    let cseq = msg.cseq().ok()?;
    let method = cseq.method.as_str().to_owned();
    let branch = msg
        .top_via()
        .ok()
        .and_then(|v| v.branch().map(str::to_owned))
        .filter(|b| b.starts_with("z9hG4bK"));
    let branch = match branch {
        Some(b) => b,
        None => format!("{}/{}", msg.call_id().ok()?, cseq.seq),
    };
    Some((branch, method))
}

/// Sends a final response for `msg`, through the server transaction on the receiving shard.
pub(crate) fn finish(
    svc: &mut ShardService,
    msg: &SipMessage<'_>,
    reply: &ReplyPath,
    response: Vec<u8>,
    now: u64,
    out: &mut Outputs,
) {
    let counters_class_2xx = response.get(8..9) == Some(b"2");
    let _ = counters_class_2xx;
    let Some(key) = server_key(msg) else {
        out.send(reply.destination(), response);
        return;
    };
    if reply.shard == svc.id {
        match svc.server_txns.on_final(&key, response.clone(), now) {
            Some(t) => out.transmits.push(t),
            None => out.send(reply.destination(), response),
        }
    } else {
        out.to_shard(
            reply.shard,
            ShardMsg::ServerTxnReply {
                reply: reply.clone(),
                branch: key.0,
                bytes: response,
                then: Vec::new(),
            },
        );
    }
}

/// A final response computed on another shard, for a server transaction held here.
pub(crate) fn complete_server_txn(
    svc: &mut ShardService,
    reply: &ReplyPath,
    branch: String,
    bytes: Vec<u8>,
    now: u64,
    out: &mut Outputs,
) {
    let method = smartchat_sip::parse_datagram(&bytes)
        .ok()
        .and_then(|m| m.cseq().ok().map(|c| c.method.as_str().to_owned()))
        .unwrap_or_default();
    match svc
        .server_txns
        .on_final(&(branch, method), bytes.clone(), now)
    {
        Some(t) => out.transmits.push(t),
        None => out.send(reply.destination(), bytes),
    }
}

/// Best effort 400 for bytes that did not parse: answer when enough headers can be found to
/// address a response (RFC 3261 §8.2.2 needs Via, From, To, Call-ID, CSeq), else drop and log.
pub(crate) fn reject_unparsable(
    svc: &mut ShardService,
    bytes: &[u8],
    reply: &ReplyPath,
    reason: &str,
    out: &mut Outputs,
) {
    svc.presence_counters_parse_error();
    if bytes.starts_with(b"SIP/") {
        return; // never answer a response
    }
    match outbound::bad_request_from_raw(bytes, reason) {
        Some(response) => out.send(reply.destination(), response),
        None => {
            tracing::info!(shard = svc.id, peer = %reply.peer, "unanswerable malformed request dropped")
        }
    }
}

/// A request as it arrives from the network.
pub(crate) fn on_request_received(
    svc: &mut ShardService,
    msg: &SipMessage<'_>,
    bytes: &[u8],
    reply: ReplyPath,
    now: u64,
    out: &mut Outputs,
) {
    let Some(method) = msg.method() else { return };
    if matches!(method, Method::Ack) {
        return; // ACK for a non-2xx to INVITE: nothing to do, we never accept INVITE
    }
    let Some(key) = server_key(msg) else {
        // No usable CSeq/Call-ID: a response cannot be matched; answer 400 once.
        let response = outbound::response(msg, 400, "Bad Request (CSeq/Call-ID)", None, &[], None);
        out.send(reply.destination(), response);
        return;
    };
    match svc.server_txns.on_request(&key, &reply, now) {
        ServerVerdict::New => {}
        ServerVerdict::Absorb => {
            svc.count_absorbed();
            return;
        }
        ServerVerdict::Resend(bytes) => {
            svc.count_absorbed();
            out.send(reply.destination(), bytes);
            return;
        }
        ServerVerdict::Full => {
            let response = outbound::response(
                msg,
                503,
                "Service Unavailable",
                None,
                &[("Retry-After", "1")],
                None,
            );
            out.send(reply.destination(), response);
            return;
        }
    }
    if let Err((code, reason)) = validate(msg) {
        tracing::info!(shard = svc.id, code, reason, "rejecting request");
        let response = outbound::response(msg, code, reason, None, &[], None);
        finish(svc, msg, &reply, response, now, out);
        return;
    }
    svc.count_request(method);
    match method {
        Method::Options => {
            let response = outbound::response(
                msg,
                200,
                "OK",
                Some(&svc.new_tag()),
                &[
                    ("Allow", outbound::ALLOW),
                    ("Accept", "application/pidf+xml, text/plain"),
                ],
                None,
            );
            finish(svc, msg, &reply, response, now, out);
        }
        Method::Register | Method::Publish | Method::Subscribe | Method::Message => {
            let stage = if svc.auth.enabled() && auth::credential_aor(svc, msg).is_some() {
                RequestStage::Authenticate
            } else {
                RequestStage::Handle {
                    authenticated: None,
                }
            };
            route(svc, msg, bytes, reply, stage, now, out);
        }
        Method::Notify => {
            let response =
                outbound::response(msg, 481, "Subscription Does Not Exist", None, &[], None);
            finish(svc, msg, &reply, response, now, out);
        }
        Method::Extension(_) => {
            let response = outbound::response(
                msg,
                501,
                "Not Implemented",
                None,
                &[("Allow", outbound::ALLOW)],
                None,
            );
            finish(svc, msg, &reply, response, now, out);
        }
        _ => {
            let response = outbound::response(
                msg,
                405,
                "Method Not Allowed",
                None,
                &[("Allow", outbound::ALLOW)],
                None,
            );
            finish(svc, msg, &reply, response, now, out);
        }
    }
}

/// RFC 3261 §8.2 checks every request passes before anything else looks at it.
fn validate(msg: &SipMessage<'_>) -> Result<(), (u16, &'static str)> {
    let cseq = msg.cseq().map_err(|_| (400u16, "Bad Request (CSeq)"))?;
    if Some(&cseq.method) != msg.method() {
        return Err((400, "Bad Request (CSeq method mismatch)"));
    }
    msg.from().map_err(|_| (400u16, "Bad Request (From)"))?;
    msg.to().map_err(|_| (400u16, "Bad Request (To)"))?;
    msg.call_id()
        .map_err(|_| (400u16, "Bad Request (Call-ID)"))?;
    msg.top_via().map_err(|_| (400u16, "Bad Request (Via)"))?;
    match msg.max_forwards() {
        Ok(Some(0)) => return Err((483, "Too Many Hops")),
        Ok(_) => {}
        Err(_) => return Err((400, "Bad Request (Max-Forwards)")),
    }
    msg.expires()
        .map_err(|_| (400u16, "Bad Request (Expires)"))?;
    if let Some(req) = msg.header(&HeaderName::Require) {
        if !req.trim().is_empty() {
            return Err((420, "Bad Extension"));
        }
    }
    Ok(())
}

/// Sends the request to the shard its current stage needs, or handles it here.
fn route(
    svc: &mut ShardService,
    msg: &SipMessage<'_>,
    bytes: &[u8],
    reply: ReplyPath,
    stage: RequestStage,
    now: u64,
    out: &mut Outputs,
) {
    let owner = match &stage {
        RequestStage::Authenticate => auth::credential_aor(svc, msg).map(|aor| svc.owner_of(&aor)),
        RequestStage::Handle { .. } => routing::target_aor(msg).map(|aor| svc.owner_of(&aor)),
    };
    let Some(owner) = owner else {
        let response = outbound::response(msg, 404, "Not Found", None, &[], None);
        finish(svc, msg, &reply, response, now, out);
        return;
    };
    if owner == svc.id {
        on_owned_request_stage(svc, msg, bytes, reply, stage, now, out);
    } else {
        out.to_shard(
            owner,
            ShardMsg::SipRequest {
                bytes: bytes.to_vec(),
                reply,
                stage,
            },
        );
    }
}

/// A request that reached the shard its stage needs (from the network or through the mesh).
pub(crate) fn on_owned_request(
    svc: &mut ShardService,
    msg: &SipMessage<'_>,
    bytes: &[u8],
    reply: ReplyPath,
    stage: RequestStage,
    now: u64,
    out: &mut Outputs,
) {
    on_owned_request_stage(svc, msg, bytes, reply, stage, now, out);
}

fn on_owned_request_stage(
    svc: &mut ShardService,
    msg: &SipMessage<'_>,
    bytes: &[u8],
    reply: ReplyPath,
    stage: RequestStage,
    now: u64,
    out: &mut Outputs,
) {
    match stage {
        RequestStage::Authenticate => match auth::check(svc, msg, reply.peer, now) {
            auth::Verdict::Authenticated(aor) => route(
                svc,
                msg,
                bytes,
                reply,
                RequestStage::Handle {
                    authenticated: Some(aor),
                },
                now,
                out,
            ),
            auth::Verdict::Reject(response) => finish(svc, msg, &reply, response, now, out),
        },
        RequestStage::Handle { authenticated } => {
            routing::handle(svc, msg, bytes, &reply, authenticated.as_deref(), now, out)
        }
    }
}

/// A response from the network (or forwarded by the shard that received it).
pub(crate) fn on_response_received(
    svc: &mut ShardService,
    msg: &SipMessage<'_>,
    bytes: &[u8],
    now: u64,
    out: &mut Outputs,
) {
    let Some(status) = msg.status() else { return };
    let Some(branch) = msg
        .top_via()
        .ok()
        .and_then(|v| v.branch().map(str::to_owned))
    else {
        return;
    };
    match shard_of_branch(&branch) {
        Some(shard) if shard == svc.id => {
            svc.count_response();
            if let Some(outcome) = svc.client_txns.on_response(&branch, status, now) {
                on_client_outcome(svc, outcome, now, out);
            }
        }
        Some(shard) if shard < svc.map_shard_count() => {
            out.to_shard(
                shard,
                ShardMsg::SipResponse {
                    bytes: bytes.to_vec(),
                },
            );
        }
        _ => tracing::debug!(shard = svc.id, %branch, "response to an unknown transaction dropped"),
    }
}

/// Extracts the shard id from a branch made by [`ShardService::new_branch`].
pub(crate) fn shard_of_branch(branch: &str) -> Option<usize> {
    let rest = branch.strip_prefix("z9hG4bK-sc")?;
    let digits = rest.split('-').next()?;
    digits.parse().ok()
}

/// A client transaction ended: act on behalf of what started it.
pub(crate) fn on_client_outcome(
    svc: &mut ShardService,
    outcome: ClientOutcome<ClientContext>,
    now: u64,
    out: &mut Outputs,
) {
    let (status, context) = match outcome {
        ClientOutcome::Final { status, context } => (status, context),
        ClientOutcome::Timeout { context } => {
            svc.count_timeout();
            (408, context)
        }
    };
    match context {
        ClientContext::Notify { presentity, dialog } => {
            routing::notify_outcome(svc, &presentity, &dialog, status, now, out)
        }
        ClientContext::Relay(relay) => routing::relay_outcome(svc, *relay, status, now, out),
        ClientContext::SmsIm {
            id,
            origin,
            remaining,
            im,
        } => routing::sms_im_outcome(svc, id, origin, remaining, *im, status, now, out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branch_names_its_shard() {
        assert_eq!(shard_of_branch("z9hG4bK-sc3-1f"), Some(3));
        assert_eq!(shard_of_branch("z9hG4bK-sc12-0"), Some(12));
        assert_eq!(shard_of_branch("z9hG4bKabc"), None);
        assert_eq!(shard_of_branch("z9hG4bK-scx-1"), None);
    }
}

//! Helpers shared by the integration tests.
#![allow(dead_code)]

use smartchat_relay::{
    Action, DeliverIm, DeliverSmRef, ImRequest, Imdn, MobileOriginated, Ready, RelayConfig,
    RelayShard, SessionId, Submit,
};

pub const T0: u64 = 1_000_000;
pub const ALICE: &str = "sip:alice@example.com";
pub const BOB: &str = "sip:bob@example.com";
pub const CAROL: &str = "sip:carol@example.com";
pub const BOB_PHONE: &str = "+8613800000002";

pub fn shard() -> RelayShard {
    RelayShard::new(RelayConfig::default(), T0).expect("valid config")
}

pub fn shard_with(cfg: RelayConfig) -> RelayShard {
    RelayShard::new(cfg, T0).expect("valid config")
}

pub fn im(from: &str, to: &str, text: &str) -> ImRequest {
    ImRequest {
        from_aor: from.into(),
        to_aor: to.into(),
        text: text.into(),
        content_type: "text/plain".into(),
        imdn: None,
        sip_call_id: "call-1".into(),
    }
}

pub fn im_with_imdn(from: &str, to: &str, text: &str) -> ImRequest {
    ImRequest {
        imdn: Some(Imdn {
            message_id: "imdn-1".into(),
            delivered: true,
            failed: true,
        }),
        ..im(from, to, text)
    }
}

pub fn mo(
    from_phone: &str,
    sender: Option<&str>,
    dest: &str,
    text: &str,
    seq: u32,
) -> MobileOriginated {
    MobileOriginated {
        source_msisdn: from_phone.into(),
        sender_aor: sender.map(Into::into),
        dest_address: dest.into(),
        text: text.into(),
        deliver_sm: DeliverSmRef {
            session: SessionId::new(0, 1),
            seq,
        },
    }
}

pub fn only_submit(r: &Ready) -> &Submit {
    let subs: Vec<&Submit> = r.submits().collect();
    assert_eq!(subs.len(), 1, "expected one Submit in {r:?}");
    subs[0]
}

pub fn only_delivery(r: &Ready) -> &DeliverIm {
    let d: Vec<&DeliverIm> = r.deliveries().collect();
    assert_eq!(d.len(), 1, "expected one DeliverIm in {r:?}");
    d[0]
}

/// Accepts an IM for Bob's phone and returns (id, number of parts).
pub fn accept(s: &mut RelayShard, text: &str, now: u64) -> (u64, usize) {
    let r = s
        .accept_im_for_sms(im(ALICE, BOB, text), BOB_PHONE, now)
        .expect("accepted");
    let sub = only_submit(&r);
    (sub.id, sub.parts.len())
}

pub fn has(r: &Ready, pred: impl Fn(&Action) -> bool) -> bool {
    r.after_persist.iter().any(pred)
}

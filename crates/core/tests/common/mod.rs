//! Helpers shared by the integration tests: a one-shard fixture with a few subscribers.
#![allow(dead_code)]

use smartchat_core::*;

pub const ALICE: &str = "sip:alice@example.com";
pub const BOB: &str = "sip:bob@example.com";
pub const CAROL: &str = "sip:carol@example.com";
pub const EVE: &str = "sip:eve@example.com";
pub const ALICE_TEL: &str = "+8613800000001";

pub fn sub(aor: &str, msisdn: Option<&str>, service: bool, buddies: &[&str]) -> Subscriber {
    Subscriber {
        aor: aor.into(),
        msisdn: msisdn.map(Into::into),
        service,
        password: "pw".into(),
        buddies: buddies.iter().map(|b| (*b).into()).collect(),
    }
}

pub fn config(interval_ms: u64) -> ShardConfig {
    ShardConfig {
        min_notify_interval_ms: interval_ms,
        ..ShardConfig::default()
    }
}

/// One shard owning everything, with alice (mobile-capable, watched by bob and carol),
/// bob (no msisdn) and carol (msisdn, service off). Effects from provisioning are drained.
pub fn shard_with(cfg: ShardConfig) -> PresenceShard {
    let mut s = PresenceShard::new(ShardId(0), ShardMap::new(1, 1).unwrap(), cfg).unwrap();
    s.add_subscriber(sub(ALICE, Some(ALICE_TEL), true, &[BOB, CAROL]))
        .unwrap();
    s.add_subscriber(sub(BOB, None, true, &[ALICE])).unwrap();
    s.add_subscriber(sub(CAROL, Some("+8613800000003"), false, &[]))
        .unwrap();
    drain(&mut s);
    s
}

pub fn shard() -> PresenceShard {
    shard_with(config(0))
}

pub fn drain(s: &mut PresenceShard) -> Vec<Effect> {
    let mut v = Vec::new();
    s.drain_effects(&mut v);
    v
}

pub fn notifies(s: &mut PresenceShard) -> Vec<Notify> {
    drain(s)
        .into_iter()
        .filter_map(|e| match e {
            Effect::Notify(n) => Some(n),
            _ => None,
        })
        .collect()
}

pub fn contact(uri: &str, expires: Option<u32>) -> ContactBinding {
    ContactBinding {
        uri: uri.into(),
        expires_secs: expires,
        q: None,
    }
}

pub fn reg(call_id: &str, cseq: u32, contacts: Vec<ContactBinding>) -> RegisterRequest {
    RegisterRequest {
        call_id: call_id.into(),
        cseq,
        expires_secs: None,
        contacts: RegisterContacts::Bindings(contacts),
    }
}

pub fn dialog(n: u32) -> DialogKey {
    DialogKey {
        call_id: format!("sub-{n}"),
        from_tag: format!("w{n}"),
        to_tag: format!("p{n}"),
    }
}

pub fn sub_req(presentity: &str, watcher: &str, n: u32, expires: Option<u32>) -> SubscribeRequest {
    SubscribeRequest {
        presentity: presentity.into(),
        watcher: watcher.into(),
        dialog: dialog(n),
        watcher_target: format!("sip:{n}@10.0.0.9"),
        expires_secs: expires,
        in_dialog: false,
    }
}

pub fn busy(b: bool) -> Option<PublishedState> {
    Some(PublishedState {
        busy: b,
        note: None,
    })
}

pub fn mobile(m: &str) -> Status {
    Status::Mobile { msisdn: m.into() }
}

pub const SEC: u64 = 1000;

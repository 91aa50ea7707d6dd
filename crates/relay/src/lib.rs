//! # smartchat-relay — the sans-IO store-and-forward core of one shard
//!
//! The decisions between "a SIP MESSAGE must go to SMS" and "the SMSC said delivered", and
//! between "an SMS arrived from a phone" and "it is an IM to the right chat" (CN101262453B
//! claims C3, C8, C9). No sockets, files or clocks: the runtime calls one method per input,
//! with the time as `now_ms`, and gets a [`Ready`] back.
//!
//! ## Why `Ready`
//! A message may be acknowledged (SIP 202, SMPP `deliver_sm_resp`) only once its WAL record is
//! durable (DESIGN.md "Durability"). Every output is therefore a [`Ready`]: records to persist,
//! then [`Action`]s that may leave only after the fsync. Nothing else leaves the relay.
//!
//! ## Flow
//! * IM → SMS: [`RelayShard::accept_im_for_sms`] → persist [`MessageRecord`] → `Ack202` +
//!   `Submit` → [`RelayShard::on_submitted`] / [`RelayShard::on_submit_failed`] →
//!   [`RelayShard::on_receipt`] → `Delivered` / `Failed` / `Expired` (+ IMDN) → `Final`.
//! * SMS → IM (C9): [`RelayShard::on_mobile_originated`] routes by `@user`, the conversation
//!   extension of the number dialled, or the last correspondent, else a help SMS; then
//!   `AckDeliverSm` + `DeliverIm` → [`RelayShard::on_im_outcome`].
//! * Held IMs: [`RelayShard::hold_im`] → [`RelayShard::on_register`] releases them in order.
//! * Time: [`RelayShard::on_timer`] at [`RelayShard::next_deadline`] (retries, expiries).
//! * Restart: [`RelayShard::recover`] from the records in LSN order; the WAL may drop a
//!   message's records once its `Final` is durable, and everything before a
//!   [`RelayShard::checkpoint`].
//!
//! ## Bounds
//! Non-final messages, held IMs per recipient, rate-bucket tables, conversation tables, early
//! receipts: all bounded by [`RelayConfig`]; a full table is [`RelayError::Full`] (503 /
//! `ESME_RMSGQFUL`) or, where forgetting is harmless, an LRU eviction.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod address;
mod config;
mod conversation;
mod error;
mod message;
mod mo;
mod ratelimit;
mod ready;
mod record;
mod recover;
mod shard;
mod smsc;
mod text;

pub use address::{parse_at_prefix, render, user_part, valid_aor, valid_msisdn, AtPrefix};
pub use config::{RateLimit, RelayConfig, RetryPolicy};
pub use conversation::Conversations;
pub use error::{Bound, ConfigError, RecordError, RelayError};
pub use message::{PartStatus, Pending, PendingPhase};
pub use mo::{ImOutcome, MobileOriginated, SMS_CONTENT_TYPE};
pub use ratelimit::RateTable;
pub use ready::{
    Action, DeliverIm, DeliverSmRef, ImdnStatus, Ready, SessionId, Submit, SubmitPart,
};
pub use record::{
    access_record, decode_record, encode_record, ArchivedRecord, ConversationRecord, FailReason,
    Imdn, MessageKind, MessageRecord, Record, State, StateChange,
};
pub use recover::{Recovery, Resubmission};
pub use shard::{ImRequest, RelayShard};
/// Receipt states as parsed by `smartchat_sms::parse_receipt`; [`RelayShard::on_receipt`]
/// takes them as they are.
pub use smartchat_sms::ReceiptStat;
pub use smsc::SubmitFailure;

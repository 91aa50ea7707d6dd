//! The SMSC simulator's protocol logic, sans-IO: [`Smsc`] holds what all connections share
//! (configuration, counters, message ids, the throttle, recorded submits, injected MOs) and
//! [`SmscConnection`] speaks SMPP 3.4 on one connection, with `&mut Smsc` passed in.
//!
//! Why a simulator inside the project: `smartchat serve` must work out of the box without a
//! carrier's SMSC, and load and flow-control tests need an SMSC that throttles on demand
//! (every Nth submit, or above a rate), answers with long ids, sends receipts after a delay and
//! injects MOs whose acknowledgement it waits for. It is a test and demo tool, so it favours
//! being predictable and observable (every accepted submit is recorded) over throughput.
//!
//! What it does, by SMPP 3.4 section:
//! - §4.1 binds of all three kinds, with credentials from [`SmscConfig::accounts`] (any when
//!   empty); wrong ones get ESME_RBINDFAIL and the connection is closed after the answer.
//! - §4.4 submit_sm → submit_sm_resp with a message id ([`MessageIdStyle`]), or
//!   ESME_RTHROTTLED for every `throttle_every`-th submit and above `max_rate_per_sec`.
//! - §4.6 deliver_sm: an Appendix B receipt with receipted_message_id and message_state TLVs
//!   `receipt_delay_ms` after a submit that asked for one (registered_delivery bits 1–0 = 01);
//!   MOs injected with [`Smsc::inject_mo`] (split into concatenated parts with a UDH when
//!   long) and, with `echo_mo`, an MO "MO reply: X" for every submitted text "echo X" like the
//!   third-party `smsc_sim.js`. deliver_sm waits in a bounded window for its deliver_sm_resp;
//!   a temporary error or a timeout redelivers it later, a bounded number of times.
//! - §4.11 enquire_link, §4.2 unbind; §4.3 generic_nack for what does not decode.

mod conn;
mod util;

use std::collections::VecDeque;

use smartchat_smpp::{Address, CommandStatus, Pdu, PduBody, SmppError, SubmitSm, Tlvs};
use smartchat_sms::{split_message, ConcatInfo, SmsError, SplitOptions};

pub use conn::{BindMode, SmscConnection};
pub use util::MessageIdStyle;
use util::{guess_ton_npi, TokenBucket};

/// One ESME account the simulator accepts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Account {
    /// §5.2.1 system_id.
    pub system_id: String,
    /// §5.2.2 password.
    pub password: String,
}

/// Simulator settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmscConfig {
    /// The system_id in bind responses.
    pub system_id: String,
    /// Accepted credentials; empty accepts any.
    pub accounts: Vec<Account>,
    /// Message id format.
    pub message_id_style: MessageIdStyle,
    /// Every Nth submit_sm (counted across connections) is answered ESME_RTHROTTLED; 0 = off.
    pub throttle_every: u32,
    /// Accepted submit_sm per second across connections (token bucket, one-second burst);
    /// above it ESME_RTHROTTLED; 0 = unlimited.
    pub max_rate_per_sec: u32,
    /// Delay between an accepted submit and its receipt (and its echo MO).
    pub receipt_delay_ms: u64,
    /// Answer a submitted text "echo X" with an MO "MO reply: X" (dest → source).
    pub echo_mo: bool,
    /// deliver_sm awaiting deliver_sm_resp per connection.
    pub deliver_window: usize,
    /// How long a deliver_sm may wait for its response before it counts as failed.
    pub response_timeout_ms: u64,
    /// Delay before a deliver_sm that failed temporarily is sent again.
    pub redeliver_delay_ms: u64,
    /// Sends of one deliver_sm before it is dropped.
    pub max_deliver_attempts: u32,
    /// Receipts and MOs scheduled per connection; more are dropped (and counted).
    pub max_scheduled: usize,
    /// Injected MOs waiting for a receiving connection.
    pub max_mo_queue: usize,
    /// Recorded submits kept (the oldest are dropped beyond it).
    pub max_records: usize,
    /// Simultaneous TCP connections of the server.
    pub max_connections: usize,
    /// Largest command_length accepted (§3.2).
    pub max_pdu_len: u32,
}

impl Default for SmscConfig {
    fn default() -> Self {
        SmscConfig {
            system_id: "SMARTCHAT-SIM".into(),
            accounts: Vec::new(),
            message_id_style: MessageIdStyle::HexCounter,
            throttle_every: 0,
            max_rate_per_sec: 0,
            receipt_delay_ms: 50,
            echo_mo: true,
            deliver_window: 64,
            response_timeout_ms: 10_000,
            redeliver_delay_ms: 1_000,
            max_deliver_attempts: 3,
            max_scheduled: 100_000,
            max_mo_queue: 10_000,
            max_records: 100_000,
            max_connections: 64,
            max_pdu_len: smartchat_smpp::DEFAULT_MAX_PDU_LEN,
        }
    }
}

/// One submit_sm the simulator accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedSubmit {
    /// The system_id of the connection it came on.
    pub system_id: String,
    /// The message id it was given.
    pub message_id: String,
    /// source_addr.
    pub source: String,
    /// destination_addr.
    pub dest: String,
    /// data_coding.
    pub data_coding: u8,
    /// esm_class.
    pub esm_class: u8,
    /// registered_delivery.
    pub registered_delivery: u8,
    /// short_message (or message_payload) as received, UDH included.
    pub short_message: Vec<u8>,
    /// The text after the UDH, decoded per data_coding; `None` for binary or undecodable data.
    pub text: Option<String>,
    /// Concatenation info from the UDH or the SAR TLVs.
    pub concat: Option<ConcatInfo>,
    /// When it was accepted (the caller's clock).
    pub at_ms: u64,
}

/// Everything the simulator counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SmscCounters {
    /// Connections opened.
    pub connections: u64,
    /// Successful binds.
    pub binds: u64,
    /// Refused binds.
    pub bind_failures: u64,
    /// submit_sm received while bound.
    pub submits: u64,
    /// submit_sm accepted (answered ESME_ROK).
    pub submits_accepted: u64,
    /// submit_sm answered ESME_RTHROTTLED.
    pub throttled: u64,
    /// Receipts sent (first send of each).
    pub receipts_sent: u64,
    /// MOs sent (first send of each part).
    pub mo_sent: u64,
    /// deliver_sm_resp received (any status).
    pub deliver_sm_resp: u64,
    /// deliver_sm dropped after failed attempts, or receipts with nowhere to go.
    pub deliveries_dropped: u64,
    /// deliver_sm whose response did not come in time.
    pub deliver_timeouts: u64,
    /// enquire_link answered.
    pub enquire_links: u64,
    /// unbind answered.
    pub unbinds: u64,
    /// generic_nack or error `_resp` sent for PDUs that did not decode or were not allowed.
    pub nacks_sent: u64,
    /// Recorded submits dropped because `max_records` was reached.
    pub records_dropped: u64,
    /// Connections refused because `max_connections` was reached.
    pub connections_refused: u64,
}

/// [`Smsc::inject_mo`] could not queue the MO.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InjectError {
    /// The text could not be split into SMS parts.
    #[error("cannot encode the MO text: {0}")]
    Text(#[from] SmsError),
    /// An address does not fit deliver_sm (more than 20 characters).
    #[error("cannot encode the MO deliver_sm: {0}")]
    Encode(#[from] SmppError),
    /// `max_mo_queue` MOs are already waiting.
    #[error("MO queue full ({capacity})")]
    QueueFull {
        /// The configured bound.
        capacity: usize,
    },
}

/// What a deliver_sm carries, for counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OutKind {
    Receipt,
    Mo,
}

/// A deliver_sm to send, encoded with sequence_number 0.
#[derive(Debug, Clone)]
pub(crate) struct Outbound {
    pub(crate) kind: OutKind,
    pub(crate) pdu: Vec<u8>,
    pub(crate) attempts: u32,
}

/// The simulator's shared state (see the module docs).
#[derive(Debug)]
pub struct Smsc {
    config: SmscConfig,
    counters: SmscCounters,
    records: VecDeque<RecordedSubmit>,
    next_id: u64,
    submits_seen: u64,
    bucket: TokenBucket,
    mo_queue: VecDeque<Outbound>,
    next_mo_ref: u16,
}

impl Smsc {
    /// A simulator with no connections yet.
    pub fn new(config: SmscConfig) -> Self {
        Smsc {
            bucket: TokenBucket::new(config.max_rate_per_sec),
            config,
            counters: SmscCounters::default(),
            records: VecDeque::new(),
            next_id: 1,
            submits_seen: 0,
            mo_queue: VecDeque::new(),
            next_mo_ref: 1,
        }
    }

    /// The configuration in force.
    pub fn config(&self) -> &SmscConfig {
        &self.config
    }

    /// The counters so far.
    pub fn counters(&self) -> SmscCounters {
        self.counters
    }

    /// Accepted submits, oldest first (at most `max_records`).
    pub fn submits(&self) -> Vec<RecordedSubmit> {
        self.records.iter().cloned().collect()
    }

    /// Injected MO parts not yet taken by a receiving connection.
    pub fn pending_mo(&self) -> usize {
        self.mo_queue.len()
    }

    /// Queues an SMS from `source_msisdn` to `dest_address` for the next bound receiver or
    /// transceiver; long texts become concatenated parts with a UDH (TS 23.040 §9.2.3.24.1).
    /// Returns the number of parts.
    pub fn inject_mo(
        &mut self,
        source_msisdn: &str,
        dest_address: &str,
        text: &str,
    ) -> Result<usize, InjectError> {
        let parts = self.build_mo(source_msisdn, dest_address, text)?;
        if self.mo_queue.len() + parts.len() > self.config.max_mo_queue {
            return Err(InjectError::QueueFull {
                capacity: self.config.max_mo_queue,
            });
        }
        let count = parts.len();
        self.mo_queue.extend(parts);
        Ok(count)
    }

    /// The deliver_sm PDUs of an MO, one per part.
    pub(crate) fn build_mo(
        &mut self,
        source: &str,
        dest: &str,
        text: &str,
    ) -> Result<Vec<Outbound>, InjectError> {
        let reference = self.next_mo_ref;
        self.next_mo_ref = self.next_mo_ref.wrapping_add(1);
        let options = SplitOptions {
            reference,
            ..SplitOptions::default()
        };
        let (source_ton, source_npi) = guess_ton_npi(source);
        let (dest_ton, dest_npi) = guess_ton_npi(dest);
        split_message(text, &options)?
            .into_iter()
            .map(|part| {
                let pdu = Pdu {
                    sequence_number: 0,
                    command_status: CommandStatus::Ok,
                    body: PduBody::DeliverSm(SubmitSm {
                        service_type: "",
                        source: Address {
                            ton: source_ton,
                            npi: source_npi,
                            addr: source,
                        },
                        dest: Address {
                            ton: dest_ton,
                            npi: dest_npi,
                            addr: dest,
                        },
                        esm_class: if part.esm_class_udhi { 0x40 } else { 0 },
                        protocol_id: 0,
                        priority_flag: 0,
                        schedule_delivery_time: "",
                        validity_period: "",
                        registered_delivery: 0,
                        replace_if_present_flag: 0,
                        data_coding: part.data_coding,
                        sm_default_msg_id: 0,
                        short_message: &part.short_message,
                        tlvs: Tlvs::default(),
                    }),
                };
                let mut bytes = Vec::new();
                pdu.encode(&mut bytes)?;
                Ok(Outbound {
                    kind: OutKind::Mo,
                    pdu: bytes,
                    attempts: 0,
                })
            })
            .collect()
    }

    /// Decides a submit_sm's fate: a message id (recorded) or the error status to answer.
    pub(crate) fn accept_submit(
        &mut self,
        system_id: &str,
        sm: &SubmitSm<'_>,
        decoded: (Option<String>, Option<ConcatInfo>),
        now: u64,
    ) -> Result<String, CommandStatus> {
        self.counters.submits += 1;
        self.submits_seen += 1;
        let every = u64::from(self.config.throttle_every);
        if self.submits_seen.checked_rem(every) == Some(0) || !self.bucket.take(now) {
            self.counters.throttled += 1;
            return Err(CommandStatus::Throttled);
        }
        let message_id = self.config.message_id_style.format(self.next_id);
        self.next_id += 1;
        self.counters.submits_accepted += 1;
        if self.records.len() >= self.config.max_records {
            self.records.pop_front();
            self.counters.records_dropped += 1;
        }
        if self.config.max_records > 0 {
            let (text, concat) = decoded;
            self.records.push_back(RecordedSubmit {
                system_id: system_id.to_owned(),
                message_id: message_id.clone(),
                source: sm.source.addr.to_owned(),
                dest: sm.dest.addr.to_owned(),
                data_coding: sm.data_coding,
                esm_class: sm.esm_class,
                registered_delivery: sm.registered_delivery,
                short_message: sm.tlvs.message_payload.unwrap_or(sm.short_message).to_vec(),
                text,
                concat,
                at_ms: now,
            });
        }
        Ok(message_id)
    }

    pub(crate) fn counters_mut(&mut self) -> &mut SmscCounters {
        &mut self.counters
    }

    pub(crate) fn take_mo(&mut self) -> Option<Outbound> {
        self.mo_queue.pop_front()
    }

    /// MOs a closed connection never got answered go back to the head of the queue.
    pub(crate) fn return_mo(&mut self, item: Outbound) {
        self.mo_queue.push_front(item);
    }
}

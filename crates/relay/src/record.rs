//! The records the runtime appends to the shard's WAL, and their rkyv archived form.
//!
//! Why three record kinds and no "message updated" blob: a message is written once
//! ([`MessageRecord`]) and then only its *state changes* are appended ([`StateChange`]), so a
//! record is small (~200 B), never rewritten, and recovery is a fold in LSN order. The WAL may
//! reclaim everything about a message once its final state is durable ([`crate::Action::Final`]).
//! [`ConversationRecord`]s keep the C9 extension table across restarts; they are superseded by
//! later ones for the same (phone, extension) and by [`crate::RelayShard::checkpoint`].
//!
//! Why rkyv with bytecheck: recovery reads millions of records *in place* ([`access_record`]
//! validates, no deserialisation pass); only the non-final ones are turned into owned state.
//!
//! Why the SMS text is stored formatted: `text` of an [`MessageKind::ImToSms`] message is the
//! exact SMS body (template applied), so a resubmission after a restart splits into the same
//! parts even if the template changed in between.

use rkyv::{rancor, util::AlignedVec, Archive, Deserialize, Serialize};

use crate::error::RecordError;

/// What a message is.
#[derive(Archive, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[rkyv(derive(Debug, PartialEq, Eq))]
#[rkyv(compare(PartialEq))]
pub enum MessageKind {
    /// An IM for a *mobile* user, sent as SMS (C3, C8).
    ImToSms,
    /// An SMS from a phone, delivered as an IM (C9).
    SmsToIm,
    /// An IM for an offline user without the service, held until they register (msilo).
    HeldIm,
    /// A service SMS to a phone (help, "no such user"); never IMDN'd, never retried forever.
    Help,
}

/// What the sender asked for in `Disposition-Notification` (RFC 5438 §6.2).
#[derive(Archive, Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[rkyv(derive(Debug))]
pub struct Imdn {
    /// The IM's `imdn.Message-ID`.
    pub message_id: String,
    /// `positive-delivery` requested.
    pub delivered: bool,
    /// `negative-delivery` requested.
    pub failed: bool,
}

/// One accepted message; written once, before the sender is acknowledged.
#[derive(Archive, Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[rkyv(derive(Debug))]
pub struct MessageRecord {
    /// Shard-unique id.
    pub id: u64,
    /// What it is.
    pub kind: MessageKind,
    /// Sender: the IM user's AOR (for SMS→IM the phone owner's AOR; empty for `Help`).
    pub from_aor: String,
    /// Recipient AOR (the correspondent; empty for `Help`).
    pub to_aor: String,
    /// Destination MSISDN for the SMS kinds.
    pub to_msisdn: Option<String>,
    /// The phone an `SmsToIm` came from.
    pub from_msisdn: Option<String>,
    /// SMS source address (access number + conversation extension) for the SMS kinds.
    pub source_address: Option<String>,
    /// Payload as delivered: the formatted SMS body, or the IM body.
    pub text: String,
    /// MIME type of an IM body (`text/plain;charset=UTF-8` for SMS-originated text).
    pub content_type: String,
    /// IMDN request of the sender.
    pub imdn: Option<Imdn>,
    /// Call-ID of the SIP MESSAGE that carried it (for logs and duplicate detection).
    pub sip_call_id: String,
    /// When it was accepted.
    pub accepted_at_ms: u64,
    /// SMS: validity end; held IM: hold end.
    pub validity_until_ms: u64,
}

/// Why a message failed.
#[derive(Archive, Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[rkyv(derive(Debug))]
pub enum FailReason {
    /// `submit_sm_resp` with a permanent error status.
    SubmitRejected {
        /// The SMPP command_status.
        command_status: u32,
    },
    /// A receipt said the part was not delivered (`UNDELIV`, `REJECTD`, `DELETED`, ...).
    Receipt {
        /// The `stat` value as received.
        stat: String,
    },
    /// `RetryPolicy::max_attempts` temporary failures of one part.
    RetriesExhausted,
    /// The IM recipient does not exist.
    NoSuchUser,
    /// The IM was refused permanently by the recipient's side.
    Rejected,
}

/// The state a [`StateChange`] moves a message (or one of its parts) to.
#[derive(Archive, Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[rkyv(derive(Debug))]
pub enum State {
    /// Accepted (implied by the [`MessageRecord`]; kept for completeness of the state set).
    Accepted,
    /// `submit_sm_resp` OK for one part (0-based) with the SMSC's id.
    Submitted {
        /// 0-based part index.
        part: u8,
        /// The SMSC `message_id` (1..=64 bytes).
        smsc_message_id: String,
    },
    /// A receipt said this part was delivered (the message is not yet: other parts pending).
    PartDelivered {
        /// 0-based part index.
        part: u8,
    },
    /// A temporary failure of one part; it is retried at `next_at_ms`.
    Retry {
        /// 0-based part index.
        part: u8,
        /// Submissions of this part so far.
        attempt: u16,
        /// When the next submission is due.
        next_at_ms: u64,
    },
    /// The IM recipient is offline; the message waits for a REGISTER until `until_ms`.
    Held {
        /// Hold end.
        until_ms: u64,
    },
    /// Final: delivered (every part, for SMS).
    Delivered,
    /// Final: failed.
    Failed {
        /// Why.
        reason: FailReason,
    },
    /// Final: validity (or hold time) ended before delivery.
    Expired,
    /// Final: every part was submitted but no final receipt came before validity + grace.
    Unconfirmed,
    /// Final: handed over as the new message `new_id` (an SMS→IM whose recipient is mobile).
    Forwarded {
        /// The SMS message that carries it on.
        new_id: u64,
    },
}

impl State {
    /// True for the states after which nothing more happens to the message.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            State::Delivered
                | State::Failed { .. }
                | State::Expired
                | State::Unconfirmed
                | State::Forwarded { .. }
        )
    }
}

impl ArchivedState {
    /// [`State::is_final`] on the archived form, without deserialising.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            ArchivedState::Delivered
                | ArchivedState::Failed { .. }
                | ArchivedState::Expired
                | ArchivedState::Unconfirmed
                | ArchivedState::Forwarded { .. }
        )
    }
}

/// A state change of message `id`.
#[derive(Archive, Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[rkyv(derive(Debug))]
pub struct StateChange {
    /// The message.
    pub id: u64,
    /// Its new state.
    pub state: State,
    /// When.
    pub at_ms: u64,
}

/// Extension `extension` of phone `msisdn` now names `correspondent` (C9).
#[derive(Archive, Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[rkyv(derive(Debug))]
pub struct ConversationRecord {
    /// The phone.
    pub msisdn: String,
    /// The extension number (< 10^extension_digits).
    pub extension: u16,
    /// The IM user a reply to `access_number + extension` goes to.
    pub correspondent: String,
    /// When the pair was last used.
    pub at_ms: u64,
}

/// One WAL record.
#[derive(Archive, Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[rkyv(derive(Debug))]
pub enum Record {
    /// A newly accepted message.
    Message(MessageRecord),
    /// A state change of a message.
    State(StateChange),
    /// A conversation-extension assignment.
    Conversation(ConversationRecord),
}

impl Record {
    /// The message the record is about (`None` for conversation records).
    pub fn message_id(&self) -> Option<u64> {
        match self {
            Record::Message(m) => Some(m.id),
            Record::State(s) => Some(s.id),
            Record::Conversation(_) => None,
        }
    }

    /// Copies an archived record into an owned one.
    pub fn from_archived(archived: &ArchivedRecord) -> Record {
        // Strings, options, integers: deserialising a validated archive cannot fail.
        rkyv::deserialize::<Record, rancor::Error>(archived)
            .expect("deserialising a validated record cannot fail")
    }
}

impl ArchivedRecord {
    /// [`Record::message_id`] on the archived form, without deserialising (recovery indexes
    /// WAL positions by message with it).
    pub fn message_id(&self) -> Option<u64> {
        match self {
            ArchivedRecord::Message(m) => Some(m.id.to_native()),
            ArchivedRecord::State(s) => Some(s.id.to_native()),
            ArchivedRecord::Conversation(_) => None,
        }
    }
}

/// The relay's records in the WAL: kind 1, layout version 1. Bump `VERSION` whenever the
/// archived layout of [`Record`] (or anything inside it) changes.
impl smartchat_wal::RecordSchema for Record {
    const KIND: u8 = 1;
    const VERSION: u32 = 1;
}

/// Serialises a record for the WAL: the schema tag, then the archive. The bytes must be read
/// back from a 16-aligned buffer.
pub fn encode_record(record: &Record) -> AlignedVec {
    use smartchat_wal::RecordSchema;
    let mut bytes = AlignedVec::<16>::new();
    bytes.extend_from_slice(&smartchat_wal::typed::schema_tag(Record::VERSION));
    // Archives are position-independent, so the archive may follow the 16-byte tag.
    rkyv::api::high::to_bytes_in::<_, rancor::Error>(record, bytes)
        .expect("serialising strings and integers cannot fail")
}

/// Checks the schema tag, validates the archive (bytecheck) and returns it in place.
/// `bytes` must be aligned as [`encode_record`] produced them (16 bytes is always enough).
/// Integrity is the WAL record crc's job; see `smartchat_wal::typed` for what validation does.
pub fn access_record(bytes: &[u8]) -> Result<&ArchivedRecord, RecordError> {
    use smartchat_wal::RecordSchema;
    let archive =
        smartchat_wal::typed::check_tag(bytes, Record::VERSION).map_err(RecordError::Schema)?;
    rkyv::access::<ArchivedRecord, rancor::Error>(archive).map_err(RecordError::Invalid)
}

/// Validates and copies record bytes from a buffer of any alignment.
pub fn decode_record(bytes: &[u8]) -> Result<Record, RecordError> {
    let mut aligned = AlignedVec::<16>::with_capacity(bytes.len());
    aligned.extend_from_slice(bytes);
    access_record(&aligned).map(Record::from_archived)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message() -> Record {
        Record::Message(MessageRecord {
            id: 42,
            kind: MessageKind::ImToSms,
            from_aor: "sip:alice@example.com".into(),
            to_aor: "sip:bob@example.com".into(),
            to_msisdn: Some("+8613800000001".into()),
            from_msisdn: None,
            source_address: Some("1065907".into()),
            text: "alice: hello".into(),
            content_type: "text/plain".into(),
            imdn: Some(Imdn {
                message_id: "m1".into(),
                delivered: true,
                failed: false,
            }),
            sip_call_id: "c1".into(),
            accepted_at_ms: 1,
            validity_until_ms: 2,
        })
    }

    #[test]
    fn records_round_trip_through_the_archive() {
        let recs = [
            message(),
            Record::State(StateChange {
                id: 42,
                state: State::Submitted {
                    part: 1,
                    smsc_message_id: "abc".into(),
                },
                at_ms: 5,
            }),
            Record::State(StateChange {
                id: 42,
                state: State::Failed {
                    reason: FailReason::Receipt {
                        stat: "UNDELIV".into(),
                    },
                },
                at_ms: 6,
            }),
            Record::Conversation(ConversationRecord {
                msisdn: "+8613800000001".into(),
                extension: 7,
                correspondent: "sip:alice@example.com".into(),
                at_ms: 9,
            }),
        ];
        for r in recs {
            let bytes = encode_record(&r);
            let archived = access_record(&bytes).expect("valid");
            assert_eq!(Record::from_archived(archived), r);
            assert_eq!(decode_record(&bytes).expect("valid"), r);
        }
    }

    #[test]
    fn archived_final_matches_owned() {
        let r = Record::State(StateChange {
            id: 1,
            state: State::Expired,
            at_ms: 0,
        });
        let bytes = encode_record(&r);
        match access_record(&bytes).expect("valid") {
            ArchivedRecord::State(s) => assert!(s.state.is_final()),
            other => panic!("unexpected {other:?}"),
        }
        assert!(!State::Held { until_ms: 1 }.is_final());
    }

    #[test]
    fn garbage_is_rejected_not_misread() {
        let bytes = encode_record(&message());
        let mut torn = bytes.to_vec();
        torn.truncate(torn.len() / 2);
        assert!(decode_record(&torn).is_err());
        // Untagged bytes are refused by the missing tag, whatever bytecheck would say of them.
        assert!(matches!(
            decode_record(&[0xFF; 64]),
            Err(RecordError::Schema(smartchat_wal::WalError::SchemaTag))
        ));
    }

    #[test]
    fn a_record_of_another_layout_version_is_refused_by_its_tag() {
        let bytes = encode_record(&message());
        let mut newer = bytes.to_vec();
        newer[4..8].copy_from_slice(&2u32.to_le_bytes());
        assert!(matches!(
            decode_record(&newer),
            Err(RecordError::Schema(
                smartchat_wal::WalError::SchemaVersion {
                    expected: 1,
                    found: 2
                }
            ))
        ));
        assert_eq!(decode_record(&bytes).expect("own version"), message());
    }
}

//! SMPP 3.4 codec for smartchat's SMS leg: framing, decoding and encoding of the PDUs an ESME
//! and a simulated SMSC exchange (binds, submit_sm, deliver_sm incl. delivery receipts,
//! enquire_link, unbind, generic_nack, outbind).
//!
//! Why it looks the way it does:
//! - **Sans-IO.** No sockets, clocks or threads: the runtime feeds octets in and gets octets
//!   out, so the codec is testable from captured vectors, fuzzable and benchmarkable.
//! - **Zero-copy decoding.** A [`Pdu`] borrows its strings and payloads from the receive
//!   buffer; only unknown TLVs allocate (one `Vec` entry each).
//! - **Network input never panics.** Every read is bounds-checked, every C-octet string scan is
//!   bounded by the field's limit, and [`frame_len`] rejects absurd command_length values
//!   before the caller buffers anything.
//! - **Errors answer the peer.** SMPP requires an answer to every request, even a broken one;
//!   [`SmppError::reply`] says which `_resp`/generic_nack, sequence_number and status to send.
//!
//! Deviations from the letter of SMPP 3.4, all on the lenient side for input:
//! - message_id / receipted_message_id keep the table's 65-octet limit (64 characters + NUL),
//!   never the 9/10 characters of SMPP 3.3 and of the Appendix B receipt text, so that SMSCs
//!   handing out UUIDs work.
//! - receipted_message_id is accepted without its NUL (encoded with it).
//! - Error responses without body (submit_sm_resp, deliver_sm_resp, bind_*_resp) decode with
//!   empty fields; TLVs appended to submit_sm_resp/deliver_sm_resp (SMPP 5.0 style) are
//!   checked and dropped; C-octet strings may be UTF-8, not only ASCII.
//! - schedule_delivery_time / validity_period are only length-checked (≤ 16 characters), not
//!   parsed as §7.1 time formats.
//!
//! A receive loop, in outline:
//!
//! ```
//! use smartchat_smpp::{decode, frame_len, PduBody, DEFAULT_MAX_PDU_LEN};
//!
//! // An enquire_link (§4.11.1) followed by the first half of another PDU.
//! let mut received = vec![0, 0, 0, 16, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 7];
//! received.extend_from_slice(&[0, 0, 0, 16, 0, 0]);
//! let mut answers = Vec::new();
//! while let Some(len) = frame_len(&received, DEFAULT_MAX_PDU_LEN)? {
//!     match decode(&received[..len]) {
//!         Ok(pdu) if pdu.body == PduBody::EnquireLink => {
//!             let resp = smartchat_smpp::Pdu { body: PduBody::EnquireLinkResp, ..pdu };
//!             resp.encode(&mut answers)?;
//!         }
//!         Ok(_) => { /* hand to the session state machine */ }
//!         Err(error) => {
//!             if let Some(reply) = error.reply() {
//!                 reply.to_pdu().encode(&mut answers)?;
//!             }
//!         }
//!     }
//!     received.drain(..len);
//! }
//! assert_eq!(received.len(), 6); // waits for the rest
//! assert_eq!(answers, [0, 0, 0, 16, 0x80, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 7]);
//! # Ok::<(), smartchat_smpp::SmppError>(())
//! ```

mod body;
mod command;
mod cstring;
mod error;
mod field;
mod framing;
mod header;
mod pdu;
mod status;
mod tlv;
mod wire;

pub use body::MAX_SHORT_MESSAGE_LEN;
pub use command::{CommandId, UnknownCommandId, RESPONSE_BIT};
pub use error::{BodyError, ErrorReply, SmppError};
pub use field::Field;
pub use framing::{frame_len, DEFAULT_MAX_PDU_LEN};
pub use header::{PduHeader, HEADER_LEN};
pub use pdu::{decode, Address, Bind, BindResp, Pdu, PduBody, SubmitSm};
pub use status::CommandStatus;
pub use tlv::{
    MessageState, Tlvs, TAG_MESSAGE_PAYLOAD, TAG_MESSAGE_STATE, TAG_NETWORK_ERROR_CODE,
    TAG_RECEIPTED_MESSAGE_ID, TAG_SAR_MSG_REF_NUM, TAG_SAR_SEGMENT_SEQNUM, TAG_SAR_TOTAL_SEGMENTS,
    TAG_SC_INTERFACE_VERSION, TLV_HEADER_LEN,
};

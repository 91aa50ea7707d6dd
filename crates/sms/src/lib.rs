//! SMS text layer of smartchat: what turns an IM body into SMPP `short_message` octets and
//! back, with no I/O of its own (sans-IO; time comes in as `now_ms`).
//!
//! - [`gsm7`]: GSM 03.38 default alphabet and extension table, packed and unpacked septets
//!   (3GPP TS 23.038 §6.2.1, §6.2.1.1, §6.1.2.1.1).
//! - [`ucs2`]: big-endian UTF-16 for `data_coding` 0x08, surrogate pairs included.
//! - [`coding`]: choosing and decoding SMPP `data_coding` values.
//! - [`concat`]: splitting into concatenated parts and reading the UDH (TS 23.040 §9.2.3.24).
//! - [`reassembly`]: bounded reassembly of received parts (UDH or SAR TLVs).
//! - [`receipt`]: tolerant delivery-receipt text parsing (SMPP 3.4 Appendix B).
//!
//! ```
//! use smartchat_sms::*;
//!
//! let text = "Hej, år: {5€} ".repeat(12); // 17 septets each ({ € } take 2): 204 → 2 parts
//! let opts = SplitOptions { reference: 7, ..SplitOptions::default() };
//! let parts = split_message(&text, &opts)?;
//! assert_eq!((parts.len(), parts[0].data_coding, parts[0].esm_class_udhi), (2, 0x00, true));
//!
//! let mut reassembler = Reassembler::new(1024, 300_000);
//! let mut whole = None;
//! for (now_ms, p) in (0u64..).zip(&parts) {
//!     let rx = decode_short_message(p.data_coding, &p.short_message, true, opts.packing)?;
//!     if let (Some(info), Payload::Text(t)) = (rx.concat, rx.payload) {
//!         whole = reassembler.push("+15551234", info, t, now_ms)?;
//!     }
//! }
//! assert_eq!(whole.as_deref(), Some(text.as_str()));
//!
//! let r = parse_receipt("id:2A sub:001 dlvrd:001 submit date:2611281200 done date:2611281200 stat:DELIVRD err:000 text:hi")?;
//! assert!(r.stat.is_final());
//! # Ok::<(), SmsError>(())
//! ```
//!
//! Why it is its own crate: everything here reads network input, so it is kept free of the
//! runtime to be unit-, property- and fuzz-tested from a seed, and it never panics on input.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod coding;
pub mod concat;
pub mod error;
pub mod gsm7;
pub mod reassembly;
pub mod receipt;
pub mod ucs2;

pub use coding::{
    choose_coding, decode_payload, decode_short_message, decode_text, decode_text_with_fill,
    DataCoding, Payload, ReceivedPart, SeptetPacking,
};
pub use concat::{
    fill_bits_for_udh, parse_udh, split_message, split_message_as, split_udh, ConcatInfo, RefWidth,
    SmsPart, SplitOptions, UdhView, ESM_CLASS_UDHI,
};
pub use error::SmsError;
pub use gsm7::{
    gsm7_decode_unpacked, gsm7_encode_packed, gsm7_encode_unpacked, gsm7_pack, gsm7_septet_len,
    gsm7_unpack, gsm7_unpack_implied, gsm7_unrepresentable,
};
pub use reassembly::{PartialMessage, Reassembler, ReassemblyLimits};
pub use receipt::{parse_receipt, DeliveryReceipt, ReceiptDate, ReceiptStat};
pub use ucs2::{ucs2_decode, ucs2_decode_strict, ucs2_encode, ucs2_len};

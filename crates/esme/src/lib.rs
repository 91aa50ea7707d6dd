//! smartchat's SMPP 3.4 peers, both sides of the SMS leg:
//!
//! - [`esme`]: the **ESME session** a shard runs towards its SMSC — bind, a bounded submit
//!   window with back-pressure, delivery receipts and mobile-originated SMS, enquire_link
//!   keep-alive and reconnection with backoff. It is sans-IO (bytes in, bytes and events out,
//!   time passed in as milliseconds) so the shard's glommio runtime owns the socket and the
//!   tests own the clock.
//! - [`smsc`]: the **SMSC simulator**'s protocol logic, equally sans-IO: what `smartchat serve`
//!   talks to out of the box and what load tests aim at; it throttles, rate-limits, emits
//!   receipts and injects MOs on demand so the ESME's flow control can be exercised.
//! - [`server`]: a small std-threads TCP server around [`smsc`], for demos and tests.
//!
//! Why both sides live in one crate: the simulator is the ESME's first conversation partner,
//! and every behaviour of one (a throttle, a receipt, an MO that waits for its ack) is a test
//! of the other. The wire format is `smartchat-smpp`'s; the SMS text layer (GSM 03.38, UDH,
//! receipt text) is `smartchat-sms`'s.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod esme;
mod frame;
pub mod server;
pub mod smsc;

pub use esme::{
    AckError, ConfigError, DeliverSeq, DisconnectReason, EsmeConfig, EsmeEvent, EsmeSession,
    EsmeStats, OwnedAddress, ResendReason, Sar, SessionState, SubmitError, SubmitRequest,
};
pub use server::{SmscHandle, SmscServer};
pub use smsc::{
    Account, BindMode, InjectError, MessageIdStyle, RecordedSubmit, Smsc, SmscConfig,
    SmscConnection, SmscCounters,
};

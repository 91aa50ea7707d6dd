//! smartchat: a presence-aware messaging dataplane (patent CN101262453B on SIP SIMPLE + SMPP).
//!
//! Layers, from the wire inwards:
//! - codecs (`smartchat-sip`, `-smpp`, `-sms`, `-pidf`, `-auth` crates): sans-IO, fuzzed;
//! - the presence core (`smartchat-core`): subscribers, registrar, presence, watchers — sans-IO;
//! - [`service`]: one shard's SIP service — transactions, auth, routing — sans-IO;
//! - [`runtime`]: glommio executors, sockets and the channel mesh — the only layer with IO.

pub mod admin_token;
pub mod cli;
pub mod config;
pub mod logging;
pub mod metrics;
pub mod runtime;
pub mod service;
pub mod status_view;
pub mod store;

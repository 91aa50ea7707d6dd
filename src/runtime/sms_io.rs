//! The SMS side's I/O on one shard: the WAL (glommio DMA files, one write + fdatasync per
//! group-commit batch), recovery at start-up, and the SMPP connection to the SMSC.
//!
//! Group commit needs no timer here: the WAL task writes whatever accumulated while the previous
//! fdatasync was in flight, so under load batches grow by themselves and at idle a lone record
//! is written at once (latency ≈ one fdatasync).

use super::shard::ShardRuntime;
use super::ShardContext;
use crate::service::sms::{SmsState, RECORD_KIND_RELAY};
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use glommio::channels::local_channel::{self, LocalReceiver, LocalSender};
use glommio::net::TcpStream;
use smartchat_esme::{EsmeConfig, EsmeSession};
use smartchat_relay::{ArchivedRecord, RelayConfig, RelayShard};
use smartchat_wal::io::WalWriter;
use smartchat_wal::{Lsn, WalConfig};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, FromRawFd};
use std::rc::Rc;
use std::time::Duration;

/// Outbound SMPP bytes queued for the writer before back-pressure.
const SMSC_WRITE_QUEUE: usize = 4096;

/// Relay configuration from the node's `[sms]` section.
pub(crate) fn relay_config(ctx: &ShardContext) -> RelayConfig {
    let sms = &ctx.config.sms;
    let mut cfg = RelayConfig {
        domain: ctx.config.sip.domain.clone(),
        access_number: sms.access_number.clone(),
        extension_digits: sms.extension_digits,
        template: sms.template.clone(),
        validity_ms: sms.validity_secs.saturating_mul(1000),
        last_correspondent_window_ms: sms.last_correspondent_window_secs.saturating_mul(1000),
        hold_ms: sms.hold_secs.saturating_mul(1000),
        max_sms_parts: sms.max_parts,
        help_text: sms.help_text.clone(),
        ..RelayConfig::default()
    };
    cfg.msisdn_rate.per_minute = sms.recipient_per_minute;
    cfg.msisdn_rate.burst = sms.recipient_burst;
    cfg.sender_rate.per_minute = sms.sender_per_minute;
    cfg.sender_rate.burst = sms.sender_burst;
    cfg
}

fn wal_config(ctx: &ShardContext) -> WalConfig {
    WalConfig {
        segment_size: ctx.config.wal.segment_mib.max(1) << 20,
        max_segments: ctx.config.wal.max_segments,
        max_delay_us: ctx.config.wal.max_batch_delay_us,
        ..WalConfig::default()
    }
}

/// Opens this shard's WAL, recovers the relay from it and builds the ESME session.
pub(crate) async fn open(
    ctx: &ShardContext,
    wall_ms: u64,
) -> Result<(SmsState, WalWriter), String> {
    let dir = crate::store::shard_dir(&ctx.config.server.data_dir, ctx.id).join("wal");
    let opened = WalWriter::open::<u64>(&dir, ctx.id as u32, wal_config(ctx))
        .await
        .map_err(|e| format!("WAL {}: {e}", dir.display()))?;
    let report = opened.recovered.report();
    if let Some(torn) = &report.torn_tail {
        tracing::warn!(
            shard = ctx.id,
            ?torn,
            "WAL had a torn tail; recovered up to it"
        );
    }
    let mut archived: Vec<&ArchivedRecord> = Vec::new();
    let mut lsns: HashMap<u64, Vec<Lsn>> = HashMap::new();
    let mut loose: Vec<Lsn> = Vec::new();
    for record in opened.recovered.records() {
        if record.kind != RECORD_KIND_RELAY {
            continue;
        }
        match smartchat_relay::access_record(record.payload) {
            Ok(r) => {
                match r.message_id() {
                    Some(id) => lsns.entry(id).or_default().push(record.lsn),
                    None => loose.push(record.lsn),
                }
                archived.push(r);
            }
            Err(e) => {
                tracing::error!(shard = ctx.id, lsn = record.lsn, error = %e, "unreadable WAL record skipped")
            }
        }
    }
    let (relay, recovery) = RelayShard::recover_archived(relay_config(ctx), archived, wall_ms)
        .map_err(|e| format!("relay configuration: {e}"))?;
    tracing::info!(
        shard = ctx.id,
        in_flight = recovery.in_flight,
        resubmitted = recovery.resubmitted.len(),
        redelivered = recovery.redelivered.len(),
        "store-and-forward recovered"
    );
    for resubmission in &recovery.resubmitted {
        tracing::warn!(shard = ctx.id, id = resubmission.id, parts = ?resubmission.parts, "resubmitting: the SMSC never answered these parts before the restart");
    }
    let Opened {
        writer, mut wal, ..
    } = opened;
    let in_flight: std::collections::HashSet<u64> = relay.in_flight_ids().collect();
    lsns.retain(|id, ids| {
        if in_flight.contains(id) {
            return true;
        }
        for lsn in ids.iter() {
            let _ = wal.mark_final(*lsn);
        }
        false
    });
    // Conversation assignments stay live until the next checkpoint supersedes them.
    let smsc = &ctx.config.smsc;
    let esme = EsmeSession::new(EsmeConfig {
        system_id: smsc.system_id.clone(),
        password: smsc.password.clone(),
        system_type: smsc.system_type.clone(),
        window: smsc.window.max(1),
        enquire_link_interval_ms: smsc.enquire_link_interval_ms,
        response_timeout_ms: smsc.response_timeout_ms,
        ..EsmeConfig::default()
    })
    .map_err(|e| format!("SMSC session configuration: {e}"))?;
    Ok((
        SmsState::new(relay, esme, wal, recovery.ready, lsns, loose),
        writer,
    ))
}

use smartchat_wal::io::Opened;

/// The WAL writer task: commits batches as the doorbell rings.
pub(crate) async fn wal_loop(
    rt: Rc<ShardRuntime>,
    mut writer: WalWriter,
    doorbell: LocalReceiver<()>,
) {
    while doorbell.recv().await.is_some() {
        loop {
            let batch = rt.service.borrow_mut().wal_flush(rt.now_ms());
            let Some(batch) = batch else { break };
            match writer.commit(batch).await {
                Ok(durable) => {
                    let out = rt.service.borrow_mut().on_wal_durable(durable, rt.now_ms());
                    rt.execute(out).await;
                }
                Err(failed) => {
                    tracing::error!(shard = rt.id, error = %failed.error, "WAL commit failed; refusing the batch");
                    // Every error but a caller's ordering bug leaves the writer poisoned.
                    if !matches!(failed.error, smartchat_wal::WalError::OutOfOrder { .. }) {
                        if let Some(liveness) = rt.liveness() {
                            liveness.wal_poisoned();
                        }
                    }
                    let out = rt
                        .service
                        .borrow_mut()
                        .on_wal_failed(failed.tokens, rt.now_ms());
                    rt.execute(out).await;
                }
            }
        }
        let reclaim: Vec<_> = rt.wal_reclaim.borrow_mut().drain(..).collect();
        if !reclaim.is_empty() {
            match writer.remove_segments(&reclaim).await {
                Ok(n) => tracing::debug!(shard = rt.id, removed = n, "WAL segments reclaimed"),
                Err(e) => tracing::warn!(shard = rt.id, error = %e, "WAL reclaim failed"),
            }
        }
    }
}

/// A doorbell for the WAL task (capacity 1: a ring while one is pending is redundant).
pub(crate) fn doorbell() -> (LocalSender<()>, LocalReceiver<()>) {
    local_channel::new_bounded(1)
}

/// Keeps this shard's SMPP session connected to the SMSC, moving bytes both ways.
pub(crate) async fn smsc_loop(rt: Rc<ShardRuntime>, smsc: SocketAddr) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        glommio::timer::sleep(Duration::from_millis(20)).await;
        if !rt.service.borrow().smsc_wants_connect(rt.now_ms()) {
            continue;
        }
        let stream = match TcpStream::connect_timeout(smsc, Duration::from_secs(5)).await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(shard = rt.id, %smsc, error = %e, "cannot reach the SMSC");
                rt.service.borrow_mut().smsc_connect_failed(rt.now_ms());
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        // SAFETY: dup() returns a new descriptor that from_raw_fd takes ownership of.
        let dup = unsafe { libc::dup(stream.as_raw_fd()) };
        if dup < 0 {
            rt.service.borrow_mut().smsc_connect_failed(rt.now_ms());
            continue;
        }
        let mut writer = unsafe { TcpStream::from_raw_fd(dup) };
        let (tx, rx) = local_channel::new_bounded::<Vec<u8>>(SMSC_WRITE_QUEUE);
        *rt.smsc_writer.borrow_mut() = Some(tx);
        let writer_task = glommio::spawn_local(async move {
            while let Some(bytes) = rx.recv().await {
                if writer.write_all(&bytes).await.is_err() {
                    break;
                }
            }
        });
        let out = rt.service.borrow_mut().smsc_connected(rt.now_ms());
        rt.execute(out).await;
        let mut reader = stream;
        loop {
            match reader.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let Some(bytes) = buf.get(..n) else { break };
                    let out = rt.service.borrow_mut().smsc_bytes(bytes, rt.now_ms());
                    rt.execute(out).await;
                }
            }
        }
        *rt.smsc_writer.borrow_mut() = None;
        writer_task.cancel().await;
        let out = rt.service.borrow_mut().smsc_disconnected(rt.now_ms());
        rt.execute(out).await;
        tracing::warn!(shard = rt.id, %smsc, "SMSC connection closed");
    }
}

//! `loadgen` — an open-loop SIP load generator with per-flow hdrhistogram latency.
//!
//! Open loop: requests leave on a fixed schedule whatever the server does, and latency is
//! measured from the *scheduled* send time, so a stalled server shows up as latency instead of
//! silently slowing the generator (coordinated omission). The scheduled time travels inside the
//! Call-ID, so the receive side needs no shared table with the send side.
//!
//! Flows:
//! - `message`: user A → user B MESSAGE relayed by the server to B's registered contact, which is
//!   this process's UAS socket (it answers 200). Latency = MESSAGE sent → final response at A.
//! - `sms`: the same MESSAGE to users who are *not* registered: smartchat's store-and-forward
//!   path (C3/C8) — durable WAL record, then 202, then an SMS to the SMSC. Latency = to the 202.
//! - `register`: REGISTER refreshes; latency to the 200.
//! - `publish`: PUBLISH of a PIDF document; latency to the 200. Each user holds at most a few
//!   live publications (8 by default), so use `--users` ≥ rate × duration / 8.
//!
//! Output: one line per flow on stdout and, with `--csv FILE`, a CSV with the header
//! `flow,target,rate,duration_s,sent,ok,errors,timeouts,achieved_rate,p50_us,p90_us,p99_us,p999_us,max_us`.

mod sip;

use clap::Parser;
use hdrhistogram::Histogram;
use std::io::Write;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Parser)]
#[command(
    name = "loadgen",
    about = "Open-loop SIP load generator (hdrhistogram latency per flow)"
)]
struct Args {
    /// SIP server (smartchat or the incumbent) address.
    #[arg(long, default_value = "127.0.0.1:5060")]
    target: SocketAddr,
    /// Flows to run, comma-separated: message, sms, register, publish.
    #[arg(long, default_value = "message")]
    flows: String,
    /// Requests per second, per flow.
    #[arg(long, default_value_t = 1000)]
    rate: u64,
    /// Seconds of load per flow.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Distinct users (userNNNNN@DOMAIN, 1-based).
    #[arg(long, default_value_t = 100)]
    users: u32,
    #[arg(long, default_value = "example.com")]
    domain: String,
    /// Label written in the CSV's target column (e.g. smartchat, kamailio).
    #[arg(long, default_value = "smartchat")]
    label: String,
    /// Append results to this CSV (header written when the file is new).
    #[arg(long)]
    csv: Option<std::path::PathBuf>,
    /// Seconds to wait for late responses after the last send.
    #[arg(long, default_value_t = 2)]
    grace: u64,
}

/// Shared counters of one flow run (written by the receiver thread, read at the end).
#[derive(Default)]
struct FlowCounters {
    ok: AtomicU64,
    errors: AtomicU64,
}

fn main() {
    let args = Args::parse();
    let mut rows = Vec::new();
    for flow in args
        .flows
        .split(',')
        .map(str::trim)
        .filter(|f| !f.is_empty())
    {
        match run_flow(&args, flow) {
            Ok(row) => {
                println!("{}", row.human());
                rows.push(row);
            }
            Err(e) => {
                eprintln!("loadgen: flow {flow}: {e}");
                std::process::exit(2);
            }
        }
    }
    if let Some(path) = &args.csv {
        let new = !path.exists();
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap_or_else(|e| {
                eprintln!("loadgen: {}: {e}", path.display());
                std::process::exit(2)
            });
        if new {
            let _ = writeln!(file, "{}", Row::CSV_HEADER);
        }
        for row in &rows {
            let _ = writeln!(file, "{}", row.csv());
        }
    }
}

struct Row {
    flow: String,
    target: String,
    rate: u64,
    duration: u64,
    sent: u64,
    ok: u64,
    errors: u64,
    timeouts: u64,
    achieved: f64,
    histogram: Histogram<u64>,
}

impl Row {
    const CSV_HEADER: &'static str = "flow,target,rate,duration_s,sent,ok,errors,timeouts,achieved_rate,p50_us,p90_us,p99_us,p999_us,max_us";

    fn q(&self, q: f64) -> u64 {
        self.histogram.value_at_quantile(q)
    }

    fn csv(&self) -> String {
        format!(
            "{},{},{},{},{},{},{},{},{:.1},{},{},{},{},{}",
            self.flow,
            self.target,
            self.rate,
            self.duration,
            self.sent,
            self.ok,
            self.errors,
            self.timeouts,
            self.achieved,
            self.q(0.5),
            self.q(0.9),
            self.q(0.99),
            self.q(0.999),
            self.histogram.max()
        )
    }

    fn human(&self) -> String {
        format!(
            "{:<9} {:<10} sent={} ok={} errors={} timeouts={} achieved={:.0}/s  p50={}us p90={}us p99={}us p999={}us max={}us",
            self.flow,
            self.target,
            self.sent,
            self.ok,
            self.errors,
            self.timeouts,
            self.achieved,
            self.q(0.5),
            self.q(0.9),
            self.q(0.99),
            self.q(0.999),
            self.histogram.max()
        )
    }
}

fn run_flow(args: &Args, flow: &str) -> std::io::Result<Row> {
    let uac = UdpSocket::bind("127.0.0.1:0")?;
    uac.set_read_timeout(Some(Duration::from_millis(100)))?;
    let uac_addr = uac.local_addr()?;
    let start = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let counters = Arc::new(FlowCounters::default());

    // The UAS side: recipients' registered contact, answering 200 to every MESSAGE.
    let uas = UdpSocket::bind("127.0.0.1:0")?;
    uas.set_read_timeout(Some(Duration::from_millis(100)))?;
    let uas_addr = uas.local_addr()?;
    let uas_stop = Arc::clone(&stop);
    let uas_thread = std::thread::spawn(move || sip::answer_messages(&uas, &uas_stop));

    if flow == "message" {
        sip::register_all(&uac, args.target, &args.domain, args.users, uas_addr)?;
    }

    let recv_sock = uac.try_clone()?;
    let recv_stop = Arc::clone(&stop);
    let recv_counters = Arc::clone(&counters);
    let receiver = std::thread::spawn(move || {
        let mut histogram =
            Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("histogram bounds");
        let mut buf = vec![0u8; 65_536];
        while !recv_stop.load(Ordering::Relaxed) {
            let Ok((n, _)) = recv_sock.recv_from(&mut buf) else {
                continue;
            };
            let Some(response) = sip::Response::scan(&buf[..n]) else {
                continue;
            };
            if response.status < 200 {
                continue;
            }
            let Some(scheduled_ns) = response.scheduled_ns else {
                continue;
            };
            let now_ns = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
            let latency_us = now_ns.saturating_sub(scheduled_ns) / 1000;
            if (200..300).contains(&response.status) {
                recv_counters.ok.fetch_add(1, Ordering::Relaxed);
                let _ = histogram.record(latency_us.max(1));
            } else {
                recv_counters.errors.fetch_add(1, Ordering::Relaxed);
            }
        }
        histogram
    });

    // Open-loop sender.
    let interval_ns = 1_000_000_000 / args.rate.max(1);
    let total = args.rate * args.duration;
    let mut sent = 0u64;
    let send_start = Instant::now();
    let base_ns = u64::try_from(start.elapsed().as_nanos()).unwrap_or(0);
    let mut packet = Vec::with_capacity(1024);
    while sent < total {
        let scheduled_ns = base_ns + sent * interval_ns;
        loop {
            let now_ns = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
            if now_ns >= scheduled_ns {
                break;
            }
            let wait = scheduled_ns - now_ns;
            if wait > 200_000 {
                std::thread::sleep(Duration::from_nanos(wait - 100_000));
            } else {
                std::hint::spin_loop();
            }
        }
        let from = (sent % u64::from(args.users)) as u32 + 1;
        let to = from % args.users + 1;
        packet.clear();
        sip::build_request(
            &mut packet,
            flow,
            &args.domain,
            uac_addr,
            from,
            to,
            sent,
            scheduled_ns,
        );
        let _ = uac.send_to(&packet, args.target);
        sent += 1;
    }
    let send_elapsed = send_start.elapsed().as_secs_f64();
    std::thread::sleep(Duration::from_secs(args.grace));
    stop.store(true, Ordering::Relaxed);
    let histogram = receiver.join().expect("receiver thread");
    let _ = uas_thread.join();
    let ok = counters.ok.load(Ordering::Relaxed);
    let errors = counters.errors.load(Ordering::Relaxed);
    Ok(Row {
        flow: flow.to_owned(),
        target: args.label.clone(),
        rate: args.rate,
        duration: args.duration,
        sent,
        ok,
        errors,
        timeouts: sent.saturating_sub(ok + errors),
        achieved: if send_elapsed > 0.0 {
            ok as f64 / send_elapsed
        } else {
            0.0
        },
        histogram,
    })
}

//! `smartchat` — one binary, several subcommands (see `smartchat --help`).
//!
//! The binary is a thin shell: argument parsing and logging set-up live here, everything else
//! in the library (`smartchat::…`), so tests drive the same code paths the operator does.

use clap::{Args, Parser, Subcommand};
use smartchat::cli;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

/// smartchat — presence-aware messaging for carriers (patent CN101262453B on SIP SIMPLE + SMPP).
///
/// An IM sent to a user who is online reaches their IM client at once; an IM sent to a user who
/// has gone offline reaches their phone as an SMS; the SMS they send back reaches the chat as an
/// IM; and everyone who watches that user sees them as online, busy or mobile.
///
/// Run `smartchat serve` for a node with a demo subscriber set on 127.0.0.1:5060 (SIP, UDP+TCP)
/// and 127.0.0.1:8080 (admin, /metrics).
#[derive(Debug, Parser)]
#[command(name = "smartchat", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the node: SIP registrar, presence server and IM relay on thread-per-core shards.
    Serve(ServeArgs),
    /// Manage the subscriber set (CSV columns: aor,msisdn,service,password,buddies).
    #[command(subcommand)]
    Subscribers(SubscribersCommand),
    /// A running node's state over the admin API (GET /status): health, shards, subscribers,
    /// contacts, SMSC sessions, queue depths.
    Status {
        #[command(flatten)]
        admin: AdminArgs,
        /// Print the raw JSON of GET /status instead of the table.
        #[arg(long)]
        json: bool,
    },
    /// A running node's counters and their rates: two GET /status samples INTERVAL apart.
    Stats {
        #[command(flatten)]
        admin: AdminArgs,
        /// Seconds between the two samples the rates come from.
        #[arg(long, default_value_t = 1.0, value_name = "SECS")]
        interval: f64,
    },
}

/// How a command reaches a running node's admin API.
#[derive(Debug, Args)]
struct AdminArgs {
    /// Admin URL of the running node.
    #[arg(long, default_value = "http://127.0.0.1:8080", value_name = "URL")]
    server: String,
    /// File holding the admin token (default: DATA_DIR/admin.token).
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
    /// The node's data directory, where its admin.token is (default: smartchat-data).
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// TOML configuration file (see smartchat.example.toml); flags override it.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// SIP listen address, UDP and TCP on the same port.
    #[arg(long, value_name = "ADDR")]
    sip: Option<SocketAddr>,
    /// Admin and metrics HTTP listen address.
    #[arg(long, value_name = "ADDR")]
    http: Option<SocketAddr>,
    /// File holding the admin API's bearer token (default: DATA_DIR/admin.token, created with a
    /// random token, mode 0600, when missing).
    #[arg(long, value_name = "FILE")]
    admin_token_file: Option<PathBuf>,
    /// Also serve /metrics and /health (and nothing else) on this address.
    #[arg(long, value_name = "ADDR")]
    metrics: Option<SocketAddr>,
    /// Data directory (per-shard subscriber snapshots and logs).
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// Number of shards (0 = one per CPU).
    #[arg(long, value_name = "N")]
    shards: Option<usize>,
    /// Import this subscriber CSV at start-up (added to what is stored).
    #[arg(long, value_name = "FILE.csv")]
    subscribers: Option<PathBuf>,
    /// Turn digest authentication off (benchmarks, credential-less clients).
    #[arg(long)]
    no_auth: bool,
    /// SIP domain / digest realm.
    #[arg(long, value_name = "DOMAIN")]
    domain: Option<String>,
    /// Minimum milliseconds between two NOTIFYs to one watcher (0 = no limit).
    #[arg(long, value_name = "MS")]
    notify_interval_ms: Option<u64>,
    /// SMSC to bind to (SMPP 3.4); without it the built-in SMSC simulator runs.
    #[arg(long, value_name = "HOST:PORT")]
    smsc: Option<SocketAddr>,
}

#[derive(Debug, Subcommand)]
enum SubscribersCommand {
    /// Import a CSV into the data directory (server stopped) or into a running server (--server).
    Import {
        file: PathBuf,
        #[command(flatten)]
        target: Target,
    },
    /// Export every subscriber as CSV to FILE (or stdout).
    Export {
        file: Option<PathBuf>,
        #[command(flatten)]
        target: Target,
    },
    /// Add or replace one subscriber on a running server.
    Add {
        /// One CSV line: aor,msisdn,service,password,buddies
        line: String,
        #[command(flatten)]
        admin: AdminArgs,
    },
    /// Remove one subscriber (by AOR) from a running server.
    Remove {
        aor: String,
        #[command(flatten)]
        admin: AdminArgs,
    },
}

/// Where a subscriber command acts: a running server's admin API, or a data directory.
#[derive(Debug, Args)]
struct Target {
    /// Admin URL of a running server (e.g. http://127.0.0.1:8080).
    #[arg(long, value_name = "URL")]
    server: Option<String>,
    /// Data directory: of a stopped server (without --server), or where a running server's
    /// admin.token is (with --server).
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// File holding the admin token, with --server (default: DATA_DIR/admin.token).
    #[arg(long, value_name = "FILE", requires = "server")]
    token_file: Option<PathBuf>,
}

impl AdminArgs {
    fn target(&self) -> cli::AdminTarget {
        cli::AdminTarget::new(
            &self.server,
            self.token_file.as_deref(),
            self.data.as_deref(),
        )
    }
}

impl Target {
    fn admin(&self) -> Option<cli::AdminTarget> {
        self.server
            .as_deref()
            .map(|url| cli::AdminTarget::new(url, self.token_file.as_deref(), self.data.as_deref()))
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    smartchat::logging::init();
    let result = match cli.command {
        Command::Serve(args) => serve(args),
        Command::Subscribers(cmd) => subscribers(cmd),
        Command::Status { admin, json } => cli::status(&admin.target(), json),
        Command::Stats { admin, interval } => cli::stats(&admin.target(), interval),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("smartchat: {e}");
            ExitCode::FAILURE
        }
    }
}

fn serve(args: ServeArgs) -> Result<(), cli::CliError> {
    let mut config = match &args.config {
        Some(path) => smartchat::config::Config::from_file(path)?,
        None => smartchat::config::Config::default(),
    };
    if let Some(addr) = args.sip {
        config.sip.listen = addr;
    }
    if let Some(addr) = args.http {
        config.http.listen = addr;
    }
    if let Some(file) = args.admin_token_file {
        config.http.admin_token_file = Some(file);
    }
    if let Some(addr) = args.metrics {
        config.metrics.listen = Some(addr);
    }
    if let Some(dir) = args.data {
        config.server.data_dir = dir;
    }
    if let Some(n) = args.shards {
        config.server.shards = n;
    }
    if let Some(file) = args.subscribers {
        config.subscribers.import = Some(file);
    }
    if args.no_auth {
        config.sip.auth = false;
    }
    if let Some(domain) = args.domain {
        config.sip.domain = domain;
    }
    if let Some(ms) = args.notify_interval_ms {
        config.presence.min_notify_interval_ms = ms;
    }
    if let Some(smsc) = args.smsc {
        config.smsc.address = Some(smsc);
    }
    config.validate()?;
    cli::serve(config)
}

fn subscribers(cmd: SubscribersCommand) -> Result<(), cli::CliError> {
    match cmd {
        SubscribersCommand::Import { file, target } => {
            let admin = target.admin();
            cli::subscribers_import(&file, admin.as_ref(), target.data.as_deref())
        }
        SubscribersCommand::Export { file, target } => {
            let admin = target.admin();
            cli::subscribers_export(file.as_deref(), admin.as_ref(), target.data.as_deref())
        }
        SubscribersCommand::Add { line, admin } => cli::subscribers_add(&line, &admin.target()),
        SubscribersCommand::Remove { aor, admin } => cli::subscribers_remove(&aor, &admin.target()),
    }
}

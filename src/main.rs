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
        #[arg(long, default_value = "http://127.0.0.1:8080", value_name = "URL")]
        server: String,
    },
    /// Remove one subscriber (by AOR) from a running server.
    Remove {
        aor: String,
        #[arg(long, default_value = "http://127.0.0.1:8080", value_name = "URL")]
        server: String,
    },
}

/// Where a subscriber command acts: a running server's admin API, or a data directory.
#[derive(Debug, Args)]
struct Target {
    /// Admin URL of a running server (e.g. http://127.0.0.1:8080).
    #[arg(long, value_name = "URL", conflicts_with = "data")]
    server: Option<String>,
    /// Data directory of a stopped server.
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    smartchat::logging::init();
    let result = match cli.command {
        Command::Serve(args) => serve(args),
        Command::Subscribers(cmd) => subscribers(cmd),
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
            cli::subscribers_import(&file, target.server.as_deref(), target.data.as_deref())
        }
        SubscribersCommand::Export { file, target } => cli::subscribers_export(
            file.as_deref(),
            target.server.as_deref(),
            target.data.as_deref(),
        ),
        SubscribersCommand::Add { line, server } => cli::subscribers_add(&line, &server),
        SubscribersCommand::Remove { aor, server } => cli::subscribers_remove(&aor, &server),
    }
}

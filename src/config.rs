//! Command line and server configuration.

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};

use crate::clock::{Clock, SystemClock};

#[derive(Parser, Debug)]
#[command(
    name = "handsup",
    version,
    about = "Real-time quiz and voting server for meetings",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Options of `serve`, which is what runs without a subcommand.
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the server (the default).
    Serve(ServeArgs),
    /// Validate question bank files and report every problem.
    Check {
        /// Bank files (*.bank.md).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "0.0.0.0")]
    pub bind: String,
    /// Port to listen on.
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Directory for the database and the generated host secret.
    #[arg(long, default_value = "./handsup-data")]
    pub data: PathBuf,
    /// Keep meetings in this PostgreSQL database instead of SQLite in the data directory, e.g. postgres://handsup:PASSWORD@localhost/handsup.
    #[arg(
        long,
        env = "HANDSUP_DATABASE_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub database: Option<String>,
    /// Join a cluster: several servers on the same --database (PostgreSQL) serve every meeting together, and take over the meetings of one that stops. This node's address for the other nodes, e.g. http://10.0.0.11:8080 (plain http, on a private network).
    #[arg(long, env = "HANDSUP_NODE_URL", value_name = "URL")]
    pub node_url: Option<String>,
    /// In a cluster: seconds a node owns a meeting without renewing (renewed every third of it); a meeting of a node that died moves to another node within this and 5 more seconds. At least 2.
    #[arg(
        long,
        env = "HANDSUP_LEASE_SECONDS",
        default_value_t = 10,
        value_name = "N",
        value_parser = clap::value_parser!(u64).range(2..)
    )]
    pub lease_seconds: u64,
    /// Secret for the host console (default: generated once and kept in the data directory).
    #[arg(long, env = "HANDSUP_HOST_SECRET", hide_env_values = true)]
    pub host_secret: Option<String>,
    /// Address members join at, e.g. http://quiz.example.org (default: http://<LAN IP>:<port>).
    #[arg(long)]
    pub public_url: Option<String>,
    /// Extra directory of question banks (repeatable); its banks replace shipped ones with the same id.
    #[arg(long = "banks", value_name = "DIR")]
    pub banks: Vec<PathBuf>,
    /// Open connections one client address may hold (0: no cap; loopback is never capped).
    #[arg(long, default_value_t = 64, value_name = "N")]
    pub connections_per_address: usize,
    /// Members one client address may create in a meeting without a roster (loopback is never capped).
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub members_per_address: u32,
    /// The address of a reverse proxy in front of this server (repeatable, or comma-separated): its requests count for the client its X-Forwarded-For names, so the per-address limits (connections, members, PIN guesses) see each phone, not the proxy.
    #[arg(
        long = "trusted-proxy",
        env = "HANDSUP_TRUSTED_PROXY",
        value_name = "IP",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

/// What `run` needs; built from `ServeArgs` by `main`, directly by tests.
#[derive(Clone)]
pub struct Config {
    /// Host secret and lock; the SQLite database too, unless `database`.
    pub data_dir: PathBuf,
    /// A PostgreSQL URL: meetings are kept there instead of in SQLite.
    pub database: Option<String>,
    pub host_secret: String,
    /// Join address base; `None` means http://<LAN IP>:<bound port>.
    pub public_url: Option<String>,
    /// Directories of banks, loaded after the shipped ones.
    pub bank_dirs: Vec<PathBuf>,
    pub clock: Arc<dyn Clock>,
    /// Voters in the smallest group of secret ballots written together
    /// (`room::ballot_box::SECRET_GROUP`); not an option: tests lower it to
    /// show what a weaker setting would leak.
    pub secret_group: usize,
    /// Rate limits, per-address caps and timeouts (`docs/SECURITY.md`).
    pub guard: crate::guard::GuardConfig,
    /// This node's address for the other nodes of a cluster (`--node-url`);
    /// `None`: a single server.
    pub node_url: Option<String>,
    /// How long a node owns a meeting without renewing (`--lease-seconds`).
    pub lease: std::time::Duration,
}

impl Config {
    /// A configuration with defaults, for tests and embedding.
    pub fn new(data_dir: PathBuf, host_secret: impl Into<String>) -> Config {
        Config {
            data_dir,
            database: None,
            host_secret: host_secret.into(),
            public_url: None,
            bank_dirs: Vec::new(),
            clock: Arc::new(SystemClock),
            secret_group: crate::room::ballot_box::SECRET_GROUP,
            guard: crate::guard::GuardConfig::default(),
            node_url: None,
            lease: std::time::Duration::from_secs(10),
        }
    }
}

/// The machine's LAN address: the one phones on the same Wi-Fi reach.
pub fn lan_ip() -> Option<std::net::IpAddr> {
    if let Ok(ip) = local_ip_address::local_ip()
        && !ip.is_loopback()
    {
        return Some(ip);
    }
    local_ip_address::list_afinet_netifas()
        .ok()?
        .into_iter()
        .map(|(_, ip)| ip)
        .find(|ip| ip.is_ipv4() && !ip.is_loopback())
}

/// The join address base for a server listening on `port`.
pub fn public_url(given: Option<&str>, port: u16) -> String {
    if let Some(u) = given {
        return u.trim_end_matches('/').to_string();
    }
    match lan_ip() {
        Some(std::net::IpAddr::V6(ip)) => format!("http://[{ip}]:{port}"),
        Some(ip) => format!("http://{ip}:{port}"),
        None => {
            tracing::warn!(
                "no network address found: phones cannot reach this server. Connect to the meeting Wi-Fi and restart, or pass --public-url"
            );
            format!("http://127.0.0.1:{port}")
        }
    }
}

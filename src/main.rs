//! The `handsup` binary: parses the command line and hands over to the library.

use std::process::ExitCode;

use clap::Parser;
use handsup::config::{Cli, Command, Config, ServeArgs};

/// jemalloc, not the system's allocator: through a long meeting with
/// phones coming and going, glibc's heap kept growing (16–19 % over the
/// 10-minute soak, two thirds of it free memory it could not give back);
/// with the settings below it stays within 10 % (`docs/PERFORMANCE.md`,
/// "Stop 25").
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOC: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's settings, read before `main`: a thread of jemalloc's own
/// gives unused pages back to the system half a second after they are
/// freed (without it the long meeting still grew 13 %); one arena (the server
/// has two busy threads, and more arenas only spread the same blocks
/// wider); and no thread cache for blocks over 4 KiB, so that a connection's
/// buffers go back to the arena, where the next connection reuses them.
/// `_RJEM_MALLOC_CONF` in the environment (jemalloc's `MALLOC_CONF`) still
/// overrides them.
#[cfg(not(target_env = "msvc"))]
#[unsafe(export_name = "_rjem_malloc_conf")]
static MALLOC_CONF: Conf = Conf(
    c"background_thread:true,narenas:1,dirty_decay_ms:500,muzzy_decay_ms:0,tcache_max:4096"
        .as_ptr(),
);

/// A C string's address, as jemalloc reads its `malloc_conf`.
#[cfg(not(target_env = "msvc"))]
#[repr(transparent)]
struct Conf(*const std::ffi::c_char);

// SAFETY: it points to a constant string that nothing writes.
#[cfg(not(target_env = "msvc"))]
unsafe impl Sync for Conf {}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Check { files }) => check(&files),
        Some(Command::Serve(args)) => serve(args),
        None => serve(cli.serve),
    }
}

/// `handsup check FILE...`: every problem of every file, non-zero on errors.
fn check(files: &[std::path::PathBuf]) -> ExitCode {
    let mut failed = false;
    for path in files {
        match handsup::bank::parse_file(path) {
            Err(e) => {
                failed = true;
                eprintln!("{}: cannot read: {e}", path.display());
            }
            Ok(parsed) => {
                for p in &parsed.problems {
                    let text = p.to_string();
                    eprintln!("{}:{}", path.display(), text.trim_start_matches("line "));
                }
                match &parsed.bank {
                    Some(b) => println!(
                        "{}: ok — \"{}\" ({}), {} questions{}",
                        path.display(),
                        b.title,
                        b.language,
                        b.questions.len(),
                        match parsed.problems.len() {
                            0 => String::new(),
                            n => format!(", {n} warning(s)"),
                        }
                    ),
                    None => {
                        failed = true;
                        println!(
                            "{}: FAILED — {} error(s)",
                            path.display(),
                            parsed.errors().count()
                        );
                    }
                }
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn serve(args: ServeArgs) -> ExitCode {
    init_logs();
    let runtime = tokio::runtime::Runtime::new().expect("start the async runtime");
    match runtime.block_on(serve_async(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("handsup: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve_async(args: ServeArgs) -> anyhow::Result<()> {
    handsup::raise_fd_limit();
    if std::env::args().any(|a| a == "--host-secret" || a.starts_with("--host-secret=")) {
        tracing::warn!(
            "--host-secret on the command line can be read by every user of this machine \
             (ps, /proc); prefer the environment variable HANDSUP_HOST_SECRET or the file \
             host-secret in the data directory"
        );
    }
    let secret = match args.host_secret.clone() {
        Some(s) if !s.trim().is_empty() => s.trim().to_string(),
        _ => handsup::host_secret_in(&args.data)?,
    };
    let addr = format!("{}:{}", args.bind, args.port);
    let sockaddr = tokio::net::lookup_host(&addr)
        .await
        .ok()
        .and_then(|mut a| a.next())
        .ok_or_else(|| anyhow::anyhow!("cannot listen on {addr}: not an address; check --bind"))?;
    let listener = handsup::listen(sockaddr).map_err(|e| {
        anyhow::anyhow!(
            "cannot listen on {addr}: {e}. Is another server using port {}? Try --port.",
            args.port
        )
    })?;
    let mut config = Config::new(args.data.clone(), secret.clone());
    config.public_url = args.public_url.clone();
    config.database = args
        .database
        .clone()
        .filter(|d| !d.trim().is_empty())
        .map(|d| d.trim().to_string());
    config.bank_dirs = std::iter::once(std::path::PathBuf::from("question-banks"))
        .filter(|p| p.is_dir())
        .chain(args.banks.iter().cloned())
        .collect();
    config.node_url = args
        .node_url
        .clone()
        .filter(|u| !u.trim().is_empty())
        .map(|u| u.trim().trim_end_matches('/').to_string());
    config.lease = std::time::Duration::from_secs(args.lease_seconds);
    config.guard.connections_per_address = args.connections_per_address;
    config.guard.members_per_address = args.members_per_address;
    config.guard.trusted_proxies = args.trusted_proxies.clone();
    let database = config.database.as_deref().map(handsup::store::redact_url);
    let node_url = config.node_url.clone();
    handsup::run(listener, config, shutdown_signal(), |s| {
        let host = format!("{}/host#secret={secret}", s.public_url);
        println!();
        println!("  Handsup {} is running.", env!("CARGO_PKG_VERSION"));
        println!("  Host console:  {host}");
        println!(
            "  Members join:  {}/  (enter the meeting PIN)",
            s.public_url
        );
        match &database {
            Some(db) => println!("  Data:          {} (PostgreSQL)", db),
            None => println!("  Data:          {}", args.data.display()),
        }
        if let Some(node) = &node_url {
            println!(
                "  Cluster node:  {node} (meetings owned by lease, {lease} s)",
                lease = args.lease_seconds
            );
        }
        println!("  Listening on   {}", s.addr);
        println!(
            "  Banks: {}   Meetings resumed: {}",
            s.banks, s.meetings_resumed
        );
        println!();
        println!("{}", handsup::qr::terminal(&format!("{}/", s.public_url)));
    })
    .await
}

/// Logs go to stderr (stdout has the banner), filtered by `RUST_LOG`. Crates
/// that would log websocket frames are capped at `info` whatever `RUST_LOG`
/// says: a frame holds names and, on a secret ballot, a choice, and two log
/// lines of one connection could link them.
fn init_logs() {
    use std::io::IsTerminal;
    use tracing_subscriber::EnvFilter;
    let mut filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("handsup=info,warn"));
    for quiet in handsup::FRAME_LOGGERS {
        filter = filter.add_directive(format!("{quiet}=info").parse().expect("a valid directive"));
    }
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
    tracing::info!("shutting down: closing connections and saving");
}

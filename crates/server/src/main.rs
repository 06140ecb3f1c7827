//! `studyhall-server`: serve; set up the first admin; print the keys; back up and
//! restore the SQLite database.

use std::io::BufRead as _;
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use chrono::{SubsecRound as _, Utc};
use clap::{Parser, Subcommand};
use studyhall_server::api::accounts::new_account_fields;
use studyhall_server::config::{CONFIG_FILE_ENV, Config};
use studyhall_server::store::{self, NewAccount, Role, backup};
use tracing_subscriber::EnvFilter;

/// The blocking pool's threads per core. Its work here is CPU (unsealing and verifying
/// results, checking forms, argon2, SQLite), so tokio's default of 512 threads only
/// adds thread churn and switching when a thousand uploads arrive at once; queued work
/// waits its turn instead.
const BLOCKING_THREADS_PER_CORE: usize = 4;

/// The variable `admin create` reads the password from (else the first line of stdin).
const ADMIN_PASSWORD_ENV: &str = "STUDYHALL_ADMIN_PASSWORD";

#[derive(Debug, Parser)]
#[command(
    name = "studyhall-server",
    version,
    about = "Studyhall's central server"
)]
struct Cli {
    /// A TOML configuration file (or set STUDYHALL_SERVER_CONFIG); STUDYHALL_SERVER_*
    /// variables override it.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve until Ctrl-C or SIGTERM (requests in flight finish first).
    Serve,
    /// Manage accounts directly in the database, e.g. to create the first admin.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Create the server's keys in the key folder if missing, and print the public ones.
    Keys,
    /// Copy the SQLite database to FILE while the server runs (consistent, checked).
    /// For PostgreSQL use pg_dump (see the README).
    Backup {
        /// The backup file to write; it must not exist yet.
        #[arg(long)]
        to: PathBuf,
    },
    /// Replace the SQLite database with a backup, after checking it. Stop the server
    /// first; the database replaced is kept beside it as a .before-restore file.
    Restore {
        /// The backup file written by `backup`.
        #[arg(long)]
        from: PathBuf,
        /// Replace an existing database.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Create an account. The password is read from STUDYHALL_ADMIN_PASSWORD or, when
    /// that is unset, from the first line of standard input.
    Create {
        #[arg(long)]
        username: String,
        /// Repeat for several roles.
        #[arg(long = "role", required = true)]
        roles: Vec<Role>,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let config_file = cli
        .config
        .or_else(|| std::env::var_os(CONFIG_FILE_ENV).map(PathBuf::from));
    let config = Config::load(config_file.as_deref())?;
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(BLOCKING_THREADS_PER_CORE * cores)
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        match cli.command {
            Command::Serve => serve(config).await,
            Command::Admin(AdminCommand::Create { username, roles }) => {
                create_account(&config, username, roles).await
            }
            Command::Backup { to } => {
                let database = backup::sqlite_file(&config.database_url)?;
                let summary = backup::backup(&database, &to)?;
                println!("backed up {} to {}", database.display(), describe(&summary));
                Ok(())
            }
            Command::Restore { from, force } => {
                let database = backup::sqlite_file(&config.database_url)?;
                let summary = backup::restore(&from, &database, force)?;
                println!("restored {} from {}", describe(&summary), from.display());
                Ok(())
            }
            Command::Keys => {
                let keys = studyhall_server::keys::ServerKeys::load_or_create(&config.key_dir)?;
                println!("{}", serde_json::to_string_pretty(&keys.public())?);
                Ok(())
            }
        }
    })
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let listener = listen(config.listen)
        .with_context(|| format!("could not listen on {} (setting listen)", config.listen))?;
    let shutdown = shutdown_signal()?;
    let server = studyhall_server::app::Server::open(config).await?;
    // Printed on stdout once the database is ready, so that scripts and tests learn the
    // port (when it was 0) and may use the database beside the server.
    println!(
        "studyhall-server listening on http://{}",
        listener.local_addr()?
    );
    server.serve(listener, shutdown).await
}

/// Connections waiting to be accepted before the kernel drops new ones. tokio's
/// `TcpListener::bind` uses 128: a thousand kiosks coming online at once would overflow
/// it, and each dropped connection is retried by its client only a second later. The
/// kernel caps it at `net.core.somaxconn`.
const LISTEN_BACKLOG: u32 = 4096;

/// A listener on `address` with [`LISTEN_BACKLOG`].
fn listen(address: std::net::SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if address.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(address)?;
    socket.listen(LISTEN_BACKLOG)
}

/// One line on what a backup holds.
fn describe(summary: &backup::BackupSummary) -> String {
    format!(
        "{} ({} bytes, schema {}: {} accounts, {} devices, {} results, {} packs)",
        summary.path.display(),
        summary.bytes,
        summary.schema_version,
        summary.accounts,
        summary.devices,
        summary.results,
        summary.packs
    )
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM. The handlers are installed before this
/// returns, so a signal sent as soon as the server says it listens is not lost.
fn shutdown_signal() -> anyhow::Result<impl Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt()).context("watching for Ctrl-C")?;
    let mut terminate = signal(SignalKind::terminate()).context("watching for SIGTERM")?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {},
            _ = terminate.recv() => {},
        }
        tracing::info!("shutting down: finishing requests in flight");
    })
}

async fn create_account(config: &Config, username: String, roles: Vec<Role>) -> anyhow::Result<()> {
    let password = match std::env::var(ADMIN_PASSWORD_ENV) {
        Ok(password) => password,
        Err(_) => {
            eprintln!("Password for {username} (one line on standard input):");
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("reading the password from standard input")?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    if password.is_empty() {
        bail!("no password given: set {ADMIN_PASSWORD_ENV} or write it on standard input");
    }
    let (username, password_hash) = new_account_fields(&username, &password)?;
    let store = store::open(&config.database_url).await.with_context(|| {
        format!(
            "could not open the database ({})",
            config.database_description()
        )
    })?;
    let account = store
        .create_account(NewAccount::new(
            username,
            password_hash,
            roles,
            Utc::now().trunc_subsecs(3),
        ))
        .await?;
    println!(
        "created account {} with roles {}",
        account.username,
        account
            .roles
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}

//! A throw-away PostgreSQL cluster for this test binary: `initdb` in a temporary folder
//! (as the `postgres` user when the tests run as root, since `initdb` refuses root),
//! listening only on a unix socket inside that folder, durability off for speed.
//!
//! The cluster is started once, on first use, and a watchdog process stops it and
//! removes the folder when this test process ends, however it ends. Each test gets a
//! database of its own.

use std::os::unix::fs::MetadataExt as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use anyhow::{Context as _, Result, anyhow, bail};

pub struct Cluster {
    /// Holds `data/`, the log, and the socket.
    dir: PathBuf,
    next_database: AtomicU32,
}

/// The shared cluster; panics with the reason when PostgreSQL cannot be started.
pub fn cluster() -> &'static Cluster {
    static CLUSTER: OnceLock<Result<Cluster>> = OnceLock::new();
    match CLUSTER.get_or_init(start) {
        Ok(cluster) => cluster,
        Err(reason) => panic!(
            "PostgreSQL could not be started for the server's tests: {reason:#}\n\
             Install PostgreSQL (Debian: apt-get install postgresql, or `cargo xtask setup`) \
             or set STUDYHALL_POSTGRES_BIN to the folder holding initdb and pg_ctl."
        ),
    }
}

impl Cluster {
    /// A URL for a new, empty database in the cluster.
    pub async fn fresh_database(&self) -> String {
        let number = self.next_database.fetch_add(1, Ordering::Relaxed);
        let name = format!("test_{number}");
        let admin_url = self.url("postgres");
        let (client, connection) = tokio_postgres::connect(&admin_url, tokio_postgres::NoTls)
            .await
            .unwrap_or_else(|e| panic!("connecting to the test cluster: {e}"));
        let connection = tokio::spawn(connection);
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        drop(client);
        let _ = connection.await;
        self.url(&name)
    }

    fn url(&self, database: &str) -> String {
        format!(
            "postgres:///{database}?user=postgres&host={}",
            self.dir.display()
        )
    }
}

fn bin_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("STUDYHALL_POSTGRES_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .context("no PostgreSQL under /usr/lib/postgresql")?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, bin)| bin)
        .ok_or_else(|| anyhow!("no initdb under /usr/lib/postgresql/*/bin"))
}

/// A command run as the cluster's owner: `postgres` when we are root, else ourselves.
fn as_owner(program: &Path, as_root: bool) -> Command {
    if as_root {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn run(mut command: Command, what: &str) -> Result<()> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("{what}: could not run {command:?}"))?;
    if !output.status.success() {
        bail!(
            "{what} failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

fn start() -> Result<Cluster> {
    let bin = bin_dir()?;
    let dir = tempfile::Builder::new()
        .prefix("studyhall-pg-")
        .tempdir()
        .context("creating a temporary folder")?
        .keep();
    // A new folder is owned by whoever we run as.
    let as_root = std::fs::metadata(&dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .uid()
        == 0;
    if as_root {
        run(
            {
                let mut chown = Command::new("chown");
                chown.arg("postgres:postgres").arg(&dir);
                chown
            },
            "giving the folder to the postgres user",
        )?;
    }
    watch_and_clean_up(&bin, &dir, as_root)?;
    let data = dir.join("data");
    let mut initdb = as_owner(&bin.join("initdb"), as_root);
    initdb.arg("-D").arg(&data).args([
        "-U",
        "postgres",
        "-A",
        "trust",
        "-E",
        "UTF8",
        "--locale=C",
        "--no-sync",
    ]);
    run(initdb, "initdb")?;
    let mut pg_ctl = as_owner(&bin.join("pg_ctl"), as_root);
    pg_ctl
        .arg("-D")
        .arg(&data)
        .arg("-l")
        .arg(dir.join("postgres.log"))
        .args(["-w", "-t", "30", "-o"])
        .arg(format!(
            "-k {} -c listen_addresses='' -c fsync=off -c synchronous_commit=off \
             -c full_page_writes=off -c max_connections=200",
            dir.display()
        ))
        .arg("start");
    run(pg_ctl, "pg_ctl start").with_context(|| {
        let log = std::fs::read_to_string(dir.join("postgres.log")).unwrap_or_default();
        format!("server log:\n{log}")
    })?;
    Ok(Cluster {
        dir,
        next_database: AtomicU32::new(0),
    })
}

/// Starts a detached watchdog that waits for this process to end, then stops the
/// cluster and removes its folder: a panicking or killed test run leaves nothing.
fn watch_and_clean_up(bin: &Path, dir: &Path, as_root: bool) -> Result<()> {
    let stop = format!(
        "{}{} -D '{}/data' -m immediate stop",
        if as_root {
            "runuser -u postgres -- "
        } else {
            ""
        },
        bin.join("pg_ctl").display(),
        dir.display()
    );
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 0.2; done; {stop} >/dev/null 2>&1; rm -rf '{dir}'",
        pid = std::process::id(),
        dir = dir.display()
    );
    Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        // Its own process group: a Ctrl-C to the test run does not stop the watchdog.
        .process_group(0)
        .spawn()
        .context("starting the clean-up watchdog")?;
    Ok(())
}

//! Backing up and restoring the embedded SQLite database (`studyhall-server backup` and
//! `restore`). PostgreSQL has its own tools (`pg_dump`, `pg_restore`), which the README
//! describes; these functions refuse a PostgreSQL URL and say so.
//!
//! Promises:
//! - A backup is a consistent copy taken while the server runs (`VACUUM INTO`, which
//!   reads one snapshot), written beside its destination and renamed into place only
//!   once it is complete and synced, and checked with `PRAGMA integrity_check` before it
//!   is reported. An existing file is never overwritten.
//! - A restore checks the backup first (integrity, a Studyhall server schema, not newer
//!   than this server), refuses while another process has the database open, and keeps the database it replaces (its WAL merged
//!   first) under a `.before-restore-<time>` name, so nothing is lost by restoring the
//!   wrong file.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

use super::sqlite::{migrations, path_from_url};

/// Why a backup or restore did not happen. The text says what to do.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "the database is PostgreSQL: back it up with `pg_dump --format=custom --file=FILE URL` \
         and restore with `pg_restore --clean --if-exists --dbname=URL FILE` (see the README)"
    )]
    Postgres,
    #[error("{0} does not exist: is database_url right?")]
    NoDatabase(PathBuf),
    #[error("{0} already exists: choose a new file name (a backup never overwrites one)")]
    DestinationExists(PathBuf),
    #[error("{0} is in use by another process (a server?): stop the server first")]
    InUse(PathBuf),
    #[error(
        "{0} already exists: pass --force to replace it (the current database is kept \
         beside it as a .before-restore file)"
    )]
    WouldReplace(PathBuf),
    #[error("{path} is not a usable Studyhall server backup: {why}")]
    NotABackup { path: PathBuf, why: String },
    #[error("{path}: {source}")]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("could not {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> BackupError {
    let path = path.to_path_buf();
    move |source| BackupError::Io {
        action,
        path,
        source,
    }
}

fn sqlite(path: &Path) -> impl FnOnce(rusqlite::Error) -> BackupError {
    let path = path.to_path_buf();
    move |source| BackupError::Sqlite { path, source }
}

/// What a backup or restore copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupSummary {
    pub path: PathBuf,
    pub bytes: u64,
    /// The schema version (migrations applied).
    pub schema_version: u32,
    pub accounts: u64,
    pub devices: u64,
    pub results: u64,
    pub packs: u64,
}

/// The database file a `database_url` names, or [`BackupError::Postgres`].
pub fn sqlite_file(database_url: &str) -> Result<PathBuf, BackupError> {
    path_from_url(database_url).ok_or(BackupError::Postgres)
}

/// Writes a consistent copy of the database at `database` to `to`, which must not exist.
pub fn backup(database: &Path, to: &Path) -> Result<BackupSummary, BackupError> {
    if !database.exists() {
        return Err(BackupError::NoDatabase(database.to_path_buf()));
    }
    if to.exists() {
        return Err(BackupError::DestinationExists(to.to_path_buf()));
    }
    let partial = partial_path(to);
    // A partial copy from an earlier, interrupted backup is ours to replace.
    let _ = std::fs::remove_file(&partial);
    let source = Connection::open_with_flags(
        database,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sqlite(database))?;
    source
        .busy_timeout(std::time::Duration::from_secs(30))
        .map_err(sqlite(database))?;
    let written = source
        .execute("VACUUM INTO ?1", [partial.to_string_lossy()])
        .map_err(sqlite(database));
    drop(source);
    if let Err(error) = written {
        let _ = std::fs::remove_file(&partial);
        return Err(error);
    }
    let summary = match check(&partial) {
        Ok(summary) => summary,
        Err(error) => {
            let _ = std::fs::remove_file(&partial);
            return Err(error);
        }
    };
    sync_file(&partial)?;
    std::fs::rename(&partial, to).map_err(io("rename the backup to", to))?;
    sync_parent(to)?;
    Ok(BackupSummary {
        path: to.to_path_buf(),
        ..summary
    })
}

/// Replaces the database at `database` with the backup `from`, after checking it.
/// Without `force` an existing database is not replaced.
pub fn restore(from: &Path, database: &Path, force: bool) -> Result<BackupSummary, BackupError> {
    let summary = check(from)?;
    if !closed(database)? {
        return Err(BackupError::InUse(database.to_path_buf()));
    }
    if database.exists() {
        if !force {
            return Err(BackupError::WouldReplace(database.to_path_buf()));
        }
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
        for suffix in ["", "-shm"] {
            let file = sidecar(database, suffix);
            if file.exists() {
                let kept = sidecar(database, &format!(".before-restore-{stamp}{suffix}"));
                std::fs::rename(&file, &kept).map_err(io("keep the old database as", &kept))?;
            }
        }
    }
    if let Some(parent) = database.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(io("create", parent))?;
    }
    let partial = partial_path(database);
    std::fs::copy(from, &partial).map_err(io("copy the backup to", &partial))?;
    sync_file(&partial)?;
    std::fs::rename(&partial, database).map_err(io("move the restored database to", database))?;
    sync_parent(database)?;
    Ok(BackupSummary {
        path: database.to_path_buf(),
        ..summary
    })
}

/// Whether no process has the database open. A WAL file is left behind by a server
/// that exited without closing the database, and is merged (checkpointed) and removed
/// when the last connection closes; so the database is opened, checkpointed and closed
/// here, and a WAL file still there afterwards means another connection holds it.
fn closed(database: &Path) -> Result<bool, BackupError> {
    let wal = sidecar(database, "-wal");
    if !wal.exists() {
        return Ok(true);
    }
    let conn = Connection::open(database).map_err(sqlite(database))?;
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .map_err(sqlite(database))?;
    conn.close().map_err(|(_, e)| sqlite(database)(e))?;
    Ok(!wal.exists())
}

/// Checks that `path` is a whole Studyhall server database this server can open.
pub fn check(path: &Path) -> Result<BackupSummary, BackupError> {
    let not_a_backup = |why: String| BackupError::NotABackup {
        path: path.to_path_buf(),
        why,
    };
    if !path.is_file() {
        return Err(not_a_backup("there is no such file".into()));
    }
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(sqlite(path))?;
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .map_err(|e| not_a_backup(format!("SQLite cannot read it ({e})")))?;
    if integrity != "ok" {
        return Err(not_a_backup(format!(
            "the integrity check says: {integrity}"
        )));
    }
    let schema_version: u32 = conn
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(sqlite(path))?;
    let newest = newest_schema().map_err(|e| not_a_backup(e.to_string()))?;
    if schema_version == 0 {
        return Err(not_a_backup("it holds no Studyhall server schema".into()));
    }
    if schema_version > newest {
        return Err(not_a_backup(format!(
            "it was written by a newer server (schema {schema_version}, this server knows up to \
             {newest}): restore it with that server's version"
        )));
    }
    let count = |table: &str| -> Result<u64, BackupError> {
        conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
            row.get::<_, i64>(0)
        })
        .map(|n| u64::try_from(n).unwrap_or_default())
        .map_err(|e| not_a_backup(format!("its table {table} cannot be read ({e})")))
    };
    let bytes = std::fs::metadata(path).map_err(io("read", path))?.len();
    Ok(BackupSummary {
        path: path.to_path_buf(),
        bytes,
        schema_version,
        accounts: count("accounts")?,
        devices: count("devices")?,
        results: count("results")?,
        packs: count("packs")?,
    })
}

/// How many migrations this server has (the schema version a fresh database gets).
fn newest_schema() -> Result<u32, super::StoreError> {
    let backend = |e: rusqlite::Error| super::StoreError::Backend(e.to_string());
    let mut conn = Connection::open_in_memory().map_err(backend)?;
    migrations()?
        .to_latest(&mut conn)
        .map_err(|e| super::StoreError::Backend(format!("the embedded SQLite migrations: {e}")))?;
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(backend)
}

fn sidecar(database: &Path, suffix: &str) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn partial_path(target: &Path) -> PathBuf {
    sidecar(target, ".partial")
}

fn sync_file(path: &Path) -> Result<(), BackupError> {
    std::fs::File::open(path)
        .and_then(|file| file.sync_all())
        .map_err(io("sync", path))
}

fn sync_parent(path: &Path) -> Result<(), BackupError> {
    match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(parent) => std::fs::File::open(parent)
            .and_then(|dir| dir.sync_all())
            .map_err(io("sync", parent)),
        None => Ok(()),
    }
}

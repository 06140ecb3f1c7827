//! The embedded backend: one SQLite file (WAL, foreign keys on), the server's default.
//!
//! Every write goes through [`SqliteStore::write`] to one writer thread, which commits
//! the writes queued meanwhile together (group commit: one immediate transaction and one
//! fsync for the batch, each write in a savepoint of its own so that a failing one is
//! rolled back alone); a write's caller hears back only once its batch is committed.
//! Reads use a small pool of other connections from tokio's blocking pool (WAL lets
//! them read while the writer writes). Times are stored as Unix milliseconds.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use include_dir::{Dir, include_dir};
use rusqlite::{Connection, ErrorCode, OptionalExtension, Row, TransactionBehavior, params};
use rusqlite_migration::{MigrationDefinitionError, Migrations};
use uuid::Uuid;

use studyhall_signing::KeyId;

use studyhall_core::study::ProgressEvent;

use super::progress::{self, PROGRESS_COLUMNS, ProgressPage, StoredProgress};

use super::{
    Account, AccountId, Credentials, Device, DeviceId, KeyRelease, NewAccount, NewDevice,
    NewEnrollmentToken, NewSchedule, NewSession, PackKind, PackRecord, ResultRecord, ResultVia,
    Schedule, ScheduleId, Session, Store, StoreError, StoredPack, StoredResult, TokenHash,
    existing_pack, existing_result, parse_public_key, parse_roles, parse_usernames,
    stored_schedule,
};

static MIGRATIONS_DIR: Dir<'static> =
    include_dir!("$CARGO_MANIFEST_DIR/../../migrations/server/sqlite");

/// The server's SQLite migrations, oldest first. Forward-only.
pub fn migrations() -> Result<Migrations<'static>, StoreError> {
    Migrations::from_directory(&MIGRATIONS_DIR)
        .map_err(|e| StoreError::Backend(format!("the embedded SQLite migrations: {e}")))
}

/// The file a `sqlite://PATH` URL names (`sqlite:///abs/file.db` is absolute), or
/// `None` for any other URL.
pub fn path_from_url(url: &str) -> Option<PathBuf> {
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .map(PathBuf::from)
}

#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// Idle read connections, opened on demand.
    readers: Arc<Mutex<Vec<Connection>>>,
    path: Arc<PathBuf>,
    /// The queue of the one writer thread.
    writer: std::sync::mpsc::Sender<WriteJob>,
}

/// One queued write: runs its change inside the batch's transaction, and returns how to
/// answer its caller once the batch is committed (or is not).
type WriteJob = Box<dyn FnOnce(&rusqlite::Transaction<'_>) -> WriteReply + Send>;
type WriteReply = Box<dyn FnOnce(Result<(), StoreError>) + Send>;

/// Most writes committed together.
const MAX_BATCH: usize = 512;

const ACCOUNT_COLUMNS: &str = "a.id, a.username, a.created_at, \
     (SELECT group_concat(role) FROM account_roles WHERE account_id = a.id)";

impl SqliteStore {
    /// Opens (creating if needed) the database file and applies the migrations.
    pub async fn open(path: PathBuf) -> Result<Self, StoreError> {
        let opened = path.clone();
        let conn = tokio::task::spawn_blocking(move || open_and_migrate(&opened))
            .await
            .map_err(|e| StoreError::Backend(format!("opening the database: {e}")))??;
        let (writer, jobs) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("sqlite-writer".to_owned())
            .spawn(move || write_batches(conn, &jobs))
            .map_err(|e| StoreError::Backend(format!("starting the database writer: {e}")))?;
        Ok(Self {
            readers: Arc::new(Mutex::new(Vec::new())),
            path: Arc::new(path),
            writer,
        })
    }

    async fn read<T: Send + 'static>(
        &self,
        query: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.with_connection(move |conn| query(conn).map_err(backend))
            .await
    }

    /// The one door for writes: `change` runs in an immediate transaction (shared with
    /// the other writes queued at the time, inside a savepoint of its own) whose effects
    /// are kept when it returns `Ok` and rolled back otherwise. Returns once committed.
    async fn write<T: Send + 'static>(
        &self,
        change: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: WriteJob = Box::new(move |tx| {
            let outcome = in_savepoint(tx, change);
            Box::new(move |committed: Result<(), StoreError>| {
                let _ = answer.send(committed.and(outcome));
            })
        });
        let stopped = || {
            StoreError::Backend(
                "the database did not take the write (see the server log)".to_owned(),
            )
        };
        self.writer.send(job).map_err(|_| stopped())?;
        answered.await.map_err(|_| stopped())?
    }

    /// Runs `work` on a read connection (never a write: those go through
    /// [`SqliteStore::write`]).
    async fn with_connection<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (readers, path) = (Arc::clone(&self.readers), Arc::clone(&self.path));
        tokio::task::spawn_blocking(move || {
            let idle = readers
                .lock()
                .map_err(|_| StoreError::Backend("a database task panicked".to_owned()))?
                .pop();
            let mut conn = match idle {
                Some(conn) => conn,
                None => open_reader(&path)?,
            };
            let value = work(&mut conn);
            if let Ok(mut idle) = readers.lock() {
                idle.push(conn);
            }
            value
        })
        .await
        .map_err(|e| StoreError::Backend(format!("a database task failed: {e}")))?
    }
}

/// `change` in a savepoint of `tx`: released when it succeeds, rolled back when not.
fn in_savepoint<T>(
    tx: &rusqlite::Transaction<'_>,
    change: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    tx.execute_batch("SAVEPOINT write").map_err(backend)?;
    let outcome = change(tx);
    let end = if outcome.is_ok() {
        "RELEASE write"
    } else {
        "ROLLBACK TO write; RELEASE write"
    };
    tx.execute_batch(end).map_err(backend)?;
    outcome
}

/// The writer thread: takes the writes queued, runs them in one transaction, commits,
/// then answers each; until the store is dropped.
fn write_batches(mut conn: Connection, jobs: &std::sync::mpsc::Receiver<WriteJob>) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
            Ok(tx) => tx,
            Err(e) => {
                // Dropping the jobs tells their callers the write did not happen.
                tracing::error!(error = %e, "the database could not start a write");
                continue;
            }
        };
        let mut replies: Vec<WriteReply> = Vec::with_capacity(batch.len());
        let mut broken = None;
        for job in batch {
            if broken.is_some() {
                // Dropped unanswered: its caller hears that the write did not happen.
                continue;
            }
            // A panicking write must not take the writer (and every later write) down.
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&tx))) {
                Ok(reply) => replies.push(reply),
                Err(_) => broken = Some("a write panicked".to_owned()),
            }
            // SQLite rolls a transaction back by itself on some errors (a full disk, an
            // I/O error); what would follow would run outside any transaction.
            if broken.is_none() && tx.is_autocommit() {
                broken = Some("the transaction was rolled back by SQLite".to_owned());
            }
        }
        let committed = match broken {
            Some(why) => {
                tracing::error!(%why, "a batch of writes was abandoned");
                drop(tx);
                Err(format!("the database did not take the write: {why}"))
            }
            None => tx.commit().map_err(|e| e.to_string()),
        };
        for reply in replies {
            reply(committed.clone().map_err(StoreError::Backend));
        }
    }
}

/// A connection for reads.
fn open_reader(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path).map_err(backend)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(backend)?;
    Ok(conn)
}

fn open_and_migrate(path: &Path) -> Result<Connection, StoreError> {
    let mut conn = Connection::open(path).map_err(backend)?;
    // First, so that what follows waits for another process (`admin create` beside a
    // running server) instead of failing at once.
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(backend)?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(backend)?;
    conn.pragma_update(None, "foreign_keys", true)
        .map_err(backend)?;
    let migrations = migrations()?;
    migrations.to_latest(&mut conn).map_err(|e| match e {
        rusqlite_migration::Error::MigrationDefinition(
            MigrationDefinitionError::DatabaseTooFarAhead,
        ) => StoreError::DatabaseTooNew {
            found: conn
                .pragma_query_value(None, "user_version", |row| row.get(0))
                .unwrap_or(-1),
            known: i64::try_from(MIGRATIONS_DIR.dirs().count()).unwrap_or(i64::MAX),
        },
        other => StoreError::Backend(format!("migrating the database: {other}")),
    })?;
    Ok(conn)
}

fn backend(error: rusqlite::Error) -> StoreError {
    StoreError::Backend(error.to_string())
}

fn is_unique_violation(error: &rusqlite::Error) -> bool {
    matches!(error, rusqlite::Error::SqliteFailure(e, _)
        if e.code == ErrorCode::ConstraintViolation
            && (e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY))
}

fn is_foreign_key_violation(error: &rusqlite::Error) -> bool {
    matches!(error, rusqlite::Error::SqliteFailure(e, _)
        if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY)
}

fn millis(time: DateTime<Utc>) -> i64 {
    time.timestamp_millis()
}

fn time_from(millis: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_millis(millis)
        .ok_or_else(|| StoreError::Corrupt(format!("{millis} is not a valid time")))
}

fn uuid_from(text: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(text).map_err(|e| StoreError::Corrupt(format!("an id \"{text}\": {e}")))
}

/// `seq` and [`PROGRESS_COLUMNS`] as stored, before they are checked.
struct ProgressRow {
    number: i64,
    event_id: String,
    verb: String,
    pack_id: String,
    object_kind: String,
    object_id: String,
    result: Option<String>,
    active_seconds: u32,
    occurred_at: i64,
    local_day: String,
}

impl ProgressRow {
    fn read(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            number: row.get(0)?,
            event_id: row.get(1)?,
            verb: row.get(2)?,
            pack_id: row.get(3)?,
            object_kind: row.get(4)?,
            object_id: row.get(5)?,
            result: row.get(6)?,
            active_seconds: row.get(7)?,
            occurred_at: row.get(8)?,
            local_day: row.get(9)?,
        })
    }

    /// The event, whose actor is `account`, and its number.
    fn into_numbered(self, account: AccountId) -> Result<(u64, ProgressEvent), StoreError> {
        let local_day = self.local_day.parse().map_err(|e| {
            StoreError::Corrupt(format!(
                "a progress event's day \"{}\": {e}",
                self.local_day
            ))
        })?;
        Ok((
            progress::number(self.number)?,
            ProgressEvent {
                id: uuid_from(&self.event_id)?,
                actor: account.0.to_string(),
                verb: progress::parse_verb(&self.verb)?,
                pack_id: self.pack_id,
                object_kind: progress::parse_object_kind(&self.object_kind)?,
                object_id: self.object_id,
                result: progress::parse_result(self.result)?,
                active_seconds: self.active_seconds,
                occurred_at: time_from(self.occurred_at)?,
                local_day,
            },
        ))
    }
}

/// [`ACCOUNT_COLUMNS`] as stored, before they are checked.
struct AccountRow {
    id: String,
    username: String,
    created_at: i64,
    roles: Option<String>,
}

impl AccountRow {
    fn read(row: &Row<'_>, first: usize) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get(first)?,
            username: row.get(first + 1)?,
            created_at: row.get(first + 2)?,
            roles: row.get(first + 3)?,
        })
    }

    fn into_account(self) -> Result<Account, StoreError> {
        Ok(Account {
            id: AccountId(uuid_from(&self.id)?),
            username: self.username,
            roles: parse_roles(self.roles.as_deref())?,
            created_at: time_from(self.created_at)?,
        })
    }
}

struct DeviceRow {
    id: String,
    jwk: String,
    enrolled_by: String,
    enrolled_at: i64,
}

impl DeviceRow {
    fn read(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get(0)?,
            jwk: row.get(1)?,
            enrolled_by: row.get(2)?,
            enrolled_at: row.get(3)?,
        })
    }

    fn into_device(self) -> Result<Device, StoreError> {
        let public_key = parse_public_key(&self.jwk)?;
        Ok(Device {
            id: DeviceId(uuid_from(&self.id)?),
            key_id: public_key.key_id().clone(),
            public_key,
            enrolled_by: AccountId(uuid_from(&self.enrolled_by)?),
            enrolled_at: time_from(self.enrolled_at)?,
        })
    }
}

const RESULT_COLUMNS: &str = "result_id, sealed_sha256, signed, device_key_id, session_id, \
     exam_id, exam_version, candidate_id, receipt_code, receipt, received_at, via, \
     handed_in_by, form_checked";

/// [`RESULT_COLUMNS`] as stored, before they are checked.
struct ResultRow {
    record: ResultRecord,
    received_at: i64,
    via: String,
    handed_in_by: Option<String>,
}

impl ResultRow {
    fn read(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            record: ResultRecord {
                result_id: row.get(0)?,
                sealed_sha256: row.get(1)?,
                signed: row.get(2)?,
                device_key_id: KeyId::new(row.get::<_, String>(3)?),
                session_id: row.get(4)?,
                exam_id: row.get(5)?,
                exam_version: row.get(6)?,
                candidate_id: row.get(7)?,
                receipt_code: row.get(8)?,
                receipt: row.get(9)?,
                // Checked and set by `into_record`.
                received_at: DateTime::<Utc>::UNIX_EPOCH,
                via: ResultVia::Device,
                handed_in_by: None,
                form_checked: row.get(13)?,
            },
            received_at: row.get(10)?,
            via: row.get(11)?,
            handed_in_by: row.get(12)?,
        })
    }

    fn into_record(self) -> Result<ResultRecord, StoreError> {
        Ok(ResultRecord {
            received_at: time_from(self.received_at)?,
            via: ResultVia::parse(&self.via)?,
            handed_in_by: self
                .handed_in_by
                .as_deref()
                .map(uuid_from)
                .transpose()?
                .map(AccountId),
            ..self.record
        })
    }
}

fn result_by_id(conn: &Connection, result_id: &str) -> Result<Option<ResultRecord>, StoreError> {
    conn.query_row(
        &format!("SELECT {RESULT_COLUMNS} FROM results WHERE result_id = ?1"),
        [result_id],
        ResultRow::read,
    )
    .optional()
    .map_err(backend)?
    .map(ResultRow::into_record)
    .transpose()
}

const PACK_COLUMNS: &str = "id, version, kind, title, size, sha256, published_by, published_at";

/// [`PACK_COLUMNS`] as stored, before they are checked.
struct PackRow {
    id: String,
    version: String,
    kind: String,
    title: String,
    size: i64,
    sha256: String,
    published_by: String,
    published_at: i64,
}

impl PackRow {
    fn read(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get(0)?,
            version: row.get(1)?,
            kind: row.get(2)?,
            title: row.get(3)?,
            size: row.get(4)?,
            sha256: row.get(5)?,
            published_by: row.get(6)?,
            published_at: row.get(7)?,
        })
    }

    fn into_record(self) -> Result<PackRecord, StoreError> {
        Ok(PackRecord {
            kind: PackKind::parse(&self.kind)?,
            size: u64::try_from(self.size)
                .map_err(|_| StoreError::Corrupt(format!("a pack's size {}", self.size)))?,
            published_by: AccountId(uuid_from(&self.published_by)?),
            published_at: time_from(self.published_at)?,
            id: self.id,
            version: self.version,
            title: self.title,
            sha256: self.sha256,
        })
    }
}

fn pack_by_id(
    conn: &Connection,
    id: &str,
    version: &str,
) -> Result<Option<PackRecord>, StoreError> {
    conn.query_row(
        &format!("SELECT {PACK_COLUMNS} FROM packs WHERE id = ?1 AND version = ?2"),
        [id, version],
        PackRow::read,
    )
    .optional()
    .map_err(backend)?
    .map(PackRow::into_record)
    .transpose()
}

const SCHEDULE_COLUMNS: &str = "s.id, s.exam_id, s.exam_version, s.opens_at, s.closes_at, \
     s.created_by, s.created_at, \
     (SELECT group_concat(a.username) FROM exam_schedule_candidates c \
      JOIN accounts a ON a.id = c.account_id WHERE c.schedule_id = s.id)";

/// [`SCHEDULE_COLUMNS`] as stored, before they are checked.
struct ScheduleRow {
    id: String,
    exam_id: String,
    exam_version: String,
    opens_at: i64,
    closes_at: i64,
    created_by: String,
    created_at: i64,
    candidates: Option<String>,
}

impl ScheduleRow {
    fn read(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get(0)?,
            exam_id: row.get(1)?,
            exam_version: row.get(2)?,
            opens_at: row.get(3)?,
            closes_at: row.get(4)?,
            created_by: row.get(5)?,
            created_at: row.get(6)?,
            candidates: row.get(7)?,
        })
    }

    fn into_schedule(self) -> Result<Schedule, StoreError> {
        Ok(Schedule {
            id: ScheduleId(uuid_from(&self.id)?),
            exam_id: self.exam_id,
            exam_version: self.exam_version,
            opens_at: time_from(self.opens_at)?,
            closes_at: time_from(self.closes_at)?,
            candidates: parse_usernames(self.candidates.as_deref()),
            created_by: AccountId(uuid_from(&self.created_by)?),
            created_at: time_from(self.created_at)?,
        })
    }
}

/// `value` as an SQLite integer; sizes and offsets beyond `i64::MAX` cannot occur.
fn sql_integer(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

#[async_trait]
impl Store for SqliteStore {
    async fn check_health(&self) -> Result<(), StoreError> {
        self.read(|conn| conn.query_row("SELECT 1", [], |_| Ok(())))
            .await
    }

    async fn create_account(&self, account: NewAccount) -> Result<Account, StoreError> {
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO accounts (id, username, password_hash, created_at) \
                 VALUES (?1, ?2, ?3, ?4)",
                params![
                    account.id.0.to_string(),
                    account.username,
                    account.password_hash,
                    millis(account.created_at)
                ],
            )
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::UsernameTaken(account.username.clone())
                } else {
                    backend(e)
                }
            })?;
            let mut insert_role = tx
                .prepare_cached("INSERT INTO account_roles (account_id, role) VALUES (?1, ?2)")
                .map_err(backend)?;
            for role in &account.roles {
                insert_role
                    .execute(params![account.id.0.to_string(), role.as_str()])
                    .map_err(backend)?;
            }
            Ok(account.account())
        })
        .await
    }

    async fn credentials(&self, username: &str) -> Result<Option<Credentials>, StoreError> {
        let username = username.to_owned();
        self.read(move |conn| {
            conn.query_row(
                &format!(
                    "SELECT a.password_hash, {ACCOUNT_COLUMNS} FROM accounts a WHERE a.username = ?1"
                ),
                [username],
                |row| Ok((row.get::<_, String>(0)?, AccountRow::read(row, 1)?)),
            )
            .optional()
        })
        .await?
        .map(|(password_hash, account)| {
            Ok(Credentials {
                account: account.into_account()?,
                password_hash,
            })
        })
        .transpose()
    }

    async fn create_session(&self, session: NewSession) -> Result<(), StoreError> {
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO sessions (token_hash, account_id, created_at, expires_at) \
                 VALUES (?1, ?2, ?3, ?4)",
                params![
                    session.token_hash.as_str(),
                    session.account_id.0.to_string(),
                    millis(session.created_at),
                    millis(session.expires_at)
                ],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn session(&self, token_hash: &TokenHash) -> Result<Option<Session>, StoreError> {
        let token_hash = token_hash.clone();
        self.read(move |conn| {
            conn.query_row(
                &format!(
                    "SELECT s.expires_at, {ACCOUNT_COLUMNS} FROM sessions s \
                     JOIN accounts a ON a.id = s.account_id WHERE s.token_hash = ?1"
                ),
                [token_hash.as_str()],
                |row| Ok((row.get::<_, i64>(0)?, AccountRow::read(row, 1)?)),
            )
            .optional()
        })
        .await?
        .map(|(expires_at, account)| {
            Ok(Session {
                account: account.into_account()?,
                expires_at: time_from(expires_at)?,
            })
        })
        .transpose()
    }

    async fn delete_session(&self, token_hash: &TokenHash) -> Result<bool, StoreError> {
        let token_hash = token_hash.clone();
        self.write(move |tx| {
            let removed = tx
                .execute(
                    "DELETE FROM sessions WHERE token_hash = ?1",
                    [token_hash.as_str()],
                )
                .map_err(backend)?;
            Ok(removed > 0)
        })
        .await
    }

    async fn create_enrollment_token(&self, token: NewEnrollmentToken) -> Result<(), StoreError> {
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO enrollment_tokens (token_hash, created_by, created_at, expires_at) \
                 VALUES (?1, ?2, ?3, ?4)",
                params![
                    token.token_hash.as_str(),
                    token.created_by.0.to_string(),
                    millis(token.created_at),
                    millis(token.expires_at)
                ],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn enroll_device(
        &self,
        token_hash: &TokenHash,
        device: NewDevice,
    ) -> Result<Device, StoreError> {
        let token_hash = token_hash.clone();
        self.write(move |tx| {
            let token = tx
                .query_row(
                    "SELECT created_by, expires_at, used_at FROM enrollment_tokens \
                     WHERE token_hash = ?1",
                    [token_hash.as_str()],
                    |row| {
                        Ok((
                            row.get::<_, String>(0)?,
                            row.get::<_, i64>(1)?,
                            row.get::<_, Option<i64>>(2)?,
                        ))
                    },
                )
                .optional()
                .map_err(backend)?;
            let (enrolled_by, expires_at, used_at) =
                token.ok_or(StoreError::EnrollmentTokenUnknown)?;
            let enrolled_by = AccountId(uuid_from(&enrolled_by)?);
            let expires_at = time_from(expires_at)?;
            if used_at.is_some() {
                return Err(StoreError::EnrollmentTokenUsed);
            }
            if expires_at <= device.enrolled_at {
                return Err(StoreError::EnrollmentTokenExpired(expires_at));
            }
            let at = millis(device.enrolled_at);
            tx.execute(
                "UPDATE enrollment_tokens SET used_at = ?2 WHERE token_hash = ?1",
                params![token_hash.as_str(), at],
            )
            .map_err(backend)?;
            let key_id = device.public_key.key_id().clone();
            tx.execute(
                "INSERT INTO devices \
                 (id, key_id, public_key_jwk, enrolled_by, enrollment_token_hash, enrolled_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    device.id.0.to_string(),
                    key_id.as_str(),
                    device.public_key.to_jwk_json(),
                    enrolled_by.0.to_string(),
                    token_hash.as_str(),
                    at
                ],
            )
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::DeviceAlreadyEnrolled(key_id.clone())
                } else {
                    backend(e)
                }
            })?;
            Ok(Device {
                id: device.id,
                key_id,
                public_key: device.public_key,
                enrolled_by,
                enrolled_at: device.enrolled_at,
            })
        })
        .await
    }

    async fn devices(&self) -> Result<Vec<Device>, StoreError> {
        self.read(|conn| {
            let mut statement = conn.prepare_cached(
                "SELECT id, public_key_jwk, enrolled_by, enrolled_at FROM devices \
                 ORDER BY enrolled_at, id",
            )?;
            let rows = statement.query_map([], DeviceRow::read)?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        })
        .await?
        .into_iter()
        .map(DeviceRow::into_device)
        .collect()
    }

    async fn device_by_key(&self, key_id: &KeyId) -> Result<Option<Device>, StoreError> {
        let key_id = key_id.clone();
        self.read(move |conn| {
            conn.query_row(
                "SELECT id, public_key_jwk, enrolled_by, enrolled_at FROM devices \
                 WHERE key_id = ?1",
                [key_id.as_str()],
                DeviceRow::read,
            )
            .optional()
        })
        .await?
        .map(DeviceRow::into_device)
        .transpose()
    }

    async fn store_result(&self, result: ResultRecord) -> Result<StoredResult, StoreError> {
        self.write(move |tx| {
            let inserted = tx
                .prepare_cached(&format!(
                    "INSERT INTO results ({RESULT_COLUMNS}) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) \
                     ON CONFLICT (result_id) DO NOTHING"
                ))
                .map_err(backend)?
                .execute(params![
                    result.result_id,
                    result.sealed_sha256,
                    result.signed,
                    result.device_key_id.as_str(),
                    result.session_id,
                    result.exam_id,
                    result.exam_version,
                    result.candidate_id,
                    result.receipt_code,
                    result.receipt,
                    millis(result.received_at),
                    result.via.as_str(),
                    result.handed_in_by.map(|id| id.0.to_string()),
                    result.form_checked,
                ])
                .map_err(|e| {
                    if is_foreign_key_violation(&e) {
                        StoreError::DeviceNotEnrolled(result.device_key_id.clone())
                    } else {
                        backend(e)
                    }
                })?;
            if inserted == 1 {
                return Ok(StoredResult::New(result));
            }
            let stored = result_by_id(tx, &result.result_id)?.ok_or_else(|| {
                StoreError::Backend("a result vanished while being stored".to_owned())
            })?;
            existing_result(stored, &result)
        })
        .await
    }

    async fn result(&self, result_id: &str) -> Result<Option<ResultRecord>, StoreError> {
        let result_id = result_id.to_owned();
        self.with_connection(move |conn| result_by_id(conn, &result_id))
            .await
    }

    async fn store_progress(
        &self,
        account: AccountId,
        events: Vec<ProgressEvent>,
        received_at: DateTime<Utc>,
    ) -> Result<StoredProgress, StoreError> {
        self.write(move |tx| {
            let account_id = account.0.to_string();
            // The immediate transaction already holds the database's write lock; the
            // head row is taken as on PostgreSQL (see `store::progress`).
            let head: i64 = tx
                .prepare_cached(
                    "INSERT INTO progress_heads (account_id, last_seq) VALUES (?1, 0) \
                     ON CONFLICT (account_id) DO UPDATE SET last_seq = last_seq \
                     RETURNING last_seq",
                )
                .map_err(backend)?
                .query_row([&account_id], |row| row.get(0))
                .map_err(backend)?;
            let mut held = Vec::new();
            let mut select = tx
                .prepare_cached(&format!(
                    "SELECT seq, {PROGRESS_COLUMNS} FROM progress_events \
                     WHERE account_id = ?1 AND event_id = ?2"
                ))
                .map_err(backend)?;
            for event in &events {
                let row = select
                    .query_row(
                        params![account_id, event.id.to_string()],
                        ProgressRow::read,
                    )
                    .optional()
                    .map_err(backend)?;
                if let Some(row) = row {
                    held.push(row.into_numbered(account)?.1);
                }
            }
            let plan = progress::plan(events, held);
            let head = progress::number(head)?;
            let mut insert = tx
                .prepare_cached(&format!(
                    "INSERT INTO progress_events (account_id, seq, {PROGRESS_COLUMNS}, received_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
                ))
                .map_err(backend)?;
            for (number, event) in (head + 1..).zip(&plan.new) {
                insert
                    .execute(params![
                        account_id,
                        sql_integer(number),
                        event.id.to_string(),
                        event.verb.as_str(),
                        event.pack_id,
                        event.object_kind.as_str(),
                        event.object_id,
                        event.result.as_ref().map(|result| result.to_string()),
                        event.active_seconds,
                        millis(event.occurred_at),
                        event.local_day.to_string(),
                        millis(received_at),
                    ])
                    .map_err(backend)?;
            }
            let outcome = plan.outcome(head);
            tx.execute(
                "UPDATE progress_heads SET last_seq = ?2 WHERE account_id = ?1",
                params![account_id, sql_integer(outcome.head)],
            )
            .map_err(backend)?;
            Ok(outcome)
        })
        .await
    }

    async fn progress_after(
        &self,
        account: AccountId,
        after: u64,
        limit: u32,
    ) -> Result<ProgressPage, StoreError> {
        let account_id = account.0.to_string();
        let (from, rows) = self
            .read(move |conn| {
                let head: i64 = conn.query_row(
                    "SELECT coalesce(max(last_seq), 0) FROM progress_heads WHERE account_id = ?1",
                    [&account_id],
                    |row| row.get(0),
                )?;
                // The head is never negative (the schema checks it).
                let from = progress::resume_point(after, u64::try_from(head).unwrap_or(0));
                let mut statement = conn.prepare_cached(&format!(
                    "SELECT seq, {PROGRESS_COLUMNS} FROM progress_events \
                     WHERE account_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3"
                ))?;
                let rows = statement
                    .query_map(
                        params![account_id, sql_integer(from), i64::from(limit) + 1],
                        ProgressRow::read,
                    )?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok((from, rows))
            })
            .await?;
        let rows = rows
            .into_iter()
            .map(|row| row.into_numbered(account))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(progress::page(rows, from, limit))
    }

    async fn publish_pack(
        &self,
        pack: PackRecord,
        bytes: Vec<u8>,
    ) -> Result<StoredPack, StoreError> {
        self.write(move |tx| {
            let inserted = tx
                .prepare_cached(&format!(
                    "INSERT INTO packs ({PACK_COLUMNS}, bytes) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
                     ON CONFLICT (id, version) DO NOTHING"
                ))
                .map_err(backend)?
                .execute(params![
                    pack.id,
                    pack.version,
                    pack.kind.as_str(),
                    pack.title,
                    sql_integer(pack.size),
                    pack.sha256,
                    pack.published_by.0.to_string(),
                    millis(pack.published_at),
                    bytes,
                ])
                .map_err(backend)?;
            if inserted == 1 {
                return Ok(StoredPack::New(pack));
            }
            let stored = pack_by_id(tx, &pack.id, &pack.version)?.ok_or_else(|| {
                StoreError::Backend("a pack vanished while being stored".to_owned())
            })?;
            existing_pack(stored, &pack)
        })
        .await
    }

    async fn packs(&self) -> Result<Vec<PackRecord>, StoreError> {
        self.read(|conn| {
            let mut statement = conn.prepare_cached(&format!(
                "SELECT {PACK_COLUMNS} FROM packs ORDER BY published_at DESC, id, version"
            ))?;
            let rows = statement.query_map([], PackRow::read)?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        })
        .await?
        .into_iter()
        .map(PackRow::into_record)
        .collect()
    }

    async fn pack(&self, id: &str, version: &str) -> Result<Option<PackRecord>, StoreError> {
        let (id, version) = (id.to_owned(), version.to_owned());
        self.with_connection(move |conn| pack_by_id(conn, &id, &version))
            .await
    }

    async fn pack_bytes(
        &self,
        id: &str,
        version: &str,
        offset: u64,
        length: u64,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let (id, version) = (id.to_owned(), version.to_owned());
        self.read(move |conn| {
            // substr() counts from 1.
            conn.query_row(
                "SELECT substr(bytes, ?3, ?4) FROM packs WHERE id = ?1 AND version = ?2",
                params![
                    id,
                    version,
                    sql_integer(offset).saturating_add(1),
                    sql_integer(length)
                ],
                |row| row.get::<_, Vec<u8>>(0),
            )
            .optional()
        })
        .await
    }
    async fn create_schedule(&self, schedule: NewSchedule) -> Result<Schedule, StoreError> {
        self.write(move |tx| {
            let id = schedule.id.0.to_string();
            tx.execute(
                "INSERT INTO exam_schedules \
                 (id, exam_id, exam_version, opens_at, closes_at, created_by, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    id,
                    schedule.exam_id,
                    schedule.exam_version,
                    millis(schedule.opens_at),
                    millis(schedule.closes_at),
                    schedule.created_by.0.to_string(),
                    millis(schedule.created_at)
                ],
            )
            .map_err(backend)?;
            let mut insert_candidate = tx
                .prepare_cached(
                    "INSERT INTO exam_schedule_candidates (schedule_id, account_id) \
                     VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                )
                .map_err(backend)?;
            for candidate in &schedule.candidates {
                insert_candidate
                    .execute(params![id, candidate.id.0.to_string()])
                    .map_err(backend)?;
            }
            Ok(stored_schedule(schedule))
        })
        .await
    }

    async fn schedules(&self, candidate: Option<AccountId>) -> Result<Vec<Schedule>, StoreError> {
        self.read(move |conn| {
            let mut statement = conn.prepare_cached(&format!(
                "SELECT {SCHEDULE_COLUMNS} FROM exam_schedules s \
                 WHERE ?1 IS NULL OR EXISTS (SELECT 1 FROM exam_schedule_candidates c \
                     WHERE c.schedule_id = s.id AND c.account_id = ?1) \
                 ORDER BY s.opens_at, s.id"
            ))?;
            let rows =
                statement.query_map([candidate.map(|id| id.0.to_string())], ScheduleRow::read)?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        })
        .await?
        .into_iter()
        .map(ScheduleRow::into_schedule)
        .collect()
    }

    async fn record_release(&self, release: KeyRelease) -> Result<(), StoreError> {
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO key_releases \
                 (id, schedule_id, account_id, device_key_id, released_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    release.id.to_string(),
                    release.schedule_id.0.to_string(),
                    release.account_id.0.to_string(),
                    release.device_key_id.as_str(),
                    millis(release.released_at)
                ],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn releases(&self, schedule_id: ScheduleId) -> Result<Vec<KeyRelease>, StoreError> {
        self.read(move |conn| {
            let mut statement = conn.prepare_cached(
                "SELECT id, account_id, device_key_id, released_at FROM key_releases \
                 WHERE schedule_id = ?1 ORDER BY released_at, id",
            )?;
            let rows = statement.query_map([schedule_id.0.to_string()], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, i64>(3)?,
                ))
            })?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        })
        .await?
        .into_iter()
        .map(|(id, account_id, device_key_id, released_at)| {
            Ok(KeyRelease {
                id: uuid_from(&id)?,
                schedule_id,
                account_id: AccountId(uuid_from(&account_id)?),
                device_key_id: KeyId::new(device_key_id),
                released_at: time_from(released_at)?,
            })
        })
        .collect()
    }
}

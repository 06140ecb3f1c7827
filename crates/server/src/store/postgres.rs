//! The production backend: PostgreSQL, shared by any number of server replicas.
//!
//! A connection pool (deadpool) over tokio-postgres. Migrations are applied under a
//! PostgreSQL advisory lock, so replicas starting together migrate once; every write
//! that touches more than one row runs in one transaction.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use include_dir::{Dir, include_dir};
use tokio_postgres::error::SqlState;
use tokio_postgres::{NoTls, Row};
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
    include_dir!("$CARGO_MANIFEST_DIR/../../migrations/server/postgres");

/// Any constant works, as long as no other program on the database uses it.
const MIGRATION_LOCK: i64 = 0x5354_5544_5948_414c; // "STUDYHAL"

const ACCOUNT_COLUMNS: &str = "a.id, a.username, a.created_at, \
     (SELECT string_agg(role, ',') FROM account_roles WHERE account_id = a.id)";

#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: Pool,
}

impl PostgresStore {
    /// Connects to `url` and applies the migrations.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| StoreError::InvalidUrl(format!("{e}")))?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(16)
            .build()
            .map_err(|e| StoreError::Backend(format!("building the connection pool: {e}")))?;
        let store = Self { pool };
        store.migrate().await?;
        Ok(store)
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.pool
            .get()
            .await
            .map_err(|e| StoreError::Backend(format!("connecting to PostgreSQL: {e}")))
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let mut migrations: Vec<(i64, &str, &str)> = Vec::new();
        for dir in MIGRATIONS_DIR.dirs() {
            let name: &str = dir.path().to_str().unwrap_or_default();
            let version = name
                .split('-')
                .next()
                .and_then(|number| number.parse().ok())
                .ok_or_else(|| {
                    StoreError::Backend(format!("migration folder {name} has no number"))
                })?;
            let sql = dir
                .get_file(dir.path().join("up.sql"))
                .and_then(|file| file.contents_utf8())
                .ok_or_else(|| StoreError::Backend(format!("migration {name} has no up.sql")))?;
            migrations.push((version, name, sql));
        }
        migrations.sort_by_key(|(version, _, _)| *version);
        let known = migrations.last().map_or(0, |(version, _, _)| *version);

        let mut client = self.client().await?;
        client
            .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
            .await
            .map_err(backend)?;
        let result = async {
            client
                .batch_execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations (\
                     version BIGINT PRIMARY KEY, name TEXT NOT NULL, \
                     applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
                )
                .await
                .map_err(backend)?;
            let found: i64 = client
                .query_one(
                    "SELECT coalesce(max(version), 0) FROM schema_migrations",
                    &[],
                )
                .await
                .map_err(backend)?
                .get(0);
            if found > known {
                return Err(StoreError::DatabaseTooNew { found, known });
            }
            for (version, name, sql) in migrations.iter().filter(|(v, _, _)| *v > found) {
                let tx = client.transaction().await.map_err(backend)?;
                tx.batch_execute(sql).await.map_err(|e| {
                    StoreError::Backend(format!("migration {name}: {}", describe(&e)))
                })?;
                tx.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                    &[version, name],
                )
                .await
                .map_err(backend)?;
                tx.commit().await.map_err(backend)?;
                tracing::info!(migration = %name, "applied a PostgreSQL migration");
            }
            Ok(())
        }
        .await;
        client
            .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
            .await
            .map_err(backend)?;
        result
    }
}

/// The server's message for a PostgreSQL error, with the database's own detail.
fn describe(error: &tokio_postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => format!("{}: {}", db.code().code(), db.message()),
        None => error.to_string(),
    }
}

fn backend(error: tokio_postgres::Error) -> StoreError {
    StoreError::Backend(describe(&error))
}

fn is_unique_violation(error: &tokio_postgres::Error) -> bool {
    error.code() == Some(&SqlState::UNIQUE_VIOLATION)
}

fn is_foreign_key_violation(error: &tokio_postgres::Error) -> bool {
    error.code() == Some(&SqlState::FOREIGN_KEY_VIOLATION)
}

/// Reads [`ACCOUNT_COLUMNS`] starting at column `first`.
fn account_from(row: &Row, first: usize) -> Result<Account, StoreError> {
    let roles: Option<String> = row.try_get(first + 3).map_err(backend)?;
    Ok(Account {
        id: AccountId(row.try_get(first).map_err(backend)?),
        username: row.try_get(first + 1).map_err(backend)?,
        roles: parse_roles(roles.as_deref())?,
        created_at: row.try_get(first + 2).map_err(backend)?,
    })
}

fn device_from(row: &Row) -> Result<Device, StoreError> {
    let jwk: String = row.try_get(1).map_err(backend)?;
    let public_key = parse_public_key(&jwk)?;
    Ok(Device {
        id: DeviceId(row.try_get(0).map_err(backend)?),
        key_id: public_key.key_id().clone(),
        public_key,
        enrolled_by: AccountId(row.try_get(2).map_err(backend)?),
        enrolled_at: row.try_get(3).map_err(backend)?,
    })
}

const RESULT_COLUMNS: &str = "result_id, sealed_sha256, signed, device_key_id, session_id, \
     exam_id, exam_version, candidate_id, receipt_code, receipt, received_at, via, \
     handed_in_by, form_checked";

fn result_from(row: &Row) -> Result<ResultRecord, StoreError> {
    let text = |index: usize| row.try_get::<_, String>(index).map_err(backend);
    let handed_in_by: Option<Uuid> = row.try_get(12).map_err(backend)?;
    Ok(ResultRecord {
        result_id: text(0)?,
        sealed_sha256: text(1)?,
        signed: text(2)?,
        device_key_id: KeyId::new(text(3)?),
        session_id: text(4)?,
        exam_id: text(5)?,
        exam_version: text(6)?,
        candidate_id: text(7)?,
        receipt_code: text(8)?,
        receipt: text(9)?,
        received_at: row.try_get(10).map_err(backend)?,
        via: ResultVia::parse(&text(11)?)?,
        handed_in_by: handed_in_by.map(AccountId),
        form_checked: row.try_get(13).map_err(backend)?,
    })
}

const PACK_COLUMNS: &str = "id, version, kind, title, size, sha256, published_by, published_at";

fn pack_from(row: &Row) -> Result<PackRecord, StoreError> {
    let size: i64 = row.try_get(4).map_err(backend)?;
    Ok(PackRecord {
        id: row.try_get(0).map_err(backend)?,
        version: row.try_get(1).map_err(backend)?,
        kind: PackKind::parse(row.try_get(2).map_err(backend)?)?,
        title: row.try_get(3).map_err(backend)?,
        size: u64::try_from(size)
            .map_err(|_| StoreError::Corrupt(format!("a pack's size {size}")))?,
        sha256: row.try_get(5).map_err(backend)?,
        published_by: AccountId(row.try_get(6).map_err(backend)?),
        published_at: row.try_get(7).map_err(backend)?,
    })
}

const SCHEDULE_COLUMNS: &str = "s.id, s.exam_id, s.exam_version, s.opens_at, s.closes_at, \
     s.created_by, s.created_at, \
     (SELECT string_agg(a.username, ',') FROM exam_schedule_candidates c \
      JOIN accounts a ON a.id = c.account_id WHERE c.schedule_id = s.id)";

fn schedule_from(row: &Row) -> Result<Schedule, StoreError> {
    let candidates: Option<String> = row.try_get(7).map_err(backend)?;
    Ok(Schedule {
        id: ScheduleId(row.try_get(0).map_err(backend)?),
        exam_id: row.try_get(1).map_err(backend)?,
        exam_version: row.try_get(2).map_err(backend)?,
        opens_at: row.try_get(3).map_err(backend)?,
        closes_at: row.try_get(4).map_err(backend)?,
        candidates: parse_usernames(candidates.as_deref()),
        created_by: AccountId(row.try_get(5).map_err(backend)?),
        created_at: row.try_get(6).map_err(backend)?,
    })
}

/// `value` as a PostgreSQL integer; sizes and offsets beyond `i64::MAX` cannot occur.
fn sql_integer(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// `seq` and [`PROGRESS_COLUMNS`]: an event, whose actor is `account`, and its number.
fn progress_from(row: &Row, account: AccountId) -> Result<(u64, ProgressEvent), StoreError> {
    let number: i64 = row.try_get(0).map_err(backend)?;
    let active_seconds: i32 = row.try_get(7).map_err(backend)?;
    Ok((
        progress::number(number)?,
        ProgressEvent {
            id: row.try_get(1).map_err(backend)?,
            actor: account.0.to_string(),
            verb: progress::parse_verb(row.try_get(2).map_err(backend)?)?,
            pack_id: row.try_get(3).map_err(backend)?,
            object_kind: progress::parse_object_kind(row.try_get(4).map_err(backend)?)?,
            object_id: row.try_get(5).map_err(backend)?,
            result: progress::parse_result(row.try_get(6).map_err(backend)?)?,
            active_seconds: u32::try_from(active_seconds).map_err(|_| {
                StoreError::Corrupt(format!("a progress event's {active_seconds} seconds"))
            })?,
            occurred_at: row.try_get(8).map_err(backend)?,
            local_day: row.try_get(9).map_err(backend)?,
        },
    ))
}

#[async_trait]
impl Store for PostgresStore {
    async fn check_health(&self) -> Result<(), StoreError> {
        self.client()
            .await?
            .execute("SELECT 1", &[])
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn create_account(&self, account: NewAccount) -> Result<Account, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        tx.execute(
            "INSERT INTO accounts (id, username, password_hash, created_at) \
             VALUES ($1, $2, $3, $4)",
            &[
                &account.id.0,
                &account.username,
                &account.password_hash,
                &account.created_at,
            ],
        )
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::UsernameTaken(account.username.clone())
            } else {
                backend(e)
            }
        })?;
        let roles: Vec<&str> = account.roles.iter().map(|role| role.as_str()).collect();
        tx.execute(
            "INSERT INTO account_roles (account_id, role) SELECT $1, unnest($2::text[])",
            &[&account.id.0, &roles],
        )
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(account.account())
    }

    async fn credentials(&self, username: &str) -> Result<Option<Credentials>, StoreError> {
        let row = self
            .client()
            .await?
            .query_opt(
                &format!(
                    "SELECT a.password_hash, {ACCOUNT_COLUMNS} FROM accounts a WHERE a.username = $1"
                ),
                &[&username],
            )
            .await
            .map_err(backend)?;
        row.map(|row| {
            Ok(Credentials {
                password_hash: row.try_get(0).map_err(backend)?,
                account: account_from(&row, 1)?,
            })
        })
        .transpose()
    }

    async fn create_session(&self, session: NewSession) -> Result<(), StoreError> {
        self.client()
            .await?
            .execute(
                "INSERT INTO sessions (token_hash, account_id, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4)",
                &[
                    &session.token_hash.as_str(),
                    &session.account_id.0,
                    &session.created_at,
                    &session.expires_at,
                ],
            )
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn session(&self, token_hash: &TokenHash) -> Result<Option<Session>, StoreError> {
        let row = self
            .client()
            .await?
            .query_opt(
                &format!(
                    "SELECT s.expires_at, {ACCOUNT_COLUMNS} FROM sessions s \
                     JOIN accounts a ON a.id = s.account_id WHERE s.token_hash = $1"
                ),
                &[&token_hash.as_str()],
            )
            .await
            .map_err(backend)?;
        row.map(|row| {
            Ok(Session {
                expires_at: row.try_get(0).map_err(backend)?,
                account: account_from(&row, 1)?,
            })
        })
        .transpose()
    }

    async fn delete_session(&self, token_hash: &TokenHash) -> Result<bool, StoreError> {
        let removed = self
            .client()
            .await?
            .execute(
                "DELETE FROM sessions WHERE token_hash = $1",
                &[&token_hash.as_str()],
            )
            .await
            .map_err(backend)?;
        Ok(removed > 0)
    }

    async fn create_enrollment_token(&self, token: NewEnrollmentToken) -> Result<(), StoreError> {
        self.client()
            .await?
            .execute(
                "INSERT INTO enrollment_tokens (token_hash, created_by, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4)",
                &[
                    &token.token_hash.as_str(),
                    &token.created_by.0,
                    &token.created_at,
                    &token.expires_at,
                ],
            )
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn enroll_device(
        &self,
        token_hash: &TokenHash,
        device: NewDevice,
    ) -> Result<Device, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        // FOR UPDATE: a replica enrolling with the same token at the same moment waits
        // here and then sees the token used.
        let token = tx
            .query_opt(
                "SELECT created_by, expires_at, used_at FROM enrollment_tokens \
                 WHERE token_hash = $1 FOR UPDATE",
                &[&token_hash.as_str()],
            )
            .await
            .map_err(backend)?
            .ok_or(StoreError::EnrollmentTokenUnknown)?;
        let enrolled_by = AccountId(token.try_get::<_, Uuid>(0).map_err(backend)?);
        let expires_at: DateTime<Utc> = token.try_get(1).map_err(backend)?;
        let used_at: Option<DateTime<Utc>> = token.try_get(2).map_err(backend)?;
        if used_at.is_some() {
            return Err(StoreError::EnrollmentTokenUsed);
        }
        if expires_at <= device.enrolled_at {
            return Err(StoreError::EnrollmentTokenExpired(expires_at));
        }
        tx.execute(
            "UPDATE enrollment_tokens SET used_at = $2 WHERE token_hash = $1",
            &[&token_hash.as_str(), &device.enrolled_at],
        )
        .await
        .map_err(backend)?;
        let key_id = device.public_key.key_id().clone();
        tx.execute(
            "INSERT INTO devices \
             (id, key_id, public_key_jwk, enrolled_by, enrollment_token_hash, enrolled_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &device.id.0,
                &key_id.as_str(),
                &device.public_key.to_jwk_json(),
                &enrolled_by.0,
                &token_hash.as_str(),
                &device.enrolled_at,
            ],
        )
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::DeviceAlreadyEnrolled(key_id.clone())
            } else {
                backend(e)
            }
        })?;
        tx.commit().await.map_err(backend)?;
        Ok(Device {
            id: device.id,
            key_id,
            public_key: device.public_key,
            enrolled_by,
            enrolled_at: device.enrolled_at,
        })
    }

    async fn devices(&self) -> Result<Vec<Device>, StoreError> {
        self.client()
            .await?
            .query(
                "SELECT id, public_key_jwk, enrolled_by, enrolled_at FROM devices \
                 ORDER BY enrolled_at, id",
                &[],
            )
            .await
            .map_err(backend)?
            .iter()
            .map(device_from)
            .collect()
    }

    async fn device_by_key(&self, key_id: &KeyId) -> Result<Option<Device>, StoreError> {
        self.client()
            .await?
            .query_opt(
                "SELECT id, public_key_jwk, enrolled_by, enrolled_at FROM devices \
                 WHERE key_id = $1",
                &[&key_id.as_str()],
            )
            .await
            .map_err(backend)?
            .as_ref()
            .map(device_from)
            .transpose()
    }

    async fn store_result(&self, result: ResultRecord) -> Result<StoredResult, StoreError> {
        let client = self.client().await?;
        // A replica inserting the same id at the same moment makes this wait for its
        // commit, then do nothing; the SELECT below then sees its row.
        let inserted = client
            .execute(
                &format!(
                    "INSERT INTO results ({RESULT_COLUMNS}) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
                     ON CONFLICT (result_id) DO NOTHING"
                ),
                &[
                    &result.result_id,
                    &result.sealed_sha256,
                    &result.signed,
                    &result.device_key_id.as_str(),
                    &result.session_id,
                    &result.exam_id,
                    &result.exam_version,
                    &result.candidate_id,
                    &result.receipt_code,
                    &result.receipt,
                    &result.received_at,
                    &result.via.as_str(),
                    &result.handed_in_by.map(|id| id.0),
                    &result.form_checked,
                ],
            )
            .await
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
        let stored = self.result(&result.result_id).await?.ok_or_else(|| {
            StoreError::Backend("a result vanished while being stored".to_owned())
        })?;
        existing_result(stored, &result)
    }

    async fn result(&self, result_id: &str) -> Result<Option<ResultRecord>, StoreError> {
        self.client()
            .await?
            .query_opt(
                &format!("SELECT {RESULT_COLUMNS} FROM results WHERE result_id = $1"),
                &[&result_id],
            )
            .await
            .map_err(backend)?
            .as_ref()
            .map(result_from)
            .transpose()
    }

    async fn store_progress(
        &self,
        account: AccountId,
        events: Vec<ProgressEvent>,
        received_at: DateTime<Utc>,
    ) -> Result<StoredProgress, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        // Locks the account's head row until the commit: a push of the same account on
        // any replica waits here, so numbers commit in order (see `store::progress`).
        let head: i64 = tx
            .query_one(
                "INSERT INTO progress_heads (account_id, last_seq) VALUES ($1, 0) \
                 ON CONFLICT (account_id) DO UPDATE SET last_seq = progress_heads.last_seq \
                 RETURNING last_seq",
                &[&account.0],
            )
            .await
            .map_err(backend)?
            .try_get(0)
            .map_err(backend)?;
        let ids: Vec<Uuid> = events.iter().map(|event| event.id).collect();
        let held = tx
            .query(
                &format!(
                    "SELECT seq, {PROGRESS_COLUMNS} FROM progress_events \
                     WHERE account_id = $1 AND event_id = ANY($2)"
                ),
                &[&account.0, &ids],
            )
            .await
            .map_err(backend)?
            .iter()
            .map(|row| progress_from(row, account).map(|(_, event)| event))
            .collect::<Result<Vec<_>, _>>()?;
        let plan = progress::plan(events, held);
        let head = progress::number(head)?;
        if !plan.new.is_empty() {
            let new = &plan.new;
            let numbers: Vec<i64> = (head + 1..).take(new.len()).map(sql_integer).collect();
            let ids: Vec<Uuid> = new.iter().map(|event| event.id).collect();
            let verbs: Vec<&str> = new.iter().map(|event| event.verb.as_str()).collect();
            let packs: Vec<&str> = new.iter().map(|event| event.pack_id.as_str()).collect();
            let kinds: Vec<&str> = new.iter().map(|e| e.object_kind.as_str()).collect();
            let objects: Vec<&str> = new.iter().map(|e| e.object_id.as_str()).collect();
            let results: Vec<Option<String>> = new
                .iter()
                .map(|event| event.result.as_ref().map(|result| result.to_string()))
                .collect();
            let seconds: Vec<i32> = new
                .iter()
                .map(|event| i32::try_from(event.active_seconds).unwrap_or(i32::MAX))
                .collect();
            let times: Vec<DateTime<Utc>> = new.iter().map(|event| event.occurred_at).collect();
            let days: Vec<chrono::NaiveDate> = new.iter().map(|event| event.local_day).collect();
            tx.execute(
                &format!(
                    "INSERT INTO progress_events (account_id, seq, {PROGRESS_COLUMNS}, received_at) \
                     SELECT $1::uuid, t.*, $12::timestamptz FROM unnest($2::bigint[], \
                     $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], \
                     $9::integer[], $10::timestamptz[], $11::date[]) AS t"
                ),
                &[
                    &account.0,
                    &numbers,
                    &ids,
                    &verbs,
                    &packs,
                    &kinds,
                    &objects,
                    &results,
                    &seconds,
                    &times,
                    &days,
                    &received_at,
                ],
            )
            .await
            .map_err(backend)?;
        }
        let outcome = plan.outcome(head);
        tx.execute(
            "UPDATE progress_heads SET last_seq = $2 WHERE account_id = $1",
            &[&account.0, &sql_integer(outcome.head)],
        )
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(outcome)
    }

    async fn progress_after(
        &self,
        account: AccountId,
        after: u64,
        limit: u32,
    ) -> Result<ProgressPage, StoreError> {
        let client = self.client().await?;
        let head: i64 = client
            .query_one(
                "SELECT coalesce(max(last_seq), 0) FROM progress_heads WHERE account_id = $1",
                &[&account.0],
            )
            .await
            .map_err(backend)?
            .try_get(0)
            .map_err(backend)?;
        let from = progress::resume_point(after, progress::number(head)?);
        let rows = client
            .query(
                &format!(
                    "SELECT seq, {PROGRESS_COLUMNS} FROM progress_events \
                     WHERE account_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"
                ),
                &[&account.0, &sql_integer(from), &(i64::from(limit) + 1)],
            )
            .await
            .map_err(backend)?
            .iter()
            .map(|row| progress_from(row, account))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(progress::page(rows, from, limit))
    }

    async fn publish_pack(
        &self,
        pack: PackRecord,
        bytes: Vec<u8>,
    ) -> Result<StoredPack, StoreError> {
        let client = self.client().await?;
        // A replica publishing the same pack at the same moment makes this wait for its
        // commit, then do nothing; the SELECT below then sees its row.
        let inserted = client
            .execute(
                &format!(
                    "INSERT INTO packs ({PACK_COLUMNS}, bytes) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                     ON CONFLICT (id, version) DO NOTHING"
                ),
                &[
                    &pack.id,
                    &pack.version,
                    &pack.kind.as_str(),
                    &pack.title,
                    &sql_integer(pack.size),
                    &pack.sha256,
                    &pack.published_by.0,
                    &pack.published_at,
                    &bytes,
                ],
            )
            .await
            .map_err(backend)?;
        if inserted == 1 {
            return Ok(StoredPack::New(pack));
        }
        let stored = self
            .pack(&pack.id, &pack.version)
            .await?
            .ok_or_else(|| StoreError::Backend("a pack vanished while being stored".to_owned()))?;
        existing_pack(stored, &pack)
    }

    async fn packs(&self) -> Result<Vec<PackRecord>, StoreError> {
        self.client()
            .await?
            .query(
                &format!(
                    "SELECT {PACK_COLUMNS} FROM packs ORDER BY published_at DESC, id, version"
                ),
                &[],
            )
            .await
            .map_err(backend)?
            .iter()
            .map(pack_from)
            .collect()
    }

    async fn pack(&self, id: &str, version: &str) -> Result<Option<PackRecord>, StoreError> {
        self.client()
            .await?
            .query_opt(
                &format!("SELECT {PACK_COLUMNS} FROM packs WHERE id = $1 AND version = $2"),
                &[&id, &version],
            )
            .await
            .map_err(backend)?
            .as_ref()
            .map(pack_from)
            .transpose()
    }

    async fn pack_bytes(
        &self,
        id: &str,
        version: &str,
        offset: u64,
        length: u64,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        // substring() counts from 1 and takes 32-bit integers (a bytea holds at most
        // 1 GiB); `bytes` is stored uncompressed (migration 03), so only the chunks
        // holding the range are read.
        let int = |value: u64| i32::try_from(value).unwrap_or(i32::MAX);
        let row = self
            .client()
            .await?
            .query_opt(
                "SELECT substring(bytes from $3 for $4) FROM packs \
                 WHERE id = $1 AND version = $2",
                &[&id, &version, &int(offset.saturating_add(1)), &int(length)],
            )
            .await
            .map_err(backend)?;
        row.map(|row| row.try_get::<_, Vec<u8>>(0).map_err(backend))
            .transpose()
    }
    async fn create_schedule(&self, schedule: NewSchedule) -> Result<Schedule, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        tx.execute(
            "INSERT INTO exam_schedules \
             (id, exam_id, exam_version, opens_at, closes_at, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &schedule.id.0,
                &schedule.exam_id,
                &schedule.exam_version,
                &schedule.opens_at,
                &schedule.closes_at,
                &schedule.created_by.0,
                &schedule.created_at,
            ],
        )
        .await
        .map_err(backend)?;
        let candidates: Vec<Uuid> = schedule.candidates.iter().map(|a| a.id.0).collect();
        tx.execute(
            "INSERT INTO exam_schedule_candidates (schedule_id, account_id) \
             SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING",
            &[&schedule.id.0, &candidates],
        )
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(stored_schedule(schedule))
    }

    async fn schedules(&self, candidate: Option<AccountId>) -> Result<Vec<Schedule>, StoreError> {
        self.client()
            .await?
            .query(
                &format!(
                    "SELECT {SCHEDULE_COLUMNS} FROM exam_schedules s \
                     WHERE $1::uuid IS NULL OR EXISTS (SELECT 1 FROM exam_schedule_candidates c \
                         WHERE c.schedule_id = s.id AND c.account_id = $1) \
                     ORDER BY s.opens_at, s.id"
                ),
                &[&candidate.map(|id| id.0)],
            )
            .await
            .map_err(backend)?
            .iter()
            .map(schedule_from)
            .collect()
    }

    async fn record_release(&self, release: KeyRelease) -> Result<(), StoreError> {
        self.client()
            .await?
            .execute(
                "INSERT INTO key_releases \
                 (id, schedule_id, account_id, device_key_id, released_at) \
                 VALUES ($1, $2, $3, $4, $5)",
                &[
                    &release.id,
                    &release.schedule_id.0,
                    &release.account_id.0,
                    &release.device_key_id.as_str(),
                    &release.released_at,
                ],
            )
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn releases(&self, schedule_id: ScheduleId) -> Result<Vec<KeyRelease>, StoreError> {
        self.client()
            .await?
            .query(
                "SELECT id, account_id, device_key_id, released_at FROM key_releases \
                 WHERE schedule_id = $1 ORDER BY released_at, id",
                &[&schedule_id.0],
            )
            .await
            .map_err(backend)?
            .iter()
            .map(|row| {
                Ok(KeyRelease {
                    id: row.try_get(0).map_err(backend)?,
                    schedule_id,
                    account_id: AccountId(row.try_get(1).map_err(backend)?),
                    device_key_id: KeyId::new(row.try_get::<_, String>(2).map_err(backend)?),
                    released_at: row.try_get(3).map_err(backend)?,
                })
            })
            .collect()
    }
}

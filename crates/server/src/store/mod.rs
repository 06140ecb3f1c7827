//! Everything the server keeps, behind one [`Store`] trait with two backends:
//! [`sqlite`] (the embedded default) and [`postgres`] (several replicas share one
//! database, so no backend keeps state in the process that another replica would need).
//!
//! Promises:
//! - [`open`] picks the backend from the database URL and applies the embedded
//!   migrations (`migrations/server/{sqlite,postgres}`) before returning; a database
//!   written by a newer server is refused with [`StoreError::DatabaseTooNew`].
//! - Both backends behave the same; one behavioural suite (`tests/server/store.rs`) runs
//!   against each.
//! - Secrets never reach the store: passwords arrive as argon2 hashes, bearer and
//!   enrollment tokens as their SHA-256 ([`TokenHash`]).
//! - Time is passed in by the caller, so expiry is testable.

pub mod backup;
pub mod postgres;
pub mod progress;
pub mod sqlite;

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use studyhall_signing::{KeyId, PublicKey};
use utoipa::ToSchema;
use uuid::Uuid;

pub use progress::{ProgressPage, StoredProgress};

/// What a person may do. An account holds one or more.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Learner,
    Candidate,
    Proctor,
    Author,
    Admin,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Learner,
        Role::Candidate,
        Role::Proctor,
        Role::Author,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Learner => "learner",
            Role::Candidate => "candidate",
            Role::Proctor => "proctor",
            Role::Author => "author",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == name)
            .ok_or_else(|| UnknownRole(name.to_owned()))
    }
}

/// A role name no Studyhall server knows.
#[derive(Debug, Clone, thiserror::Error)]
#[error("unknown role \"{0}\"; the roles are learner, candidate, proctor, author and admin")]
pub struct UnknownRole(pub String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(transparent)]
pub struct AccountId(pub Uuid);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(transparent)]
pub struct DeviceId(pub Uuid);

/// SHA-256 (hex) of a bearer or enrollment token: what the store keeps instead of it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TokenHash(String);

impl TokenHash {
    pub fn of(token: &str) -> Self {
        Self(studyhall_signing::hash::sha256(token.as_bytes()).to_hex())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for TokenHash {
    // Even a token's hash is not for logs: print only a prefix to tell them apart.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenHash({}…)", self.0.get(..8).unwrap_or_default())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Account {
    pub id: AccountId,
    pub username: String,
    /// Sorted, without duplicates.
    pub roles: Vec<Role>,
    pub created_at: DateTime<Utc>,
}

impl Account {
    pub fn has_any_role(&self, roles: &[Role]) -> bool {
        self.roles.iter().any(|role| roles.contains(role))
    }
}

#[derive(Debug, Clone)]
pub struct NewAccount {
    pub id: AccountId,
    pub username: String,
    pub password_hash: String,
    pub roles: Vec<Role>,
    pub created_at: DateTime<Utc>,
}

impl NewAccount {
    /// A new account with a fresh id; `roles` are sorted and deduplicated.
    pub fn new(
        username: String,
        password_hash: String,
        mut roles: Vec<Role>,
        now: DateTime<Utc>,
    ) -> Self {
        roles.sort();
        roles.dedup();
        Self {
            id: AccountId(Uuid::now_v7()),
            username,
            password_hash,
            roles,
            created_at: now,
        }
    }

    fn account(&self) -> Account {
        Account {
            id: self.id,
            username: self.username.clone(),
            roles: self.roles.clone(),
            created_at: self.created_at,
        }
    }
}

/// An account with its password hash, for signing in.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub account: Account,
    pub password_hash: String,
}

#[derive(Debug, Clone)]
pub struct NewSession {
    pub token_hash: TokenHash,
    pub account_id: AccountId,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A stored session and whose it is. Expired sessions are returned too, so the
/// caller can say "expired" rather than "unknown".
#[derive(Debug, Clone)]
pub struct Session {
    pub account: Account,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewEnrollmentToken {
    pub token_hash: TokenHash,
    pub created_by: AccountId,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewDevice {
    pub id: DeviceId,
    pub public_key: PublicKey,
    pub enrolled_at: DateTime<Utc>,
}

/// An enrolled device: the installation whose key signs its results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Device {
    pub id: DeviceId,
    #[schema(value_type = String)]
    pub key_id: KeyId,
    /// The device's Ed25519 public key as an RFC 8037 JWK.
    #[schema(value_type = Object)]
    pub public_key: PublicKey,
    /// The admin or proctor whose enrollment token the device used.
    pub enrolled_by: AccountId,
    pub enrolled_at: DateTime<Utc>,
}

/// How a result reached the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ResultVia {
    /// Uploaded by the enrolled device that signed it.
    Device,
    /// Handed in by a proctor or admin (a sealed file exported from a kiosk).
    Handin,
}

impl ResultVia {
    pub fn as_str(self) -> &'static str {
        match self {
            ResultVia::Device => "device",
            ResultVia::Handin => "handin",
        }
    }

    fn parse(text: &str) -> Result<Self, StoreError> {
        match text {
            "device" => Ok(ResultVia::Device),
            "handin" => Ok(ResultVia::Handin),
            other => Err(StoreError::Corrupt(format!("a result's route \"{other}\""))),
        }
    }
}

/// A stored exam result: what the server verified, and the receipt it answered with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ResultRecord {
    pub result_id: String,
    /// SHA-256 (hex) of the sealed envelope in its canonical form.
    pub sealed_sha256: String,
    /// The device-signed result document (compact JWS), as unsealed.
    pub signed: String,
    #[schema(value_type = String)]
    pub device_key_id: KeyId,
    pub session_id: String,
    pub exam_id: String,
    pub exam_version: String,
    pub candidate_id: String,
    /// The short code the candidate was shown.
    pub receipt_code: String,
    /// The server's signed receipt (compact JWS), the same for every repeat.
    pub receipt: String,
    pub received_at: DateTime<Utc>,
    pub via: ResultVia,
    /// The proctor or admin who handed the result in.
    pub handed_in_by: Option<AccountId>,
    /// Whether the form and scores were checked against the exam (only when the
    /// server's catalogue holds the exam pack and its key opens it).
    pub form_checked: bool,
}

/// What [`Store::store_result`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredResult {
    /// The result is new and now stored.
    New(ResultRecord),
    /// The same result (same id, same sealed bytes) was stored before: nothing changed;
    /// this is the earlier record, with its receipt.
    Duplicate(ResultRecord),
}

/// What a pack holds: a course or an exam.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PackKind {
    /// A `.shpack` course pack.
    Course,
    /// A `.shexam` exam pack (its items encrypted).
    Exam,
}

impl PackKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PackKind::Course => "course",
            PackKind::Exam => "exam",
        }
    }

    fn parse(text: &str) -> Result<Self, StoreError> {
        match text {
            "course" => Ok(PackKind::Course),
            "exam" => Ok(PackKind::Exam),
            other => Err(StoreError::Corrupt(format!("a pack's kind \"{other}\""))),
        }
    }
}

/// A published pack, as the catalogue lists it (its bytes are fetched separately).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PackRecord {
    pub id: String,
    pub version: String,
    pub kind: PackKind,
    pub title: String,
    /// The pack file's size in bytes.
    pub size: u64,
    /// SHA-256 (hex) of the pack file; its download's ETag.
    pub sha256: String,
    pub published_by: AccountId,
    pub published_at: DateTime<Utc>,
}

/// What [`Store::publish_pack`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredPack {
    /// The pack is new and now stored.
    New(PackRecord),
    /// The same id, version and bytes were published before: nothing changed; this is
    /// the earlier record.
    Duplicate(PackRecord),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(transparent)]
pub struct ScheduleId(pub Uuid);

/// A scheduled sitting of an exam: which candidates may have its content key released
/// to their enrolled devices, and from when until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Schedule {
    pub id: ScheduleId,
    pub exam_id: String,
    pub exam_version: String,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    /// The registered candidates' usernames, sorted.
    pub candidates: Vec<String>,
    pub created_by: AccountId,
    pub created_at: DateTime<Utc>,
}

impl Schedule {
    /// Whether the sitting is open at `at` (from `opens_at`, until before `closes_at`).
    pub fn is_open_at(&self, at: DateTime<Utc>) -> bool {
        self.opens_at <= at && at < self.closes_at
    }
}

/// A sitting to schedule; the exam pack must be published and the candidates exist.
#[derive(Debug, Clone)]
pub struct NewSchedule {
    pub id: ScheduleId,
    pub exam_id: String,
    pub exam_version: String,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    pub candidates: Vec<Account>,
    pub created_by: AccountId,
    pub created_at: DateTime<Utc>,
}

/// One release of an exam's content key to a candidate's enrolled device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct KeyRelease {
    pub id: Uuid,
    pub schedule_id: ScheduleId,
    pub account_id: AccountId,
    #[schema(value_type = String)]
    pub device_key_id: KeyId,
    pub released_at: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the username \"{0}\" is taken")]
    UsernameTaken(String),
    #[error("no such enrollment token")]
    EnrollmentTokenUnknown,
    #[error("the enrollment token expired at {0}")]
    EnrollmentTokenExpired(DateTime<Utc>),
    #[error("the enrollment token was already used")]
    EnrollmentTokenUsed,
    #[error("a device with key {0} is already enrolled")]
    DeviceAlreadyEnrolled(KeyId),
    #[error("another result with id {0} is already stored")]
    ResultConflict(String),
    #[error("pack {id} {version} is already published, with other bytes")]
    PackConflict { id: String, version: String },
    #[error("the device with key {0} is not enrolled")]
    DeviceNotEnrolled(KeyId),
    #[error(
        "the database was written by a newer Studyhall server (schema version {found}, this server knows up to {known}); run the newer server"
    )]
    DatabaseTooNew { found: i64, known: i64 },
    #[error("the database URL is not valid: {0}")]
    InvalidUrl(String),
    #[error("database error: {0}")]
    Backend(String),
    #[error("the database holds a value this server cannot read: {0}")]
    Corrupt(String),
}

/// Every persistent operation of the server. Implementations must be safe to share
/// between requests and, for PostgreSQL, between server processes.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Succeeds when the database answers a trivial query.
    async fn check_health(&self) -> Result<(), StoreError>;

    /// Fails with [`StoreError::UsernameTaken`] when the username exists.
    async fn create_account(&self, account: NewAccount) -> Result<Account, StoreError>;

    async fn credentials(&self, username: &str) -> Result<Option<Credentials>, StoreError>;

    async fn create_session(&self, session: NewSession) -> Result<(), StoreError>;

    async fn session(&self, token_hash: &TokenHash) -> Result<Option<Session>, StoreError>;

    /// Returns whether a session was removed.
    async fn delete_session(&self, token_hash: &TokenHash) -> Result<bool, StoreError>;

    async fn create_enrollment_token(&self, token: NewEnrollmentToken) -> Result<(), StoreError>;

    /// Uses up the enrollment token and registers the device, atomically: either both
    /// happen or neither. Refuses unknown, expired and used tokens and a key that is
    /// already enrolled, each with its own [`StoreError`].
    async fn enroll_device(
        &self,
        token_hash: &TokenHash,
        device: NewDevice,
    ) -> Result<Device, StoreError>;

    /// Every enrolled device, oldest first.
    async fn devices(&self) -> Result<Vec<Device>, StoreError>;

    /// The enrolled device with this key, if any.
    async fn device_by_key(&self, key_id: &KeyId) -> Result<Option<Device>, StoreError>;

    /// Stores a result once by its id: a repeat with the same sealed bytes changes
    /// nothing and returns the stored record ([`StoredResult::Duplicate`]); the same id
    /// with other bytes is refused ([`StoreError::ResultConflict`]). Safe when replicas
    /// receive the same result at the same moment. A device key that is not enrolled
    /// is refused ([`StoreError::DeviceNotEnrolled`]).
    async fn store_result(&self, result: ResultRecord) -> Result<StoredResult, StoreError>;

    async fn result(&self, result_id: &str) -> Result<Option<ResultRecord>, StoreError>;

    /// Stores a batch of `account`'s progress events (their actor is the account's id,
    /// their times whole milliseconds), each once by its id: an event the
    /// account already holds with the same content is counted as a duplicate, one with
    /// other content as a conflict, and neither changes anything. New events are
    /// numbered after the account's newest, in batch order, and become visible to
    /// [`Store::progress_after`] in the order of their numbers, also when replicas store
    /// events of the account at the same moment.
    async fn store_progress(
        &self,
        account: AccountId,
        events: Vec<studyhall_core::study::ProgressEvent>,
        received_at: DateTime<Utc>,
    ) -> Result<StoredProgress, StoreError>;

    /// Up to `limit` of `account`'s events numbered after `after`, in number order. An
    /// `after` beyond the account's newest number (a cursor from before the database
    /// was restored from a backup) starts from the beginning.
    async fn progress_after(
        &self,
        account: AccountId,
        after: u64,
        limit: u32,
    ) -> Result<ProgressPage, StoreError>;

    /// Stores a verified pack's `bytes` once by id and version: a repeat with the same
    /// bytes changes nothing ([`StoredPack::Duplicate`]); other bytes under the same id
    /// and version are refused ([`StoreError::PackConflict`]). `pack.size` and
    /// `pack.sha256` must describe `bytes`.
    async fn publish_pack(
        &self,
        pack: PackRecord,
        bytes: Vec<u8>,
    ) -> Result<StoredPack, StoreError>;

    /// Every published pack, newest first.
    async fn packs(&self) -> Result<Vec<PackRecord>, StoreError>;

    async fn pack(&self, id: &str, version: &str) -> Result<Option<PackRecord>, StoreError>;

    /// Up to `length` bytes of the pack file from byte `offset`, read from the database
    /// without loading the rest of it; `None` when there is no such pack.
    async fn pack_bytes(
        &self,
        id: &str,
        version: &str,
        offset: u64,
        length: u64,
    ) -> Result<Option<Vec<u8>>, StoreError>;

    /// Stores a scheduled sitting with its candidates, atomically.
    async fn create_schedule(&self, schedule: NewSchedule) -> Result<Schedule, StoreError>;

    /// Every scheduled sitting, or (given an account) those the account is registered
    /// for; by opening time.
    async fn schedules(&self, candidate: Option<AccountId>) -> Result<Vec<Schedule>, StoreError>;

    /// Appends a key release to the log.
    async fn record_release(&self, release: KeyRelease) -> Result<(), StoreError>;

    /// The key releases of a sitting, oldest first.
    async fn releases(&self, schedule_id: ScheduleId) -> Result<Vec<KeyRelease>, StoreError>;
}

/// What to answer when `stored` was found under `wanted`'s id and version instead of
/// inserting `wanted`.
fn existing_pack(stored: PackRecord, wanted: &PackRecord) -> Result<StoredPack, StoreError> {
    if stored.sha256 == wanted.sha256 {
        Ok(StoredPack::Duplicate(stored))
    } else {
        Err(StoreError::PackConflict {
            id: stored.id,
            version: stored.version,
        })
    }
}

/// What to answer when `stored` (already in the store under `wanted`'s id) was found
/// instead of inserting `wanted`.
fn existing_result(
    stored: ResultRecord,
    wanted: &ResultRecord,
) -> Result<StoredResult, StoreError> {
    if stored.sealed_sha256 == wanted.sealed_sha256 {
        Ok(StoredResult::Duplicate(stored))
    } else {
        Err(StoreError::ResultConflict(stored.result_id))
    }
}

/// Opens the database named by `url` (`sqlite://PATH` or `postgres://…`) and brings its
/// schema up to date.
pub async fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    if let Some(path) = sqlite::path_from_url(url) {
        Ok(Arc::new(sqlite::SqliteStore::open(path).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(postgres::PostgresStore::connect(url).await?))
    } else {
        Err(StoreError::InvalidUrl(
            "it must start with sqlite:// (a file) or postgres:// (a PostgreSQL database)"
                .to_owned(),
        ))
    }
}

/// Reads the comma-separated roles the backends aggregate from `account_roles`.
fn parse_roles(list: Option<&str>) -> Result<Vec<Role>, StoreError> {
    let mut roles = list
        .unwrap_or_default()
        .split(',')
        .filter(|name| !name.is_empty())
        .map(|name| {
            name.parse()
                .map_err(|e: UnknownRole| StoreError::Corrupt(e.to_string()))
        })
        .collect::<Result<Vec<Role>, _>>()?;
    roles.sort();
    roles.dedup();
    Ok(roles)
}

fn parse_public_key(jwk: &str) -> Result<PublicKey, StoreError> {
    PublicKey::from_jwk_json(jwk)
        .map_err(|e| StoreError::Corrupt(format!("a device's public key: {e}")))
}

/// Reads the comma-separated usernames the backends aggregate for a schedule's
/// candidates (usernames hold no commas), sorted.
fn parse_usernames(list: Option<&str>) -> Vec<String> {
    let mut names: Vec<String> = list
        .unwrap_or_default()
        .split(',')
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect();
    names.sort();
    names
}

/// The schedule `new` describes, as stored.
fn stored_schedule(new: NewSchedule) -> Schedule {
    let mut candidates: Vec<String> = new.candidates.into_iter().map(|a| a.username).collect();
    candidates.sort();
    Schedule {
        id: new.id,
        exam_id: new.exam_id,
        exam_version: new.exam_version,
        opens_at: new.opens_at,
        closes_at: new.closes_at,
        candidates,
        created_by: new.created_by,
        created_at: new.created_at,
    }
}

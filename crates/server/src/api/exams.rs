//! Exam sittings and key release (DESIGN §3, §7): staff schedule a sitting of a
//! published exam for named candidates; inside its window the server releases the
//! exam's content key to a registered candidate's enrolled device, signed by the server
//! key. Also the server's own copy of exams' item banks ([`UnlockedExams`]), which the
//! release and the form check of uploaded results read.
//!
//! Promises:
//! - A key is released only to a signed-in candidate registered for a sitting of that
//!   exam and version, inside its window (`opens_at` ≤ now < `closes_at`), on a request
//!   signed by an enrolled device key that names the same exam, version and username
//!   and was made within [`MAX_REQUEST_SKEW_SECONDS`] of the server's clock. Each
//!   refusal says why in words (the window in UTC, the missing registration).
//! - The content key travels sealed to the request's ephemeral key, bound to the exam
//!   and the device ([`release_aad`]); every release is logged in the database (who,
//!   which device, when) before it is answered.
//! - An exam pack is opened with the server's sealing key once per exam and version and
//!   process, then kept in memory; a pack that is not published is looked for again after
//!   [`RECHECK_ABSENT`].

use std::collections::HashMap;
use std::fmt;
use std::io::Write as _;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use studyhall_core::exam::pack::{UnlockedExam, open_exam};
use studyhall_core::sync::release::{
    MAX_REQUEST_SKEW_SECONDS, RELEASE_REQUEST_TYP, RELEASE_VERSION, ReleaseReply, ReleaseRequest,
    ReleaseRequestBody, ReleasedKey, SittingRequest, release_aad,
};
use studyhall_signing::{ContentKey, SealingKey, TrustStore, jws};
use utoipa::ToSchema;
use uuid::Uuid;

use super::Json;
use crate::app::AppState;
use crate::auth::{AdminOrProctor, Authorized, Policy};
use crate::error::{ApiError, ErrorBody};
use crate::store::{
    Account, Device, KeyRelease, NewSchedule, PackKind, Role, Schedule, ScheduleId,
};

/// How long "this exam is not published" is believed before the store is asked again.
pub const RECHECK_ABSENT: Duration = Duration::from_secs(30);
/// The most candidates one sitting registers.
const MAX_CANDIDATES: usize = 10_000;

/// Only candidates have keys released to them.
#[derive(Debug)]
pub struct CandidateOnly;
impl Policy for CandidateOnly {
    const ROLES: &'static [Role] = &[Role::Candidate];
}

/// Staff see every sitting; candidates see their own.
#[derive(Debug)]
pub struct StaffOrCandidate;
impl Policy for StaffOrCandidate {
    const ROLES: &'static [Role] = &[Role::Admin, Role::Proctor, Role::Candidate];
}

/// A sitting, with the key releases made for it (a candidate sees only their own).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ScheduleView {
    pub schedule: Schedule,
    pub releases: Vec<KeyRelease>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ScheduleList {
    pub schedules: Vec<ScheduleView>,
}

/// Schedules a sitting of a published exam for named candidates.
#[utoipa::path(post, path = "/v1/exams/schedules", tag = "exams",
    security(("bearer" = [])),
    request_body = SittingRequest,
    responses(
        (status = 201, body = Schedule),
        (status = 400, description = "the window or a candidate is wrong; the message says which", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "only proctors and admins", body = ErrorBody),
        (status = 404, description = "the exam pack is not published here", body = ErrorBody),
        (status = 409, description = "the exam pack cannot be opened with this server's key", body = ErrorBody),
    ))]
pub async fn create_schedule(
    State(state): State<AppState>,
    caller: Authorized<AdminOrProctor>,
    Json(request): Json<SittingRequest>,
) -> Result<(StatusCode, Json<Schedule>), ApiError> {
    let now = state.now();
    check_window(request.opens_at, request.closes_at, now)?;
    let candidates = candidate_accounts(&state, &request.candidates).await?;
    let (exam_id, version) = (request.exam_id.trim(), request.version.trim());
    published_exam(&state, exam_id, version).await?;
    let schedule = state
        .store
        .create_schedule(NewSchedule {
            id: ScheduleId(Uuid::now_v7()),
            exam_id: exam_id.to_owned(),
            exam_version: version.to_owned(),
            opens_at: request.opens_at,
            closes_at: request.closes_at,
            candidates,
            created_by: caller.account.id,
            created_at: now,
        })
        .await?;
    tracing::info!(
        schedule = %schedule.id.0,
        exam = %schedule.exam_id,
        version = %schedule.exam_version,
        candidates = schedule.candidates.len(),
        by = %caller.account.username,
        "sitting scheduled"
    );
    Ok((StatusCode::CREATED, Json(schedule)))
}

/// The sittings: every one for staff; for a candidate, their own, naming no other
/// candidate.
#[utoipa::path(get, path = "/v1/exams/schedules", tag = "exams",
    security(("bearer" = [])),
    responses(
        (status = 200, body = ScheduleList),
        (status = 401, body = ErrorBody),
        (status = 403, description = "only proctors, admins and candidates", body = ErrorBody),
    ))]
pub async fn list_schedules(
    State(state): State<AppState>,
    caller: Authorized<StaffOrCandidate>,
) -> Result<Json<ScheduleList>, ApiError> {
    let staff = caller.account.has_any_role(AdminOrProctor::ROLES);
    let only = (!staff).then_some(caller.account.id);
    let mut schedules = Vec::new();
    for mut schedule in state.store.schedules(only).await? {
        if !staff {
            // A candidate learns that they are registered, not who else is.
            schedule
                .candidates
                .retain(|username| *username == caller.account.username);
        }
        let releases = state
            .store
            .releases(schedule.id)
            .await?
            .into_iter()
            .filter(|release| only.is_none_or(|id| release.account_id == id))
            .collect();
        schedules.push(ScheduleView { schedule, releases });
    }
    Ok(Json(ScheduleList { schedules }))
}

/// Releases an exam's content key to the signed-in candidate's enrolled device.
#[utoipa::path(post, path = "/v1/exams/{id}/{version}/release", tag = "exams",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "the exam's id"),
        ("version" = String, Path, description = "the exam pack's version"),
    ),
    request_body = ReleaseRequestBody,
    responses(
        (status = 200, description = "the key release, signed by the server", body = ReleaseReply),
        (status = 400, description = "the request is not signed by the device it names, or does not match the URL, the account or the time", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "not a candidate, device not enrolled, not registered, or outside the window", body = ErrorBody),
        (status = 404, description = "the exam pack is not published here", body = ErrorBody),
        (status = 409, description = "the exam pack cannot be opened with this server's key", body = ErrorBody),
    ))]
pub async fn release_key(
    State(state): State<AppState>,
    caller: Authorized<CandidateOnly>,
    UrlPath((exam_id, version)): UrlPath<(String, String)>,
    Json(body): Json<ReleaseRequestBody>,
) -> Result<Json<ReleaseReply>, ApiError> {
    let now = state.now();
    let (device, request) = verified_request(&state, &body.request).await?;
    check_request(&request, &exam_id, &version, &caller.account, now)?;
    let schedules: Vec<Schedule> = state
        .store
        .schedules(Some(caller.account.id))
        .await?
        .into_iter()
        .filter(|s| s.exam_id == exam_id && s.exam_version == version)
        .collect();
    let schedule = open_sitting(&schedules, now, &exam_id, &version)?;
    let exam = published_exam(&state, &exam_id, &version).await?;
    let manifest = &exam.manifest;
    let key =
        ContentKey::unwrap_released(&state.keys.sealing, &manifest.release, &manifest.binding())
            .map_err(|error| {
                tracing::error!(%error, exam = %exam_id, "a cached exam's key no longer opens");
                ApiError::Internal
            })?;
    let sealed_key = key
        .wrap_for_release(
            &request.ephemeral_key,
            &release_aad(&manifest.binding(), device.key_id.as_str()),
        )
        .map_err(|e| {
            ApiError::BadProof(format!(
                "the request's ephemeral key cannot be sealed to: {e}"
            ))
        })?;
    state
        .store
        .record_release(KeyRelease {
            id: Uuid::now_v7(),
            schedule_id: schedule.id,
            account_id: caller.account.id,
            device_key_id: device.key_id.clone(),
            released_at: now,
        })
        .await?;
    let release = ReleasedKey {
        v: RELEASE_VERSION,
        exam_id,
        version,
        candidate: caller.account.username.clone(),
        device_kid: device.key_id.as_str().to_owned(),
        schedule_id: schedule.id.0.to_string(),
        opens_at: schedule.opens_at,
        closes_at: schedule.closes_at,
        sealed_key,
        released_at: now,
        server_kid: state.keys.signing.key_id().as_str().to_owned(),
    };
    tracing::info!(
        exam = %release.exam_id,
        version = %release.version,
        candidate = %release.candidate,
        device = %release.device_kid,
        "exam key released"
    );
    Ok(Json(ReleaseReply {
        release: release.sign(&state.keys.signing),
    }))
}

fn check_window(
    opens_at: DateTime<Utc>,
    closes_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    if closes_at <= opens_at {
        return Err(ApiError::InvalidRequest(format!(
            "the window closes ({}) before it opens ({}); closes_at must be after opens_at",
            in_words(closes_at),
            in_words(opens_at)
        )));
    }
    if closes_at <= now {
        return Err(ApiError::InvalidRequest(format!(
            "the window closed already ({}); give a closes_at in the future",
            in_words(closes_at)
        )));
    }
    Ok(())
}

/// The accounts named, each of which must exist and hold the candidate role.
async fn candidate_accounts(state: &AppState, names: &[String]) -> Result<Vec<Account>, ApiError> {
    let mut names: Vec<String> = names.iter().map(|n| n.trim().to_lowercase()).collect();
    names.sort();
    names.dedup();
    if names.is_empty() || names.len() > MAX_CANDIDATES {
        return Err(ApiError::InvalidRequest(format!(
            "name between 1 and {MAX_CANDIDATES} candidates (their usernames)"
        )));
    }
    let (mut accounts, mut unknown, mut not_candidates) = (Vec::new(), Vec::new(), Vec::new());
    for name in names {
        match state.store.credentials(&name).await? {
            None => unknown.push(name),
            Some(found) if !found.account.roles.contains(&Role::Candidate) => {
                not_candidates.push(name);
            }
            Some(found) => accounts.push(found.account),
        }
    }
    if !unknown.is_empty() {
        return Err(ApiError::InvalidRequest(format!(
            "no account is called {}; create the accounts first (POST /v1/accounts)",
            quoted(&unknown)
        )));
    }
    if !not_candidates.is_empty() {
        return Err(ApiError::InvalidRequest(format!(
            "{} not have the candidate role; only candidates sit exams",
            match not_candidates.len() {
                1 => format!("the account {} does", quoted(&not_candidates)),
                _ => format!("the accounts {} do", quoted(&not_candidates)),
            }
        )));
    }
    Ok(accounts)
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|name| format!("\"{name}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The device that signed `token` (which must be enrolled) and the request it signed.
async fn verified_request(
    state: &AppState,
    token: &str,
) -> Result<(Device, ReleaseRequest), ApiError> {
    let header = jws::peek_header(token).map_err(|e| {
        ApiError::BadProof(format!("the release request is not a compact JWS: {e}"))
    })?;
    let kid = header.kid.ok_or_else(|| {
        ApiError::BadProof("the release request names no device key (its kid)".to_owned())
    })?;
    let device = state
        .store
        .device_by_key(&kid)
        .await?
        .ok_or_else(|| ApiError::ReleaseDeviceNotEnrolled(kid.as_str().to_owned()))?;
    let trust = TrustStore::from_iter([device.public_key.clone()]);
    let verified = jws::verify_compact(token, &trust).map_err(|e| {
        ApiError::BadProof(format!(
            "the release request is not signed by the enrolled device key {kid}: {e}"
        ))
    })?;
    if verified.typ.as_deref() != Some(RELEASE_REQUEST_TYP) {
        return Err(ApiError::BadProof(format!(
            "the release request must have typ \"{RELEASE_REQUEST_TYP}\""
        )));
    }
    let request: ReleaseRequest = serde_json::from_slice(&verified.payload).map_err(|e| {
        ApiError::BadProof(format!(
            "the release request's payload is not a release request: {e}"
        ))
    })?;
    Ok((device, request))
}

/// The request must be of this version, for the URL's exam, for the signed-in account,
/// and recent.
fn check_request(
    request: &ReleaseRequest,
    exam_id: &str,
    version: &str,
    account: &Account,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    if request.v != RELEASE_VERSION {
        return Err(ApiError::BadProof(format!(
            "the release request is version {}, and this server reads version {RELEASE_VERSION}",
            request.v
        )));
    }
    if (request.exam_id.as_str(), request.version.as_str()) != (exam_id, version) {
        return Err(ApiError::BadProof(format!(
            "the release request is for {} {}, and was sent to the URL of {exam_id} {version}",
            request.exam_id, request.version
        )));
    }
    if request.username != account.username {
        return Err(ApiError::Forbidden(format!(
            "the release request was made for the account \"{}\", and you are signed in as \
             \"{}\"; sign in as \"{}\" on this device",
            request.username, account.username, request.username
        )));
    }
    let skew = (request.issued_at - now).abs();
    if skew > TimeDelta::seconds(MAX_REQUEST_SKEW_SECONDS) {
        return Err(ApiError::BadProof(format!(
            "the release request was made at {}, and the server's time is {}; set this \
             device's clock right and ask again",
            in_words(request.issued_at),
            in_words(now)
        )));
    }
    Ok(())
}

/// The sitting of `schedules` open at `now`, or why there is none, in words.
fn open_sitting<'a>(
    schedules: &'a [Schedule],
    now: DateTime<Utc>,
    exam_id: &str,
    version: &str,
) -> Result<&'a Schedule, ApiError> {
    if let Some(open) = schedules.iter().find(|s| s.is_open_at(now)) {
        return Ok(open);
    }
    let next = schedules
        .iter()
        .filter(|s| s.opens_at > now)
        .min_by_key(|s| s.opens_at);
    let last = schedules.iter().max_by_key(|s| s.closes_at);
    Err(match (next, last) {
        (Some(next), _) => ApiError::SittingNotOpen(format!(
            "the sitting of {exam_id} {version} opens at {}; ask for the exam again then",
            in_words(next.opens_at)
        )),
        (None, Some(last)) => ApiError::SittingNotOpen(format!(
            "the sitting of {exam_id} {version} closed at {}; ask a proctor to schedule \
             another sitting",
            in_words(last.closes_at)
        )),
        (None, None) => ApiError::NotRegistered(format!(
            "this account is not registered for {exam_id} {version}; ask a proctor to \
             register it for a sitting"
        )),
    })
}

/// A time as people read it: `14:00 UTC on 24 November 2026`.
fn in_words(at: DateTime<Utc>) -> String {
    at.format("%H:%M UTC on %-d %B %Y").to_string()
}

/// The unlocked exam `exam_id` `version` of the catalogue, or why the server cannot
/// release or check it.
async fn published_exam(
    state: &AppState,
    exam_id: &str,
    version: &str,
) -> Result<Arc<UnlockedExam>, ApiError> {
    match unlocked_exam(state, exam_id, version, Freshness::AskAgain).await? {
        ExamLookup::Unlocked(exam) => Ok(exam),
        ExamLookup::NotPublished => Err(ApiError::NotFound(format!(
            "no exam pack {exam_id} {version} is published here; publish it first \
             (POST /v1/packs)"
        ))),
        ExamLookup::Locked(reason) => Err(ApiError::Conflict(format!(
            "the exam pack {exam_id} {version} cannot be opened by this server: {reason}"
        ))),
    }
}

/// Exams of the catalogue unlocked with the server's sealing key, by exam id and
/// version, in this process's memory.
#[derive(Default)]
pub struct UnlockedExams {
    entries: Mutex<HashMap<(String, String), Entry>>,
    /// Held while a pack is read and opened, so that a burst of uploads reaching a
    /// fresh server opens it once rather than once per upload.
    opening: tokio::sync::Mutex<()>,
}

impl fmt::Debug for UnlockedExams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let held = self.entries.lock().map_or(0, |entries| entries.len());
        f.debug_struct("UnlockedExams")
            .field("entries", &held)
            .finish()
    }
}

#[derive(Clone)]
enum Entry {
    Unlocked(Arc<UnlockedExam>),
    /// Not in the catalogue when last asked.
    NotPublished(Instant),
    /// Published, but this server could not open it when last tried.
    Locked(ExamUnavailable, Instant),
}

/// Why this server cannot open a published exam pack.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ExamUnavailable {
    #[error("it is a course pack, not an exam")]
    CoursePack,
    #[error("the publisher keys cannot be read: {0}")]
    PublisherKeys(String),
    #[error("a temporary copy cannot be made: {0}")]
    TemporaryCopy(String),
    #[error("{0}")]
    Pack(String),
    #[error(
        "its key is sealed for server key {sealed_for}, and this server's sealing key is \
         {ours} ({why}); publish a pack built for this server's key"
    )]
    OtherServer {
        sealed_for: String,
        ours: String,
        why: String,
    },
    #[error("its item bank cannot be unlocked: {0}")]
    Bank(String),
}

impl ExamUnavailable {
    /// Whether trying again later may succeed (the pack itself is fine).
    fn may_pass(&self) -> bool {
        matches!(self, Self::PublisherKeys(_) | Self::TemporaryCopy(_))
    }
}

/// What the server holds of an exam. Its `Debug` names the exam, never its items.
#[derive(Clone)]
pub enum ExamLookup {
    Unlocked(Arc<UnlockedExam>),
    NotPublished,
    /// Published, but this server cannot open it.
    Locked(ExamUnavailable),
}

impl fmt::Debug for ExamLookup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExamLookup::Unlocked(exam) => f
                .debug_tuple("Unlocked")
                .field(&format_args!(
                    "{} {}",
                    exam.manifest.id, exam.manifest.version
                ))
                .finish(),
            ExamLookup::NotPublished => f.write_str("NotPublished"),
            ExamLookup::Locked(reason) => f.debug_tuple("Locked").field(reason).finish(),
        }
    }
}

/// Whether a remembered "not published" may be believed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// For [`RECHECK_ABSENT`] (result uploads: a hot path).
    Remembered,
    /// Ask the store again (releases and scheduling).
    AskAgain,
}

impl UnlockedExams {
    /// What memory holds of `exam_id` `version`, if anything (a "not published" only
    /// while `freshness` allows believing it). Cheap: no I/O.
    pub fn remembered(
        &self,
        exam_id: &str,
        version: &str,
        freshness: Freshness,
    ) -> Result<Option<ExamLookup>, ApiError> {
        let key = (exam_id.to_owned(), version.to_owned());
        let entries = self.entries.lock().map_err(|_| ApiError::Internal)?;
        Ok(match entries.get(&key) {
            Some(Entry::Unlocked(exam)) => Some(ExamLookup::Unlocked(Arc::clone(exam))),
            Some(Entry::Locked(reason, at))
                if !reason.may_pass()
                    || (freshness == Freshness::Remembered && at.elapsed() < RECHECK_ABSENT) =>
            {
                Some(ExamLookup::Locked(reason.clone()))
            }
            Some(Entry::Locked(..)) => None,
            Some(Entry::NotPublished(at))
                if freshness == Freshness::Remembered && at.elapsed() < RECHECK_ABSENT =>
            {
                Some(ExamLookup::NotPublished)
            }
            Some(Entry::NotPublished(_)) | None => None,
        })
    }
}

/// The exam `exam_id` `version` as the server holds it: from memory, or read from the
/// catalogue and opened with the server's sealing key once.
pub async fn unlocked_exam(
    state: &AppState,
    exam_id: &str,
    version: &str,
    freshness: Freshness,
) -> Result<ExamLookup, ApiError> {
    if let Some(lookup) = state.exams.remembered(exam_id, version, freshness)? {
        return Ok(lookup);
    }
    let _opening = state.exams.opening.lock().await;
    // Another request may have opened it while this one waited.
    if let Some(lookup @ ExamLookup::Unlocked(_)) =
        state.exams.remembered(exam_id, version, freshness)?
    {
        return Ok(lookup);
    }
    let entry = open_published(state, exam_id, version).await?;
    state
        .exams
        .entries
        .lock()
        .map_err(|_| ApiError::Internal)?
        .insert((exam_id.to_owned(), version.to_owned()), entry.clone());
    Ok(match entry {
        Entry::Unlocked(exam) => ExamLookup::Unlocked(exam),
        Entry::NotPublished(_) => ExamLookup::NotPublished,
        Entry::Locked(reason, _) => ExamLookup::Locked(reason),
    })
}

async fn open_published(state: &AppState, exam_id: &str, version: &str) -> Result<Entry, ApiError> {
    let absent = || Entry::NotPublished(Instant::now());
    let Some(record) = state.store.pack(exam_id, version).await? else {
        return Ok(absent());
    };
    if record.kind != PackKind::Exam {
        return Ok(Entry::Locked(ExamUnavailable::CoursePack, Instant::now()));
    }
    let Some(bytes) = state
        .store
        .pack_bytes(exam_id, version, 0, record.size)
        .await?
    else {
        return Ok(absent());
    };
    let keys = Arc::clone(&state.keys);
    let publisher_dir = state.publisher_dir.clone();
    let opened =
        tokio::task::spawn_blocking(move || open_for_server(&bytes, &publisher_dir, &keys.sealing))
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "opening an exam pack failed");
                ApiError::Internal
            })?;
    Ok(match opened {
        Ok(exam) => {
            tracing::info!(
                exam = exam_id,
                version,
                "exam pack opened for releases and form checks"
            );
            Entry::Unlocked(Arc::new(exam))
        }
        Err(reason) => {
            tracing::warn!(exam = exam_id, version, %reason, "exam pack cannot be opened");
            Entry::Locked(reason, Instant::now())
        }
    })
}

/// Verifies a published exam pack's bytes again (against the publisher keys) and
/// unlocks its bank with the content key sealed to `server`. Blocking.
fn open_for_server(
    bytes: &[u8],
    publisher_dir: &Path,
    server: &SealingKey,
) -> Result<UnlockedExam, ExamUnavailable> {
    let trust = TrustStore::from_dir(publisher_dir)
        .map_err(|e| ExamUnavailable::PublisherKeys(e.to_string()))?;
    // The core reads packs from files: open a private copy of exactly these bytes.
    let mut file = tempfile::Builder::new()
        .prefix("studyhall-exam-")
        .tempfile()
        .map_err(|e| ExamUnavailable::TemporaryCopy(e.to_string()))?;
    file.write_all(bytes)
        .and_then(|()| file.flush())
        .map_err(|e| ExamUnavailable::TemporaryCopy(e.to_string()))?;
    let pack = open_exam(file.path(), &trust).map_err(|e| {
        ExamUnavailable::Pack(
            e.to_string()
                .replace(&file.path().display().to_string(), "the pack"),
        )
    })?;
    let key = ContentKey::unwrap_released(server, &pack.manifest.release, &pack.manifest.binding())
        .map_err(|e| ExamUnavailable::OtherServer {
            sealed_for: pack.manifest.release.recipient().to_string(),
            ours: server.key_id().to_string(),
            why: e.to_string(),
        })?;
    pack.unlock_with_key(&key)
        .map_err(|e| ExamUnavailable::Bank(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(opens: i64, closes: i64) -> Schedule {
        let at = |hours: i64| {
            DateTime::parse_from_rfc3339("2026-11-24T12:00:00Z")
                .unwrap()
                .to_utc()
                + TimeDelta::hours(hours)
        };
        Schedule {
            id: ScheduleId(Uuid::now_v7()),
            exam_id: "tiny-exam".into(),
            exam_version: "1.0.0".into(),
            opens_at: at(opens),
            closes_at: at(closes),
            candidates: vec!["alice".into()],
            created_by: crate::store::AccountId(Uuid::now_v7()),
            created_at: at(-10),
        }
    }

    #[test]
    fn the_open_sitting_is_found_or_the_refusal_gives_the_window() {
        let now = DateTime::parse_from_rfc3339("2026-11-24T12:30:00Z")
            .unwrap()
            .to_utc();
        let early = schedule(2, 4);
        let late = schedule(-3, -1);
        let open = schedule(0, 1);
        let sittings = [late.clone(), early.clone(), open.clone()];
        assert_eq!(
            open_sitting(&sittings, now, "tiny-exam", "1.0.0")
                .unwrap()
                .id,
            open.id
        );
        let message = |error: ApiError| error.to_string();
        assert_eq!(
            message(open_sitting(&[late.clone(), early], now, "tiny-exam", "1.0.0").unwrap_err()),
            "the sitting of tiny-exam 1.0.0 opens at 14:00 UTC on 24 November 2026; ask for \
             the exam again then"
        );
        assert!(
            message(open_sitting(&[late], now, "tiny-exam", "1.0.0").unwrap_err())
                .contains("closed at 11:00 UTC on 24 November 2026")
        );
        assert!(matches!(
            open_sitting(&[], now, "tiny-exam", "1.0.0"),
            Err(ApiError::NotRegistered(_))
        ));
    }
}

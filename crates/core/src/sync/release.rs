//! Exam key release (DESIGN §3, §7): instead of a proctor's start code, the server
//! releases an exam's content key to a registered candidate's enrolled device inside
//! the sitting's scheduled window.
//!
//! Owns the wire formats both sides use:
//! - the device's request, a compact JWS with `typ` [`RELEASE_REQUEST_TYP`] signed by
//!   the device key over a [`ReleaseRequest`] (exam, version, the candidate's username,
//!   a fresh ephemeral X25519 public key, the time it was made), sent with the
//!   candidate's bearer token to [`release_path`];
//! - the server's answer, a compact JWS with `typ` [`KEY_RELEASE_TYP`] signed by the
//!   server signing key over a [`ReleasedKey`]: the same exam, version, candidate and
//!   device, the sitting's window, and the content key sealed to the ephemeral key with
//!   [`release_aad`] (the exam's binding and the device's key id) as associated data.
//!
//! Promises: the ephemeral private key lives only in memory, for one request; a release
//! begins a session only when it is signed by a server signing key this profile trusts
//! and names the exam, version, candidate and device that asked, and the key it carries
//! unlocks the installed pack. The session's proctor log records the release (who asked,
//! which server, when).

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use studyhall_signing::{
    ContentKey, Sealed, SealingKey, SealingPublicKey, SigningError, SigningKey, TrustStore, jws,
};

use super::{RequestFailure, ServerEndpoint, bad_reply};
use crate::Studyhall;
use crate::error::{Error, Result};
use crate::exams::ExamPaper;

/// The JWS `typ` of a device's request for an exam's key.
pub const RELEASE_REQUEST_TYP: &str = "studyhall-release-request+jws";
/// The JWS `typ` of the server's key release.
pub const KEY_RELEASE_TYP: &str = "studyhall-key-release+jws";
/// Version of the request's and the release's JSON; a change is a new version.
pub const RELEASE_VERSION: u32 = 1;
/// How far a request's `issued_at` may be from the server's clock, in seconds.
pub const MAX_REQUEST_SKEW_SECONDS: i64 = 600;

/// Where a device asks for the key of `exam_id` `version`.
pub fn release_path(exam_id: &str, version: &str) -> String {
    format!("/v1/exams/{exam_id}/{version}/release")
}

/// The associated data the released content key is sealed with: the exam's binding
/// (its id and version) and the device's key id, so a release opens only for the exam
/// and the device it names.
pub fn release_aad(exam_binding: &[u8], device_kid: &str) -> Vec<u8> {
    let mut aad = b"studyhall key release v1\0".to_vec();
    aad.extend_from_slice(exam_binding);
    aad.push(0);
    aad.extend_from_slice(device_kid.as_bytes());
    aad
}

/// Where staff schedule sittings and anyone concerned lists them.
pub const SCHEDULES_PATH: &str = "/v1/exams/schedules";

/// A sitting for staff to schedule: the published exam, its window, its candidates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct SittingRequest {
    pub exam_id: String,
    pub version: String,
    /// The window is `opens_at` ≤ t < `closes_at`.
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    /// Usernames of accounts with the candidate role.
    pub candidates: Vec<String>,
}

/// A sitting as the server stored it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ScheduledSitting {
    pub id: String,
    pub exam_id: String,
    pub exam_version: String,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    /// The registered candidates' usernames, sorted.
    pub candidates: Vec<String>,
}

impl ServerEndpoint {
    /// Schedules a sitting, as a proctor or admin signed in with `token`.
    pub fn schedule_sitting(
        &self,
        token: &str,
        sitting: &SittingRequest,
    ) -> std::result::Result<ScheduledSitting, RequestFailure> {
        let body = serde_json::to_string(sitting).map_err(bad_reply)?;
        let answer = self.post(SCHEDULES_PATH, body, Some(token))?;
        serde_json::from_str(&answer).map_err(bad_reply)
    }
}

/// What the device signs to ask for an exam's key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseRequest {
    pub v: u32,
    pub exam_id: String,
    pub version: String,
    /// The signed-in candidate's username.
    pub username: String,
    /// A fresh X25519 key made for this request; the content key comes sealed to it.
    pub ephemeral_key: SealingPublicKey,
    pub issued_at: DateTime<Utc>,
}

/// The body of `POST` [`release_path`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct ReleaseRequestBody {
    /// A compact JWS ([`RELEASE_REQUEST_TYP`]) by the device key over a [`ReleaseRequest`].
    pub request: String,
}

/// The server's answer to a release request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct ReleaseReply {
    /// A compact JWS ([`KEY_RELEASE_TYP`]) by the server signing key over a [`ReleasedKey`].
    pub release: String,
}

/// What the server signs when it releases an exam's key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleasedKey {
    pub v: u32,
    pub exam_id: String,
    pub version: String,
    /// The candidate's username.
    pub candidate: String,
    /// The key id of the device the key is sealed for.
    pub device_kid: String,
    pub schedule_id: String,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    /// The content key, sealed to the request's ephemeral key with [`release_aad`].
    pub sealed_key: Sealed,
    pub released_at: DateTime<Utc>,
    /// The server signing key's id (also the JWS `kid`).
    pub server_kid: String,
}

impl ReleasedKey {
    /// The release as a compact JWS signed by `key`.
    pub fn sign(&self, key: &SigningKey) -> String {
        // Strings, times and an envelope always serialize.
        let payload = serde_json::to_vec(self).expect("a key release always serializes");
        jws::sign_compact(key, Some(KEY_RELEASE_TYP), &payload)
    }
}

/// Why a key release does not do for the exam that was asked for.
#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    #[error("the key release is not signed by a server this installation trusts: {0}")]
    Signature(SigningError),
    #[error("the key release is not a Studyhall key release: {0}")]
    Malformed(String),
    #[error("the key release is for {what} {found}, and {expected} was asked for")]
    OtherRequest {
        what: &'static str,
        found: String,
        expected: String,
    },
    #[error("the released key cannot be opened on this device: {0}")]
    Unseal(SigningError),
}

/// What a release must name to be used.
#[derive(Debug, Clone, Copy)]
pub struct ExpectedRelease<'a> {
    pub exam_id: &'a str,
    pub version: &'a str,
    pub candidate: &'a str,
    pub device_kid: &'a str,
}

/// Verifies a key release against the trusted server signing keys and what was asked.
pub fn verify_release(
    token: &str,
    trust: &TrustStore,
    expected: ExpectedRelease<'_>,
) -> std::result::Result<ReleasedKey, ReleaseError> {
    let verified = jws::verify_compact(token, trust).map_err(ReleaseError::Signature)?;
    if verified.typ.as_deref() != Some(KEY_RELEASE_TYP) {
        return Err(ReleaseError::Malformed(format!(
            "its type is {:?}, not {KEY_RELEASE_TYP}",
            verified.typ
        )));
    }
    let release: ReleasedKey = serde_json::from_slice(&verified.payload)
        .map_err(|e| ReleaseError::Malformed(e.to_string()))?;
    if release.v != RELEASE_VERSION {
        return Err(ReleaseError::Malformed(format!(
            "it is version {}, and this Studyhall reads version {RELEASE_VERSION}",
            release.v
        )));
    }
    if release.server_kid != verified.kid.as_str() {
        return Err(ReleaseError::Malformed(
            "it names another key than the one that signed it".into(),
        ));
    }
    let checks = [
        ("exam", &release.exam_id, expected.exam_id),
        ("version", &release.version, expected.version),
        ("candidate", &release.candidate, expected.candidate),
        ("device", &release.device_kid, expected.device_kid),
    ];
    for (what, found, wanted) in checks {
        if found != wanted {
            return Err(ReleaseError::OtherRequest {
                what,
                found: found.clone(),
                expected: wanted.to_owned(),
            });
        }
    }
    Ok(release)
}

/// An exam's content key as the server released it to this device, verified, with
/// what the proctor log records of the release. Its `Debug` never shows the key.
pub struct ReleasedExamKey {
    exam_id: String,
    version: String,
    key: ContentKey,
    log_detail: serde_json::Value,
}

impl std::fmt::Debug for ReleasedExamKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReleasedExamKey")
            .field("exam_id", &self.exam_id)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl Studyhall {
    /// Asks `server` to release the key of the newest installed version of `exam_id` to
    /// this device, as the candidate `username` signed in with `token`, and begins a
    /// session with it exactly as [`Studyhall::begin_exam`] does with a start code. The
    /// proctor log records the release. Refusals come in the server's words ("the
    /// sitting … opens at 14:00 UTC …", "this account is not registered …"); an
    /// unreachable server is a [`RequestFailure`].
    ///
    /// Holds `self` while the server answers; the app, which must not wait on the
    /// network while it holds its profile, calls [`Studyhall::fetch_released_key`] on a
    /// profile handle of its own and then [`Studyhall::begin_with_released_key`].
    pub fn begin_released_exam(
        &mut self,
        server: &ServerEndpoint,
        token: &str,
        username: &str,
        exam_id: &str,
        extra_time_percent: u32,
    ) -> Result<ExamPaper> {
        let released = self.fetch_released_key(server, token, username, exam_id)?;
        self.begin_with_released_key(released, extra_time_percent)
    }

    /// The network half of [`Studyhall::begin_released_exam`]: the verified release of
    /// the newest installed version of `exam_id`, for this device. Writes nothing.
    pub fn fetch_released_key(
        &self,
        server: &ServerEndpoint,
        token: &str,
        username: &str,
        exam_id: &str,
    ) -> Result<ReleasedExamKey> {
        let attempt = self.prepare_attempt(exam_id, 0)?;
        let ephemeral = SealingKey::generate()?;
        let device_kid = self.device_key.key_id().as_str().to_owned();
        let request = ReleaseRequest {
            v: RELEASE_VERSION,
            exam_id: exam_id.to_owned(),
            version: attempt.version.clone(),
            username: username.to_owned(),
            ephemeral_key: ephemeral.public_key(),
            issued_at: self.clock.now().to_utc(),
        };
        let body = ReleaseRequestBody {
            request: jws::sign_compact(
                &self.device_key,
                Some(RELEASE_REQUEST_TYP),
                &serde_json::to_vec(&request).map_err(bad_reply)?,
            ),
        };
        let answer = server.post(
            &release_path(exam_id, &attempt.version),
            serde_json::to_string(&body).map_err(bad_reply)?,
            Some(token),
        )?;
        let reply: ReleaseReply = serde_json::from_str(&answer).map_err(bad_reply)?;
        let release = verify_release(
            &reply.release,
            &self.trusted_server_signing_keys()?,
            ExpectedRelease {
                exam_id,
                version: &attempt.version,
                candidate: username,
                device_kid: &device_kid,
            },
        )
        .map_err(bad_reply)?;
        let aad = release_aad(&attempt.pack.manifest.binding(), &device_kid);
        let key = ContentKey::unwrap_released(&ephemeral, &release.sealed_key, &aad)
            .map_err(|e| bad_reply(ReleaseError::Unseal(e)))?;
        let stamp = |at: DateTime<Utc>| at.to_rfc3339_opts(SecondsFormat::Millis, true);
        let log_detail = serde_json::json!({
            "candidate": release.candidate,
            "server": server.base_url(),
            "server_kid": release.server_kid,
            "schedule_id": release.schedule_id,
            "released_at": stamp(release.released_at),
            "opens_at": stamp(release.opens_at),
            "closes_at": stamp(release.closes_at),
        });
        Ok(ReleasedExamKey {
            exam_id: exam_id.to_owned(),
            version: attempt.version,
            key,
            log_detail,
        })
    }

    /// Begins a session with a key [`Studyhall::fetch_released_key`] brought, as
    /// [`Studyhall::begin_exam`] does with a start code; the proctor log records the
    /// release. Refused when the installed version changed in between.
    pub fn begin_with_released_key(
        &mut self,
        released: ReleasedExamKey,
        extra_time_percent: u32,
    ) -> Result<ExamPaper> {
        let attempt = self.prepare_attempt(&released.exam_id, extra_time_percent)?;
        if attempt.version != released.version {
            return Err(Error::InvalidInput(format!(
                "exam {} changed to version {} while its key was being released for {}: \
                 ask for the key again",
                released.exam_id, attempt.version, released.version
            )));
        }
        let paper = self.begin_with_key(attempt, &released.key, Some(released.log_detail))?;
        tracing::info!(exam = %released.exam_id, session = %paper.session.session_id, "exam key released by the server");
        Ok(paper)
    }
}

/// An answer this installation cannot use, as a [`RequestFailure`].
#[cfg(test)]
mod tests {
    use super::*;

    fn release(server: &SigningKey, device_kid: &str) -> ReleasedKey {
        let at = DateTime::from_timestamp_millis(1_780_000_000_000).unwrap();
        let ephemeral = SealingKey::generate().unwrap();
        let sealed_key = ContentKey::generate()
            .unwrap()
            .wrap_for_release(&ephemeral.public_key(), b"aad")
            .unwrap();
        ReleasedKey {
            v: RELEASE_VERSION,
            exam_id: "tiny-exam".into(),
            version: "1.0.0".into(),
            candidate: "alice".into(),
            device_kid: device_kid.into(),
            schedule_id: "s-1".into(),
            opens_at: at,
            closes_at: at,
            sealed_key,
            released_at: at,
            server_kid: server.key_id().as_str().into(),
        }
    }

    #[test]
    fn a_release_verifies_only_from_a_trusted_server_and_for_what_was_asked() {
        let server = SigningKey::generate().unwrap();
        let trust = TrustStore::from_iter([server.public_key()]);
        let expected = ExpectedRelease {
            exam_id: "tiny-exam",
            version: "1.0.0",
            candidate: "alice",
            device_kid: "device-1",
        };
        let token = release(&server, "device-1").sign(&server);
        assert_eq!(
            verify_release(&token, &trust, expected).unwrap().candidate,
            "alice"
        );

        let forger = SigningKey::generate().unwrap();
        let forged = release(&forger, "device-1").sign(&forger);
        assert!(matches!(
            verify_release(&forged, &trust, expected),
            Err(ReleaseError::Signature(_))
        ));

        let other_device = release(&server, "device-2").sign(&server);
        let error = verify_release(&other_device, &trust, expected).unwrap_err();
        assert_eq!(
            error.to_string(),
            "the key release is for device device-2, and device-1 was asked for"
        );
        let other_exam = ExpectedRelease {
            exam_id: "other-exam",
            ..expected
        };
        assert!(matches!(
            verify_release(&token, &trust, other_exam),
            Err(ReleaseError::OtherRequest { what: "exam", .. })
        ));

        let payload = serde_json::to_vec(&release(&server, "device-1")).unwrap();
        let receipt_typed = jws::sign_compact(&server, Some(super::super::RECEIPT_TYP), &payload);
        assert!(matches!(
            verify_release(&receipt_typed, &trust, expected),
            Err(ReleaseError::Malformed(_))
        ));
    }

    #[test]
    fn the_sealed_key_is_bound_to_its_exam_and_device() {
        let a = release_aad(b"exam a", "device-1");
        assert_ne!(a, release_aad(b"exam a", "device-2"));
        assert_ne!(a, release_aad(b"exam b", "device-1"));
    }
}

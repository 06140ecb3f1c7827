//! Result delivery (DESIGN §3, §7): the outbox's sealed results go to the server, and a
//! row counts as delivered only once the server's signed receipt verifies.
//!
//! Owns the receipt format both sides use ([`Receipt`], signed by the server as a
//! compact JWS with `typ` [`RECEIPT_TYP`]), the HTTP client of the result endpoints
//! ([`ServerEndpoint`], behind [`ResultTransport`] so tests can put faults in between),
//! and the façade's [`Studyhall::deliver_results`] and [`Studyhall::outbox_status`].
//!
//! Promises:
//! - A row is marked delivered only when the receipt is signed by a server signing key
//!   this profile trusts (`trusted-servers/signing/*.pub.jwk`) and names the row's
//!   result id, receipt code and the SHA-256 of its sealed envelope. Rows are never
//!   deleted (the database forbids deleting an undelivered one).
//! - Each failed attempt is counted with its reason in words, and the next one waits an
//!   exponentially growing delay with jitter ([`retry_delay`]), so a thousand kiosks
//!   coming back online do not all knock at once.
//! - Uploading is idempotent on the server (by result id), so a lost answer is simply
//!   retried; the server answers a repeat with the same receipt.
//!
//! The HTTP client is blocking: call it from a worker thread, never from an async task.

pub mod account;
pub mod packs;
pub mod progress;
pub mod release;
mod tls;
pub mod worker;

pub use tls::SERVER_CA_DIR;

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use studyhall_signing::hash::{Digest, sha256};
use studyhall_signing::{PublicKey, Sealed, SigningError, SigningKey, TrustStore, jws};

use crate::Studyhall;
use crate::error::{Error, Result};
use crate::exams::TRUSTED_SERVERS_DIR;
use crate::storage::{self, Durability, PendingResult};

/// The JWS `typ` of a receipt.
pub const RECEIPT_TYP: &str = "studyhall-receipt+jws";
/// Version of the receipt's JSON; a change is a new version, never an edit.
pub const RECEIPT_VERSION: u32 = 1;
/// Where an enrolled device uploads its sealed results.
pub const UPLOAD_PATH: &str = "/v1/results";
/// Where a proctor hands in sealed result files exported from kiosks.
pub const HANDIN_PATH: &str = "/v1/results/handin";
/// Where a device enrolls its key.
pub const ENROLL_PATH: &str = "/v1/devices";
/// The JWS `typ` of a device's enrollment proof: the enrollment token, signed by the
/// device key.
pub const ENROLLMENT_PROOF_TYP: &str = "studyhall-enrollment+jws";
/// Folder, inside the trusted-servers folder, of the servers' public signing keys
/// (`<kid>.pub.jwk`), which verify receipts.
pub const SERVER_SIGNING_KEYS_DIR: &str = "signing";

/// First retry delay after a failed delivery; doubles with each further failure.
const FIRST_RETRY: Duration = Duration::from_secs(30);
/// The longest wait between two attempts.
const LONGEST_RETRY: Duration = Duration::from_secs(3600);
/// Connecting, and a whole upload, give up after these.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// What the server signs when it has stored a result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub v: u32,
    pub result_id: String,
    /// The code the candidate was shown ([`receipt_code`] of the signed result).
    pub receipt_code: String,
    /// [`sealed_sha256`] of the envelope the server stored, hex.
    pub sealed_sha256: String,
    pub received_at: DateTime<Utc>,
    /// The server signing key's id (also the JWS `kid`).
    pub server_kid: String,
}

impl Receipt {
    /// The receipt as a compact JWS signed by `key`.
    pub fn sign(&self, key: &SigningKey) -> String {
        // A struct of strings and a time always serializes.
        let payload = serde_json::to_vec(self).expect("a receipt always serializes");
        jws::sign_compact(key, Some(RECEIPT_TYP), &payload)
    }
}

/// SHA-256 of a sealed envelope in its canonical form (one line of JSON, as
/// [`Sealed::to_json`] writes it), so that a file's final newline or another JSON
/// layout of the same envelope hashes the same.
pub fn sealed_sha256(sealed_json: &str) -> std::result::Result<Digest, SigningError> {
    Ok(sha256(
        Sealed::from_json(sealed_json.trim())?.to_json().as_bytes(),
    ))
}

/// The short code a candidate is shown for a signed result: the first eight hex
/// characters of its SHA-256, as `ABCD-1234`.
pub fn receipt_code(signed_result: &str) -> String {
    let digest = sha256(signed_result.as_bytes()).to_hex().to_uppercase();
    format!("{}-{}", &digest[..4], &digest[4..8])
}

/// Why a receipt does not vouch for a result.
#[derive(Debug, thiserror::Error)]
pub enum ReceiptError {
    #[error("the server's receipt is not signed by a server this installation trusts: {0}")]
    Signature(SigningError),
    #[error("the server's receipt is not a Studyhall receipt: {0}")]
    Malformed(String),
    #[error("the server's receipt is for another result ({0})")]
    OtherResult(String),
    #[error("the server's receipt names other content than the result sent (its {0} differs)")]
    OtherContent(&'static str),
}

/// What a receipt must say to vouch for an outbox row.
#[derive(Debug, Clone, Copy)]
pub struct ExpectedReceipt<'a> {
    pub result_id: &'a str,
    pub receipt_code: &'a str,
    pub sealed_sha256: &'a Digest,
}

/// Verifies a receipt against the trusted server keys and what was sent.
pub fn verify_receipt(
    token: &str,
    trust: &TrustStore,
    expected: ExpectedReceipt<'_>,
) -> std::result::Result<Receipt, ReceiptError> {
    let verified = jws::verify_compact(token, trust).map_err(ReceiptError::Signature)?;
    if verified.typ.as_deref() != Some(RECEIPT_TYP) {
        return Err(ReceiptError::Malformed(format!(
            "its type is {:?}, not {RECEIPT_TYP}",
            verified.typ
        )));
    }
    let receipt: Receipt = serde_json::from_slice(&verified.payload)
        .map_err(|e| ReceiptError::Malformed(e.to_string()))?;
    if receipt.v != RECEIPT_VERSION {
        return Err(ReceiptError::Malformed(format!(
            "it is version {}, and this Studyhall reads version {RECEIPT_VERSION}",
            receipt.v
        )));
    }
    if receipt.server_kid != verified.kid.as_str() {
        return Err(ReceiptError::Malformed(
            "it names another key than the one that signed it".into(),
        ));
    }
    if receipt.result_id != expected.result_id {
        return Err(ReceiptError::OtherResult(receipt.result_id));
    }
    if receipt.sealed_sha256 != expected.sealed_sha256.to_hex() {
        return Err(ReceiptError::OtherContent("SHA-256"));
    }
    if receipt.receipt_code != expected.receipt_code {
        return Err(ReceiptError::OtherContent("receipt code"));
    }
    Ok(receipt)
}

/// The server's answer to an upload or a hand-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadReply {
    pub result_id: String,
    pub receipt_code: String,
    /// The signed receipt (compact JWS).
    pub receipt: String,
    /// The server already held this result; the receipt is the one it gave then.
    pub duplicate: bool,
}

/// Why a request to the server did not succeed. Its text is for people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestFailure {
    #[error("could not reach the server: {0}")]
    Unreachable(String),
    #[error("the server refused: {message}")]
    Refused {
        status: u16,
        code: String,
        message: String,
    },
    #[error("the server had a problem ({status}): {message}")]
    ServerError { status: u16, message: String },
    #[error("the server's answer could not be read: {0}")]
    BadReply(String),
}

/// Sends sealed results to a server. [`ServerEndpoint`] is the real one; tests may
/// pass another that fails on purpose.
pub trait ResultTransport {
    /// Uploads a sealed result as its device (`POST /v1/results`).
    fn upload(&self, sealed_json: &str) -> std::result::Result<UploadReply, RequestFailure>;
}

/// A Studyhall server, over HTTP or HTTPS.
#[derive(Debug, Clone)]
pub struct ServerEndpoint {
    base_url: String,
    http: reqwest::blocking::Client,
    settings: tls::ClientSettings,
}

impl ServerEndpoint {
    /// The server at `base_url` (`https://host[:port]`, or `http://` on a local network;
    /// no path). HTTPS certificates verify against the platform's roots; see
    /// [`ServerEndpoint::with_ca_certificate`] and [`Studyhall::server_endpoint`] for a
    /// private certificate authority.
    pub fn new(base_url: &str) -> Result<Self> {
        Self::with_timeouts(base_url, CONNECT_TIMEOUT, REQUEST_TIMEOUT)
    }

    /// The server at `base_url`, giving up on connecting after `connect` and on a whole
    /// request after `request` (tests put a stalling proxy in between).
    pub fn with_timeouts(base_url: &str, connect: Duration, request: Duration) -> Result<Self> {
        let base_url = base_url.trim().trim_end_matches('/').to_owned();
        let settings = tls::ClientSettings::new(connect, request);
        let http = settings.client(&base_url)?;
        Ok(Self {
            base_url,
            http,
            settings,
        })
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Hands in a sealed result file exported from a kiosk, as a proctor or admin
    /// (`POST /v1/results/handin` with the staff member's bearer token).
    pub fn hand_in(
        &self,
        sealed_json: &str,
        token: &str,
    ) -> std::result::Result<UploadReply, RequestFailure> {
        let body = self.post(HANDIN_PATH, sealed_json.trim().to_owned(), Some(token))?;
        upload_reply(&body)
    }

    /// Enrolls a device key with a one-time token from an admin or proctor; `proof` is
    /// the token signed by the key ([`ENROLLMENT_PROOF_TYP`]).
    pub fn enroll(
        &self,
        public_key: &PublicKey,
        proof: &str,
    ) -> std::result::Result<(), RequestFailure> {
        let body = serde_json::json!({ "public_key": public_key, "proof": proof });
        self.post(ENROLL_PATH, body.to_string(), None).map(drop)
    }

    /// POSTs a JSON `body`; the answer's body when the server says yes.
    pub(crate) fn post(
        &self,
        path: &str,
        body: String,
        token: Option<&str>,
    ) -> std::result::Result<String, RequestFailure> {
        let mut request = self
            .http
            .post(format!("{}{path}", self.base_url))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        self.answer(request)
    }

    /// GETs `path`, with the bearer `token` when given; the answer's body when the
    /// server says yes.
    pub(crate) fn get(
        &self,
        path: &str,
        token: Option<&str>,
    ) -> std::result::Result<String, RequestFailure> {
        let mut request = self.http.get(format!("{}{path}", self.base_url));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        self.answer(request)
    }

    /// Sends `request`: the body of a success, or the failure in words.
    fn answer(
        &self,
        request: reqwest::blocking::RequestBuilder,
    ) -> std::result::Result<String, RequestFailure> {
        let response = request.send().map_err(|e| self.transport_failure(&e))?;
        let status = response.status();
        let body = response.text().map_err(|e| self.transport_failure(&e))?;
        if status.is_success() {
            return Ok(body);
        }
        Err(self.failure(status, &body))
    }

    /// The failure a non-success answer with `body` (the server's `{error, message}`)
    /// stands for.
    pub(crate) fn failure(&self, status: reqwest::StatusCode, body: &str) -> RequestFailure {
        #[derive(Deserialize)]
        struct ErrorBody {
            error: String,
            message: String,
        }
        let (code, message) = match serde_json::from_str::<ErrorBody>(body) {
            Ok(error) => (error.error, error.message),
            Err(_) => (String::new(), body.chars().take(200).collect()),
        };
        if status.is_server_error() {
            RequestFailure::ServerError {
                status: status.as_u16(),
                message,
            }
        } else {
            RequestFailure::Refused {
                status: status.as_u16(),
                code,
                message,
            }
        }
    }

    /// The HTTP client, for requests the helpers above do not cover (streamed
    /// downloads); turn its errors into [`RequestFailure`]s with
    /// [`ServerEndpoint::transport_failure`].
    pub(crate) fn http(&self) -> &reqwest::blocking::Client {
        &self.http
    }

    pub(crate) fn transport_failure(&self, error: &reqwest::Error) -> RequestFailure {
        // The innermost cause is the one a person understands ("Connection refused").
        let mut cause: &dyn std::error::Error = error;
        while let Some(source) = cause.source() {
            cause = source;
        }
        let what = if error.is_timeout() {
            "it did not answer in time".to_owned()
        } else if let Some(problem) = tls::certificate_problem(error) {
            problem
        } else {
            cause.to_string()
        };
        RequestFailure::Unreachable(format!("{} ({what})", self.base_url))
    }
}

impl ResultTransport for ServerEndpoint {
    fn upload(&self, sealed_json: &str) -> std::result::Result<UploadReply, RequestFailure> {
        let body = self.post(UPLOAD_PATH, sealed_json.trim().to_owned(), None)?;
        upload_reply(&body)
    }
}

fn upload_reply(body: &str) -> std::result::Result<UploadReply, RequestFailure> {
    serde_json::from_str(body).map_err(|e| RequestFailure::BadReply(e.to_string()))
}

/// A server answer that could not be read as what it should be.
pub(crate) fn bad_reply(error: impl std::fmt::Display) -> RequestFailure {
    RequestFailure::BadReply(error.to_string())
}

/// How long to wait after the `failures`-th failed attempt in a row: 30 s, doubling,
/// at most an hour, then scaled by `jitter` (0–1) into its upper half.
pub fn retry_delay(failures: u32, jitter: f64) -> Duration {
    let doubling = FIRST_RETRY.saturating_mul(1 << failures.saturating_sub(1).min(16));
    let delay = doubling.min(LONGEST_RETRY);
    delay.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
}

/// One result the server receipted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct DeliveredResult {
    pub result_id: String,
    pub receipt_code: String,
    /// The server already held it (an earlier answer was lost, or a proctor handed it in).
    pub duplicate: bool,
}

/// One result that is still waiting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct FailedDelivery {
    pub result_id: String,
    /// Attempts so far, this one included.
    pub attempts: u32,
    /// In words.
    pub error: String,
    /// RFC 3339.
    pub next_attempt_at: String,
}

/// What one round of delivery did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct DeliveryReport {
    pub delivered: Vec<DeliveredResult>,
    pub failed: Vec<FailedDelivery>,
    /// Results waiting for their next attempt's time.
    pub not_due: u32,
}

/// The outbox, for the sync status the app shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct OutboxStatus {
    /// Results the server has not yet receipted.
    pub waiting: u32,
    /// Why the latest attempt for a waiting result failed, in words.
    pub last_error: Option<String>,
    /// When the next attempt is due (RFC 3339), if one failed.
    pub next_attempt_at: Option<String>,
    /// When a result was last receipted (RFC 3339).
    pub last_delivery_at: Option<String>,
}

fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl Studyhall {
    /// Trusts `key` as a server's signing key: receipts signed by it mark results
    /// delivered.
    pub fn trust_server_signing_key(&mut self, key: &PublicKey) -> Result<()> {
        let dir = self.server_signing_keys_dir();
        std::fs::create_dir_all(&dir).map_err(|e| Error::io("create", &dir, e))?;
        let path = dir.join(format!("{}.pub.jwk", key.key_id()));
        if !path.exists() {
            key.write_jwk_file(&path)?;
        }
        Ok(())
    }

    /// The servers' signing keys this profile trusts.
    pub fn trusted_server_signing_keys(&self) -> Result<TrustStore> {
        let dir = self.server_signing_keys_dir();
        if !dir.exists() {
            return Ok(TrustStore::new());
        }
        Ok(TrustStore::from_dir(&dir)?)
    }

    fn server_signing_keys_dir(&self) -> PathBuf {
        self.profile
            .join(TRUSTED_SERVERS_DIR)
            .join(SERVER_SIGNING_KEYS_DIR)
    }

    /// Uploads every waiting result whose next attempt is due, and marks each delivered
    /// once its receipt verifies; a failure is counted on its row with the reason and
    /// the time of the next attempt. Only a database failure stops the round.
    pub fn deliver_results(&mut self, server: &dyn ResultTransport) -> Result<DeliveryReport> {
        let trust = self.trusted_server_signing_keys()?;
        let mut report = DeliveryReport::default();
        for row in storage::pending_results(self.storage.reader())? {
            let now = self.clock.now().to_utc();
            let due = row
                .next_attempt_at
                .as_deref()
                .and_then(|at| DateTime::parse_from_rfc3339(at).ok())
                .is_none_or(|at| at <= now);
            if !due {
                report.not_due += 1;
                continue;
            }
            let at = timestamp(now);
            match deliver(server, &trust, &row) {
                Ok(reply) => {
                    self.storage.transact(Durability::Full, |tx| {
                        storage::record_delivery(tx, &row.result_id, &reply.receipt, &at)
                    })?;
                    tracing::info!(result = %row.result_id, duplicate = reply.duplicate, "result delivered");
                    report.delivered.push(DeliveredResult {
                        result_id: row.result_id,
                        receipt_code: row.receipt_code,
                        duplicate: reply.duplicate,
                    });
                }
                Err(error) => {
                    let error = error.to_string();
                    let attempts = row.attempts.saturating_add(1);
                    let wait = retry_delay(attempts, rand::random());
                    let next =
                        timestamp(now + chrono::Duration::from_std(wait).unwrap_or_default());
                    self.storage.transact(Durability::Normal, |tx| {
                        storage::record_failed_delivery(tx, &row.result_id, &error, &at, &next)
                    })?;
                    tracing::warn!(result = %row.result_id, %error, next_attempt = %next, "result not delivered");
                    report.failed.push(FailedDelivery {
                        result_id: row.result_id,
                        attempts,
                        error,
                        next_attempt_at: next,
                    });
                }
            }
        }
        Ok(report)
    }

    /// Enrolls this installation's key on `server` with a one-time enrollment token
    /// from an admin or proctor, so that the server accepts its results.
    pub fn enroll_device(
        &self,
        server: &ServerEndpoint,
        enrollment_token: &str,
    ) -> std::result::Result<(), RequestFailure> {
        let payload = serde_json::json!({ "enrollment_token": enrollment_token }).to_string();
        let proof = jws::sign_compact(
            &self.device_key,
            Some(ENROLLMENT_PROOF_TYP),
            payload.as_bytes(),
        );
        server.enroll(&self.device_key.public_key(), &proof)
    }

    /// How many results wait for the server, why the last attempt failed, and when a
    /// result was last delivered.
    pub fn outbox_status(&self) -> Result<OutboxStatus> {
        let counts = storage::outbox_counts(self.storage.reader())?;
        Ok(OutboxStatus {
            waiting: counts.waiting,
            last_error: counts.last_error,
            next_attempt_at: counts.next_attempt_at,
            last_delivery_at: counts.last_delivered_at,
        })
    }
}

/// Why one result was not delivered; its text is what the outbox records.
#[derive(Debug, thiserror::Error)]
enum DeliveryError {
    #[error("the stored sealed result cannot be read: {0}")]
    Unreadable(SigningError),
    #[error(transparent)]
    Request(#[from] RequestFailure),
    #[error(transparent)]
    Receipt(#[from] ReceiptError),
}

/// Uploads one row and checks the receipt.
fn deliver(
    server: &dyn ResultTransport,
    trust: &TrustStore,
    row: &PendingResult,
) -> std::result::Result<UploadReply, DeliveryError> {
    let digest = sealed_sha256(&row.sealed).map_err(DeliveryError::Unreadable)?;
    let reply = server.upload(&row.sealed)?;
    verify_receipt(
        &reply.receipt,
        trust,
        ExpectedReceipt {
            result_id: &row.result_id,
            receipt_code: &row.receipt_code,
            sealed_sha256: &digest,
        },
    )?;
    Ok(reply)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_within_their_jitter() {
        assert_eq!(retry_delay(1, 1.0), Duration::from_secs(30));
        assert_eq!(retry_delay(1, 0.0), Duration::from_secs(15));
        assert_eq!(retry_delay(3, 1.0), Duration::from_secs(120));
        assert_eq!(retry_delay(40, 1.0), LONGEST_RETRY);
        assert_eq!(retry_delay(40, 0.0), LONGEST_RETRY / 2);
    }

    #[test]
    fn a_receipt_verifies_only_for_its_result_and_server() {
        let server = SigningKey::generate().unwrap();
        let digest = sha256(b"sealed");
        let receipt = Receipt {
            v: RECEIPT_VERSION,
            result_id: "r-1".into(),
            receipt_code: "ABCD-1234".into(),
            sealed_sha256: digest.to_hex(),
            received_at: DateTime::from_timestamp_millis(1_780_000_000_000).unwrap(),
            server_kid: server.key_id().as_str().into(),
        };
        let token = receipt.sign(&server);
        let trust = TrustStore::from_iter([server.public_key()]);
        let expected = ExpectedReceipt {
            result_id: "r-1",
            receipt_code: "ABCD-1234",
            sealed_sha256: &digest,
        };
        assert_eq!(verify_receipt(&token, &trust, expected).unwrap(), receipt);

        let other = sha256(b"other");
        let wrong_content = ExpectedReceipt {
            sealed_sha256: &other,
            ..expected
        };
        assert!(matches!(
            verify_receipt(&token, &trust, wrong_content),
            Err(ReceiptError::OtherContent(_))
        ));
        let wrong_result = ExpectedReceipt {
            result_id: "r-2",
            ..expected
        };
        assert!(matches!(
            verify_receipt(&token, &trust, wrong_result),
            Err(ReceiptError::OtherResult(_))
        ));
        let stranger = TrustStore::from_iter([SigningKey::generate().unwrap().public_key()]);
        assert!(matches!(
            verify_receipt(&token, &stranger, expected),
            Err(ReceiptError::Signature(_))
        ));
    }

    #[test]
    fn receipt_codes_are_two_groups_of_four() {
        let code = receipt_code("a.b.c");
        assert_eq!(code.len(), 9);
        assert_eq!(&code[4..5], "-");
    }
}

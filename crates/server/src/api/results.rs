//! Exam results (DESIGN §3, §7): uploaded by the device that sat the exam, or handed in
//! by a proctor from a kiosk's exported file; each answered with a receipt the server
//! signs.
//!
//! Who may upload: `POST /v1/results` needs no sign-in; the result itself is the
//! credential. It must be signed by a device key enrolled on this server (a candidate's
//! own installation has no account of its own), so anyone may carry it, and a copy sent
//! twice is harmless. `POST /v1/results/handin` is for proctors and admins carrying
//! sealed files from kiosks; the signing device must be enrolled there too.
//!
//! Promises:
//! - A result is stored only after it is unsealed with the server's sealing key, its
//!   device signature verifies, and its proctor log's chain matches the signed head.
//! - When the catalogue holds the result's exam pack (and this server's key opens it),
//!   the form is drawn again from the result's seed, its items must be the form's items
//!   and regrading its answers must give its scores: a mismatch is a 422 naming what
//!   differs, and nothing is stored; a match is stored with `form_checked: true`. The
//!   unlocked exams are kept in memory ([`exams::UnlockedExams`]), so a pack is opened
//!   once per process, not per upload. Without the pack, `form_checked` is `false`.
//! - Idempotent by result id: the same sealed result again (by upload or hand-in, on any
//!   replica) stores nothing and answers with the receipt given the first time; the same
//!   id with other content is refused with 409.
//! - The receipt is a compact JWS by the server's signing key, `typ`
//!   [`RECEIPT_TYP`](studyhall_core::sync::RECEIPT_TYP), over
//!   [`Receipt`]: result id, receipt code, SHA-256 of the sealed envelope, time, key id.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use studyhall_core::exam::result::{
    ExamContent, ResultDocument, ResultError, SEALED_RESULT_AAD, SEALED_RESULT_TYP,
    check_against_exam, verify_signed,
};
use studyhall_core::sync::{RECEIPT_VERSION, Receipt, receipt_code, sealed_sha256};
use studyhall_signing::{KeyId, Sealed, jws};
use utoipa::ToSchema;
use uuid::Uuid;

use super::Json;
use super::exams::{self, ExamLookup, Freshness};
use crate::app::AppState;
use crate::auth::{AdminOrProctor, Authorized};
use crate::error::{ApiError, ErrorBody};
use crate::keys::ServerKeys;
use crate::store::{AccountId, ResultRecord, ResultVia, StoredResult};

/// The answer to an upload or a hand-in (read by `studyhall_core::sync::UploadReply`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ResultReceipt {
    pub result_id: String,
    /// The short code the candidate was shown.
    pub receipt_code: String,
    /// The signed receipt (compact JWS, `typ` `studyhall-receipt+jws`).
    pub receipt: String,
    /// The server already held this result: nothing was stored, and the receipt is the
    /// one given the first time.
    pub duplicate: bool,
}

/// A stored result, for staff.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ResultView {
    pub result: ResultRecord,
    /// The result document the device signed (its JSON payload).
    #[schema(value_type = Object)]
    pub document: serde_json::Value,
}

/// Uploads a sealed result, as the enrolled device that signed it.
#[utoipa::path(post, path = "/v1/results", tag = "results",
    request_body(content = Object, description = "the sealed result envelope (JSON)"),
    responses(
        (status = 201, description = "stored; the receipt", body = ResultReceipt),
        (status = 200, description = "stored before; the same receipt", body = ResultReceipt),
        (status = 400, body = ErrorBody),
        (status = 403, description = "the signing device is not enrolled", body = ErrorBody),
        (status = 409, description = "another result has this id", body = ErrorBody),
        (status = 422, description = "the result does not verify; the message says which check failed", body = ErrorBody),
    ))]
pub async fn upload_result(
    State(state): State<AppState>,
    Json(envelope): Json<serde_json::Value>,
) -> Result<(StatusCode, Json<ResultReceipt>), ApiError> {
    receive(&state, &envelope, ResultVia::Device, None).await
}

/// Hands in a sealed result file exported from a kiosk (offline hand-in).
#[utoipa::path(post, path = "/v1/results/handin", tag = "results",
    security(("bearer" = [])),
    request_body(content = Object, description = "the sealed result envelope (a .shresult file's JSON)"),
    responses(
        (status = 201, description = "stored; the receipt", body = ResultReceipt),
        (status = 200, description = "stored before; the same receipt", body = ResultReceipt),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "only proctors and admins, and only results of enrolled devices", body = ErrorBody),
        (status = 409, description = "another result has this id", body = ErrorBody),
        (status = 422, description = "the result does not verify", body = ErrorBody),
    ))]
pub async fn hand_in_result(
    State(state): State<AppState>,
    caller: Authorized<AdminOrProctor>,
    Json(envelope): Json<serde_json::Value>,
) -> Result<(StatusCode, Json<ResultReceipt>), ApiError> {
    receive(
        &state,
        &envelope,
        ResultVia::Handin,
        Some(caller.account.id),
    )
    .await
}

/// One stored result, with the document the device signed.
#[utoipa::path(get, path = "/v1/results/{result_id}", tag = "results",
    security(("bearer" = [])),
    params(("result_id" = String, Path, description = "the result's id")),
    responses(
        (status = 200, body = ResultView),
        (status = 401, body = ErrorBody),
        (status = 403, description = "only proctors and admins", body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
pub async fn get_result(
    State(state): State<AppState>,
    _caller: Authorized<AdminOrProctor>,
    Path(result_id): Path<String>,
) -> Result<Json<ResultView>, ApiError> {
    let result =
        state.store.result(&result_id).await?.ok_or_else(|| {
            ApiError::NotFound(format!("no result with id {result_id} is stored"))
        })?;
    let document = jws::peek_payload(&result.signed)
        .ok()
        .and_then(|payload| serde_json::from_slice(&payload).ok())
        .ok_or_else(|| {
            tracing::error!(result = %result_id, "a stored result's document cannot be read");
            ApiError::Internal
        })?;
    Ok(Json(ResultView { result, document }))
}

/// A result unsealed and verified, ready to store.
struct Opened {
    document: ResultDocument,
    signed: String,
    sealed_sha256: String,
}

/// Unseals `sealed_json` with the server's key and verifies the device's signature and
/// the proctor log's chain (CPU work: run it off the async threads).
fn open_result(keys: &ServerKeys, sealed_json: &str) -> Result<Opened, ApiError> {
    let invalid = |error: ResultError| ApiError::InvalidResult(error.to_string());
    let not_an_envelope = |e: studyhall_signing::SigningError| {
        ApiError::InvalidRequest(format!("the body is not a sealed result envelope: {e}"))
    };
    let sealed = Sealed::from_json(sealed_json).map_err(not_an_envelope)?;
    let digest = sealed_sha256(sealed_json).map_err(not_an_envelope)?;
    let signed = keys
        .sealing
        .open(&sealed, SEALED_RESULT_TYP, SEALED_RESULT_AAD)
        .map_err(|e| invalid(ResultError::Seal(e)))?;
    let signed = std::str::from_utf8(&signed)
        .map(str::to_owned)
        .map_err(|_| {
            invalid(ResultError::Document(
                "the signed result is not text".into(),
            ))
        })?;
    let document = verify_signed(&signed, None).map_err(invalid)?;
    if Uuid::parse_str(&document.result_id).is_err() {
        return Err(invalid(ResultError::Document(format!(
            "its result id \"{}\" is not a UUID",
            document.result_id
        ))));
    }
    Ok(Opened {
        document,
        signed,
        sealed_sha256: digest.to_hex(),
    })
}

/// Checks `document` against `lookup`'s exam when the server holds it: whether it was
/// checked, or a 422 naming what differs. A few microseconds for a small form.
fn check_form(document: &ResultDocument, lookup: &ExamLookup) -> Result<bool, ApiError> {
    let ExamLookup::Unlocked(exam) = lookup else {
        return Ok(false);
    };
    let content = ExamContent {
        exam_id: &exam.manifest.id,
        exam_version: &document.exam_version,
        blueprint: &exam.manifest.blueprint,
        bank: &exam.bank,
    };
    check_against_exam(document, content)
        .map_err(|error| ApiError::InvalidResult(error.to_string()))?;
    Ok(true)
}

async fn receive(
    state: &AppState,
    envelope: &serde_json::Value,
    via: ResultVia,
    handed_in_by: Option<AccountId>,
) -> Result<(StatusCode, Json<ResultReceipt>), ApiError> {
    let sealed_json = envelope.to_string();
    let (keys, exams) = (Arc::clone(&state.keys), Arc::clone(&state.exams));
    // The form is checked in the same task when the exam is in memory (every upload but
    // the first of an exam); otherwise once the catalogue has been asked.
    let (opened, form_checked) = tokio::task::spawn_blocking(move || {
        let opened = open_result(&keys, &sealed_json)?;
        let d = &opened.document;
        let checked = match exams.remembered(&d.exam_id, &d.exam_version, Freshness::Remembered)? {
            Some(lookup) => Some(check_form(d, &lookup)?),
            None => None,
        };
        Ok::<_, ApiError>((opened, checked))
    })
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "verifying a result failed");
        ApiError::Internal
    })??;
    let Opened {
        document,
        signed,
        sealed_sha256,
    } = opened;
    // Only an enrolled device's result may make the server look up (and open) an exam:
    // anyone can sign a result with a key of their own.
    let device_key_id = KeyId::new(document.device_kid.clone());
    if state.store.device_by_key(&device_key_id).await?.is_none() {
        return Err(ApiError::DeviceNotEnrolled(document.device_kid));
    }
    let form_checked = match form_checked {
        Some(checked) => checked,
        None => {
            let lookup = exams::unlocked_exam(
                state,
                &document.exam_id,
                &document.exam_version,
                Freshness::Remembered,
            )
            .await?;
            check_form(&document, &lookup)?
        }
    };
    let received_at = state.now();
    let receipt = Receipt {
        v: RECEIPT_VERSION,
        result_id: document.result_id.clone(),
        receipt_code: receipt_code(&signed),
        sealed_sha256: sealed_sha256.clone(),
        received_at,
        server_kid: state.keys.signing.key_id().as_str().to_owned(),
    };
    let record = ResultRecord {
        result_id: document.result_id,
        sealed_sha256,
        device_key_id,
        session_id: document.session_id,
        exam_id: document.exam_id,
        exam_version: document.exam_version,
        candidate_id: document.candidate_id,
        receipt: receipt.sign(&state.keys.signing),
        receipt_code: receipt.receipt_code,
        signed,
        received_at,
        via,
        handed_in_by,
        form_checked,
    };
    let (status, stored, duplicate) = match state.store.store_result(record).await? {
        StoredResult::New(stored) => (StatusCode::CREATED, stored, false),
        StoredResult::Duplicate(stored) => (StatusCode::OK, stored, true),
    };
    tracing::info!(
        result = %stored.result_id,
        exam = %stored.exam_id,
        via = via.as_str(),
        duplicate,
        "result received"
    );
    Ok((
        status,
        Json(ResultReceipt {
            result_id: stored.result_id,
            receipt_code: stored.receipt_code,
            receipt: stored.receipt,
            duplicate,
        }),
    ))
}

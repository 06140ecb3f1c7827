//! What a client sees when a request fails: a status code and
//! `{ "error": code, "message": human text }`.
//!
//! Promises: every [`ApiError`] maps to its status and code in one exhaustive `match`,
//! and every [`StoreError`] to an [`ApiError`] in another, so nothing reaches a client
//! unmapped; internal detail (SQL, paths) is logged, never sent.

use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::store::StoreError;

/// The body of every error response.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct ErrorBody {
    /// Stable, machine-readable: `unauthenticated`, `forbidden`, `invalid_request`, …
    pub error: String,
    /// For people: what happened and what to do.
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(
        "sign in first: send the token from POST /v1/auth/login as \"Authorization: Bearer TOKEN\""
    )]
    Unauthenticated,
    #[error("the sign-in token is not known (signed out, or never issued); sign in again")]
    UnknownToken,
    #[error("the sign-in expired; sign in again")]
    SessionExpired,
    #[error("the username or password is wrong")]
    InvalidCredentials,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    InvalidRequest(String),
    #[error("the request is larger than this server accepts; send less at once")]
    PayloadTooLarge,
    #[error("{0}")]
    Conflict(String),
    #[error("the enrollment token is not known; ask an admin or proctor for a new one")]
    EnrollmentTokenUnknown,
    #[error(
        "the enrollment token was already used; each token enrolls one device, ask for a new one"
    )]
    EnrollmentTokenUsed,
    #[error("the enrollment token expired; ask an admin or proctor for a new one")]
    EnrollmentTokenExpired,
    #[error("{0}")]
    BadProof(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    InvalidResult(String),
    #[error(
        "the device that signed this result (key {0}) is not enrolled on this server; enroll it with a token from an admin or proctor, then send the result again"
    )]
    DeviceNotEnrolled(String),
    #[error(
        "the pack is larger than this server accepts ({limit} bytes, the max_pack_bytes setting); ask the server's operator to raise it"
    )]
    PackTooLarge { limit: usize },
    #[error("the pack was refused: {0}")]
    InvalidPack(String),
    #[error(
        "the requested range is outside the file ({size} bytes); ask for a range that starts before its end"
    )]
    RangeNotSatisfiable { size: u64 },
    #[error(
        "this device (key {0}) is not enrolled on this server; enroll it with a token from an admin or proctor, then ask for the exam again"
    )]
    ReleaseDeviceNotEnrolled(String),
    #[error("{0}")]
    NotRegistered(String),
    #[error("{0}")]
    SittingNotOpen(String),
    #[error("the database is not answering; try again shortly")]
    Unavailable,
    #[error("something went wrong on the server; it has been logged")]
    Internal,
}

impl ApiError {
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            ApiError::UnknownToken => (StatusCode::UNAUTHORIZED, "unknown_token"),
            ApiError::SessionExpired => (StatusCode::UNAUTHORIZED, "session_expired"),
            ApiError::InvalidCredentials => (StatusCode::UNAUTHORIZED, "invalid_credentials"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::InvalidRequest(_) => (StatusCode::BAD_REQUEST, "invalid_request"),
            ApiError::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::EnrollmentTokenUnknown => (StatusCode::FORBIDDEN, "enrollment_token_unknown"),
            ApiError::EnrollmentTokenUsed => (StatusCode::CONFLICT, "enrollment_token_used"),
            ApiError::EnrollmentTokenExpired => (StatusCode::GONE, "enrollment_token_expired"),
            ApiError::BadProof(_) => (StatusCode::BAD_REQUEST, "bad_proof"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::InvalidResult(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_result"),
            ApiError::DeviceNotEnrolled(_) => (StatusCode::FORBIDDEN, "device_not_enrolled"),
            ApiError::PackTooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "pack_too_large"),
            ApiError::InvalidPack(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_pack"),
            ApiError::RangeNotSatisfiable { .. } => {
                (StatusCode::RANGE_NOT_SATISFIABLE, "range_not_satisfiable")
            }
            ApiError::ReleaseDeviceNotEnrolled(_) => (StatusCode::FORBIDDEN, "device_not_enrolled"),
            ApiError::NotRegistered(_) => (StatusCode::FORBIDDEN, "not_registered"),
            ApiError::SittingNotOpen(_) => (StatusCode::FORBIDDEN, "sitting_not_open"),
            ApiError::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            ApiError::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let body = ErrorBody {
            error: code.to_owned(),
            message: self.to_string(),
        };
        (status, axum::Json(body)).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::UsernameTaken(name) => {
                ApiError::Conflict(format!("the username \"{name}\" is taken; choose another"))
            }
            StoreError::EnrollmentTokenUnknown => ApiError::EnrollmentTokenUnknown,
            StoreError::EnrollmentTokenExpired(_) => ApiError::EnrollmentTokenExpired,
            StoreError::EnrollmentTokenUsed => ApiError::EnrollmentTokenUsed,
            StoreError::DeviceAlreadyEnrolled(key_id) => ApiError::Conflict(format!(
                "a device with key {key_id} is already enrolled; a device enrolls once"
            )),
            StoreError::ResultConflict(result_id) => ApiError::Conflict(format!(
                "another result with id {result_id} is already stored, with other content; \
                 a result is sent as it was sealed, never changed"
            )),
            StoreError::PackConflict { id, version } => ApiError::Conflict(format!(
                "pack {id} {version} is already published, with other content; a published \
                 version never changes: give the pack a new version and publish that"
            )),
            StoreError::DeviceNotEnrolled(key_id) => {
                ApiError::DeviceNotEnrolled(key_id.as_str().to_owned())
            }
            error @ (StoreError::Backend(_) | StoreError::InvalidUrl(_)) => {
                tracing::error!(%error, "database failure");
                ApiError::Unavailable
            }
            error @ (StoreError::Corrupt(_) | StoreError::DatabaseTooNew { .. }) => {
                tracing::error!(%error, "database content");
                ApiError::Internal
            }
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::BytesRejection(ref inner)
                if inner.status() == StatusCode::PAYLOAD_TOO_LARGE =>
            {
                ApiError::PayloadTooLarge
            }
            other => ApiError::InvalidRequest(other.body_text()),
        }
    }
}

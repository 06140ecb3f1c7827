//! Device enrollment: an admin or proctor makes a one-time token; the device sends its
//! public key and the token signed with its private key (a compact JWS of type
//! [`ENROLLMENT_PROOF_TYP`]), proving it holds the key it registers.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use studyhall_signing::{PublicKey, TrustStore, jws};
use utoipa::ToSchema;
use uuid::Uuid;

use super::Json;
use crate::app::AppState;
use crate::auth::{AdminOnly, AdminOrProctor, Authorized, new_token};
use crate::error::{ApiError, ErrorBody};
use crate::store::{Device, DeviceId, NewDevice, NewEnrollmentToken, TokenHash};

/// The `typ` of the JWS a device signs to enroll.
pub use studyhall_core::sync::ENROLLMENT_PROOF_TYP;

const DEFAULT_TOKEN_SECONDS: u64 = 24 * 60 * 60;
const MAX_TOKEN_SECONDS: u64 = 30 * 24 * 60 * 60;

#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct EnrollmentTokenRequest {
    /// How long the token may be used; 24 hours when left out, 30 days at most.
    #[serde(default)]
    pub expires_in_seconds: Option<u64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EnrollmentTokenResponse {
    /// Give it to the device once; it enrolls one device.
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// What the device signs: the payload of its enrollment proof.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EnrollmentProof {
    pub enrollment_token: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EnrollDeviceRequest {
    /// The device's Ed25519 public key (RFC 8037 JWK).
    #[schema(value_type = Object)]
    pub public_key: PublicKey,
    /// A compact JWS (EdDSA, `typ` = `studyhall-enrollment+jws`) by that key over an
    /// [`EnrollmentProof`].
    pub proof: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DeviceList {
    pub devices: Vec<Device>,
}

/// Makes a one-time enrollment token.
#[utoipa::path(post, path = "/v1/enrollment-tokens", tag = "devices",
    security(("bearer" = [])),
    request_body = EnrollmentTokenRequest,
    responses(
        (status = 201, body = EnrollmentTokenResponse),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "only admins and proctors", body = ErrorBody),
    ))]
pub async fn create_enrollment_token(
    State(state): State<AppState>,
    caller: Authorized<AdminOrProctor>,
    Json(request): Json<EnrollmentTokenRequest>,
) -> Result<(StatusCode, Json<EnrollmentTokenResponse>), ApiError> {
    let seconds = request.expires_in_seconds.unwrap_or(DEFAULT_TOKEN_SECONDS);
    if !(1..=MAX_TOKEN_SECONDS).contains(&seconds) {
        return Err(ApiError::InvalidRequest(format!(
            "expires_in_seconds must be between 1 and {MAX_TOKEN_SECONDS} (30 days)"
        )));
    }
    let token = new_token();
    let now = state.now();
    let expires_at = now + TimeDelta::seconds(i64::try_from(seconds).unwrap_or(i64::MAX));
    state
        .store
        .create_enrollment_token(NewEnrollmentToken {
            token_hash: TokenHash::of(&token),
            created_by: caller.account.id,
            created_at: now,
            expires_at,
        })
        .await?;
    tracing::info!(by = %caller.account.username, %expires_at, "enrollment token created");
    Ok((
        StatusCode::CREATED,
        Json(EnrollmentTokenResponse { token, expires_at }),
    ))
}

/// Enrolls a device: registers its public key, using up the enrollment token.
#[utoipa::path(post, path = "/v1/devices", tag = "devices",
    request_body = EnrollDeviceRequest,
    responses(
        (status = 201, body = Device),
        (status = 400, description = "the proof is not a valid signature by the key", body = ErrorBody),
        (status = 403, description = "unknown enrollment token", body = ErrorBody),
        (status = 409, description = "token already used, or device already enrolled", body = ErrorBody),
        (status = 410, description = "the token expired", body = ErrorBody),
    ))]
pub async fn enroll_device(
    State(state): State<AppState>,
    Json(request): Json<EnrollDeviceRequest>,
) -> Result<(StatusCode, Json<Device>), ApiError> {
    let enrollment_token = verify_proof(&request.public_key, &request.proof)?;
    let device = state
        .store
        .enroll_device(
            &TokenHash::of(&enrollment_token),
            NewDevice {
                id: DeviceId(Uuid::now_v7()),
                public_key: request.public_key,
                enrolled_at: state.now(),
            },
        )
        .await?;
    tracing::info!(device = %device.id.0, key = %device.key_id, "device enrolled");
    Ok((StatusCode::CREATED, Json(device)))
}

/// The enrollment token the proof carries, once the proof is shown to be signed by
/// `public_key`.
fn verify_proof(public_key: &PublicKey, proof: &str) -> Result<String, ApiError> {
    let trust = TrustStore::from_iter([public_key.clone()]);
    let verified = jws::verify_compact(proof, &trust).map_err(|e| {
        ApiError::BadProof(format!(
            "the enrollment proof is not signed by the device key sent with it: {e}"
        ))
    })?;
    if verified.typ.as_deref() != Some(ENROLLMENT_PROOF_TYP) {
        return Err(ApiError::BadProof(format!(
            "the enrollment proof must have typ \"{ENROLLMENT_PROOF_TYP}\""
        )));
    }
    let payload: EnrollmentProof = serde_json::from_slice(&verified.payload).map_err(|e| {
        ApiError::BadProof(format!(
            "the enrollment proof's payload is not {{\"enrollment_token\": …}}: {e}"
        ))
    })?;
    Ok(payload.enrollment_token)
}

/// Every enrolled device.
#[utoipa::path(get, path = "/v1/devices", tag = "devices",
    security(("bearer" = [])),
    responses(
        (status = 200, body = DeviceList),
        (status = 401, body = ErrorBody),
        (status = 403, description = "only admins", body = ErrorBody),
    ))]
pub async fn list_devices(
    State(state): State<AppState>,
    _caller: Authorized<AdminOnly>,
) -> Result<Json<DeviceList>, ApiError> {
    Ok(Json(DeviceList {
        devices: state.store.devices().await?,
    }))
}

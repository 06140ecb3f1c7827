//! Signing in and out.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Json;
use crate::app::AppState;
use crate::auth::{Authorized, SignedIn, decoy_hash, new_token, verify_password};
use crate::error::{ApiError, ErrorBody};
use crate::store::{Account, NewSession, TokenHash};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer TOKEN`.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub account: Account,
}

/// Signs in with a username and password; answers a bearer token.
#[utoipa::path(post, path = "/v1/auth/login", tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, body = LoginResponse),
        (status = 401, description = "wrong username or password", body = ErrorBody),
    ))]
pub async fn login(
    State(state): State<AppState>,
    Json(request): Json<LoginRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    let username = request.username.trim().to_lowercase();
    let credentials = state.store.credentials(&username).await?;
    let hash = credentials
        .as_ref()
        .map_or_else(|| decoy_hash().to_owned(), |c| c.password_hash.clone());
    let password = request.password;
    let matches = tokio::task::spawn_blocking(move || verify_password(&hash, &password))
        .await
        .map_err(|_| ApiError::Internal)?;
    let account = match credentials {
        Some(credentials) if matches => credentials.account,
        _ => return Err(ApiError::InvalidCredentials),
    };
    let token = new_token();
    let now = state.now();
    let expires_at = now + state.token_lifetime;
    state
        .store
        .create_session(NewSession {
            token_hash: TokenHash::of(&token),
            account_id: account.id,
            created_at: now,
            expires_at,
        })
        .await?;
    tracing::info!(username = %account.username, "signed in");
    Ok(Json(LoginResponse {
        token,
        expires_at,
        account,
    }))
}

/// Ends the caller's session: its token stops working at once.
#[utoipa::path(post, path = "/v1/auth/logout", tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "signed out"),
        (status = 401, body = ErrorBody),
    ))]
pub async fn logout(
    State(state): State<AppState>,
    caller: Authorized<SignedIn>,
) -> Result<StatusCode, ApiError> {
    state.store.delete_session(&caller.token_hash).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in account.
#[utoipa::path(get, path = "/v1/auth/me", tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Account),
        (status = 401, body = ErrorBody),
    ))]
pub async fn me(caller: Authorized<SignedIn>) -> Json<Account> {
    Json(caller.account)
}

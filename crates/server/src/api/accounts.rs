//! Accounts, created by admins (the first one with `studyhall-server admin create`).

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Json;
use crate::app::AppState;
use crate::auth::{AdminOnly, Authorized, hash_password};
use crate::error::{ApiError, ErrorBody};
use crate::store::{Account, NewAccount, Role};

pub const MIN_PASSWORD_CHARS: usize = 10;
const MAX_PASSWORD_CHARS: usize = 1024;
const MAX_USERNAME_CHARS: usize = 64;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreateAccountRequest {
    /// Letters, digits, `.`, `_` and `-`; stored in lower case.
    pub username: String,
    pub password: String,
    pub roles: Vec<Role>,
}

/// Creates an account with the given roles.
#[utoipa::path(post, path = "/v1/accounts", tag = "accounts",
    security(("bearer" = [])),
    request_body = CreateAccountRequest,
    responses(
        (status = 201, body = Account),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "only admins create accounts", body = ErrorBody),
        (status = 409, description = "the username is taken", body = ErrorBody),
    ))]
pub async fn create_account(
    State(state): State<AppState>,
    caller: Authorized<AdminOnly>,
    Json(request): Json<CreateAccountRequest>,
) -> Result<(StatusCode, Json<Account>), ApiError> {
    let account = new_account(&state, request.username, request.password, request.roles).await?;
    let account = state.store.create_account(account).await?;
    tracing::info!(username = %account.username, by = %caller.account.username, "account created");
    Ok((StatusCode::CREATED, Json(account)))
}

/// Checks a new account's fields and hashes its password.
async fn new_account(
    state: &AppState,
    username: String,
    password: String,
    roles: Vec<Role>,
) -> Result<NewAccount, ApiError> {
    if roles.is_empty() {
        return Err(ApiError::InvalidRequest(
            "an account needs at least one role (learner, candidate, proctor, author or admin)"
                .to_owned(),
        ));
    }
    let (username, password_hash) =
        tokio::task::spawn_blocking(move || new_account_fields(&username, &password))
            .await
            .map_err(|_| ApiError::Internal)??;
    Ok(NewAccount::new(username, password_hash, roles, state.now()))
}

/// Checks a username and password: the username as stored and the password's hash.
/// CPU-heavy (argon2).
pub fn new_account_fields(username: &str, password: &str) -> Result<(String, String), ApiError> {
    let username = check_username(username)?;
    check_password(password)?;
    let password_hash = hash_password(password).map_err(|e| {
        tracing::error!(error = %e, "hashing a password");
        ApiError::Internal
    })?;
    Ok((username, password_hash))
}

/// The username in its stored form (trimmed, lower case), if it is acceptable.
pub fn check_username(username: &str) -> Result<String, ApiError> {
    let username = username.trim().to_lowercase();
    let valid_chars = username
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    let starts_well = username
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric());
    if !valid_chars || !starts_well || username.chars().count() > MAX_USERNAME_CHARS {
        return Err(ApiError::InvalidRequest(format!(
            "a username is 1 to {MAX_USERNAME_CHARS} letters, digits, '.', '_' or '-', starting \
             with a letter or digit"
        )));
    }
    Ok(username)
}

pub fn check_password(password: &str) -> Result<(), ApiError> {
    let length = password.chars().count();
    if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&length) {
        return Err(ApiError::InvalidRequest(format!(
            "a password has {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters"
        )));
    }
    Ok(())
}

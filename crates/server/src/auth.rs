//! Who is calling and what they may do: argon2 password hashes, opaque bearer tokens,
//! and the one extractor, [`Authorized`], through which every endpoint that needs a
//! signed-in caller checks the caller's role.
//!
//! Promises: a token is 32 random bytes (base64url) and only its SHA-256 is stored;
//! passwords are hashed with argon2id (the crate's default parameters) off the async
//! threads; signing in as an unknown user costs as much time as a wrong password.

use std::marker::PhantomData;
use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore as _;

use crate::app::AppState;
use crate::error::ApiError;
use crate::store::{Account, Role, TokenHash};

/// Hashes a password as an argon2id PHC string. CPU-heavy: call it through
/// [`spawn_blocking`](tokio::task::spawn_blocking).
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

/// Whether `password` matches `hash`. A malformed hash matches nothing. CPU-heavy.
pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A hash no password typed by a person matches, checked when the username is unknown
/// so that the answer takes as long as for a known one.
pub fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash_password(&new_token()).unwrap_or_default())
}

/// A fresh secret token: 32 random bytes, base64url.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Who may call an endpoint: the caller needs at least one of [`Policy::ROLES`].
pub trait Policy: Send + Sync + 'static {
    const ROLES: &'static [Role];
}

/// Any signed-in account.
#[derive(Debug)]
pub struct SignedIn;
impl Policy for SignedIn {
    const ROLES: &'static [Role] = &Role::ALL;
}

#[derive(Debug)]
pub struct AdminOnly;
impl Policy for AdminOnly {
    const ROLES: &'static [Role] = &[Role::Admin];
}

#[derive(Debug)]
pub struct AdminOrProctor;
impl Policy for AdminOrProctor {
    const ROLES: &'static [Role] = &[Role::Admin, Role::Proctor];
}

/// A signed-in caller who holds one of `P`'s roles. Rejects with 401 when there is no
/// valid, unexpired bearer token, and 403 when the account lacks the role.
#[derive(Debug)]
pub struct Authorized<P: Policy> {
    pub account: Account,
    pub token_hash: TokenHash,
    policy: PhantomData<P>,
}

impl<P: Policy> FromRequestParts<AppState> for Authorized<P> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|token| !token.is_empty())
            .ok_or(ApiError::Unauthenticated)?;
        let token_hash = TokenHash::of(token);
        let session = state
            .store
            .session(&token_hash)
            .await?
            .ok_or(ApiError::UnknownToken)?;
        if session.expires_at <= state.now() {
            return Err(ApiError::SessionExpired);
        }
        if !session.account.has_any_role(P::ROLES) {
            return Err(ApiError::Forbidden(forbidden_message(
                P::ROLES,
                &session.account.roles,
            )));
        }
        Ok(Self {
            account: session.account,
            token_hash,
            policy: PhantomData,
        })
    }
}

fn forbidden_message(needed: &[Role], held: &[Role]) -> String {
    let list = |roles: &[Role]| {
        roles
            .iter()
            .map(|role| role.as_str())
            .collect::<Vec<_>>()
            .join(" or ")
    };
    format!(
        "this needs the {} role; your account has {}",
        list(needed),
        if held.is_empty() {
            "no role".to_owned()
        } else {
            format!("the {} role", list(held).replace(" or ", ", "))
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_themselves() -> Result<(), argon2::password_hash::Error> {
        let hash = hash_password("correct horse")?;
        assert!(verify_password(&hash, "correct horse"));
        assert!(!verify_password(&hash, "correct horsE"));
        assert!(!verify_password("not a hash", "correct horse"));
        assert!(!verify_password(decoy_hash(), ""));
        Ok(())
    }

    #[test]
    fn tokens_are_fresh_and_long() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
    }

    #[test]
    fn forbidden_says_what_is_needed() {
        let message = forbidden_message(&[Role::Admin, Role::Proctor], &[Role::Learner]);
        assert_eq!(
            message,
            "this needs the admin or proctor role; your account has the learner role"
        );
    }
}

//! The profile's account on a Studyhall server: signing in and out, enrolling this
//! installation's device key, and which of the server's keys the profile trusts.
//!
//! Promises:
//! - The bearer token from `POST /v1/auth/login` is kept in the profile's database and
//!   leaves it only in the `Authorization` header of requests to the server that issued
//!   it. It is never logged, never part of [`SyncAccount`] (what the UI sees), and its
//!   holder [`SyncCredentials`] prints without it.
//! - Keys fetched from the network are never trusted silently. At sign-in the server's
//!   public keys (`GET /v1/server-keys`) are fetched and kept as *offered*; the account
//!   shows their key ids and whether the profile trusts them ([`ServerKeyTrust`]). A
//!   person may confirm them with [`Studyhall::trust_server_keys`], naming the two key
//!   ids they compared with what their administrator gave them, and only while the
//!   profile trusts no server signing key yet (keys shipped with the app or installed
//!   by staff always win: a server presenting other keys is reported, never adopted).
//! - Signing out forgets the token here even when the server cannot be told.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use studyhall_signing::{PublicKey, SealingPublicKey};

use super::release::ReleasedExamKey;
use super::{ServerEndpoint, timestamp};
use crate::Studyhall;
use crate::error::{Error, Result};
use crate::storage::{self, AccountRow, Durability};

/// Where the server signs people in.
pub const LOGIN_PATH: &str = "/v1/auth/login";
/// Where a session ends.
pub const LOGOUT_PATH: &str = "/v1/auth/logout";
/// Where the server publishes its public keys.
pub const SERVER_KEYS_PATH: &str = "/v1/server-keys";

/// Whether the profile trusts the keys a server presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum ServerKeyTrust {
    /// Both keys are trusted: results are sealed to this server and its receipts verify.
    Trusted,
    /// The profile trusts no server signing key yet: compare the key ids with the ones
    /// your administrator gave you, then confirm them.
    Unconfirmed,
    /// The profile trusts other server keys: this server's receipts will not verify.
    Different,
}

/// The keys a server presented at sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ServerKeysView {
    /// Key id (RFC 7638 thumbprint) of the key that signs receipts.
    pub signing_key_id: String,
    /// Key id of the key results are sealed to.
    pub sealing_key_id: String,
    pub trust: ServerKeyTrust,
}

/// The profile's account on a server, as the app shows it. Never holds the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SyncAccount {
    pub server_url: String,
    pub username: String,
    /// The account's roles on the server (learner, candidate, proctor, author, admin).
    pub roles: Vec<String>,
    /// When the sign-in stops working (RFC 3339).
    pub token_expires_at: String,
    /// The sign-in has expired: sign in again.
    pub token_expired: bool,
    /// This installation's key is enrolled with the server (it may deliver results).
    pub device_enrolled: bool,
    /// RFC 3339.
    pub enrolled_at: Option<String>,
    /// This installation's key id, for the administrator's device list.
    pub device_key_id: String,
    pub server_keys: ServerKeysView,
    /// The last sync round that finished without an error (RFC 3339).
    pub last_sync_at: Option<String>,
}

/// What the sync client needs to talk to the signed-in server. Prints without the token.
pub struct SyncCredentials {
    pub server: ServerEndpoint,
    pub username: String,
    pub expires_at: DateTime<Utc>,
    token: String,
}

impl SyncCredentials {
    /// The bearer token: send it only to [`SyncCredentials::server`].
    pub fn token(&self) -> &str {
        &self.token
    }
}

impl fmt::Debug for SyncCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SyncCredentials")
            .field("server", &self.server.base_url())
            .field("username", &self.username)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// The server's `/v1/server-keys` answer.
#[derive(Deserialize)]
struct ServerKeysReply {
    signing: PublicKey,
    sealing: SealingPublicKey,
}

/// The server's `/v1/auth/login` answer.
#[derive(Deserialize)]
struct LoginReply {
    token: String,
    expires_at: DateTime<Utc>,
    account: AccountReply,
}

#[derive(Deserialize)]
struct AccountReply {
    id: String,
    username: String,
    roles: Vec<String>,
}

fn bad_reply(error: serde_json::Error) -> Error {
    Error::Server(super::bad_reply(error))
}

fn not_signed_in() -> Error {
    Error::InvalidInput("this profile is not signed in to a server: sign in first".into())
}

impl Studyhall {
    /// Signs in to the server at `server_url` and keeps the sign-in in the profile,
    /// replacing any earlier one. Also fetches the server's public keys and reports
    /// whether the profile trusts them (it never starts trusting them here).
    pub fn sign_in(
        &mut self,
        server_url: &str,
        username: &str,
        password: &str,
    ) -> Result<SyncAccount> {
        let username = username.trim();
        if username.is_empty() || password.is_empty() {
            return Err(Error::InvalidInput(
                "enter your username and password to sign in".into(),
            ));
        }
        let server = self.server_endpoint(server_url)?;
        let keys: ServerKeysReply =
            serde_json::from_str(&server.get(SERVER_KEYS_PATH, None)?).map_err(bad_reply)?;
        let body = serde_json::json!({ "username": username, "password": password });
        let reply: LoginReply =
            serde_json::from_str(&server.post(LOGIN_PATH, body.to_string(), None)?)
                .map_err(bad_reply)?;
        let previous = storage::account(self.storage.reader())?;
        let same_account = previous.as_ref().is_some_and(|p| {
            p.server_url == server.base_url() && p.username == reply.account.username
        });
        let row = AccountRow {
            server_url: server.base_url().to_owned(),
            username: reply.account.username,
            account_id: reply.account.id,
            roles: serde_json::to_string(&reply.account.roles).map_err(bad_reply)?,
            token: reply.token,
            token_expires_at: timestamp(reply.expires_at),
            signed_in_at: timestamp(self.clock.now().to_utc()),
            offered_signing_key: keys.signing.to_jwk_json(),
            offered_sealing_key: keys.sealing.to_jwk_json(),
            last_sync_at: previous
                .filter(|_| same_account)
                .and_then(|p| p.last_sync_at),
        };
        self.storage
            .transact(Durability::Normal, |tx| storage::set_account(tx, &row))?;
        tracing::info!(server = %row.server_url, username = %row.username, "signed in");
        self.sync_account()?.ok_or_else(not_signed_in)
    }

    /// Signs out: the server ends the session if it can be reached, and the profile
    /// forgets the sign-in either way. Enrollment and waiting results stay.
    pub fn sign_out(&mut self) -> Result<()> {
        let Some(credentials) = self.sync_credentials()? else {
            return Ok(());
        };
        if let Err(error) =
            credentials
                .server
                .post(LOGOUT_PATH, String::new(), Some(credentials.token()))
        {
            tracing::warn!(server = %credentials.server.base_url(), %error,
                "the server could not be told about the sign-out; the sign-in is forgotten here");
        }
        self.storage
            .transact(Durability::Normal, storage::delete_account)?;
        tracing::info!(server = %credentials.server.base_url(), "signed out");
        Ok(())
    }

    /// The signed-in account, if any.
    pub fn sync_account(&self) -> Result<Option<SyncAccount>> {
        let Some(row) = storage::account(self.storage.reader())? else {
            return Ok(None);
        };
        let device_key_id = self.device_key.key_id().as_str().to_owned();
        let enrolled_at =
            storage::enrolled_at(self.storage.reader(), &row.server_url, &device_key_id)?;
        let (signing, sealing) = offered_keys(&row)?;
        let token_expired = DateTime::parse_from_rfc3339(&row.token_expires_at)
            .map_or(true, |at| at <= self.clock.now());
        Ok(Some(SyncAccount {
            roles: serde_json::from_str(&row.roles).map_err(bad_reply)?,
            server_keys: ServerKeysView {
                signing_key_id: signing.key_id().as_str().to_owned(),
                sealing_key_id: sealing.key_id().as_str().to_owned(),
                trust: self.server_key_trust(&signing, &sealing)?,
            },
            server_url: row.server_url,
            username: row.username,
            token_expires_at: row.token_expires_at,
            token_expired,
            device_enrolled: enrolled_at.is_some(),
            enrolled_at,
            device_key_id,
            last_sync_at: row.last_sync_at,
        }))
    }

    /// Trusts the keys the server presented at sign-in, after a person compared their
    /// ids with the ones their administrator gave them. Refused when the ids differ from
    /// the presented ones, and when the profile already trusts a server signing key.
    pub fn trust_server_keys(
        &mut self,
        signing_key_id: &str,
        sealing_key_id: &str,
    ) -> Result<SyncAccount> {
        let row = storage::account(self.storage.reader())?.ok_or_else(not_signed_in)?;
        let (signing, sealing) = offered_keys(&row)?;
        if signing.key_id().as_str() != signing_key_id.trim()
            || sealing.key_id().as_str() != sealing_key_id.trim()
        {
            return Err(Error::InvalidInput(
                "those key ids are not the ones the server presented: sign in again and \
                 compare once more"
                    .into(),
            ));
        }
        match self.server_key_trust(&signing, &sealing)? {
            ServerKeyTrust::Trusted => {}
            ServerKeyTrust::Different => {
                return Err(Error::InvalidInput(
                    "this profile already trusts another server's keys, so it does not take \
                     new ones from the network: ask your administrator to install this \
                     server's keys"
                        .into(),
                ));
            }
            ServerKeyTrust::Unconfirmed => {
                self.trust_server(&sealing)?;
                self.trust_server_signing_key(&signing)?;
                tracing::info!(signing = %signing.key_id(), sealing = %sealing.key_id(),
                    "trusted the server's keys as confirmed by the user");
            }
        }
        self.sync_account()?.ok_or_else(not_signed_in)
    }

    /// Enrolls this installation's key with the signed-in server, using a one-time
    /// enrollment token from an admin or proctor, and remembers it.
    pub fn enroll_this_device(&mut self, enrollment_token: &str) -> Result<SyncAccount> {
        let row = storage::account(self.storage.reader())?.ok_or_else(not_signed_in)?;
        let enrollment_token = enrollment_token.trim();
        if enrollment_token.is_empty() {
            return Err(Error::InvalidInput(
                "enter the enrollment token your administrator or proctor gave you".into(),
            ));
        }
        let server = self.server_endpoint(&row.server_url)?;
        self.enroll_device(&server, enrollment_token)?;
        let key_id = self.device_key.key_id().as_str().to_owned();
        let at = timestamp(self.clock.now().to_utc());
        self.storage.transact(Durability::Normal, |tx| {
            storage::record_enrollment(tx, &row.server_url, &key_id, &at)
        })?;
        tracing::info!(server = %row.server_url, device = %key_id, "device enrolled");
        self.sync_account()?.ok_or_else(not_signed_in)
    }

    /// Fetches the key of `exam_id` released by the signed-in server to this device, for
    /// the signed-in candidate ([`Studyhall::fetch_released_key`]); begin the session with
    /// [`Studyhall::begin_with_released_key`].
    pub fn fetch_released_key_from_server(&self, exam_id: &str) -> Result<ReleasedExamKey> {
        let credentials = self.sync_credentials()?.ok_or_else(not_signed_in)?;
        self.fetch_released_key(
            &credentials.server,
            credentials.token(),
            &credentials.username,
            exam_id,
        )
    }

    /// The server and token to sync with, when signed in.
    pub fn sync_credentials(&self) -> Result<Option<SyncCredentials>> {
        let Some(row) = storage::account(self.storage.reader())? else {
            return Ok(None);
        };
        let expires_at = DateTime::parse_from_rfc3339(&row.token_expires_at)
            .map_or(DateTime::<Utc>::MIN_UTC, |at| at.to_utc());
        Ok(Some(SyncCredentials {
            server: self.server_endpoint(&row.server_url)?,
            username: row.username,
            expires_at,
            token: row.token,
        }))
    }

    /// Notes that a sync round finished without an error.
    pub(crate) fn record_sync_success(&mut self) -> Result<String> {
        let at = timestamp(self.clock.now().to_utc());
        self.storage
            .transact(Durability::Normal, |tx| storage::set_last_sync(tx, &at))?;
        Ok(at)
    }

    /// This profile's progress events the signed-in account does not hold yet (0 when
    /// signed out).
    pub fn progress_events_waiting(&self) -> Result<u32> {
        match storage::account(self.storage.reader())? {
            Some(row) => {
                storage::events_waiting(self.storage.reader(), &row.server_url, &row.account_id)
            }
            None => Ok(0),
        }
    }

    /// Whether an exam is being sat on this profile (running or on a break).
    pub fn exam_in_progress(&self) -> Result<bool> {
        storage::exam_in_progress(self.storage.reader())
    }

    fn server_key_trust(
        &self,
        signing: &PublicKey,
        sealing: &SealingPublicKey,
    ) -> Result<ServerKeyTrust> {
        let trusted_signing = self.trusted_server_signing_keys()?;
        Ok(
            if trusted_signing.get(signing.key_id()).is_some()
                && self.servers.contains_key(sealing.key_id())
            {
                ServerKeyTrust::Trusted
            } else if trusted_signing.is_empty() {
                ServerKeyTrust::Unconfirmed
            } else {
                ServerKeyTrust::Different
            },
        )
    }
}

fn offered_keys(row: &AccountRow) -> Result<(PublicKey, SealingPublicKey)> {
    Ok((
        PublicKey::from_jwk_json(&row.offered_signing_key)?,
        SealingPublicKey::from_jwk_json(&row.offered_sealing_key)?,
    ))
}

//! The profile's server account and device enrollments (migration 10), and whether an
//! exam is being sat (so background sync can keep off the disk). The account's bearer
//! token is read only by [`account`] for the sync client; nothing here logs it.

use rusqlite::{Connection, OptionalExtension as _, Transaction, params};

use crate::error::Result;

/// The stored account row.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct AccountRow {
    pub server_url: String,
    pub username: String,
    pub account_id: String,
    /// JSON array of role names.
    pub roles: String,
    pub token: String,
    pub token_expires_at: String,
    pub signed_in_at: String,
    /// JWKs the server presented at sign-in.
    pub offered_signing_key: String,
    pub offered_sealing_key: String,
    pub last_sync_at: Option<String>,
}

impl std::fmt::Debug for AccountRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the token.
        f.debug_struct("AccountRow")
            .field("server_url", &self.server_url)
            .field("username", &self.username)
            .field("token_expires_at", &self.token_expires_at)
            .finish_non_exhaustive()
    }
}

pub(crate) fn account(conn: &Connection) -> Result<Option<AccountRow>> {
    Ok(conn
        .prepare_cached(
            "SELECT server_url, username, account_id, roles, token, token_expires_at,
                    signed_in_at, offered_signing_key, offered_sealing_key, last_sync_at
             FROM sync_account WHERE id = 1",
        )?
        .query_row([], |r| {
            Ok(AccountRow {
                server_url: r.get(0)?,
                username: r.get(1)?,
                account_id: r.get(2)?,
                roles: r.get(3)?,
                token: r.get(4)?,
                token_expires_at: r.get(5)?,
                signed_in_at: r.get(6)?,
                offered_signing_key: r.get(7)?,
                offered_sealing_key: r.get(8)?,
                last_sync_at: r.get(9)?,
            })
        })
        .optional()?)
}

/// Replaces the account (signing in again, or as someone else, starts afresh).
pub(crate) fn set_account(tx: &Transaction<'_>, row: &AccountRow) -> Result<()> {
    tx.prepare_cached(
        "INSERT OR REPLACE INTO sync_account (id, server_url, username, account_id, roles, token,
                token_expires_at, signed_in_at, offered_signing_key, offered_sealing_key,
                last_sync_at)
         VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        row.server_url,
        row.username,
        row.account_id,
        row.roles,
        row.token,
        row.token_expires_at,
        row.signed_in_at,
        row.offered_signing_key,
        row.offered_sealing_key,
        row.last_sync_at,
    ])?;
    Ok(())
}

pub(crate) fn delete_account(tx: &Transaction<'_>) -> Result<()> {
    tx.prepare_cached("DELETE FROM sync_account")?.execute([])?;
    Ok(())
}

/// A sync round finished without an error at `at`.
pub(crate) fn set_last_sync(tx: &Transaction<'_>, at: &str) -> Result<()> {
    tx.prepare_cached("UPDATE sync_account SET last_sync_at = ?1 WHERE id = 1")?
        .execute([at])?;
    Ok(())
}

/// When this device key was enrolled with the server at `server_url`, if it was.
pub(crate) fn enrolled_at(
    conn: &Connection,
    server_url: &str,
    device_key_id: &str,
) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached(
            "SELECT enrolled_at FROM device_enrollments
             WHERE server_url = ?1 AND device_key_id = ?2",
        )?
        .query_row([server_url, device_key_id], |r| r.get(0))
        .optional()?)
}

pub(crate) fn record_enrollment(
    tx: &Transaction<'_>,
    server_url: &str,
    device_key_id: &str,
    at: &str,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO device_enrollments (server_url, device_key_id, enrolled_at)
         VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
    )?
    .execute([server_url, device_key_id, at])?;
    Ok(())
}

/// Whether an exam session is running or paused (its answers are being written).
pub(crate) fn exam_in_progress(conn: &Connection) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM exam_sessions WHERE state IN ('running', 'paused'))",
        )?
        .query_row([], |r| r.get(0))?)
}

/// Progress events the account `account_id` on `server_url` has not answered for (the
/// ones progress sync would push; see `progress_sync::unacknowledged_events`).
pub(crate) fn events_waiting(conn: &Connection, server_url: &str, account_id: &str) -> Result<u32> {
    Ok(conn
        .prepare_cached(
            "SELECT count(*) FROM progress_events e
             WHERE NOT EXISTS (
                 SELECT 1 FROM progress_sync_acks a
                 JOIN progress_sync_peers p ON p.peer_id = a.peer_id
                 WHERE p.server_url = ?1 AND p.account_id = ?2 AND a.event_id = e.event_id)",
        )?
        .query_row([server_url, account_id], |r| r.get(0))?)
}

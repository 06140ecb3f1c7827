//! Progress sync's state (migration 09): per server account ("peer"), the events it
//! holds or refused and where pulling its events stopped.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::types::Type;
use rusqlite::{Connection, OptionalExtension as _, Row, Transaction, params};
use uuid::Uuid;

use crate::error::Result;
use crate::study::{ObjectKind, ProgressEvent, Verb};

/// What a server account answered for an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AckOutcome {
    /// It holds the event (stored by a push, already there, or pulled from it).
    Held,
    /// It holds another event with this id.
    Conflict,
    /// The event does not pass its checks.
    Rejected,
}

impl AckOutcome {
    fn as_str(self) -> &'static str {
        match self {
            AckOutcome::Held => "held",
            AckOutcome::Conflict => "conflict",
            AckOutcome::Rejected => "rejected",
        }
    }
}

/// The peer row for this server URL and account, made on first use.
pub(crate) fn progress_peer(
    tx: &Transaction<'_>,
    server_url: &str,
    account_id: &str,
) -> Result<i64> {
    tx.prepare_cached(
        "INSERT INTO progress_sync_peers (server_url, account_id) VALUES (?1, ?2)
         ON CONFLICT (server_url, account_id) DO NOTHING",
    )?
    .execute([server_url, account_id])?;
    Ok(tx
        .prepare_cached(
            "SELECT peer_id FROM progress_sync_peers WHERE server_url = ?1 AND account_id = ?2",
        )?
        .query_row([server_url, account_id], |r| r.get(0))?)
}

/// Where pulling from the peer goes on; `None`: from the start.
pub(crate) fn pull_cursor(conn: &Connection, peer_id: i64) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT pull_cursor FROM progress_sync_peers WHERE peer_id = ?1")?
        .query_row([peer_id], |r| r.get(0))
        .optional()?
        .flatten())
}

pub(crate) fn set_pull_cursor(tx: &Transaction<'_>, peer_id: i64, cursor: &str) -> Result<()> {
    tx.prepare_cached("UPDATE progress_sync_peers SET pull_cursor = ?2 WHERE peer_id = ?1")?
        .execute(params![peer_id, cursor])?;
    Ok(())
}

/// Up to `limit` events the peer has not answered for, in the order they were stored
/// here.
pub(crate) fn unacknowledged_events(
    conn: &Connection,
    peer_id: i64,
    limit: usize,
) -> Result<Vec<ProgressEvent>> {
    let mut statement = conn.prepare_cached(
        "SELECT e.event_id, e.actor, e.verb, e.pack_id, e.object_kind, e.object_id, e.result,
                e.active_seconds, e.occurred_at, e.local_day
         FROM progress_events e
         WHERE NOT EXISTS (SELECT 1 FROM progress_sync_acks a
                           WHERE a.peer_id = ?1 AND a.event_id = e.event_id)
         ORDER BY e.rowid
         LIMIT ?2",
    )?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = statement.query_map(params![peer_id, limit], event_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Records the peer's answer for an event (a later answer replaces an earlier one).
pub(crate) fn acknowledge(
    tx: &Transaction<'_>,
    peer_id: i64,
    event_id: &Uuid,
    outcome: AckOutcome,
    reason: Option<&str>,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO progress_sync_acks (peer_id, event_id, outcome, reason)
         VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (peer_id, event_id) DO UPDATE
             SET outcome = excluded.outcome, reason = excluded.reason",
    )?
    .execute(params![
        peer_id,
        event_id.to_string(),
        outcome.as_str(),
        reason
    ])?;
    Ok(())
}

fn event_from_row(r: &Row<'_>) -> rusqlite::Result<ProgressEvent> {
    let text = |index: usize| r.get::<_, String>(index);
    let result: Option<String> = r.get(6)?;
    Ok(ProgressEvent {
        id: Uuid::parse_str(&text(0)?).map_err(|e| unreadable(0, e))?,
        actor: text(1)?,
        verb: Verb::parse(&text(2)?).ok_or_else(|| unreadable(2, "an unknown verb"))?,
        pack_id: text(3)?,
        object_kind: ObjectKind::parse(&text(4)?)
            .ok_or_else(|| unreadable(4, "an unknown object kind"))?,
        object_id: text(5)?,
        result: result
            .map(|json| serde_json::from_str(&json))
            .transpose()
            .map_err(|e| unreadable(6, e))?,
        active_seconds: r.get(7)?,
        occurred_at: DateTime::parse_from_rfc3339(&text(8)?)
            .map(|at| at.with_timezone(&Utc))
            .map_err(|e| unreadable(8, e))?,
        local_day: text(9)?
            .parse::<NaiveDate>()
            .map_err(|e| unreadable(9, e))?,
    })
}

fn unreadable(
    column: usize,
    error: impl Into<Box<dyn std::error::Error + Send + Sync>>,
) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(column, Type::Text, error.into())
}

//! The outbox's delivery state: which sealed results still wait for the server, each
//! attempt's failure, and the receipt that ends a row's wait. Rows are never deleted
//! here (the database refuses to delete one without a receipt).

use rusqlite::{Connection, Transaction, params};

use crate::error::Result;

/// A sealed result the server has not yet receipted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PendingResult {
    pub result_id: String,
    pub receipt_code: String,
    pub sealed: String,
    pub attempts: u32,
    /// RFC 3339; `None`: never tried, due now.
    pub next_attempt_at: Option<String>,
}

/// Every undelivered result, oldest first.
pub(crate) fn pending_results(conn: &Connection) -> Result<Vec<PendingResult>> {
    let mut statement = conn.prepare_cached(
        "SELECT result_id, receipt_code, sealed, attempts, next_attempt_at
         FROM outbox WHERE receipt IS NULL ORDER BY created_at, result_id",
    )?;
    let rows = statement.query_map([], |r| {
        Ok(PendingResult {
            result_id: r.get(0)?,
            receipt_code: r.get(1)?,
            sealed: r.get(2)?,
            attempts: r.get(3)?,
            next_attempt_at: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Counts a failed attempt and says when to try again.
pub(crate) fn record_failed_delivery(
    tx: &Transaction<'_>,
    result_id: &str,
    error: &str,
    at: &str,
    next_attempt_at: &str,
) -> Result<()> {
    tx.prepare_cached(
        "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, last_attempt_at = ?3,
                next_attempt_at = ?4
         WHERE result_id = ?1 AND receipt IS NULL",
    )?
    .execute(params![result_id, error, at, next_attempt_at])?;
    Ok(())
}

/// Stores the verified receipt: the row is delivered. Returns whether it was still
/// waiting.
pub(crate) fn record_delivery(
    tx: &Transaction<'_>,
    result_id: &str,
    receipt: &str,
    at: &str,
) -> Result<bool> {
    let changed = tx
        .prepare_cached(
            "UPDATE outbox SET attempts = attempts + 1, last_error = NULL, last_attempt_at = ?3,
                    next_attempt_at = NULL, receipt = ?2, delivered_at = ?3
             WHERE result_id = ?1 AND receipt IS NULL",
        )?
        .execute(params![result_id, receipt, at])?;
    Ok(changed > 0)
}

/// What the outbox looks like, for the sync status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OutboxCounts {
    pub waiting: u32,
    /// The newest failure among the waiting rows.
    pub last_error: Option<String>,
    /// The soonest next attempt among the waiting rows.
    pub next_attempt_at: Option<String>,
    pub last_delivered_at: Option<String>,
}

pub(crate) fn outbox_counts(conn: &Connection) -> Result<OutboxCounts> {
    Ok(conn
        .prepare_cached(
            "SELECT
               (SELECT count(*) FROM outbox WHERE receipt IS NULL),
               (SELECT last_error FROM outbox WHERE receipt IS NULL AND last_error IS NOT NULL
                ORDER BY last_attempt_at DESC LIMIT 1),
               (SELECT min(next_attempt_at) FROM outbox WHERE receipt IS NULL),
               (SELECT max(delivered_at) FROM outbox WHERE receipt IS NOT NULL)",
        )?
        .query_row([], |r| {
            Ok(OutboxCounts {
                waiting: r.get(0)?,
                last_error: r.get(1)?,
                next_attempt_at: r.get(2)?,
                last_delivered_at: r.get(3)?,
            })
        })?)
}

//! SQL for exam sessions, their answers and review flags, and the proctor log.

use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

use crate::error::Result;
use crate::exam::log::LogEntry;

/// An exam session as stored.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SessionRow {
    pub session_id: String,
    pub exam_id: String,
    pub exam_version: String,
    pub candidate_id: String,
    pub blueprint: String,
    pub form: String,
    pub extra_time_percent: u32,
    pub extra_time_ms: u64,
    pub state: String,
    pub created_at: String,
    pub started_at: Option<String>,
    pub submitted_at: Option<String>,
    pub submit_reason: Option<String>,
    pub used_ms: u64,
    pub last_seen_at: Option<String>,
    pub position: (u32, u32),
    pub break_allowance_ms: u64,
    pub break_used_ms: u64,
    pub break_started_at: Option<String>,
}

pub(crate) fn insert_session(tx: &Transaction<'_>, s: &SessionRow) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO exam_sessions (session_id, exam_id, exam_version, candidate_id, blueprint,
                                    form, extra_time_percent, state, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        s.session_id,
        s.exam_id,
        s.exam_version,
        s.candidate_id,
        s.blueprint,
        s.form,
        s.extra_time_percent,
        s.state,
        s.created_at,
    ])?;
    Ok(())
}

pub(crate) fn session(conn: &Connection, session_id: &str) -> Result<Option<SessionRow>> {
    Ok(conn
        .prepare_cached(
            "SELECT session_id, exam_id, exam_version, candidate_id, blueprint, form,
                    extra_time_percent, extra_time_ms, state, created_at, started_at,
                    submitted_at, submit_reason, used_ms, last_seen_at, position_section,
                    position_item, break_allowance_ms, break_used_ms, break_started_at
             FROM exam_sessions WHERE session_id = ?1",
        )?
        .query_row([session_id], session_row)
        .optional()?)
}

/// Sessions not yet submitted, newest first: what the app reopens after a restart.
pub(crate) fn open_sessions(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT session_id FROM exam_sessions WHERE state <> 'submitted'
         ORDER BY created_at DESC",
    )?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn session_row(r: &Row<'_>) -> rusqlite::Result<SessionRow> {
    let extra_time_ms: i64 = r.get(7)?;
    let used_ms: i64 = r.get(13)?;
    Ok(SessionRow {
        session_id: r.get(0)?,
        exam_id: r.get(1)?,
        exam_version: r.get(2)?,
        candidate_id: r.get(3)?,
        blueprint: r.get(4)?,
        form: r.get(5)?,
        extra_time_percent: r.get(6)?,
        extra_time_ms: extra_time_ms.max(0) as u64,
        state: r.get(8)?,
        created_at: r.get(9)?,
        started_at: r.get(10)?,
        submitted_at: r.get(11)?,
        submit_reason: r.get(12)?,
        used_ms: used_ms.max(0) as u64,
        last_seen_at: r.get(14)?,
        position: (r.get(15)?, r.get(16)?),
        break_allowance_ms: r.get::<_, i64>(17)?.max(0) as u64,
        break_used_ms: r.get::<_, i64>(18)?.max(0) as u64,
        break_started_at: r.get(19)?,
    })
}

/// Time used and when it was last accounted for.
pub(crate) fn set_session_time(
    tx: &Transaction<'_>,
    session_id: &str,
    used_ms: u64,
    last_seen_at: &str,
) -> Result<()> {
    tx.prepare_cached(
        "UPDATE exam_sessions SET used_ms = ?2, last_seen_at = ?3 WHERE session_id = ?1",
    )?
    .execute(params![session_id, used_ms as i64, last_seen_at])?;
    Ok(())
}

pub(crate) fn set_session_started(tx: &Transaction<'_>, session_id: &str, at: &str) -> Result<()> {
    tx.prepare_cached(
        "UPDATE exam_sessions SET state = 'running', started_at = ?2, last_seen_at = ?2
         WHERE session_id = ?1",
    )?
    .execute(params![session_id, at])?;
    Ok(())
}

pub(crate) fn set_session_state(tx: &Transaction<'_>, session_id: &str, state: &str) -> Result<()> {
    tx.prepare_cached("UPDATE exam_sessions SET state = ?2 WHERE session_id = ?1")?
        .execute(params![session_id, state])?;
    Ok(())
}

pub(crate) fn set_session_submitted(
    tx: &Transaction<'_>,
    session_id: &str,
    at: &str,
    reason: &str,
) -> Result<()> {
    tx.prepare_cached(
        "UPDATE exam_sessions SET state = 'submitted', submitted_at = ?2, submit_reason = ?3
         WHERE session_id = ?1",
    )?
    .execute(params![session_id, at, reason])?;
    Ok(())
}

pub(crate) fn set_break_allowance(tx: &Transaction<'_>, session_id: &str, ms: u64) -> Result<()> {
    tx.prepare_cached("UPDATE exam_sessions SET break_allowance_ms = ?2 WHERE session_id = ?1")?
        .execute(params![session_id, ms as i64])?;
    Ok(())
}

/// A break begins (`Some(at)`) or ends (`None`, with the break time used so far).
pub(crate) fn set_break(
    tx: &Transaction<'_>,
    session_id: &str,
    started_at: Option<&str>,
    used_ms: u64,
) -> Result<()> {
    tx.prepare_cached(
        "UPDATE exam_sessions SET break_started_at = ?2, break_used_ms = ?3 WHERE session_id = ?1",
    )?
    .execute(params![session_id, started_at, used_ms as i64])?;
    Ok(())
}

pub(crate) fn add_extra_time(tx: &Transaction<'_>, session_id: &str, ms: u64) -> Result<()> {
    tx.prepare_cached(
        "UPDATE exam_sessions SET extra_time_ms = extra_time_ms + ?2 WHERE session_id = ?1",
    )?
    .execute(params![session_id, ms as i64])?;
    Ok(())
}

pub(crate) fn set_position(
    tx: &Transaction<'_>,
    session_id: &str,
    (section, item): (u32, u32),
) -> Result<()> {
    tx.prepare_cached(
        "UPDATE exam_sessions SET position_section = ?2, position_item = ?3 WHERE session_id = ?1",
    )?
    .execute(params![session_id, section, item])?;
    Ok(())
}

/// Appends a save of an answer and returns its sequence number.
pub(crate) fn insert_answer(
    tx: &Transaction<'_>,
    session_id: &str,
    question_id: &str,
    response_json: &str,
    saved_at: &str,
    used_ms: u64,
) -> Result<u32> {
    let seq: u32 = tx
        .prepare_cached("SELECT coalesce(max(seq) + 1, 0) FROM exam_answers WHERE session_id = ?1")?
        .query_row([session_id], |r| r.get(0))?;
    tx.prepare_cached(
        "INSERT INTO exam_answers (session_id, seq, question_id, response, saved_at, used_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        session_id,
        seq,
        question_id,
        response_json,
        saved_at,
        used_ms as i64
    ])?;
    Ok(seq)
}

/// The newest save of each answered question: (question id, response JSON, saved at, seq).
pub(crate) fn latest_answers(
    conn: &Connection,
    session_id: &str,
) -> Result<Vec<(String, String, String, u32)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT a.question_id, a.response, a.saved_at, a.seq FROM exam_answers a
         WHERE a.session_id = ?1 AND a.seq = (
             SELECT max(b.seq) FROM exam_answers b
             WHERE b.session_id = a.session_id AND b.question_id = a.question_id)
         ORDER BY a.seq",
    )?;
    let rows = stmt.query_map([session_id], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(crate) fn set_flag(
    tx: &Transaction<'_>,
    session_id: &str,
    question_id: &str,
    flagged: bool,
) -> Result<()> {
    if flagged {
        tx.prepare_cached("INSERT OR IGNORE INTO exam_flags VALUES (?1, ?2)")?
            .execute([session_id, question_id])?;
    } else {
        tx.prepare_cached("DELETE FROM exam_flags WHERE session_id = ?1 AND question_id = ?2")?
            .execute([session_id, question_id])?;
    }
    Ok(())
}

pub(crate) fn flags(conn: &Connection, session_id: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT question_id FROM exam_flags WHERE session_id = ?1 ORDER BY question_id",
    )?;
    let rows = stmt.query_map([session_id], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(crate) fn append_log(tx: &Transaction<'_>, session_id: &str, e: &LogEntry) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO proctor_log (session_id, seq, at, kind, detail, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        session_id,
        e.seq,
        e.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        e.kind,
        e.detail.to_string(),
        e.hash,
    ])?;
    Ok(())
}

/// The newest entry's (seq, hash), if any.
pub(crate) fn last_log_entry(tx: &Connection, session_id: &str) -> Result<Option<(u32, String)>> {
    Ok(tx
        .prepare_cached(
            "SELECT seq, hash FROM proctor_log WHERE session_id = ?1 ORDER BY seq DESC LIMIT 1",
        )?
        .query_row([session_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

pub(crate) fn log_entries(conn: &Connection, session_id: &str) -> Result<Vec<LogEntry>> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, at, kind, detail, hash FROM proctor_log WHERE session_id = ?1 ORDER BY seq",
    )?;
    let rows = stmt.query_map([session_id], |r| {
        let at: String = r.get(1)?;
        let detail: String = r.get(3)?;
        Ok(LogEntry {
            seq: r.get(0)?,
            at: chrono::DateTime::parse_from_rfc3339(&at)
                .map(|t| t.to_utc())
                .map_err(|e| {
                    rusqlite::Error::FromSqlConversionFailure(
                        1,
                        rusqlite::types::Type::Text,
                        Box::new(e),
                    )
                })?,
            kind: r.get(2)?,
            detail: serde_json::from_str(&detail).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(
                    3,
                    rusqlite::types::Type::Text,
                    Box::new(e),
                )
            })?,
            hash: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A result in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OutboxRow {
    pub result_id: String,
    pub session_id: String,
    pub receipt_code: String,
    pub sealed: String,
    pub created_at: String,
    pub delivered_at: Option<String>,
    /// JSON of the grading, for showing the result again.
    pub grading: Option<String>,
}

pub(crate) fn insert_outbox(tx: &Transaction<'_>, row: &OutboxRow) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO outbox (result_id, session_id, receipt_code, sealed, created_at, grading)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        row.result_id,
        row.session_id,
        row.receipt_code,
        row.sealed,
        row.created_at,
        row.grading
    ])?;
    Ok(())
}

pub(crate) fn outbox_for_session(conn: &Connection, session_id: &str) -> Result<Option<OutboxRow>> {
    Ok(conn
        .prepare_cached(
            "SELECT result_id, session_id, receipt_code, sealed, created_at, delivered_at,
                    grading
             FROM outbox WHERE session_id = ?1",
        )?
        .query_row([session_id], |r| {
            Ok(OutboxRow {
                result_id: r.get(0)?,
                session_id: r.get(1)?,
                receipt_code: r.get(2)?,
                sealed: r.get(3)?,
                created_at: r.get(4)?,
                delivered_at: r.get(5)?,
                grading: r.get(6)?,
            })
        })
        .optional()?)
}

/// An installed exam pack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExamPackRow {
    pub exam_id: String,
    pub version: String,
    pub manifest: String,
    pub bank_sha256: String,
    pub file: String,
}

pub(crate) fn insert_exam_pack(tx: &Transaction<'_>, row: &ExamPackRow, at: &str) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO exam_packs (exam_id, version, manifest, bank_sha256, file, installed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        row.exam_id,
        row.version,
        row.manifest,
        row.bank_sha256,
        row.file,
        at
    ])?;
    Ok(())
}

fn exam_pack_row(r: &Row<'_>) -> rusqlite::Result<ExamPackRow> {
    Ok(ExamPackRow {
        exam_id: r.get(0)?,
        version: r.get(1)?,
        manifest: r.get(2)?,
        bank_sha256: r.get(3)?,
        file: r.get(4)?,
    })
}

pub(crate) fn exam_pack(
    conn: &Connection,
    exam_id: &str,
    version: &str,
) -> Result<Option<ExamPackRow>> {
    Ok(conn
        .prepare_cached(
            "SELECT exam_id, version, manifest, bank_sha256, file FROM exam_packs
             WHERE exam_id = ?1 AND version = ?2",
        )?
        .query_row([exam_id, version], exam_pack_row)
        .optional()?)
}

/// Every installed exam pack, every version.
pub(crate) fn exam_packs(conn: &Connection) -> Result<Vec<ExamPackRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT exam_id, version, manifest, bank_sha256, file FROM exam_packs
         ORDER BY exam_id, installed_at",
    )?;
    let rows = stmt.query_map([], exam_pack_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Sessions of an exam (any version), oldest first: `(session id, state)`.
pub(crate) fn sessions_of_exam(conn: &Connection, exam_id: &str) -> Result<Vec<(String, String)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT session_id, state FROM exam_sessions WHERE exam_id = ?1 ORDER BY created_at",
    )?;
    let rows = stmt.query_map([exam_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(crate) fn insert_session_secrets(
    tx: &Transaction<'_>,
    session_id: &str,
    key: &str,
    pin_check: &str,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO exam_session_secrets (session_id, content_key, pin_check) VALUES (?1, ?2, ?3)",
    )?
    .execute([session_id, key, pin_check])?;
    Ok(())
}

/// `(content key, PIN check)` of a session; the key is `None` once the result is sealed.
pub(crate) fn session_secrets(
    conn: &Connection,
    session_id: &str,
) -> Result<Option<(Option<String>, String)>> {
    Ok(conn
        .prepare_cached(
            "SELECT content_key, pin_check FROM exam_session_secrets WHERE session_id = ?1",
        )?
        .query_row([session_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

pub(crate) fn forget_session_key(tx: &Transaction<'_>, session_id: &str) -> Result<()> {
    tx.prepare_cached("UPDATE exam_session_secrets SET content_key = NULL WHERE session_id = ?1")?
        .execute([session_id])?;
    Ok(())
}

/// How many times a proctor's resume code let this session go on.
pub(crate) fn resume_count(conn: &Connection, session_id: &str) -> Result<u32> {
    Ok(conn
        .prepare_cached(
            "SELECT count(*) FROM proctor_log WHERE session_id = ?1 AND kind = 'resume_code_accepted'",
        )?
        .query_row([session_id], |r| r.get(0))?)
}

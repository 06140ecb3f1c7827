//! SQL for progress events and the summaries derived from them.

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::error::Result;
use crate::study::{ModuleProgress, ProgressEvent, TopicAccuracy};

pub(crate) fn insert_event(tx: &Transaction<'_>, e: &ProgressEvent) -> Result<()> {
    insert(tx, e, "").map(drop)
}

/// Inserts an event made elsewhere (pulled from a server) unless this profile already
/// holds one with its id; whether it was new.
pub(crate) fn insert_event_if_new(tx: &Transaction<'_>, e: &ProgressEvent) -> Result<bool> {
    Ok(insert(tx, e, "ON CONFLICT (event_id) DO NOTHING")? == 1)
}

fn insert(tx: &Transaction<'_>, e: &ProgressEvent, on_conflict: &str) -> Result<usize> {
    Ok(tx
        .prepare_cached(&format!(
            "INSERT INTO progress_events (event_id, actor, verb, pack_id, object_kind, object_id,
                                          result, active_seconds, occurred_at, local_day)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) {on_conflict}"
        ))?
        .execute(params![
            e.id.to_string(),
            e.actor,
            e.verb.as_str(),
            e.pack_id,
            e.object_kind.as_str(),
            e.object_id,
            e.result.as_ref().map(|r| r.to_string()),
            e.active_seconds,
            e.occurred_at.to_rfc3339(),
            e.local_day.to_string(),
        ])?)
}

pub(crate) fn setting(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT value FROM profile_settings WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?)
}

pub(crate) fn set_setting(tx: &Transaction<'_>, key: &str, value: &str) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO profile_settings (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?
    .execute([key, value])?;
    Ok(())
}

pub(crate) fn lesson_exists(conn: &Connection, pack_id: &str, lesson_id: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM lessons WHERE pack_id = ?1 AND lesson_id = ?2")?
        .query_row([pack_id, lesson_id], |_| Ok(()))
        .optional()?
        .is_some())
}

pub(crate) fn question_json(
    conn: &Connection,
    pack_id: &str,
    question_id: &str,
) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT body FROM questions WHERE pack_id = ?1 AND question_id = ?2")?
        .query_row([pack_id, question_id], |r| r.get(0))
        .optional()?)
}

/// Per module of the installed pack: lessons, lessons completed (ever), in order.
pub(crate) fn module_progress(conn: &Connection, pack_id: &str) -> Result<Vec<ModuleProgress>> {
    let mut stmt = conn.prepare_cached(
        "SELECT m.module_id, m.title, count(l.lesson_id),
                count(l.lesson_id) FILTER (WHERE EXISTS (
                    SELECT 1 FROM progress_events e
                    WHERE e.pack_id = l.pack_id AND e.object_kind = 'lesson'
                      AND e.object_id = l.lesson_id AND e.verb = 'completed'))
         FROM modules m JOIN lessons l ON l.pack_id = m.pack_id AND l.module_id = m.module_id
         WHERE m.pack_id = ?1
         GROUP BY m.module_id
         ORDER BY m.position",
    )?;
    let rows = stmt.query_map([pack_id], |r| {
        Ok(ModuleProgress {
            module_id: r.get(0)?,
            title: r.get(1)?,
            lessons: r.get(2)?,
            completed: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Ids of the pack's lessons that have been completed.
pub(crate) fn completed_lessons(conn: &Connection, pack_id: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT e.object_id FROM progress_events e
         JOIN lessons l ON l.pack_id = e.pack_id AND l.lesson_id = e.object_id
         WHERE e.pack_id = ?1 AND e.object_kind = 'lesson' AND e.verb = 'completed'
         ORDER BY e.object_id",
    )?;
    let rows = stmt.query_map([pack_id], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The first lesson of the pack, in course order, with no `completed` event.
pub(crate) fn first_incomplete_lesson(conn: &Connection, pack_id: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached(
            "SELECT l.lesson_id
             FROM lessons l JOIN modules m ON m.pack_id = l.pack_id AND m.module_id = l.module_id
             WHERE l.pack_id = ?1 AND NOT EXISTS (
                 SELECT 1 FROM progress_events e
                 WHERE e.pack_id = l.pack_id AND e.object_kind = 'lesson'
                   AND e.object_id = l.lesson_id AND e.verb = 'completed')
             ORDER BY m.position, l.position
             LIMIT 1",
        )?
        .query_row([pack_id], |r| r.get(0))
        .optional()?)
}

/// Per local day from `from` on (inclusive): (day, active seconds, lessons completed,
/// answers), only days with events.
pub(crate) fn daily_activity(
    conn: &Connection,
    from: &str,
) -> Result<Vec<(String, u32, u32, u32)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT local_day, coalesce(sum(active_seconds), 0),
                count(*) FILTER (WHERE verb = 'completed' AND object_kind = 'lesson'),
                count(*) FILTER (WHERE verb = 'answered')
         FROM progress_events
         WHERE local_day >= ?1
         GROUP BY local_day
         ORDER BY local_day",
    )?;
    let rows = stmt.query_map([from], |r| {
        let seconds: i64 = r.get(1)?;
        Ok((
            r.get(0)?,
            u32::try_from(seconds).unwrap_or(u32::MAX),
            r.get(2)?,
            r.get(3)?,
        ))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(crate) fn active_seconds(conn: &Connection, pack_id: &str) -> Result<u32> {
    let total: i64 = conn
        .prepare_cached(
            "SELECT coalesce(sum(active_seconds), 0) FROM progress_events WHERE pack_id = ?1",
        )?
        .query_row([pack_id], |r| r.get(0))?;
    Ok(u32::try_from(total).unwrap_or(u32::MAX))
}

/// Every calendar day with any study, oldest first.
pub(crate) fn study_days(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt =
        conn.prepare_cached("SELECT DISTINCT local_day FROM progress_events ORDER BY local_day")?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Points scored over points possible on every answer, per topic of the pack.
pub(crate) fn topic_accuracy(conn: &Connection, pack_id: &str) -> Result<Vec<TopicAccuracy>> {
    let mut stmt = conn.prepare_cached(
        "SELECT t.topic_id, t.title, count(e.event_id),
                coalesce(sum(json_extract(e.result, '$.score')), 0.0),
                coalesce(sum(json_extract(e.result, '$.max')), 0.0)
         FROM topics t
         LEFT JOIN question_topics qt ON qt.pack_id = t.pack_id AND qt.topic_id = t.topic_id
         LEFT JOIN progress_events e ON e.pack_id = qt.pack_id AND e.object_kind = 'question'
                                    AND e.object_id = qt.question_id AND e.verb = 'answered'
         WHERE t.pack_id = ?1
         GROUP BY t.topic_id
         ORDER BY t.rowid",
    )?;
    let rows = stmt.query_map([pack_id], |r| {
        let points: f64 = r.get(3)?;
        let max: f64 = r.get(4)?;
        Ok(TopicAccuracy {
            topic_id: r.get(0)?,
            title: r.get(1)?,
            answers: r.get(2)?,
            accuracy: (max > 0.0).then(|| points / max),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

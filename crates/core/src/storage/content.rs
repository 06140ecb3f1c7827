//! SQL for installed packs, their course tree, questions and file locations.

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::content::{
    Course, LessonDetails, MemoryFiles, SourceFiles, plain_text, transcript_text,
};
use crate::error::Result;
use crate::pack::StoredEntry;

/// An installed pack as recorded in the database.
#[derive(Debug, Clone, PartialEq)]
pub struct PackRecord {
    pub pack_id: String,
    pub version: semver::Version,
    pub title: String,
    pub summary: String,
    pub track: Option<String>,
    pub manifest_sha256: String,
    pub publisher_kid: String,
}

/// Everything needed to record a newly verified pack.
#[derive(Debug)]
pub struct NewPack<'a> {
    pub course: &'a Course,
    pub publisher_kid: &'a str,
    pub manifest_jws: &'a str,
    pub manifest_sha256: &'a str,
    pub entries: &'a [StoredEntry],
    /// Text files of the pack, for transcripts.
    pub texts: &'a MemoryFiles,
    pub imported_at: chrono::DateTime<chrono::Utc>,
}

pub(crate) fn installed_pack(conn: &Connection, pack_id: &str) -> Result<Option<PackRecord>> {
    Ok(conn
        .prepare_cached(
            "SELECT pack_id, version, title, summary, track, manifest_sha256, publisher_kid
             FROM packs WHERE pack_id = ?1",
        )?
        .query_row([pack_id], pack_record)
        .optional()?)
}

pub(crate) fn installed_packs(conn: &Connection) -> Result<Vec<PackRecord>> {
    let mut stmt = conn.prepare_cached(
        "SELECT pack_id, version, title, summary, track, manifest_sha256, publisher_kid
         FROM packs ORDER BY title COLLATE NOCASE",
    )?;
    let rows = stmt.query_map([], pack_record)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn pack_record(row: &rusqlite::Row<'_>) -> rusqlite::Result<PackRecord> {
    let version: String = row.get(1)?;
    Ok(PackRecord {
        pack_id: row.get(0)?,
        version: semver::Version::parse(&version).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, Box::new(e))
        })?,
        title: row.get(2)?,
        summary: row.get(3)?,
        track: row.get(4)?,
        manifest_sha256: row.get(5)?,
        publisher_kid: row.get(6)?,
    })
}

/// Counts of a pack's outline: (modules, lessons, minutes).
pub(crate) fn outline_counts(conn: &Connection, pack_id: &str) -> Result<(u32, u32, u32)> {
    Ok(conn
        .prepare_cached(
            "SELECT (SELECT count(*) FROM modules WHERE pack_id = ?1),
                    count(*), coalesce(sum(minutes), 0)
             FROM lessons WHERE pack_id = ?1",
        )?
        .query_row([pack_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?)
}

/// Replaces whatever is recorded for the pack with `pack`. Progress lives elsewhere and
/// refers to lessons by id, so it survives.
pub(crate) fn replace_pack(tx: &Transaction<'_>, pack: &NewPack<'_>) -> Result<()> {
    let course = pack.course;
    tx.execute("DELETE FROM search_index WHERE pack_id = ?1", [&course.id])?;
    tx.execute("DELETE FROM packs WHERE pack_id = ?1", [&course.id])?;
    tx.execute(
        "INSERT INTO packs (pack_id, version, title, summary, language, track, publisher_kid,
                            manifest_jws, manifest_sha256, imported_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            course.id,
            course.version.to_string(),
            course.title,
            course.summary,
            course.language,
            course.track,
            pack.publisher_kid,
            pack.manifest_jws,
            pack.manifest_sha256,
            pack.imported_at.to_rfc3339(),
        ],
    )?;
    let mut topic = tx.prepare_cached("INSERT INTO topics VALUES (?1, ?2, ?3)")?;
    for t in &course.topics {
        topic.execute(params![course.id, t.id, t.title])?;
    }
    let mut module = tx.prepare_cached("INSERT INTO modules VALUES (?1, ?2, ?3, ?4, ?5)")?;
    let mut lesson = tx.prepare_cached(
        "INSERT INTO lessons (pack_id, lesson_id, module_id, position, kind, title, minutes, path, body, details)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    let mut lesson_topic = tx.prepare_cached("INSERT INTO lesson_topics VALUES (?1, ?2, ?3)")?;
    let mut index = tx.prepare_cached(
        "INSERT INTO search_index (title, body, pack_id, item_id, kind) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    let lessons_by_id: std::collections::HashMap<&str, &crate::content::Lesson> =
        course.lessons.iter().map(|l| (l.id.as_str(), l)).collect();
    for (m_pos, m) in course.modules.iter().enumerate() {
        module.execute(params![course.id, m.id, m_pos as i64, m.title, m.summary])?;
        for (l_pos, entry) in m.lessons.iter().enumerate() {
            let Some(l) = lessons_by_id.get(entry.id.as_str()) else {
                continue; // load_course builds entries and lessons together
            };
            let details = serde_json::to_string(&l.details)
                .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
            lesson.execute(params![
                course.id,
                l.id,
                m.id,
                l_pos as i64,
                l.kind().as_str(),
                l.title,
                l.minutes,
                l.path,
                l.body,
                details,
            ])?;
            for t in &l.topics {
                lesson_topic.execute(params![course.id, l.id, t])?;
            }
            let mut searchable = plain_text(&l.body);
            if let LessonDetails::Video {
                chapters,
                transcript,
                ..
            } = &l.details
            {
                for c in chapters {
                    searchable.push('\n');
                    searchable.push_str(&c.title);
                }
                if let Some(vtt) = transcript.as_deref().and_then(|t| pack.texts.text(t)) {
                    searchable.push('\n');
                    searchable.push_str(&transcript_text(vtt));
                }
            }
            index.execute(params![l.title, searchable, course.id, l.id, "lesson"])?;
        }
    }
    let mut question = tx.prepare_cached("INSERT INTO questions VALUES (?1, ?2, ?3, ?4, ?5)")?;
    let mut question_topic =
        tx.prepare_cached("INSERT INTO question_topics VALUES (?1, ?2, ?3)")?;
    for q in &course.questions {
        let body = serde_json::to_string(q)
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        question.execute(params![course.id, q.id, q.body.kind(), q.prompt, body])?;
        for t in &q.topics {
            question_topic.execute(params![course.id, q.id, t])?;
        }
        let searchable = format!("{}\n{}", plain_text(&q.prompt), plain_text(&q.explanation));
        index.execute(params!["", searchable, course.id, q.id, "question"])?;
    }
    let mut file = tx.prepare_cached("INSERT INTO pack_files VALUES (?1, ?2, ?3, ?4, ?5)")?;
    for e in pack.entries {
        file.execute(params![
            course.id,
            e.path,
            e.size as i64,
            e.sha256.to_hex(),
            e.archive_offset.map(|o| o as i64),
        ])?;
    }
    Ok(())
}

/// Blob hashes (compressed files) referenced by any installed pack.
pub(crate) fn referenced_blobs(conn: &Connection) -> Result<std::collections::HashSet<String>> {
    let mut stmt =
        conn.prepare_cached("SELECT DISTINCT sha256 FROM pack_files WHERE archive_offset IS NULL")?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A lesson row: (module id, position, kind, title, minutes, path, body, details JSON).
#[derive(Debug, Clone)]
pub(crate) struct LessonRow {
    pub module_id: String,
    pub lesson_id: String,
    pub title: String,
    pub kind: String,
    pub minutes: u32,
    pub path: String,
    pub body: String,
    pub details: String,
    pub topics: Vec<String>,
}

/// Every lesson of a pack in outline order (module, then position).
pub(crate) fn lessons_in_order(conn: &Connection, pack_id: &str) -> Result<Vec<LessonRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT l.module_id, l.lesson_id, l.title, l.kind, l.minutes, l.path, l.body, l.details,
                (SELECT json_group_array(topic_id) FROM lesson_topics t
                 WHERE t.pack_id = l.pack_id AND t.lesson_id = l.lesson_id)
         FROM lessons l JOIN modules m ON m.pack_id = l.pack_id AND m.module_id = l.module_id
         WHERE l.pack_id = ?1
         ORDER BY m.position, l.position",
    )?;
    let rows = stmt.query_map([pack_id], |r| {
        let topics: String = r.get(8)?;
        Ok(LessonRow {
            module_id: r.get(0)?,
            lesson_id: r.get(1)?,
            title: r.get(2)?,
            kind: r.get(3)?,
            minutes: r.get(4)?,
            path: r.get(5)?,
            body: r.get(6)?,
            details: r.get(7)?,
            topics: serde_json::from_str(&topics).unwrap_or_default(),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// (module id, title, summary) of a pack, in order.
pub(crate) fn modules(conn: &Connection, pack_id: &str) -> Result<Vec<(String, String, String)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT module_id, title, summary FROM modules WHERE pack_id = ?1 ORDER BY position",
    )?;
    let rows = stmt.query_map([pack_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Where the bytes of a pack's file are: (size, sha256, offset in the kept archive).
pub(crate) fn file_location(
    conn: &Connection,
    pack_id: &str,
    path: &str,
) -> Result<Option<(u64, String, Option<u64>)>> {
    Ok(conn
        .prepare_cached(
            "SELECT size, sha256, archive_offset FROM pack_files WHERE pack_id = ?1 AND path = ?2",
        )?
        .query_row([pack_id, path], |r| {
            Ok((
                r.get::<_, i64>(0)? as u64,
                r.get(1)?,
                r.get::<_, Option<i64>>(2)?.map(|o| o as u64),
            ))
        })
        .optional()?)
}

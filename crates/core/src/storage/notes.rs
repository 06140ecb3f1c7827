//! SQL for notes and bookmarks.

use rusqlite::{Connection, Transaction, params};

use crate::error::Result;
use crate::notes::{Bookmark, Note};

pub(crate) fn insert_note(tx: &Transaction<'_>, note: &Note) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO notes (note_id, pack_id, lesson_id, quote, body, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        note.id,
        note.pack_id,
        note.lesson_id,
        note.quote,
        note.body,
        note.created_at.to_rfc3339(),
        note.updated_at.to_rfc3339(),
    ])?;
    Ok(())
}

/// Returns whether a note was changed.
pub(crate) fn update_note(tx: &Transaction<'_>, id: &str, body: &str, at: &str) -> Result<bool> {
    Ok(tx
        .prepare_cached("UPDATE notes SET body = ?2, updated_at = ?3 WHERE note_id = ?1")?
        .execute(params![id, body, at])?
        == 1)
}

pub(crate) fn delete_note(tx: &Transaction<'_>, id: &str) -> Result<bool> {
    Ok(tx
        .prepare_cached("DELETE FROM notes WHERE note_id = ?1")?
        .execute([id])?
        == 1)
}

pub(crate) fn notes(
    conn: &Connection,
    pack_id: &str,
    lesson_id: Option<&str>,
) -> Result<Vec<Note>> {
    let mut stmt = conn.prepare_cached(
        "SELECT note_id, pack_id, lesson_id, quote, body, created_at, updated_at FROM notes
         WHERE pack_id = ?1 AND (?2 IS NULL OR lesson_id = ?2)
         ORDER BY created_at, note_id",
    )?;
    let rows = stmt.query_map(params![pack_id, lesson_id], |r| {
        let created: String = r.get(5)?;
        let updated: String = r.get(6)?;
        Ok(Note {
            id: r.get(0)?,
            pack_id: r.get(1)?,
            lesson_id: r.get(2)?,
            quote: r.get(3)?,
            body: r.get(4)?,
            created_at: parse_time(&created, 5)?,
            updated_at: parse_time(&updated, 6)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn parse_time(text: &str, column: usize) -> rusqlite::Result<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.to_utc())
        .map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(
                column,
                rusqlite::types::Type::Text,
                Box::new(e),
            )
        })
}

pub(crate) fn set_bookmark(
    tx: &Transaction<'_>,
    pack_id: &str,
    lesson_id: &str,
    on: bool,
    at: &str,
) -> Result<()> {
    if on {
        tx.prepare_cached(
            "INSERT INTO bookmarks (pack_id, lesson_id, created_at) VALUES (?1, ?2, ?3)
             ON CONFLICT DO NOTHING",
        )?
        .execute(params![pack_id, lesson_id, at])?;
    } else {
        tx.prepare_cached("DELETE FROM bookmarks WHERE pack_id = ?1 AND lesson_id = ?2")?
            .execute(params![pack_id, lesson_id])?;
    }
    Ok(())
}

/// Bookmarks of lessons that exist in the installed packs, newest first.
pub(crate) fn bookmarks(conn: &Connection) -> Result<Vec<Bookmark>> {
    let mut stmt = conn.prepare_cached(
        "SELECT b.pack_id, b.lesson_id, l.title, b.created_at FROM bookmarks b
         JOIN lessons l ON l.pack_id = b.pack_id AND l.lesson_id = b.lesson_id
         ORDER BY b.created_at DESC",
    )?;
    let rows = stmt.query_map([], |r| {
        let at: String = r.get(3)?;
        Ok(Bookmark {
            pack_id: r.get(0)?,
            lesson_id: r.get(1)?,
            lesson_title: r.get(2)?,
            created_at: parse_time(&at, 3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

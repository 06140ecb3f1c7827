//! Full-text search over lessons and questions (SQLite FTS5, BM25 ranking, highlighted
//! snippets). User input is turned into a safe FTS5 query: each word is quoted, the last
//! one matches as a prefix so results appear while typing.

use rusqlite::{Connection, params};
use serde::Serialize;

use crate::error::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum SearchHitKind {
    Lesson,
    Question,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SearchHit {
    pub kind: SearchHitKind,
    pub pack_id: String,
    /// Lesson id, or question id for a question.
    pub item_id: String,
    /// The lesson to open for this hit: the lesson itself, or for a question the first
    /// quiz (in course order) that asks it, if any.
    pub lesson_id: Option<String>,
    /// Lesson title (for a question: the title of the first quiz that asks it, or else the
    /// start of its prompt).
    pub title: String,
    /// A short passage around the match; matched words are wrapped in `\u{2}` … `\u{3}`
    /// (start and end of text) so the UI can highlight them without parsing HTML.
    pub snippet: String,
    /// The passage text without markers, for finding it in the lesson.
    pub passage: String,
}

pub const HIGHLIGHT_START: char = '\u{2}';
pub const HIGHLIGHT_END: char = '\u{3}';

/// Builds an FTS5 query from free text, or `None` when nothing searchable remains.
pub(crate) fn fts_query(input: &str) -> Option<String> {
    let words: Vec<String> = input
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{}\"", w.to_lowercase()))
        .collect();
    let (last, rest) = words.split_last()?;
    let mut query = rest.join(" ");
    if !query.is_empty() {
        query.push(' ');
    }
    query.push_str(last);
    query.push('*');
    Some(query)
}

/// A title for a hit: a question outside every quiz is named by its prompt, cut at a
/// word boundary.
fn short_title(title: &str) -> String {
    const MAX_CHARS: usize = 80;
    let plain = crate::content::plain_text(title).replace('\n', " ");
    if plain.chars().count() <= MAX_CHARS {
        return plain;
    }
    let cut: String = plain.chars().take(MAX_CHARS).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{cut}…")
}

pub(crate) fn search(conn: &Connection, input: &str, limit: usize) -> Result<Vec<SearchHit>> {
    let Some(query) = fts_query(input) else {
        return Ok(Vec::new());
    };
    let mut stmt = conn.prepare_cached(
        // The best `limit` matches first; titles and quiz lessons are looked up for
        // those rows only, not for every match.
        "WITH hits AS (
             SELECT kind, pack_id, item_id,
                    snippet(search_index, 1, char(2), char(3), '…', 16) AS snippet,
                    bm25(search_index, 8.0, 1.0) AS score
             FROM search_index
             WHERE search_index MATCH ?1
             ORDER BY score
             LIMIT ?2
         ),
         placed AS (
             SELECT h.*, CASE h.kind WHEN 'lesson' THEN h.item_id ELSE (
                 SELECT ql.lesson_id
                 FROM lessons ql JOIN modules m ON m.pack_id = ql.pack_id AND m.module_id = ql.module_id
                 WHERE ql.pack_id = h.pack_id AND ql.kind = 'quiz'
                   AND EXISTS (SELECT 1 FROM json_each(ql.details, '$.questions') j
                               WHERE j.value = h.item_id)
                 ORDER BY m.position, ql.position LIMIT 1) END AS lesson_id
             FROM hits h
         )
         SELECT p.kind, p.pack_id, p.item_id, p.lesson_id,
                coalesce(l.title,
                         (SELECT q.prompt FROM questions q
                          WHERE q.pack_id = p.pack_id AND q.question_id = p.item_id), ''),
                p.snippet
         FROM placed p
         LEFT JOIN lessons l ON l.pack_id = p.pack_id AND l.lesson_id = p.lesson_id
         ORDER BY p.score",
    )?;
    let rows = stmt.query_map(params![query, limit as i64], |r| {
        let kind: String = r.get(0)?;
        let snippet: String = r.get(5)?;
        Ok(SearchHit {
            kind: if kind == "question" {
                SearchHitKind::Question
            } else {
                SearchHitKind::Lesson
            },
            pack_id: r.get(1)?,
            item_id: r.get(2)?,
            lesson_id: r.get(3)?,
            title: short_title(&r.get::<_, String>(4)?),
            passage: snippet
                .replace([HIGHLIGHT_START, HIGHLIGHT_END], "")
                .trim_matches('…')
                .to_owned(),
            snippet,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_becomes_a_safe_prefix_query() {
        assert_eq!(
            fts_query("raft leader").as_deref(),
            Some("\"raft\" \"leader\"*")
        );
        assert_eq!(
            fts_query("quorum\" OR x:y").as_deref(),
            Some("\"quorum\" \"or\" \"x\" \"y\"*")
        );
        assert_eq!(fts_query("  ...  "), None);
    }

    #[test]
    fn long_prompts_become_short_titles() {
        assert_eq!(short_title("Check yourself"), "Check yourself");
        let prompt = "With **N = 5** replicas and a write quorum of three, which read quorum \
                      guarantees that a read sees the latest committed write?";
        let title = short_title(prompt);
        assert!(title.starts_with("With N = 5 replicas"), "{title}");
        assert!(
            title.ends_with('…') && title.chars().count() <= 81,
            "{title}"
        );
    }
}

//! Full-text search over lessons and questions (SQLite FTS5, highlighted snippets). User
//! input is turned into safe FTS5 queries: each word is quoted, the last one matches as a
//! prefix so results appear while typing. Hits with a query word in their title come
//! before hits with the words only in their body; BM25 orders each of the two tiers.

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

/// The words of free text as quoted FTS5 terms, the last one a prefix so results appear
/// while typing; empty when nothing searchable remains.
fn fts_terms(input: &str) -> Vec<String> {
    let mut terms: Vec<String> = input
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{}\"", w.to_lowercase()))
        .collect();
    if let Some(last) = terms.last_mut() {
        last.push('*');
    }
    terms
}

/// The FTS5 queries of one search. Every hit matches `all`; it is in exactly one tier:
/// `title_tier` (a query word is in its title) or `body_tier` (only in its body).
#[derive(Debug, PartialEq, Eq)]
struct TieredQuery {
    all: String,
    title_tier: String,
    body_tier: String,
}

impl TieredQuery {
    fn new(input: &str) -> Option<TieredQuery> {
        let terms = fts_terms(input);
        if terms.is_empty() {
            return None;
        }
        let all = terms.join(" ");
        let in_title = format!("{{title}} : ({})", terms.join(" OR "));
        let title_tier = if terms.len() == 1 {
            // Equivalent to `all AND in_title`, but BM25 then reads only the titles: a
            // common word is in most bodies, and scoring every one of them is what made
            // one-word searches slow.
            in_title.clone()
        } else {
            format!("({all}) AND {in_title}")
        };
        let body_tier = format!("({all}) NOT {in_title}");
        Some(TieredQuery {
            all,
            title_tier,
            body_tier,
        })
    }
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

/// The best `limit` hits for `input`: hits with a query word in their title first, then
/// hits that have the words only in their body; BM25 (title words weigh 8 times body
/// words) orders each tier. Scoring only the title tier when it is full keeps a search
/// for a word found in most lessons fast; snippets, titles and quiz lessons are made for
/// the hits returned only.
pub(crate) fn search(conn: &Connection, input: &str, limit: usize) -> Result<Vec<SearchHit>> {
    let Some(query) = TieredQuery::new(input) else {
        return Ok(Vec::new());
    };
    conn.execute_batch(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_hits USING fts5(
             title, body, pack_id UNINDEXED, item_id UNINDEXED, kind UNINDEXED,
             tokenize = 'porter unicode61 remove_diacritics 2'
         );
         SAVEPOINT search_hits;",
    )?;
    let found = best_hits(conn, &query, limit);
    // The hits were copied only for this search: nothing of them is kept.
    let undone = conn.execute_batch("ROLLBACK TO search_hits; RELEASE search_hits");
    let hits = found?;
    undone?;
    Ok(hits)
}

/// Ranks the tiers, then copies the best rows into `temp.search_hits` (same columns and
/// tokenizer as `search_index`) and makes their snippets there. Matching them again in
/// `search_index` would cost as much as the search: FTS5 answers a prefix query by
/// merging the lists of every term with that prefix over the whole library, even to check
/// one row.
fn best_hits(conn: &Connection, query: &TieredQuery, limit: usize) -> Result<Vec<SearchHit>> {
    let mut best = conn.prepare_cached(
        "SELECT rowid FROM search_index
         WHERE search_index MATCH ?1
         ORDER BY bm25(search_index, 8.0, 1.0), rowid
         LIMIT ?2",
    )?;
    let mut rowids: Vec<i64> = best
        .query_map(params![query.title_tier, limit as i64], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    if rowids.len() < limit {
        let rest = (limit - rowids.len()) as i64;
        for rowid in best.query_map(params![query.body_tier, rest], |r| r.get(0))? {
            rowids.push(rowid?);
        }
    }

    let mut copy = conn.prepare_cached(
        "INSERT INTO temp.search_hits (rowid, title, body, pack_id, item_id, kind)
         SELECT ?2, title, body, pack_id, item_id, kind FROM main.search_index WHERE rowid = ?1",
    )?;
    for (position, rowid) in rowids.iter().enumerate() {
        copy.execute(params![rowid, position as i64])?;
    }
    let mut hits = conn.prepare_cached(
        // Rowids of `search_hits` are positions in the ranking.
        "WITH hits AS (
             SELECT rowid AS position, kind, pack_id, item_id,
                    snippet(search_hits, 1, char(2), char(3), '…', 16) AS snippet
             FROM temp.search_hits
             WHERE search_hits MATCH ?1
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
         ORDER BY p.position",
    )?;
    let rows = hits.query_map(params![query.all], |r| {
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
        let all = |input: &str| TieredQuery::new(input).map(|q| q.all);
        assert_eq!(all("raft leader").as_deref(), Some("\"raft\" \"leader\"*"));
        assert_eq!(
            all("quorum\" OR x:y").as_deref(),
            Some("\"quorum\" \"or\" \"x\" \"y\"*")
        );
        assert_eq!(all("  ...  "), None);
    }

    #[test]
    fn hits_with_a_query_word_in_their_title_form_the_first_tier() {
        assert_eq!(
            TieredQuery::new("Raft"),
            Some(TieredQuery {
                all: "\"raft\"*".into(),
                title_tier: "{title} : (\"raft\"*)".into(),
                body_tier: "(\"raft\"*) NOT {title} : (\"raft\"*)".into(),
            })
        );
        assert_eq!(
            TieredQuery::new("raft lead"),
            Some(TieredQuery {
                all: "\"raft\" \"lead\"*".into(),
                title_tier: "(\"raft\" \"lead\"*) AND {title} : (\"raft\" OR \"lead\"*)".into(),
                body_tier: "(\"raft\" \"lead\"*) NOT {title} : (\"raft\" OR \"lead\"*)".into(),
            })
        );
    }

    /// A profile whose index holds `rows` of (kind, item id, title, body) in pack "p".
    fn index_of(rows: &[(&str, &str, &str, &str)]) -> (tempfile::TempDir, super::super::Storage) {
        let dir = tempfile::tempdir().unwrap();
        let storage = super::super::Storage::open(&dir.path().join("study.db")).unwrap();
        for (kind, item_id, title, body) in rows {
            storage
                .reader()
                .execute(
                    "INSERT INTO search_index (title, body, pack_id, item_id, kind)
                     VALUES (?1, ?2, 'p', ?3, ?4)",
                    params![title, body, item_id, kind],
                )
                .unwrap();
        }
        (dir, storage)
    }

    fn item_ids(hits: &[SearchHit]) -> Vec<&str> {
        hits.iter().map(|h| h.item_id.as_str()).collect()
    }

    #[test]
    fn title_matches_come_first_then_body_matches_best_first() {
        let (_dir, storage) = index_of(&[
            ("lesson", "repeats", "Notes", &"quorum ".repeat(12)),
            (
                "lesson",
                "mentions",
                "More notes",
                "One quorum among many other words here.",
            ),
            (
                "lesson",
                "long-title",
                "Reading about quorums and replicas at length",
                "Text.",
            ),
            ("lesson", "titled", "Quorums", "A majority of replicas."),
            ("question", "asks", "", "Which quorum size is enough?"),
            ("lesson", "unrelated", "Clocks", "Lamport clocks."),
        ]);
        let hits = search(storage.reader(), "quorum", 10).unwrap();
        assert_eq!(
            item_ids(&hits),
            ["titled", "long-title", "repeats", "asks", "mentions"]
        );
        assert_eq!(hits[4].kind, SearchHitKind::Lesson);
        assert_eq!(hits[3].kind, SearchHitKind::Question);
        // The limit keeps the best; a full title tier leaves the bodies out.
        let hits = search(storage.reader(), "quorum", 2).unwrap();
        assert_eq!(item_ids(&hits), ["titled", "long-title"]);
        let hits = search(storage.reader(), "quorum", 3).unwrap();
        assert_eq!(item_ids(&hits), ["titled", "long-title", "repeats"]);
    }

    #[test]
    fn every_word_must_match_and_one_in_the_title_is_enough_for_the_first_tier() {
        let (_dir, storage) = index_of(&[
            (
                "lesson",
                "both-in-body",
                "Notes",
                "The quorum has a majority of replicas.",
            ),
            ("lesson", "one-in-title", "Majority", "Any quorum will do."),
            ("lesson", "only-one", "Quorum", "Nothing else."),
        ]);
        let hits = search(storage.reader(), "quorum majo", 10).unwrap();
        assert_eq!(item_ids(&hits), ["one-in-title", "both-in-body"]);
        // Snippets highlight the words of the body, whichever tier the hit is in.
        assert_eq!(
            hits[1].snippet,
            "The \u{2}quorum\u{3} has a \u{2}majority\u{3} of replicas."
        );
        assert_eq!(hits[1].passage, "The quorum has a majority of replicas.");
        assert_eq!(hits[0].snippet, "Any \u{2}quorum\u{3} will do.");
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

//! The learner's notes (Markdown, optionally attached to a quoted passage) and bookmarks
//! on lessons. They belong to the learner and refer to lessons by id, so they survive new
//! versions of a course.

use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Note {
    pub id: String,
    pub pack_id: String,
    pub lesson_id: String,
    pub quote: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Bookmark {
    pub pack_id: String,
    pub lesson_id: String,
    pub lesson_title: String,
    pub created_at: DateTime<Utc>,
}

/// Longest note accepted, in bytes.
pub const MAX_NOTE_BYTES: usize = 64 * 1024;

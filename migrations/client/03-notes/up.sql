-- The learner's notes and bookmarks on lessons. Unlike progress events these are the
-- learner's own documents and may be edited and removed.

CREATE TABLE notes (
    note_id    TEXT PRIMARY KEY,          -- UUIDv7
    pack_id    TEXT NOT NULL,
    lesson_id  TEXT NOT NULL,
    -- the passage the note is attached to, quoted from the lesson (may be empty)
    quote      TEXT NOT NULL DEFAULT '',
    body       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;

CREATE INDEX notes_by_lesson ON notes (pack_id, lesson_id, created_at);

CREATE TABLE bookmarks (
    pack_id    TEXT NOT NULL,
    lesson_id  TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (pack_id, lesson_id)
) STRICT;

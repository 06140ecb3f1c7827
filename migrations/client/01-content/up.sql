-- Installed content packs and the course tree they carry.
-- A pack holds exactly one course; the course id is the pack id.

CREATE TABLE packs (
    pack_id        TEXT PRIMARY KEY,
    version        TEXT NOT NULL,
    title          TEXT NOT NULL,
    summary        TEXT NOT NULL,
    language       TEXT NOT NULL,
    track          TEXT,
    publisher_kid  TEXT NOT NULL,
    manifest_jws   TEXT NOT NULL,
    -- SHA-256 of manifest_jws; the pack file is kept as content/packs/<manifest_sha256>.shpack
    manifest_sha256 TEXT NOT NULL,
    imported_at    TEXT NOT NULL
) STRICT;

CREATE TABLE topics (
    pack_id  TEXT NOT NULL REFERENCES packs(pack_id) ON DELETE CASCADE,
    topic_id TEXT NOT NULL,
    title    TEXT NOT NULL,
    PRIMARY KEY (pack_id, topic_id)
) STRICT;

CREATE TABLE modules (
    pack_id   TEXT NOT NULL REFERENCES packs(pack_id) ON DELETE CASCADE,
    module_id TEXT NOT NULL,
    position  INTEGER NOT NULL,
    title     TEXT NOT NULL,
    summary   TEXT NOT NULL,
    PRIMARY KEY (pack_id, module_id)
) STRICT;

CREATE TABLE lessons (
    pack_id   TEXT NOT NULL,
    lesson_id TEXT NOT NULL,
    module_id TEXT NOT NULL,
    position  INTEGER NOT NULL,
    kind      TEXT NOT NULL CHECK (kind IN ('article', 'video', 'quiz')),
    title     TEXT NOT NULL,
    minutes   INTEGER NOT NULL,
    -- path of the lesson file inside the pack, e.g. lessons/01-intro.md
    path      TEXT NOT NULL,
    -- Markdown body without front matter
    body      TEXT NOT NULL,
    -- kind-specific details as JSON (video file, chapters, transcript; quiz question ids)
    details   TEXT NOT NULL,
    PRIMARY KEY (pack_id, lesson_id),
    FOREIGN KEY (pack_id, module_id) REFERENCES modules(pack_id, module_id) ON DELETE CASCADE
) STRICT;

CREATE TABLE lesson_topics (
    pack_id   TEXT NOT NULL,
    lesson_id TEXT NOT NULL,
    topic_id  TEXT NOT NULL,
    PRIMARY KEY (pack_id, lesson_id, topic_id),
    FOREIGN KEY (pack_id, lesson_id) REFERENCES lessons(pack_id, lesson_id) ON DELETE CASCADE,
    FOREIGN KEY (pack_id, topic_id) REFERENCES topics(pack_id, topic_id) ON DELETE CASCADE
) STRICT;

CREATE TABLE questions (
    pack_id     TEXT NOT NULL REFERENCES packs(pack_id) ON DELETE CASCADE,
    question_id TEXT NOT NULL,
    kind        TEXT NOT NULL,
    prompt      TEXT NOT NULL,
    -- the whole question (choices, answer key, explanation) as JSON
    body        TEXT NOT NULL,
    PRIMARY KEY (pack_id, question_id)
) STRICT;

CREATE TABLE question_topics (
    pack_id     TEXT NOT NULL,
    question_id TEXT NOT NULL,
    topic_id    TEXT NOT NULL,
    PRIMARY KEY (pack_id, question_id, topic_id),
    FOREIGN KEY (pack_id, question_id) REFERENCES questions(pack_id, question_id) ON DELETE CASCADE,
    FOREIGN KEY (pack_id, topic_id) REFERENCES topics(pack_id, topic_id) ON DELETE CASCADE
) STRICT;

-- Where each file of a pack lives: a byte range of the kept archive (stored entries)
-- or a blob in the content store (compressed entries, extracted at import).
CREATE TABLE pack_files (
    pack_id  TEXT NOT NULL REFERENCES packs(pack_id) ON DELETE CASCADE,
    path     TEXT NOT NULL,
    size     INTEGER NOT NULL,
    sha256   TEXT NOT NULL,
    -- byte offset of the file's data in the archive, or NULL when stored as a blob
    archive_offset INTEGER,
    PRIMARY KEY (pack_id, path)
) STRICT;

-- Full-text index over lessons and questions. `kind` is 'lesson' or 'question'.
CREATE VIRTUAL TABLE search_index USING fts5(
    title,
    body,
    pack_id UNINDEXED,
    item_id UNINDEXED,
    kind UNINDEXED,
    tokenize = 'porter unicode61 remove_diacritics 2'
);

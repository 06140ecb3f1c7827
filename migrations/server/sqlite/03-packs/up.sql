-- Published course (.shpack) and exam (.shexam) packs, verified before they were
-- stored, kept whole in the database so that every replica serves the same bytes.
-- Times are Unix milliseconds (UTC).

CREATE TABLE packs (
    id            TEXT NOT NULL,
    version       TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('course', 'exam')),
    title         TEXT NOT NULL,
    size          INTEGER NOT NULL,                        -- of `bytes`
    sha256        TEXT NOT NULL,                           -- of `bytes`, hex; the ETag
    published_by  TEXT NOT NULL REFERENCES accounts (id),
    published_at  INTEGER NOT NULL,
    bytes         BLOB NOT NULL,                           -- the pack file as published
    PRIMARY KEY (id, version)
) STRICT;

CREATE INDEX packs_newest_first ON packs (published_at DESC);

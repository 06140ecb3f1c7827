-- Published course (.shpack) and exam (.shexam) packs, verified before they were
-- stored, kept whole in the database so that every replica serves the same bytes.

CREATE TABLE packs (
    id            TEXT NOT NULL,
    version       TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('course', 'exam')),
    title         TEXT NOT NULL,
    size          BIGINT NOT NULL,                         -- of `bytes`
    sha256        TEXT NOT NULL,                           -- of `bytes`, hex; the ETag
    published_by  UUID NOT NULL REFERENCES accounts (id),
    published_at  TIMESTAMPTZ NOT NULL,
    bytes         BYTEA NOT NULL,                          -- the pack file as published
    PRIMARY KEY (id, version)
);

-- Packs are zips (already compressed): stored out of line and uncompressed, so that
-- substring() reads only the chunks a range download asks for.
ALTER TABLE packs ALTER COLUMN bytes SET STORAGE EXTERNAL;

CREATE INDEX packs_newest_first ON packs (published_at DESC);

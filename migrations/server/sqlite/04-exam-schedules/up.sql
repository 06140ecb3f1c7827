-- Exam sittings scheduled by staff, the candidates registered for each, and every
-- release of an exam's content key to a candidate's enrolled device.
-- Times are Unix milliseconds (UTC).

CREATE TABLE exam_schedules (
    id            TEXT PRIMARY KEY,                        -- UUIDv7
    exam_id       TEXT NOT NULL,
    exam_version  TEXT NOT NULL,
    opens_at      INTEGER NOT NULL,
    closes_at     INTEGER NOT NULL,
    created_by    TEXT NOT NULL REFERENCES accounts (id),
    created_at    INTEGER NOT NULL,
    CHECK (opens_at < closes_at),
    FOREIGN KEY (exam_id, exam_version) REFERENCES packs (id, version)
) STRICT;

CREATE INDEX exam_schedules_by_exam ON exam_schedules (exam_id, exam_version);

CREATE TABLE exam_schedule_candidates (
    schedule_id  TEXT NOT NULL REFERENCES exam_schedules (id) ON DELETE CASCADE,
    account_id   TEXT NOT NULL REFERENCES accounts (id),
    PRIMARY KEY (schedule_id, account_id)
) STRICT;

CREATE INDEX exam_schedule_candidates_by_account ON exam_schedule_candidates (account_id);

-- Append-only: who had the key released, to which device, when.
CREATE TABLE key_releases (
    id             TEXT PRIMARY KEY,                       -- UUIDv7
    schedule_id    TEXT NOT NULL REFERENCES exam_schedules (id),
    account_id     TEXT NOT NULL REFERENCES accounts (id),
    device_key_id  TEXT NOT NULL REFERENCES devices (key_id),
    released_at    INTEGER NOT NULL
) STRICT;

CREATE INDEX key_releases_by_schedule ON key_releases (schedule_id, released_at);

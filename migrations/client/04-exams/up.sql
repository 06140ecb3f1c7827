-- Exam sessions: one row per attempt, its answers (append-only: the newest save of a
-- question is its answer, and every earlier save is kept), the candidate's review flags,
-- and the proctor log (append-only and hash-chained: entry n stores
-- hash(n) = SHA-256(hash(n-1) || entry n); see core::exam::log).
-- Answers, state changes and log entries are written with synchronous=FULL.

CREATE TABLE exam_sessions (
    session_id          TEXT PRIMARY KEY,         -- UUIDv7
    exam_id             TEXT NOT NULL,
    exam_version        TEXT NOT NULL,
    candidate_id        TEXT NOT NULL,
    blueprint           TEXT NOT NULL,            -- JSON, as sat (time limit, rules, sections)
    form                TEXT NOT NULL,            -- JSON: the items drawn, option orders, seed
    extra_time_percent  INTEGER NOT NULL DEFAULT 0 CHECK (extra_time_percent >= 0),
    extra_time_ms       INTEGER NOT NULL DEFAULT 0 CHECK (extra_time_ms >= 0),  -- granted by a proctor
    state               TEXT NOT NULL CHECK (state IN ('lobby', 'running', 'paused', 'submitted')),
    created_at          TEXT NOT NULL,            -- RFC 3339, UTC
    started_at          TEXT,
    submitted_at        TEXT,
    submit_reason       TEXT,                     -- 'candidate' | 'time_up' | 'proctor'
    -- exam time used so far, counted on the monotonic clock while running
    used_ms             INTEGER NOT NULL DEFAULT 0 CHECK (used_ms >= 0),
    -- wall clock of the last time the running app accounted for time
    last_seen_at        TEXT,
    position_section    INTEGER NOT NULL DEFAULT 0,
    position_item       INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE exam_answers (
    session_id   TEXT NOT NULL REFERENCES exam_sessions (session_id),
    seq          INTEGER NOT NULL CHECK (seq >= 0),
    question_id  TEXT NOT NULL,
    response     TEXT NOT NULL,                   -- JSON (core::content::Response)
    saved_at     TEXT NOT NULL,                   -- RFC 3339, UTC
    used_ms      INTEGER NOT NULL,                -- exam time used when saved
    PRIMARY KEY (session_id, seq)
) STRICT;

CREATE INDEX exam_answers_by_question ON exam_answers (session_id, question_id, seq);

CREATE TRIGGER exam_answers_are_immutable
BEFORE UPDATE ON exam_answers
BEGIN
    SELECT RAISE(ABORT, 'saved exam answers are immutable');
END;

CREATE TRIGGER exam_answers_are_kept
BEFORE DELETE ON exam_answers
BEGIN
    SELECT RAISE(ABORT, 'saved exam answers are never deleted');
END;

CREATE TABLE exam_flags (
    session_id   TEXT NOT NULL REFERENCES exam_sessions (session_id),
    question_id  TEXT NOT NULL,
    PRIMARY KEY (session_id, question_id)
) STRICT;

CREATE TABLE proctor_log (
    session_id  TEXT NOT NULL REFERENCES exam_sessions (session_id),
    seq         INTEGER NOT NULL CHECK (seq >= 0),
    at          TEXT NOT NULL,                    -- RFC 3339, UTC, wall clock when recorded
    kind        TEXT NOT NULL,                    -- snake_case, see core::exam::log::LogKind
    detail      TEXT NOT NULL,                    -- JSON object
    hash        TEXT NOT NULL,                    -- 64 hex characters
    PRIMARY KEY (session_id, seq)
) STRICT;

CREATE TRIGGER proctor_log_is_immutable
BEFORE UPDATE ON proctor_log
BEGIN
    SELECT RAISE(ABORT, 'proctor log entries are immutable');
END;

CREATE TRIGGER proctor_log_is_kept
BEFORE DELETE ON proctor_log
BEGIN
    SELECT RAISE(ABORT, 'proctor log entries are never deleted');
END;

-- Results waiting for delivery: signed with the device key, sealed to the server. An
-- entry is marked delivered only when a valid receipt is stored, and is never deleted
-- before that.
CREATE TABLE outbox (
    result_id     TEXT PRIMARY KEY,                -- UUIDv7
    session_id    TEXT NOT NULL UNIQUE REFERENCES exam_sessions (session_id),
    receipt_code  TEXT NOT NULL,                   -- short code shown to the candidate
    sealed        TEXT NOT NULL,                   -- the sealed envelope (JSON, one line)
    created_at    TEXT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT,
    delivered_at  TEXT,
    receipt       TEXT                             -- the server's signed receipt (compact JWS)
) STRICT;

CREATE TRIGGER outbox_keeps_undelivered_results
BEFORE DELETE ON outbox
WHEN OLD.receipt IS NULL
BEGIN
    SELECT RAISE(ABORT, 'a result is kept until the server has receipted it');
END;

CREATE TRIGGER outbox_results_are_immutable
BEFORE UPDATE OF result_id, session_id, sealed, receipt_code ON outbox
BEGIN
    SELECT RAISE(ABORT, 'a sealed result is never changed');
END;

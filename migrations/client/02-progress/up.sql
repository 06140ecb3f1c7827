-- Study progress as immutable events (xAPI-shaped: actor, verb, object, result,
-- timestamp, UUIDv7 id). Every summary is derived from these rows; nothing here is a
-- mutable counter. Events refer to lessons and questions by pack id and item id, not by
-- row, so they survive a new version of the pack.

CREATE TABLE progress_events (
    event_id       TEXT PRIMARY KEY,              -- UUIDv7
    actor          TEXT NOT NULL,                 -- the learner (profile id until enrolled)
    verb           TEXT NOT NULL CHECK (verb IN ('experienced', 'completed', 'answered', 'studied')),
    pack_id        TEXT NOT NULL,
    object_kind    TEXT NOT NULL CHECK (object_kind IN ('lesson', 'question')),
    object_id      TEXT NOT NULL,
    -- JSON: for 'answered' {response, score, max, success}; NULL otherwise
    result         TEXT,
    -- seconds of active study this event accounts for (idle time is never reported)
    active_seconds INTEGER NOT NULL DEFAULT 0 CHECK (active_seconds >= 0),
    occurred_at    TEXT NOT NULL,                 -- RFC 3339, UTC
    local_day      TEXT NOT NULL                  -- YYYY-MM-DD where the learner was, for streaks
) STRICT;

CREATE INDEX progress_events_by_object ON progress_events (pack_id, object_kind, object_id);
CREATE INDEX progress_events_by_day ON progress_events (local_day);

CREATE TRIGGER progress_events_are_immutable
BEFORE UPDATE ON progress_events
BEGIN
    SELECT RAISE(ABORT, 'progress events are immutable');
END;

CREATE TRIGGER progress_events_are_kept
BEFORE DELETE ON progress_events
BEGIN
    SELECT RAISE(ABORT, 'progress events are never deleted');
END;

-- The profile's own identity and small settings.
CREATE TABLE profile_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- Learners' progress events (DESIGN §3, §7), pushed by their devices and pulled by the
-- others: each stored once per account by its event id, numbered per account in the
-- order the server stored them (the pull cursor). The account is the event's actor.
-- Times are Unix milliseconds (UTC).

-- One row per account that has pushed: the sequence number of its newest event. A push
-- takes this row's write lock first, so an account's events are numbered and committed
-- in the same order.
CREATE TABLE progress_heads (
    account_id TEXT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    last_seq   INTEGER NOT NULL CHECK (last_seq >= 0)
) STRICT;

CREATE TABLE progress_events (
    account_id     TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    seq            INTEGER NOT NULL,                -- per account, from progress_heads
    event_id       TEXT NOT NULL,                   -- UUIDv7, made by the device
    verb           TEXT NOT NULL CHECK (verb IN ('experienced', 'completed', 'answered', 'studied')),
    pack_id        TEXT NOT NULL,
    object_kind    TEXT NOT NULL CHECK (object_kind IN ('lesson', 'question')),
    object_id      TEXT NOT NULL,
    result         TEXT,                            -- JSON, as the server wrote it; NULL if none
    active_seconds INTEGER NOT NULL CHECK (active_seconds >= 0),
    occurred_at    INTEGER NOT NULL,
    local_day      TEXT NOT NULL,                   -- YYYY-MM-DD where the learner was
    received_at    INTEGER NOT NULL,
    PRIMARY KEY (account_id, event_id),
    UNIQUE (account_id, seq)
) STRICT;

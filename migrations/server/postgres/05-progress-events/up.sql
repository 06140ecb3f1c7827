-- Learners' progress events (DESIGN §3, §7), pushed by their devices and pulled by the
-- others: each stored once per account by its event id, numbered per account in the
-- order the server stored them (the pull cursor). The account is the event's actor.

-- One row per account that has pushed: the sequence number of its newest event. A push
-- locks this row until it commits, so concurrent pushes for one account (on any
-- replica) take turns, and its events become visible in the order of their numbers:
-- a pull never passes a number that a slower transaction commits later.
CREATE TABLE progress_heads (
    account_id UUID PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    last_seq   BIGINT NOT NULL CHECK (last_seq >= 0)
);

CREATE TABLE progress_events (
    account_id     UUID NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    seq            BIGINT NOT NULL,                 -- per account, from progress_heads
    event_id       UUID NOT NULL,                   -- UUIDv7, made by the device
    verb           TEXT NOT NULL CHECK (verb IN ('experienced', 'completed', 'answered', 'studied')),
    pack_id        TEXT NOT NULL,
    object_kind    TEXT NOT NULL CHECK (object_kind IN ('lesson', 'question')),
    object_id      TEXT NOT NULL,
    result         TEXT,                            -- JSON, as the server wrote it; NULL if none
    active_seconds INTEGER NOT NULL CHECK (active_seconds >= 0),
    occurred_at    TIMESTAMPTZ NOT NULL,
    local_day      DATE NOT NULL,                   -- where the learner was
    received_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (account_id, event_id),
    UNIQUE (account_id, seq)
);

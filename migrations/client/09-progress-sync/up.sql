-- Progress sync (DESIGN §3, §7): which of this profile's progress events a server
-- account holds, and where pulling that account's events stopped. Keyed by server URL
-- and account id, so signing in to another server or another account starts afresh.

CREATE TABLE progress_sync_peers (
    peer_id     INTEGER PRIMARY KEY,
    server_url  TEXT NOT NULL,                 -- as the profile calls it, no trailing /
    account_id  TEXT NOT NULL,                 -- the server account's id (UUID)
    pull_cursor TEXT,                          -- the server's opaque cursor; NULL: from the start
    UNIQUE (server_url, account_id)
) STRICT;

-- Events a server account has answered for, so that none is sent to it again: 'held'
-- (stored by a push, already there, or pulled from it) or refused ('conflict': it holds
-- another event with this id; 'rejected': the event does not pass its checks), with
-- the server's reason. Rows are written only once the server's answer has arrived, so
-- an answer lost on the way means the events are sent again (the server ignores
-- repeats). No watermark on rowid: VACUUM may renumber rowids, ids never change.
CREATE TABLE progress_sync_acks (
    peer_id  INTEGER NOT NULL REFERENCES progress_sync_peers (peer_id),
    event_id TEXT NOT NULL REFERENCES progress_events (event_id),
    outcome  TEXT NOT NULL CHECK (outcome IN ('held', 'conflict', 'rejected')),
    reason   TEXT,
    PRIMARY KEY (peer_id, event_id)
) STRICT, WITHOUT ROWID;

-- The profile's account on a Studyhall server (at most one at a time: row id 1) and the
-- servers this installation's device key is enrolled with.
-- `token` is the bearer token from POST /v1/auth/login: a secret, read only to send it
-- to that server; it is never logged nor sent to the UI. `offered_*_key` are the public
-- keys the server presented at sign-in (JWK), kept so that a person can compare their
-- key ids with what their administrator gave them and confirm them (see
-- core::sync::account); they are not trusted until then.
CREATE TABLE sync_account (
    id                   INTEGER PRIMARY KEY CHECK (id = 1),
    server_url           TEXT NOT NULL,       -- http://host:port, no path
    username             TEXT NOT NULL,
    account_id           TEXT NOT NULL,
    roles                TEXT NOT NULL,       -- JSON array of role names
    token                TEXT NOT NULL,
    token_expires_at     TEXT NOT NULL,       -- RFC 3339, UTC
    signed_in_at         TEXT NOT NULL,
    offered_signing_key  TEXT NOT NULL,
    offered_sealing_key  TEXT NOT NULL,
    last_sync_at         TEXT                 -- the last round that finished without an error
) STRICT;

CREATE TABLE device_enrollments (
    server_url     TEXT NOT NULL,
    device_key_id  TEXT NOT NULL,
    enrolled_at    TEXT NOT NULL,
    PRIMARY KEY (server_url, device_key_id)
) STRICT;

-- People, their sign-in sessions, and enrolled devices.

CREATE TABLE accounts (
    id            UUID PRIMARY KEY,          -- UUIDv7
    username      TEXT NOT NULL UNIQUE,      -- lower case, checked by the server
    password_hash TEXT NOT NULL,             -- argon2 PHC string
    created_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE account_roles (
    account_id UUID NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('learner', 'candidate', 'proctor', 'author', 'admin')),
    PRIMARY KEY (account_id, role)
);

-- Bearer tokens: only their SHA-256 is stored.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    account_id UUID NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX sessions_by_expiry ON sessions (expires_at);

-- One-time device enrollment tokens: only their SHA-256 is stored.
CREATE TABLE enrollment_tokens (
    token_hash TEXT PRIMARY KEY,
    created_by UUID NOT NULL REFERENCES accounts (id),
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);

CREATE TABLE devices (
    id                     UUID PRIMARY KEY,  -- UUIDv7
    key_id                 TEXT NOT NULL UNIQUE,
    public_key_jwk         TEXT NOT NULL,
    enrolled_by            UUID NOT NULL REFERENCES accounts (id),
    enrollment_token_hash  TEXT NOT NULL UNIQUE REFERENCES enrollment_tokens (token_hash),
    enrolled_at            TIMESTAMPTZ NOT NULL
);

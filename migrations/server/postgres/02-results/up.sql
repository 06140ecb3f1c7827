-- Exam results received from devices (upload) or from proctors (offline hand-in), each
-- stored once by its result id, with the signed receipt the server answered with.

CREATE TABLE results (
    result_id      TEXT PRIMARY KEY,              -- the result document's UUIDv7
    sealed_sha256  TEXT NOT NULL,                 -- of the sealed envelope (canonical JSON)
    signed         TEXT NOT NULL,                 -- the device-signed document (compact JWS)
    device_key_id  TEXT NOT NULL REFERENCES devices (key_id),
    session_id     TEXT NOT NULL,
    exam_id        TEXT NOT NULL,
    exam_version   TEXT NOT NULL,
    candidate_id   TEXT NOT NULL,
    receipt_code   TEXT NOT NULL,                 -- the short code the candidate was shown
    receipt        TEXT NOT NULL,                 -- the server's signed receipt (compact JWS)
    received_at    TIMESTAMPTZ NOT NULL,
    via            TEXT NOT NULL CHECK (via IN ('device', 'handin')),
    handed_in_by   UUID REFERENCES accounts (id), -- the proctor or admin, for a hand-in
    form_checked   BOOLEAN NOT NULL
);

CREATE INDEX results_by_exam ON results (exam_id, exam_version);
CREATE INDEX results_by_candidate ON results (candidate_id);

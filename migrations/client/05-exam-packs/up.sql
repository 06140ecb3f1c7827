-- Installed exam packs, and each session's secrets.
--
-- An exam pack stays encrypted on disk (profile/exams/<id>-<version>.shexam); its row
-- holds the verified manifest, which says nothing of the items. Once a start code or the
-- server has unlocked an exam for a session, the session keeps the content key so that
-- a crash or power cut reopens straight into the exam; the key is deleted when the
-- session's result is sealed into the outbox. The proctor PIN is kept only as a check
-- value (SHA-256 over a label, the session id and the PIN), for the proctor's exit and
-- result export after the key is gone.

CREATE TABLE exam_packs (
    exam_id        TEXT NOT NULL,
    version        TEXT NOT NULL,
    manifest       TEXT NOT NULL,                 -- JSON (core::exam::pack::ExamManifest)
    bank_sha256    TEXT NOT NULL,                 -- of bank.enc, as the signed manifest says
    file           TEXT NOT NULL,                 -- path relative to the profile folder
    installed_at   TEXT NOT NULL,                 -- RFC 3339, UTC
    PRIMARY KEY (exam_id, version)
) STRICT;

CREATE TABLE exam_session_secrets (
    session_id   TEXT PRIMARY KEY REFERENCES exam_sessions (session_id),
    content_key  TEXT,                            -- base64url, 32 bytes; NULL once sealed
    pin_check    TEXT NOT NULL                    -- 64 hex characters
) STRICT;

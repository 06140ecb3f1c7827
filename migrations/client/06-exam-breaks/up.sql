-- Breaks as an accommodation: a session may be paused only while it has break time
-- left (granted by the proctor when the attempt begins); the break clock runs while the
-- session is paused, and when the allowance is used up the exam goes on by itself.

ALTER TABLE exam_sessions ADD COLUMN break_allowance_ms INTEGER NOT NULL DEFAULT 0
    CHECK (break_allowance_ms >= 0);
ALTER TABLE exam_sessions ADD COLUMN break_used_ms INTEGER NOT NULL DEFAULT 0
    CHECK (break_used_ms >= 0);
-- wall clock when the current break began; NULL when not on a break
ALTER TABLE exam_sessions ADD COLUMN break_started_at TEXT;

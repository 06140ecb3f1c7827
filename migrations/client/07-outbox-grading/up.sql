-- The candidate's copy of a result's grading (JSON, core::exam::result::Grading), kept
-- beside the sealed result so the summary can be shown again after a restart; the
-- sealed, signed copy stays the authoritative one.
ALTER TABLE outbox ADD COLUMN grading TEXT;

-- Delivery of the outbox to the server: when the last attempt was made and when the
-- next one is due (exponential backoff with jitter). `attempts` and `last_error` exist
-- since 04-exams; a row is delivered once `receipt` (a verified, signed receipt) is set.
ALTER TABLE outbox ADD COLUMN last_attempt_at TEXT;
ALTER TABLE outbox ADD COLUMN next_attempt_at TEXT;

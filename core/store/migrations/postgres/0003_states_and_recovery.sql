-- States checked by the schema, jobs keyed by the message they transcribe (update ids restart
-- after a week of silence), resumable delivery, refund debt on held minutes, per-user rate
-- windows (PostgreSQL). Keep in step with ../sqlite/0003_states_and_recovery.sql.

ALTER TABLE users ADD CONSTRAINT users_trial_state_check
    CHECK (trial_state IN ('none', 'requested', 'granted', 'denied', 'revoked'));
ALTER TABLE users ADD CONSTRAINT users_flags_check CHECK (code_output IN (0, 1) AND keep_yo IN (0, 1));
ALTER TABLE users ADD CONSTRAINT users_long_output_check CHECK (long_output IN ('auto', 'split', 'file'));
-- Seconds a refund could not take because they were on hold; taken when those holds are released.
ALTER TABLE users ADD COLUMN refund_pending BIGINT NOT NULL DEFAULT 0 CHECK (refund_pending >= 0);

ALTER TABLE payments ADD CONSTRAINT payments_state_check CHECK (state IN ('paid', 'refunded'));

ALTER TABLE jobs ADD CONSTRAINT jobs_state_check
    CHECK (state IN ('queued', 'running', 'delivering', 'done', 'failed'));
ALTER TABLE jobs DROP CONSTRAINT jobs_update_key;
ALTER TABLE jobs ADD CONSTRAINT jobs_message_key UNIQUE (bot, chat_id, message_id);
-- The text being delivered (kept only while the job is `delivering`) and how many of its
-- messages already went out, so a worker that takes over sends none twice.
ALTER TABLE jobs ADD COLUMN result_text TEXT;
ALTER TABLE jobs ADD COLUMN delivered_parts BIGINT NOT NULL DEFAULT 0;
-- When the job's queue message was last published (the sweeper republishes lost ones).
ALTER TABLE jobs ADD COLUMN published_at BIGINT;
CREATE INDEX jobs_user_state ON jobs (user_id, state);

CREATE TABLE rate_windows (
    user_id       BIGINT PRIMARY KEY,
    window_start  BIGINT NOT NULL,
    hits          BIGINT NOT NULL
);

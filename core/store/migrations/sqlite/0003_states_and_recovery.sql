-- States checked by the schema, jobs keyed by the message they transcribe (update ids restart
-- after a week of silence), resumable delivery, refund debt on held minutes, per-user rate
-- windows (SQLite). Keep in step with ../postgres/0003_states_and_recovery.sql. SQLite cannot add
-- a constraint to a table: `users` and `payments` get triggers with the same checks; `jobs`
-- (referenced by no foreign key) is rebuilt with its new key.

CREATE TRIGGER users_checks_insert BEFORE INSERT ON users
WHEN NEW.trial_state NOT IN ('none', 'requested', 'granted', 'denied', 'revoked')
  OR NEW.code_output NOT IN (0, 1) OR NEW.keep_yo NOT IN (0, 1)
  OR NEW.long_output NOT IN ('auto', 'split', 'file')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: users state or flags'); END;
CREATE TRIGGER users_checks_update BEFORE UPDATE ON users
WHEN NEW.trial_state NOT IN ('none', 'requested', 'granted', 'denied', 'revoked')
  OR NEW.code_output NOT IN (0, 1) OR NEW.keep_yo NOT IN (0, 1)
  OR NEW.long_output NOT IN ('auto', 'split', 'file')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: users state or flags'); END;
ALTER TABLE users ADD COLUMN refund_pending BIGINT NOT NULL DEFAULT 0 CHECK (refund_pending >= 0);

CREATE TRIGGER payments_state_insert BEFORE INSERT ON payments
WHEN NEW.state NOT IN ('paid', 'refunded')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: payments_state_check'); END;
CREATE TRIGGER payments_state_update BEFORE UPDATE OF state ON payments
WHEN NEW.state NOT IN ('paid', 'refunded')
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: payments_state_check'); END;

CREATE TABLE jobs_rebuilt (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    bot               TEXT NOT NULL,
    update_id         BIGINT NOT NULL,
    user_id           BIGINT NOT NULL REFERENCES users (id),
    chat_id           BIGINT NOT NULL,
    message_id        BIGINT NOT NULL,
    status_message_id BIGINT,
    media_kind        TEXT NOT NULL,
    file_id           TEXT NOT NULL,
    file_unique_id    TEXT NOT NULL,
    file_size         BIGINT,
    file_name         TEXT,
    mime_type         TEXT,
    reported_seconds  BIGINT NOT NULL DEFAULT 0,
    state             TEXT NOT NULL
        CHECK (state IN ('queued', 'running', 'delivering', 'done', 'failed')),
    attempts          BIGINT NOT NULL DEFAULT 0,
    held_seconds      BIGINT NOT NULL DEFAULT 0 CHECK (held_seconds >= 0),
    charged_seconds   BIGINT NOT NULL DEFAULT 0,
    released_seconds  BIGINT NOT NULL DEFAULT 0,
    audio_seconds     BIGINT,
    chunks            BIGINT,
    error_kind        TEXT,
    formatter         TEXT,
    download_ms       BIGINT,
    prepare_ms        BIGINT,
    asr_ms            BIGINT,
    llm_ms            BIGINT,
    deliver_ms        BIGINT,
    total_ms          BIGINT,
    trace_id          TEXT NOT NULL,
    worker            TEXT,
    heartbeat_at      BIGINT,
    created_at        BIGINT NOT NULL,
    started_at        BIGINT,
    finished_at       BIGINT,
    result_text       TEXT,
    delivered_parts   BIGINT NOT NULL DEFAULT 0,
    published_at      BIGINT,
    CONSTRAINT jobs_message_key UNIQUE (bot, chat_id, message_id)
);
INSERT INTO jobs_rebuilt (id, bot, update_id, user_id, chat_id, message_id, status_message_id,
    media_kind, file_id, file_unique_id, file_size, file_name, mime_type, reported_seconds, state,
    attempts, held_seconds, charged_seconds, released_seconds, audio_seconds, chunks, error_kind,
    formatter, download_ms, prepare_ms, asr_ms, llm_ms, deliver_ms, total_ms, trace_id, worker,
    heartbeat_at, created_at, started_at, finished_at)
SELECT id, bot, update_id, user_id, chat_id, message_id, status_message_id, media_kind, file_id,
    file_unique_id, file_size, file_name, mime_type, reported_seconds, state, attempts,
    held_seconds, charged_seconds, released_seconds, audio_seconds, chunks, error_kind, formatter,
    download_ms, prepare_ms, asr_ms, llm_ms, deliver_ms, total_ms, trace_id, worker, heartbeat_at,
    created_at, started_at, finished_at
FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_rebuilt RENAME TO jobs;
CREATE INDEX jobs_user ON jobs (user_id, id);
CREATE INDEX jobs_state ON jobs (state, created_at);
CREATE INDEX jobs_user_state ON jobs (user_id, state);

CREATE TABLE rate_windows (
    user_id       BIGINT PRIMARY KEY,
    window_start  BIGINT NOT NULL,
    hits          BIGINT NOT NULL
);

-- scribe schema (SQLite). Keep in step with ../postgres/0001_initial.sql: the same tables,
-- columns and constraints; only the id column types differ.

CREATE TABLE users (
    id              BIGINT PRIMARY KEY,
    first_name      TEXT NOT NULL DEFAULT '',
    username        TEXT,
    language_code   TEXT,
    ui_lang         TEXT,
    asr_language    TEXT,
    code_output     BIGINT NOT NULL DEFAULT 0,
    keep_yo         BIGINT NOT NULL DEFAULT 1,
    long_output     TEXT NOT NULL DEFAULT 'auto',
    balance         BIGINT NOT NULL DEFAULT 0 CHECK (balance >= 0),
    held            BIGINT NOT NULL DEFAULT 0 CHECK (held >= 0),
    trial_state     TEXT NOT NULL DEFAULT 'none',
    created_at      BIGINT NOT NULL,
    last_seen_at    BIGINT NOT NULL
);

CREATE TABLE ledger (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     BIGINT NOT NULL REFERENCES users (id),
    reason      TEXT NOT NULL,
    idem_key    TEXT NOT NULL,
    delta       BIGINT NOT NULL,
    held_delta  BIGINT NOT NULL DEFAULT 0,
    job_id      BIGINT,
    note        TEXT,
    created_at  BIGINT NOT NULL,
    CONSTRAINT ledger_reason_key UNIQUE (reason, idem_key)
);
CREATE INDEX ledger_user ON ledger (user_id, id);
CREATE INDEX ledger_created ON ledger (created_at);

CREATE TABLE jobs (
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
    state             TEXT NOT NULL,
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
    CONSTRAINT jobs_update_key UNIQUE (bot, update_id)
);
CREATE INDEX jobs_user ON jobs (user_id, id);
CREATE INDEX jobs_state ON jobs (state, created_at);

CREATE TABLE updates_seen (
    bot            TEXT NOT NULL,
    update_id      BIGINT NOT NULL,
    done           BIGINT NOT NULL DEFAULT 0,
    claimed_until  BIGINT NOT NULL,
    seen_at        BIGINT NOT NULL,
    PRIMARY KEY (bot, update_id)
);
CREATE INDEX updates_seen_at ON updates_seen (seen_at);

CREATE TABLE bot_state (
    bot    TEXT NOT NULL,
    key    TEXT NOT NULL,
    value  TEXT NOT NULL,
    PRIMARY KEY (bot, key)
);

CREATE TABLE queue_messages (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    queue         TEXT NOT NULL,
    payload       TEXT NOT NULL,
    trace_id      TEXT NOT NULL,
    attempt       BIGINT NOT NULL DEFAULT 1,
    available_at  BIGINT NOT NULL,
    locked_until  BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL
);
CREATE INDEX queue_messages_due ON queue_messages (queue, available_at);

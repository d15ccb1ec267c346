-- Groups, the result cache, forwarded batches and privacy (sqlite). Keep in step with the other
-- backend's 0004_groups_privacy.sql.

-- Names as `/user` searches them: lowercased by the bot (Unicode-aware, which SQLite's LOWER is
-- not), filled in at every contact.
ALTER TABLE users ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
UPDATE users SET search_text = LOWER(first_name || ' ' || COALESCE(username, ''));

-- Days a user's transcripts are kept; NULL: the default (RETENTION_DAYS); 0: none kept.
ALTER TABLE users ADD COLUMN retention_days BIGINT CHECK (retention_days IS NULL OR retention_days >= 0);

-- A group or supergroup the bot is in: its settings and its auto mode.
CREATE TABLE chats (
    id                  BIGINT PRIMARY KEY,
    asr_language        TEXT,
    long_output         TEXT NOT NULL DEFAULT 'auto' CHECK (long_output IN ('auto', 'split', 'file')),
    retention_days      BIGINT CHECK (retention_days IS NULL OR retention_days >= 0),
    -- Auto mode: the admin who pays, and at most this much a day (UTC).
    auto_sponsor        BIGINT REFERENCES users (id),
    auto_daily_seconds  BIGINT NOT NULL DEFAULT 0 CHECK (auto_daily_seconds >= 0),
    -- The day (days since the epoch) the "auto mode paused" notice went out, so it goes once.
    auto_notice_day     BIGINT,
    created_at          BIGINT NOT NULL
);

-- Who a job is for and how it came: the member who asked (`/t` in a group), the message the
-- result replies to, and its source: private, command (`/t`), auto, batch, cache.
ALTER TABLE jobs ADD COLUMN source TEXT NOT NULL DEFAULT 'private'
    CHECK (source IN ('private', 'command', 'auto', 'batch', 'cache'));
ALTER TABLE jobs ADD COLUMN requested_by BIGINT;
ALTER TABLE jobs ADD COLUMN reply_to BIGINT;
-- The recognition settings the result depends on (the cache key with file_unique_id).
ALTER TABLE jobs ADD COLUMN settings_key TEXT NOT NULL DEFAULT '';
CREATE INDEX jobs_chat_source ON jobs (chat_id, source, created_at);

-- The parts of a forwarded batch, in their original order.
CREATE TABLE job_parts (
    job_id          BIGINT NOT NULL REFERENCES jobs (id),
    idx             BIGINT NOT NULL,
    file_id         TEXT NOT NULL,
    file_unique_id  TEXT NOT NULL,
    file_size       BIGINT,
    reported_seconds BIGINT NOT NULL DEFAULT 0,
    sender          TEXT NOT NULL,
    sent_at         BIGINT NOT NULL,
    PRIMARY KEY (job_id, idx)
);

-- Forwarded voice messages waiting to be batched: one open batch per private chat.
CREATE TABLE batch_parts (
    bot             TEXT NOT NULL,
    chat_id         BIGINT NOT NULL,
    message_id      BIGINT NOT NULL,
    user_id         BIGINT NOT NULL,
    update_id       BIGINT NOT NULL,
    media_kind      TEXT NOT NULL,
    file_id         TEXT NOT NULL,
    file_unique_id  TEXT NOT NULL,
    file_size       BIGINT,
    reported_seconds BIGINT NOT NULL DEFAULT 0,
    sender          TEXT NOT NULL,
    sent_at         BIGINT NOT NULL,
    trace_id        TEXT NOT NULL,
    received_at     BIGINT NOT NULL,
    PRIMARY KEY (bot, chat_id, message_id)
);

-- Delivered transcripts, kept for their owner's retention: the result cache and what
-- transcript actions work on. The owner is a user or a group (`owner_chat` set).
CREATE TABLE transcripts (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_user      BIGINT,
    owner_chat      BIGINT,
    job_id          BIGINT NOT NULL,
    file_unique_id  TEXT NOT NULL,
    settings_key    TEXT NOT NULL,
    text            TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    CHECK ((owner_user IS NULL) <> (owner_chat IS NULL))
);
CREATE INDEX transcripts_cache ON transcripts (file_unique_id, settings_key, expires_at);
CREATE INDEX transcripts_user ON transcripts (owner_user);
CREATE INDEX transcripts_chat ON transcripts (owner_chat);
CREATE INDEX transcripts_expiry ON transcripts (expires_at);

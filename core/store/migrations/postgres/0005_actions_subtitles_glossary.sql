-- Transcript actions (summary, action items, translation) cached per transcript, each press
-- counted once against the daily allowance; subtitles as a setting and as cues kept with the
-- text; a glossary per user and per group. Keep in step with ../sqlite/0005_….sql.

-- Words and names to spell exactly, one entry per line (at most 100 entries, 2000 characters:
-- enforced where they are added).
ALTER TABLE users ADD COLUMN glossary TEXT NOT NULL DEFAULT '';
ALTER TABLE chats ADD COLUMN glossary TEXT NOT NULL DEFAULT '';
-- Every transcript also as .srt and .vtt (`/output srt`).
ALTER TABLE users ADD COLUMN subtitles BIGINT NOT NULL DEFAULT 0 CHECK (subtitles IN (0, 1));
ALTER TABLE chats ADD COLUMN subtitles BIGINT NOT NULL DEFAULT 0 CHECK (subtitles IN (0, 1));

-- A subtitle job's cues (JSON), kept with its text while it is delivered, and with the kept
-- transcript so the cache can answer subtitle requests.
ALTER TABLE jobs ADD COLUMN result_cues TEXT;
ALTER TABLE transcripts ADD COLUMN cues TEXT;
CREATE INDEX transcripts_job ON transcripts (job_id);

-- An action's answer for a transcript; it goes when the transcript goes.
CREATE TABLE transcript_actions (
    transcript_id   BIGINT NOT NULL REFERENCES transcripts (id) ON DELETE CASCADE,
    action          TEXT NOT NULL,
    text            TEXT NOT NULL,
    model           TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (transcript_id, action)
);

-- One press of an action button per job and action: the first one runs (a second finds it and
-- answers nothing new); `day` counts it against the allowance, `charged_seconds` is what it cost
-- beyond it. No content: it stays after `/forget` like the ledger.
CREATE TABLE action_presses (
    job_id          BIGINT NOT NULL,
    action          TEXT NOT NULL,
    user_id         BIGINT NOT NULL REFERENCES users (id),
    day             BIGINT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('running', 'done')),
    charged_seconds BIGINT NOT NULL DEFAULT 0 CHECK (charged_seconds >= 0),
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (job_id, action)
);
CREATE INDEX action_presses_user_day ON action_presses (user_id, day);

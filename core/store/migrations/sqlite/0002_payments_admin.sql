-- Payments, trial bookkeeping, worker presence and shared alert state (SQLite). Keep in step
-- with ../postgres/0002_payments_admin.sql.

CREATE TABLE payments (
    charge_id           TEXT PRIMARY KEY,
    user_id             BIGINT NOT NULL REFERENCES users (id),
    package_id          TEXT NOT NULL,
    stars               BIGINT NOT NULL,
    seconds             BIGINT NOT NULL,
    state               TEXT NOT NULL,
    provider_charge_id  TEXT,
    created_at          BIGINT NOT NULL,
    refunded_at         BIGINT,
    refunded_seconds    BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX payments_user ON payments (user_id, package_id);
CREATE INDEX payments_created ON payments (created_at);

ALTER TABLE users ADD COLUMN trial_at BIGINT;
CREATE INDEX users_trial ON users (trial_state, trial_at);
CREATE INDEX users_seen ON users (last_seen_at);

CREATE TABLE workers (
    id          TEXT PRIMARY KEY,
    role        TEXT NOT NULL,
    started_at  BIGINT NOT NULL,
    seen_at     BIGINT NOT NULL
);

CREATE TABLE alerts (
    kind          TEXT PRIMARY KEY,
    streak        BIGINT NOT NULL DEFAULT 0,
    last_sent_at  BIGINT NOT NULL DEFAULT 0
);

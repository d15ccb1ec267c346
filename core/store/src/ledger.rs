//! The ledger: every balance change is one row with a reason and an idempotency key, written in
//! the same transaction as the balance update. `users.balance` always equals the sum of `delta`
//! and `users.held` the sum of `held_delta`.

use sqlx::{Any, Transaction};

use super::{Error, Result, Store};
use scribe_core::billing::Reason;
use scribe_core::time::now_secs;

/// Whether a keyed change happened now or had already happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    Now,
    Already,
}

#[derive(Debug, Clone, sqlx::FromRow, PartialEq, Eq)]
pub struct LedgerRow {
    pub id: i64,
    pub user_id: i64,
    pub reason: String,
    pub idem_key: String,
    pub delta: i64,
    pub held_delta: i64,
    pub job_id: Option<i64>,
    pub note: Option<String>,
    pub created_at: i64,
}

/// Inserts the ledger row and moves the balance columns, unless a row with the same
/// `(reason, key)` exists. Fails with [`Error::Insufficient`] when either column would go
/// below zero; the caller's transaction then rolls back.
#[allow(clippy::too_many_arguments)]
pub(super) async fn apply(
    tx: &mut Transaction<'static, Any>,
    user_id: i64,
    reason: Reason,
    key: &str,
    delta: i64,
    held_delta: i64,
    job_id: Option<i64>,
    note: Option<&str>,
) -> Result<Applied> {
    let inserted = sqlx::query(
        "INSERT INTO ledger (user_id, reason, idem_key, delta, held_delta, job_id, note, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (reason, idem_key) DO NOTHING",
    )
    .bind(user_id)
    .bind(reason.as_str())
    .bind(key)
    .bind(delta)
    .bind(held_delta)
    .bind(job_id)
    .bind(note)
    .bind(now_secs())
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Ok(Applied::Already);
    }
    let moved = sqlx::query(
        "UPDATE users SET balance = balance + $2, held = held + $3 \
         WHERE id = $1 AND balance + $2 >= 0 AND held + $3 >= 0",
    )
    .bind(user_id)
    .bind(delta)
    .bind(held_delta)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if moved == 0 {
        let balance: Option<i64> = sqlx::query_scalar("SELECT balance FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&mut **tx)
            .await?;
        return match balance {
            None => Err(Error::NotFound("user")),
            Some(balance) => Err(Error::Insufficient {
                balance,
                needed: -delta,
            }),
        };
    }
    Ok(Applied::Now)
}

impl Store {
    /// Adds (or, with a negative amount, removes) `seconds` of balance under `reason` and `key`.
    /// A removal never takes the balance below zero.
    pub async fn adjust_balance(
        &self,
        user_id: i64,
        reason: Reason,
        key: &str,
        seconds: i64,
        note: Option<&str>,
    ) -> Result<Applied> {
        let mut tx = self.begin().await?;
        let applied = apply(&mut tx, user_id, reason, key, seconds, 0, None, note).await?;
        tx.commit().await?;
        Ok(applied)
    }

    /// Every ledger row of a user, oldest first.
    pub async fn ledger_of(&self, user_id: i64) -> Result<Vec<LedgerRow>> {
        Ok(sqlx::query_as::<_, LedgerRow>(
            "SELECT id, user_id, reason, idem_key, delta, held_delta, job_id, note, created_at \
             FROM ledger WHERE user_id = $1 ORDER BY id",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Users whose balance columns differ from their ledger sums (should always be empty).
    pub async fn ledger_mismatches(&self) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT u.id FROM users u LEFT JOIN ( \
                 SELECT user_id, CAST(SUM(delta) AS BIGINT) AS d, CAST(SUM(held_delta) AS BIGINT) AS h \
                 FROM ledger GROUP BY user_id) l ON l.user_id = u.id \
             WHERE u.balance <> COALESCE(l.d, 0) OR u.held <> COALESCE(l.h, 0) ORDER BY u.id",
        )
        .fetch_all(&self.pool)
        .await?)
    }
}

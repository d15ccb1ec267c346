//! Telegram Stars payments: one row per `telegram_payment_charge_id`, credited exactly once, and
//! refunds that take the minutes back in the same transaction as the ledger row.

use std::fmt;

use scribe_core::billing::{Package, Reason};
use scribe_core::time::now_secs;
use sqlx::{Any, Transaction};

use super::jobs::UnknownState;
use super::ledger::{Applied, apply};
use super::{Result, Store};

/// Whether a payment's minutes are the user's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentState {
    Paid,
    Refunded,
}

impl PaymentState {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentState::Paid => "paid",
            PaymentState::Refunded => "refunded",
        }
    }
}

impl fmt::Display for PaymentState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for PaymentState {
    type Error = UnknownState;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        match s.as_str() {
            "paid" => Ok(PaymentState::Paid),
            "refunded" => Ok(PaymentState::Refunded),
            _ => Err(UnknownState {
                kind: "payment state",
                value: s,
            }),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Payment {
    pub charge_id: String,
    pub user_id: i64,
    pub package_id: String,
    pub stars: i64,
    pub seconds: i64,
    #[sqlx(try_from = "String")]
    pub state: PaymentState,
    pub created_at: i64,
    pub refunded_at: Option<i64>,
    pub refunded_seconds: i64,
}

/// What a refund did to the balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refund {
    /// Minutes taken back now (may be less than bought when the balance was short); `pending`
    /// more were on hold and are taken when those holds are released.
    Refunded { seconds: i64, pending: i64 },
    /// Refunded before; nothing changed.
    Already,
}

const PAYMENT_COLUMNS: &str = "charge_id, user_id, package_id, stars, seconds, state, created_at, refunded_at, refunded_seconds";

impl Store {
    /// Records a successful payment and credits its minutes, once per charge id.
    pub async fn record_payment(
        &self,
        charge_id: &str,
        user_id: i64,
        package: &Package,
        stars: i64,
        provider_charge_id: Option<&str>,
    ) -> Result<Applied> {
        let mut tx = self.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO payments (charge_id, user_id, package_id, stars, seconds, state, provider_charge_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, 'paid', $6, $7) ON CONFLICT (charge_id) DO NOTHING",
        )
        .bind(charge_id)
        .bind(user_id)
        .bind(&package.id)
        .bind(stars)
        .bind(package.seconds())
        .bind(provider_charge_id)
        .bind(now_secs())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            return Ok(Applied::Already);
        }
        let note = format!("{} ({} ⭐)", package.id, stars);
        apply(
            &mut tx,
            user_id,
            Reason::Purchase,
            charge_id,
            package.seconds(),
            0,
            None,
            Some(&note),
        )
        .await?;
        tx.commit().await?;
        Ok(Applied::Now)
    }

    pub async fn payment(&self, charge_id: &str) -> Result<Option<Payment>> {
        Ok(sqlx::query_as::<_, Payment>(sqlx::AssertSqlSafe(format!(
            "SELECT {PAYMENT_COLUMNS} FROM payments WHERE charge_id = $1"
        )))
        .bind(charge_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Payments of a user, newest first.
    pub async fn payments_of(&self, user_id: i64, limit: i64) -> Result<Vec<Payment>> {
        Ok(sqlx::query_as::<_, Payment>(sqlx::AssertSqlSafe(format!(
            "SELECT {PAYMENT_COLUMNS} FROM payments WHERE user_id = $1 ORDER BY created_at DESC, charge_id LIMIT $2"
        )))
        .bind(user_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// How many times a user bought a package (refunded purchases count: the limit is on
    /// purchases made).
    pub async fn purchases_of(&self, user_id: i64, package_id: &str) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM payments WHERE user_id = $1 AND package_id = $2",
        )
        .bind(user_id)
        .bind(package_id)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Marks a payment refunded and removes its minutes — at most what the balance holds, never
    /// going below zero — in one transaction, once per charge id. What is on hold at the time
    /// (minutes of jobs still running) becomes the user's refund debt, taken when those holds are
    /// released; minutes a finished job charged are spent and cannot be taken back.
    pub async fn refund_payment(&self, charge_id: &str) -> Result<Refund> {
        let mut tx = self.begin().await?;
        let paid: Option<(i64, i64)> = sqlx::query_as(
            "UPDATE payments SET state = 'refunded', refunded_at = $2 WHERE charge_id = $1 AND state = 'paid' \
             RETURNING user_id, seconds",
        )
        .bind(charge_id)
        .bind(now_secs())
        .fetch_optional(&mut *tx)
        .await?;
        let Some((user_id, seconds)) = paid else {
            return Ok(Refund::Already);
        };
        let (balance, held, pending): (i64, i64, i64) =
            sqlx::query_as("SELECT balance, held, refund_pending FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_one(&mut *tx)
                .await?;
        let taken = seconds.min(balance).max(0);
        if taken > 0 {
            apply(
                &mut tx,
                user_id,
                Reason::Refund,
                charge_id,
                -taken,
                0,
                None,
                None,
            )
            .await?;
        }
        let owed = (seconds - taken).min((held - pending).max(0)).max(0);
        sqlx::query("UPDATE payments SET refunded_seconds = $2 WHERE charge_id = $1")
            .bind(charge_id)
            .bind(taken)
            .execute(&mut *tx)
            .await?;
        if owed > 0 {
            sqlx::query("UPDATE users SET refund_pending = refund_pending + $2 WHERE id = $1")
                .bind(user_id)
                .bind(owed)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(Refund::Refunded {
            seconds: taken,
            pending: owed,
        })
    }
}

/// Records `seconds` of refund debt as collected: on the user's oldest refunded payments that
/// still lack minutes, so each payment's `refunded_seconds` stays what it really took.
pub(super) async fn collect_refund_debt(
    tx: &mut Transaction<'static, Any>,
    user_id: i64,
    seconds: i64,
) -> Result<()> {
    let owing: Vec<(String, i64)> = sqlx::query_as(
        "SELECT charge_id, seconds - refunded_seconds FROM payments \
         WHERE user_id = $1 AND state = 'refunded' AND refunded_seconds < seconds ORDER BY refunded_at, charge_id",
    )
    .bind(user_id)
    .fetch_all(&mut **tx)
    .await?;
    let mut left = seconds;
    for (charge_id, missing) in owing {
        if left <= 0 {
            break;
        }
        let take = missing.min(left);
        sqlx::query(
            "UPDATE payments SET refunded_seconds = refunded_seconds + $2 WHERE charge_id = $1",
        )
        .bind(&charge_id)
        .bind(take)
        .execute(&mut **tx)
        .await?;
        left -= take;
    }
    sqlx::query("UPDATE users SET refund_pending = refund_pending - $2 WHERE id = $1")
        .bind(user_id)
        .bind(seconds - left.max(0))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

//! Transcript actions: an action's answer is kept with its transcript (and goes with it), and
//! each action button of a job runs once. A press is claimed before the model is asked, so a
//! double tap or a second replica's copy of the same update finds it taken; it is finished —
//! counted against the daily allowance and, beyond it, charged through the ledger in the same
//! transaction — only after the answer went out. A press whose worker died is taken over once
//! it is stale, and then answered (from the kept answer) and charged exactly once.

use scribe_core::billing::Reason;

use super::chats::epoch_day;
use super::ledger::apply;
use super::{Error, Result, Store};

/// What a press found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Press {
    /// This press runs the action.
    Claimed,
    /// Another press of the same button is being answered.
    Running,
    /// The button was answered already.
    Done,
}

/// What a finished press cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cost {
    /// Within the daily allowance.
    Free,
    /// Beyond it: this many seconds of balance.
    Charged(i64),
}

/// An action's kept answer.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ActionAnswer {
    pub text: String,
    pub model: String,
}

/// The allowance and price of actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionPrice {
    /// Free presses a user has per UTC day.
    pub per_day: i64,
    /// Seconds of balance each further press costs.
    pub seconds: i64,
}

/// Presses a user had answered on a day (`$1` user, `$2` day).
const USED_ON_DAY: &str =
    "SELECT COUNT(*) FROM action_presses WHERE user_id = $1 AND day = $2 AND state = 'done'";

impl Store {
    /// The kept answer of `action` for a transcript.
    pub async fn action_answer(
        &self,
        transcript_id: i64,
        action: &str,
    ) -> Result<Option<ActionAnswer>> {
        Ok(sqlx::query_as::<_, ActionAnswer>(
            "SELECT text, model FROM transcript_actions WHERE transcript_id = $1 AND action = $2",
        )
        .bind(transcript_id)
        .bind(action)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Keeps an action's answer with its transcript (the first answer stays).
    pub async fn keep_action_answer(
        &self,
        transcript_id: i64,
        action: &str,
        answer: &ActionAnswer,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO transcript_actions (transcript_id, action, text, model, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (transcript_id, action) DO NOTHING",
        )
        .bind(transcript_id)
        .bind(action)
        .bind(&answer.text)
        .bind(&answer.model)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Claims the press of `action` on `job_id`'s transcript by `user_id`. A press left
    /// `running` for longer than `stale_after` seconds (its worker died) is claimed anew.
    pub async fn claim_press(
        &self,
        job_id: i64,
        action: &str,
        user_id: i64,
        now: i64,
        stale_after: i64,
    ) -> Result<Press> {
        let inserted = sqlx::query(
            "INSERT INTO action_presses (job_id, action, user_id, day, state, updated_at) \
             VALUES ($1, $2, $3, $4, 'running', $5) ON CONFLICT (job_id, action) DO NOTHING",
        )
        .bind(job_id)
        .bind(action)
        .bind(user_id)
        .bind(epoch_day(now))
        .bind(now)
        .execute(&self.pool)
        .await?
        .rows_affected();
        if inserted == 1 {
            return Ok(Press::Claimed);
        }
        let retaken = sqlx::query(
            "UPDATE action_presses SET updated_at = $3 \
             WHERE job_id = $1 AND action = $2 AND state = 'running' AND updated_at < $4",
        )
        .bind(job_id)
        .bind(action)
        .bind(now)
        .bind(now - stale_after)
        .execute(&self.pool)
        .await?
        .rows_affected();
        if retaken == 1 {
            return Ok(Press::Claimed);
        }
        let state: Option<String> = sqlx::query_scalar(
            "SELECT state FROM action_presses WHERE job_id = $1 AND action = $2",
        )
        .bind(job_id)
        .bind(action)
        .fetch_optional(&self.pool)
        .await?;
        Ok(match state.as_deref() {
            Some("done") => Press::Done,
            _ => Press::Running,
        })
    }

    /// What the next press of `user_id` would cost today, and whether the balance covers it.
    pub async fn next_press_cost(
        &self,
        user_id: i64,
        price: ActionPrice,
        now: i64,
    ) -> Result<(Cost, bool)> {
        let used: i64 = sqlx::query_scalar(USED_ON_DAY)
            .bind(user_id)
            .bind(epoch_day(now))
            .fetch_one(&self.pool)
            .await?;
        let balance: i64 = sqlx::query_scalar("SELECT balance FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?
            .unwrap_or(0);
        if used < price.per_day {
            return Ok((Cost::Free, true));
        }
        Ok((Cost::Charged(price.seconds), balance >= price.seconds))
    }

    /// Finishes a claimed press whose answer went out: counts it against today's allowance
    /// and charges what goes beyond, with the ledger row keyed by the press — in one
    /// transaction, once. Fails with [`Error::Insufficient`] (and changes nothing) when the
    /// balance no longer covers it.
    pub async fn finish_press(
        &self,
        job_id: i64,
        action: &str,
        price: ActionPrice,
        now: i64,
    ) -> Result<Cost> {
        let mut tx = self.begin().await?;
        let press: Option<(i64, String, i64)> = sqlx::query_as(
            "SELECT user_id, state, charged_seconds FROM action_presses WHERE job_id = $1 AND action = $2",
        )
        .bind(job_id)
        .bind(action)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((user_id, state, charged)) = press else {
            return Err(Error::NotFound("press"));
        };
        if state == "done" {
            return Ok(if charged > 0 {
                Cost::Charged(charged)
            } else {
                Cost::Free
            });
        }
        let day = epoch_day(now);
        let used: i64 = sqlx::query_scalar(USED_ON_DAY)
            .bind(user_id)
            .bind(day)
            .fetch_one(&mut *tx)
            .await?;
        let cost = if used < price.per_day || price.seconds == 0 {
            Cost::Free
        } else {
            let key = format!("action:{job_id}:{action}");
            apply(
                &mut tx,
                user_id,
                Reason::Action,
                &key,
                -price.seconds,
                0,
                Some(job_id),
                Some(action),
            )
            .await?;
            Cost::Charged(price.seconds)
        };
        let charged = match cost {
            Cost::Free => 0,
            Cost::Charged(s) => s,
        };
        sqlx::query(
            "UPDATE action_presses SET state = 'done', day = $3, charged_seconds = $4, updated_at = $5 \
             WHERE job_id = $1 AND action = $2",
        )
        .bind(job_id)
        .bind(action)
        .bind(day)
        .bind(charged)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(cost)
    }

    /// Lets a press that produced no answer (no model available, too little balance) be
    /// pressed again.
    pub async fn release_press(&self, job_id: i64, action: &str) -> Result<()> {
        sqlx::query(
            "DELETE FROM action_presses WHERE job_id = $1 AND action = $2 AND state = 'running'",
        )
        .bind(job_id)
        .bind(action)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

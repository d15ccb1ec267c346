//! Groups the bot works in: their settings (changed by group admins), their auto mode (a sponsor
//! who pays, within a daily cap, with one notice a day when it runs out), and what moves with a
//! group when Telegram turns it into a supergroup.

use scribe_core::time::now_secs;

use super::users::{IntFlag, LongOutput};
use super::{Result, Store};

/// A group's row.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Group {
    pub id: i64,
    pub asr_language: Option<String>,
    #[sqlx(try_from = "String")]
    pub long_output: LongOutput,
    /// `None`: the default; `Some(0)`: nothing kept.
    pub retention_days: Option<i64>,
    /// Auto mode's sponsor (who pays), when auto mode is on.
    pub auto_sponsor: Option<i64>,
    /// At most this much a day (UTC) in auto mode.
    pub auto_daily_seconds: i64,
    pub auto_notice_day: Option<i64>,
    /// Subtitle documents with every transcript.
    #[sqlx(try_from = "IntFlag")]
    pub subtitles: bool,
    /// Words and names to spell exactly, one per line.
    pub glossary: String,
}

const GROUP_COLUMNS: &str = "id, asr_language, long_output, retention_days, auto_sponsor, auto_daily_seconds, auto_notice_day, subtitles, glossary";

/// Days since the epoch, UTC.
pub fn epoch_day(seconds: i64) -> i64 {
    seconds.div_euclid(86_400)
}

impl Store {
    /// The group's row, created with defaults on first sight.
    pub async fn group(&self, chat_id: i64) -> Result<Group> {
        sqlx::query(
            "INSERT INTO chats (id, created_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
        )
        .bind(chat_id)
        .bind(now_secs())
        .execute(&self.pool)
        .await?;
        Ok(sqlx::query_as::<_, Group>(sqlx::AssertSqlSafe(format!(
            "SELECT {GROUP_COLUMNS} FROM chats WHERE id = $1"
        )))
        .bind(chat_id)
        .fetch_one(&self.pool)
        .await?)
    }

    pub async fn set_group_language(&self, chat_id: i64, language: Option<&str>) -> Result<()> {
        self.group(chat_id).await?;
        sqlx::query("UPDATE chats SET asr_language = $2 WHERE id = $1")
            .bind(chat_id)
            .bind(language)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn set_group_output(&self, chat_id: i64, mode: LongOutput) -> Result<()> {
        self.group(chat_id).await?;
        sqlx::query("UPDATE chats SET long_output = $2 WHERE id = $1")
            .bind(chat_id)
            .bind(mode.as_str())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn set_group_subtitles(&self, chat_id: i64, on: bool) -> Result<()> {
        self.group(chat_id).await?;
        sqlx::query("UPDATE chats SET subtitles = $2 WHERE id = $1")
            .bind(chat_id)
            .bind(i64::from(on))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Turns auto mode on with `sponsor` paying at most `daily_seconds` a day, or off (`None`).
    pub async fn set_auto(&self, chat_id: i64, auto: Option<(i64, i64)>) -> Result<()> {
        self.group(chat_id).await?;
        let (sponsor, daily) = auto.map_or((None, 0), |(s, d)| (Some(s), d));
        sqlx::query(
            "UPDATE chats SET auto_sponsor = $2, auto_daily_seconds = $3, auto_notice_day = NULL WHERE id = $1",
        )
        .bind(chat_id)
        .bind(sponsor)
        .bind(daily)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Seconds auto mode spent (or holds) in the group since `since` (seconds).
    pub async fn auto_used_since(&self, chat_id: i64, since: i64) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(held_seconds + charged_seconds), 0) AS BIGINT) FROM jobs \
             WHERE chat_id = $1 AND source = 'auto' AND created_at >= $2",
        )
        .bind(chat_id)
        .bind(since)
        .fetch_one(&self.pool)
        .await?)
    }

    /// True for the first caller of the day: that caller tells the group auto mode has paused.
    pub async fn claim_auto_notice(&self, chat_id: i64, day: i64) -> Result<bool> {
        Ok(sqlx::query(
            "UPDATE chats SET auto_notice_day = $2 WHERE id = $1 AND (auto_notice_day IS NULL OR auto_notice_day < $2)",
        )
        .bind(chat_id)
        .bind(day)
        .execute(&self.pool)
        .await?
        .rows_affected()
            == 1)
    }

    /// A group became the supergroup `to`: its settings and transcripts move there — over a row
    /// the supergroup may already have (a message posted there before the move was seen), once:
    /// a second service message about the same move finds nothing left to move.
    pub async fn migrate_group(&self, from: i64, to: i64) -> Result<()> {
        let mut tx = self.begin().await?;
        let moved = sqlx::query(
            "INSERT INTO chats (id, asr_language, long_output, retention_days, auto_sponsor, auto_daily_seconds, auto_notice_day, subtitles, glossary, created_at) \
             SELECT $2, asr_language, long_output, retention_days, auto_sponsor, auto_daily_seconds, auto_notice_day, subtitles, glossary, created_at \
             FROM chats WHERE id = $1 \
             ON CONFLICT (id) DO UPDATE SET asr_language = excluded.asr_language, long_output = excluded.long_output, \
                 retention_days = excluded.retention_days, auto_sponsor = excluded.auto_sponsor, \
                 auto_daily_seconds = excluded.auto_daily_seconds, auto_notice_day = excluded.auto_notice_day, \
                 subtitles = excluded.subtitles, glossary = excluded.glossary",
        )
        .bind(from)
        .bind(to)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if moved == 1 {
            sqlx::query("UPDATE transcripts SET owner_chat = $2 WHERE owner_chat = $1")
                .bind(from)
                .bind(to)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM chats WHERE id = $1")
                .bind(from)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

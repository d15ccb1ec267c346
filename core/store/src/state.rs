//! Small per-bot values that must survive restarts (the long-polling offset).

use super::{Result, Store};

impl Store {
    pub async fn bot_state(&self, bot: &str, key: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT value FROM bot_state WHERE bot = $1 AND key = $2")
                .bind(bot)
                .bind(key)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub async fn set_bot_state(&self, bot: &str, key: &str, value: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO bot_state (bot, key, value) VALUES ($1, $2, $3) \
             ON CONFLICT (bot, key) DO UPDATE SET value = excluded.value",
        )
        .bind(bot)
        .bind(key)
        .bind(value)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

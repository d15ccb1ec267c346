//! Users: identity, settings, balance columns (changed only through the ledger) and trial state.

use std::fmt;

use scribe_core::billing::Reason;
use scribe_core::time::now_secs;

use super::jobs::UnknownState;
use super::transcripts::TranscriptOwner;
use super::{Result, Store};

/// How a long result reaches the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LongOutput {
    /// Split up to the file threshold, then a `.txt` document.
    Auto,
    /// Always several messages.
    Split,
    /// Always a `.txt` document.
    File,
}

impl LongOutput {
    pub fn as_str(self) -> &'static str {
        match self {
            LongOutput::Auto => "auto",
            LongOutput::Split => "split",
            LongOutput::File => "file",
        }
    }

    pub fn parse(s: &str) -> Option<LongOutput> {
        match s {
            "auto" => Some(LongOutput::Auto),
            "split" => Some(LongOutput::Split),
            "file" => Some(LongOutput::File),
            _ => None,
        }
    }
}

impl TryFrom<String> for LongOutput {
    type Error = UnknownState;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        LongOutput::parse(&s).ok_or(UnknownState {
            kind: "long output mode",
            value: s,
        })
    }
}

/// Where a user's trial stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrialState {
    /// Never granted nor asked for.
    None,
    /// Asked for with `/trial` (review mode), waiting for an admin.
    Requested,
    Granted,
    Denied,
    Revoked,
}

impl TrialState {
    pub const ALL: [TrialState; 5] = [
        TrialState::None,
        TrialState::Requested,
        TrialState::Granted,
        TrialState::Denied,
        TrialState::Revoked,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TrialState::None => "none",
            TrialState::Requested => "requested",
            TrialState::Granted => "granted",
            TrialState::Denied => "denied",
            TrialState::Revoked => "revoked",
        }
    }
}

impl fmt::Display for TrialState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for TrialState {
    type Error = UnknownState;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        TrialState::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or(UnknownState {
                kind: "trial state",
                value: s,
            })
    }
}

/// A boolean kept as a 0/1 integer column (one column type that both backends decode).
#[derive(Debug, Clone, Copy, sqlx::Type)]
#[sqlx(transparent)]
pub struct IntFlag(i64);

impl From<IntFlag> for bool {
    fn from(flag: IntFlag) -> bool {
        flag.0 != 0
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct User {
    pub id: i64,
    pub first_name: String,
    pub username: Option<String>,
    pub language_code: Option<String>,
    pub ui_lang: Option<String>,
    pub asr_language: Option<String>,
    #[sqlx(try_from = "IntFlag")]
    pub code_output: bool,
    #[sqlx(try_from = "IntFlag")]
    pub keep_yo: bool,
    #[sqlx(try_from = "String")]
    pub long_output: LongOutput,
    pub balance: i64,
    pub held: i64,
    /// Seconds a refund still takes from holds when they are released.
    pub refund_pending: i64,
    /// Days transcripts are kept (`None`: the default; 0: none).
    pub retention_days: Option<i64>,
    /// Every transcript also as subtitles (`/output srt`).
    #[sqlx(try_from = "IntFlag")]
    pub subtitles: bool,
    /// Words and names to spell exactly, one per line.
    pub glossary: String,
    #[sqlx(try_from = "String")]
    pub trial_state: TrialState,
    /// When the trial was requested or granted.
    pub trial_at: Option<i64>,
    pub created_at: i64,
    pub last_seen_at: i64,
}

impl User {
    pub fn settings(&self) -> UserSettings {
        UserSettings {
            asr_language: self.asr_language.clone(),
            code_output: self.code_output,
            keep_yo: self.keep_yo,
            long_output: self.long_output,
            subtitles: self.subtitles,
        }
    }
}

/// The per-user choices the pipeline honours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSettings {
    pub asr_language: Option<String>,
    pub code_output: bool,
    pub keep_yo: bool,
    pub long_output: LongOutput,
    /// Subtitle documents with every transcript.
    pub subtitles: bool,
}

macro_rules! user_columns {
    () => {
        "id, first_name, username, language_code, ui_lang, asr_language, code_output, keep_yo, \
     long_output, balance, held, refund_pending, retention_days, subtitles, glossary, trial_state, trial_at, created_at, last_seen_at"
    };
}

impl Store {
    /// Records a contact: creates the user on first sight (returns `true` then) and refreshes
    /// name, username and language otherwise.
    pub async fn touch_user(
        &self,
        id: i64,
        first_name: &str,
        username: Option<&str>,
        language_code: Option<&str>,
    ) -> Result<(User, bool)> {
        let now = now_secs();
        let search_text = format!("{} {}", first_name, username.unwrap_or_default()).to_lowercase();
        let created = sqlx::query_as::<_, User>(concat!(
            "INSERT INTO users (id, first_name, username, language_code, created_at, last_seen_at, search_text) \
             VALUES ($1, $2, $3, $4, $5, $5, $6) ON CONFLICT (id) DO NOTHING RETURNING ",
            user_columns!(),
            ""
        ))
        .bind(id)
        .bind(first_name)
        .bind(username)
        .bind(language_code)
        .bind(now)
        .bind(&search_text)
        .fetch_optional(&self.pool)
        .await?;
        if let Some(user) = created {
            return Ok((user, true));
        }
        let user = sqlx::query_as::<_, User>(concat!("UPDATE users SET first_name = $2, username = $3, language_code = $4, last_seen_at = $5, \
             search_text = $6 WHERE id = $1 RETURNING ", user_columns!(), ""))
        .bind(id)
        .bind(first_name)
        .bind(username)
        .bind(language_code)
        .bind(now)
        .bind(&search_text)
        .fetch_one(&self.pool)
        .await?;
        Ok((user, false))
    }

    pub async fn user(&self, id: i64) -> Result<Option<User>> {
        Ok(sqlx::query_as::<_, User>(concat!(
            "SELECT ",
            user_columns!(),
            " FROM users WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Grants the trial once: moves `trial_state` from `from` to `granted` and credits
    /// `seconds` in one transaction. Returns false when the state was not `from` any more.
    pub async fn grant_trial(&self, user_id: i64, from: TrialState, seconds: i64) -> Result<bool> {
        let mut tx = self.begin().await?;
        let moved = sqlx::query(
            "UPDATE users SET trial_state = 'granted', trial_at = $3 WHERE id = $1 AND trial_state = $2",
        )
        .bind(user_id)
        .bind(from.as_str())
        .bind(now_secs())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if moved == 0 {
            return Ok(false);
        }
        let key = format!("user:{user_id}");
        super::ledger::apply(
            &mut tx,
            user_id,
            Reason::Trial,
            &key,
            seconds,
            0,
            None,
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Moves the trial state `from` → `to` (stamping the time); false when it was not `from`.
    pub async fn set_trial_state(
        &self,
        user_id: i64,
        from: TrialState,
        to: TrialState,
    ) -> Result<bool> {
        Ok(sqlx::query(
            "UPDATE users SET trial_state = $3, trial_at = $4 WHERE id = $1 AND trial_state = $2",
        )
        .bind(user_id)
        .bind(from.as_str())
        .bind(to.as_str())
        .bind(now_secs())
        .execute(&self.pool)
        .await?
        .rows_affected()
            == 1)
    }

    /// Takes a granted trial back: the state becomes `revoked` and what is left of the trial
    /// minutes (never more than the balance) is removed, in one transaction. `None` when the
    /// trial was not granted (already revoked: a double tap).
    pub async fn revoke_trial(&self, user_id: i64, trial_seconds: i64) -> Result<Option<i64>> {
        let mut tx = self.begin().await?;
        let balance: Option<i64> = sqlx::query_scalar(
            "UPDATE users SET trial_state = 'revoked', trial_at = $2 WHERE id = $1 AND trial_state = 'granted' RETURNING balance",
        )
        .bind(user_id)
        .bind(now_secs())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(balance) = balance else {
            return Ok(None);
        };
        let taken = balance.min(trial_seconds).max(0);
        if taken > 0 {
            let key = format!("revoke:{user_id}");
            super::ledger::apply(&mut tx, user_id, Reason::Trial, &key, -taken, 0, None, None)
                .await?;
        }
        tx.commit().await?;
        Ok(Some(taken))
    }

    /// Users in trial state `state`, most recent first.
    pub async fn users_in_trial_state(&self, state: TrialState, limit: i64) -> Result<Vec<User>> {
        Ok(sqlx::query_as::<_, User>(concat!(
            "SELECT ",
            user_columns!(),
            " FROM users WHERE trial_state = $1 ORDER BY trial_at DESC, id DESC LIMIT $2"
        ))
        .bind(state.as_str())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Users matching `query`: an exact id, or a name or username containing it (any case).
    pub async fn search_users(&self, query: &str, limit: i64, offset: i64) -> Result<Vec<User>> {
        let id = query
            .trim()
            .trim_start_matches('@')
            .parse::<i64>()
            .unwrap_or(i64::MIN);
        let pattern = format!(
            "%{}%",
            query
                .trim()
                .trim_start_matches('@')
                .to_lowercase()
                .replace(['%', '_'], "")
        );
        Ok(sqlx::query_as::<_, User>(concat!(
            "SELECT ",
            user_columns!(),
            " FROM users WHERE id = $1 OR search_text LIKE $2 \
             ORDER BY last_seen_at DESC, id LIMIT $3 OFFSET $4"
        ))
        .bind(id)
        .bind(pattern)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn set_asr_language(&self, user_id: i64, language: Option<&str>) -> Result<()> {
        sqlx::query("UPDATE users SET asr_language = $2 WHERE id = $1")
            .bind(user_id)
            .bind(language)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn set_ui_lang(&self, user_id: i64, lang: Option<&str>) -> Result<()> {
        sqlx::query("UPDATE users SET ui_lang = $2 WHERE id = $1")
            .bind(user_id)
            .bind(lang)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn set_code_output(&self, user_id: i64, on: bool) -> Result<()> {
        sqlx::query("UPDATE users SET code_output = $2 WHERE id = $1")
            .bind(user_id)
            .bind(i64::from(on))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn set_keep_yo(&self, user_id: i64, on: bool) -> Result<()> {
        sqlx::query("UPDATE users SET keep_yo = $2 WHERE id = $1")
            .bind(user_id)
            .bind(i64::from(on))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn set_long_output(&self, user_id: i64, mode: LongOutput) -> Result<()> {
        sqlx::query("UPDATE users SET long_output = $2 WHERE id = $1")
            .bind(user_id)
            .bind(mode.as_str())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Replaces the glossary of a user or a group, if it still is `old`: of two edits at once,
    /// the second finds it changed (false) and starts again from what the first one left.
    pub async fn replace_glossary(
        &self,
        owner: TranscriptOwner,
        old: &str,
        new: &str,
    ) -> Result<bool> {
        let sql = match owner {
            TranscriptOwner::User(_) => {
                "UPDATE users SET glossary = $3 WHERE id = $1 AND glossary = $2"
            }
            TranscriptOwner::Chat(_) => {
                "UPDATE chats SET glossary = $3 WHERE id = $1 AND glossary = $2"
            }
        };
        let id = match owner {
            TranscriptOwner::User(id) | TranscriptOwner::Chat(id) => id,
        };
        if let TranscriptOwner::Chat(id) = owner {
            self.group(id).await?;
        }
        Ok(sqlx::query(sql)
            .bind(id)
            .bind(old)
            .bind(new)
            .execute(&self.pool)
            .await?
            .rows_affected()
            == 1)
    }

    pub async fn set_subtitles(&self, user_id: i64, on: bool) -> Result<()> {
        sqlx::query("UPDATE users SET subtitles = $2 WHERE id = $1")
            .bind(user_id)
            .bind(i64::from(on))
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

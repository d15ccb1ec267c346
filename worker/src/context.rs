//! What update and job handlers share: one cheap-to-clone value per process, built by `run`.

use std::sync::Arc;
use std::time::Duration;

use scribe_core::config::{
    AlertsConfig, BillingConfig, BotConfig, JobsConfig, LimitsConfig, PrivacyConfig,
};
use scribe_core::i18n::Lang;
use scribe_core::metrics::Metrics;
use scribe_core::retry::Backoff;
use scribe_queue::Queue;
use scribe_store::{Store, User};
use scribe_telegram::{self as telegram, Telegram};

use crate::error::Result;
use crate::pipeline::Pipeline;
use crate::progress::Throttle;

/// The bot as Telegram knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BotIdentity {
    pub id: i64,
    /// To recognise `/cmd@username` and to link to the bot (`https://t.me/<username>`).
    pub username: String,
    /// Privacy mode is off: the bot sees every group message, admin or not.
    pub reads_all_group_messages: bool,
}

impl BotIdentity {
    /// A link that opens the bot in a private chat, starting it with `payload`.
    pub fn start_link(&self, payload: &str) -> String {
        format!("https://t.me/{}?start={payload}", self.username)
    }
}

/// Delivery-side settings (how results and progress reach the user).
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    pub max_file_bytes: u64,
    pub progress_interval: Duration,
    pub file_threshold_chars: usize,
}

#[derive(Clone)]
pub struct Context {
    pub bot: Arc<BotConfig>,
    /// Who the bot is on Telegram (from `getMe`).
    pub me: Arc<BotIdentity>,
    pub store: Store,
    pub telegram: Telegram,
    pub queue: Arc<dyn Queue>,
    pub pipeline: Pipeline,
    pub billing: Arc<BillingConfig>,
    pub jobs: Arc<JobsConfig>,
    pub alerts: Arc<AlertsConfig>,
    pub limits: Arc<LimitsConfig>,
    pub privacy: Arc<PrivacyConfig>,
    pub delivery: Arc<DeliveryConfig>,
    pub metrics: Metrics,
    pub throttle: Throttle,
    /// Backoff for Telegram calls whose failure matters (results, replies).
    pub telegram_backoff: Backoff,
    /// This process, as recorded in the rows of the jobs it runs.
    pub worker_id: Arc<str>,
}

impl Context {
    pub fn lang_of(&self, user: &User) -> Lang {
        Lang::pick(user.ui_lang.as_deref(), user.language_code.as_deref())
    }

    /// Records a contact from `from` (creating the user on first sight) and returns the user.
    pub async fn contact(&self, from: &telegram::User) -> Result<User> {
        let (user, _) = self
            .store
            .touch_user(
                from.id,
                &from.first_name,
                from.username.as_deref(),
                from.language_code.as_deref(),
            )
            .await?;
        Ok(user)
    }
}

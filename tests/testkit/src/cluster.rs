//! A bot in cluster mode for tests: its own bot name (so its own queues on the real RabbitMQ),
//! its own PostgreSQL database, the fakes, and `scribe webhook` / `scribe worker` processes.

use std::time::Duration;

use scribe_rabbitmq::Names;
use scribe_store::Store;

use crate::bot::{Fakes, Scribe};
use crate::database::TestDatabase;
use crate::rabbit;

/// The secret the webhook checks.
pub const SECRET: &str = "test-webhook-secret_42";

pub struct Cluster {
    pub binary: &'static str,
    pub fakes: Fakes,
    pub db: TestDatabase,
    pub bot: String,
    pub http: reqwest::Client,
}

impl Cluster {
    /// `binary`: `env!("CARGO_BIN_EXE_scribe")`.
    pub async fn start(binary: &'static str, prefix: &str) -> Cluster {
        Cluster {
            binary,
            fakes: Fakes::start().await,
            db: TestDatabase::postgres().await,
            bot: rabbit::unique_bot(prefix),
            http: scribe_core::http::client(Duration::from_secs(30)).expect("client"),
        }
    }

    fn env<'a>(&'a self, amqp: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
        let mut env = vec![
            ("BOT_NAME", self.bot.as_str()),
            ("AMQP_URL", amqp),
            ("WEBHOOK_SECRET_TOKEN", SECRET),
        ];
        env.extend_from_slice(extra);
        env
    }

    pub async fn webhook(&self, amqp: &str, extra: &[(&str, &str)]) -> Scribe {
        Scribe::start_role(
            self.binary,
            &["webhook"],
            &self.fakes,
            &self.db.url,
            &self.env(amqp, extra),
        )
        .await
    }

    pub async fn worker(&self, extra: &[(&str, &str)]) -> Scribe {
        self.worker_via(&rabbit::amqp_url(), &self.db.url, extra)
            .await
    }

    pub async fn worker_via(
        &self,
        amqp: &str,
        database_url: &str,
        extra: &[(&str, &str)],
    ) -> Scribe {
        Scribe::start_role(
            self.binary,
            &["worker"],
            &self.fakes,
            database_url,
            &self.env(amqp, extra),
        )
        .await
    }

    /// POSTs an update as Telegram would; returns the status (0 when nothing answered).
    pub async fn post(&self, webhook: &Scribe, update: &serde_json::Value) -> u16 {
        let url = format!("http://{}/telegram", webhook.http_addr().await);
        match self
            .http
            .post(url)
            .header("X-Telegram-Bot-Api-Secret-Token", SECRET)
            .json(update)
            .send()
            .await
        {
            Ok(r) => r.status().as_u16(),
            Err(_) => 0,
        }
    }

    /// `GET /readyz` of a process: true when it answers 200.
    pub async fn ready(&self, process: &Scribe) -> bool {
        let url = format!("http://{}/readyz", process.http_addr().await);
        matches!(self.http.get(url).send().await, Ok(r) if r.status().as_u16() == 200)
    }

    pub fn names(&self) -> Names {
        Names::new(&self.bot)
    }

    pub async fn clean_up(self) {
        let names = self.names();
        rabbit::delete(&names.exchange, &names.all_queues()).await;
        self.db.drop_database().await;
    }

    pub async fn store(&self) -> Store {
        Store::connect(&scribe_core::Secret::new(self.db.url.clone()), 2)
            .await
            .expect("store")
    }
}

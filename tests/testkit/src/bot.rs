//! Running the real `scribe` binary against the fakes: start, kill, restart, and read its store.

use scribe_store::JobState;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use scribe_core::Secret;
use scribe_fakes::dashscope::FakeDashScope;
use scribe_fakes::gemini::FakeGemini;
use scribe_fakes::telegram::{BotMessage, FakeTelegram, TgUser};
use scribe_store::{LedgerRow, Store};
use tokio::process::{Child, Command};

use crate::listener;

pub const TOKEN: &str = "123456:TEST-token";
pub const DASHSCOPE_KEY: &str = "sk-test-dashscope";
pub const GEMINI_KEY: &str = "gemini-test-key";
pub const WAIT: Duration = Duration::from_secs(60);

use scribe_fakes::wait_until;

/// The three external APIs.
pub struct Fakes {
    pub telegram: FakeTelegram,
    pub dashscope: FakeDashScope,
    pub gemini: FakeGemini,
}

impl Fakes {
    pub async fn start() -> Fakes {
        Fakes {
            telegram: FakeTelegram::start(TOKEN).await,
            dashscope: FakeDashScope::start(DASHSCOPE_KEY).await,
            gemini: FakeGemini::start(GEMINI_KEY).await,
        }
    }

    /// What the bot's messages in `chat` show now (tags removed, entities decoded).
    pub fn shown(&self, chat: i64) -> Vec<String> {
        self.telegram
            .messages(chat)
            .into_iter()
            .filter(|m| !m.deleted)
            .filter_map(|m| m.rendered_text)
            .collect()
    }

    /// Waits until a bot message in `chat` satisfies `pred`.
    pub async fn wait_message(
        &self,
        chat: i64,
        what: &str,
        pred: impl Fn(&BotMessage) -> bool,
    ) -> BotMessage {
        wait_until(what, WAIT, || {
            self.telegram
                .messages(chat)
                .into_iter()
                .find(|m| !m.deleted && pred(m))
        })
        .await
    }

    /// Waits until a bot message in `chat` shows `text` exactly.
    pub async fn wait_text(&self, chat: i64, text: &str) -> BotMessage {
        self.wait_message(chat, &format!("a message showing {text:?}"), |m| {
            m.rendered_text.as_deref() == Some(text)
        })
        .await
    }

    /// Waits until a bot message in `chat` contains `part`.
    pub async fn wait_containing(&self, chat: i64, part: &str) -> BotMessage {
        self.wait_message(chat, &format!("a message containing {part:?}"), |m| {
            m.rendered_text.as_deref().is_some_and(|t| t.contains(part))
        })
        .await
    }
}

/// A `scribe` process (`run`, `webhook` or `worker`) with its own work directory and log.
pub struct Scribe {
    binary: PathBuf,
    args: Vec<String>,
    child: Option<Child>,
    env: Vec<(String, String)>,
    dir: tempfile::TempDir,
    pub database_url: String,
    starts: usize,
}

impl Scribe {
    /// Environment pointing `scribe run` at the fakes, with fast timings for tests.
    pub fn env_for(
        fakes: &Fakes,
        dir: &std::path::Path,
        database_url: &str,
    ) -> Vec<(String, String)> {
        let temp = dir.join("work");
        let _ = std::fs::create_dir_all(&temp);
        [
            ("TELEGRAM_BOT_TOKEN", TOKEN.to_owned()),
            ("TELEGRAM_API_URL", fakes.telegram.api_url()),
            ("TELEGRAM_POLL_TIMEOUT_SECONDS", "1".into()),
            ("DASHSCOPE_API_KEY", DASHSCOPE_KEY.into()),
            ("DASHSCOPE_BASE_URL", fakes.dashscope.base_url()),
            ("GEMINI_API_KEY", GEMINI_KEY.into()),
            ("GEMINI_BASE_URL", fakes.gemini.base_url()),
            ("DATABASE_URL", database_url.to_owned()),
            ("LISTEN_ADDR", "127.0.0.1:0".into()),
            ("LOG_FORMAT", "json".into()),
            ("LOG_LEVEL", "info,scribe_worker=debug".into()),
            ("PROVIDER_RETRY_BASE_MS", "20".into()),
            ("PROGRESS_INTERVAL_SECONDS", "1".into()),
            ("JOB_RETRY_DELAYS_SECONDS", "1".into()),
            ("JOB_HEARTBEAT_SECONDS", "1".into()),
            ("JOB_STALE_SECONDS", "3".into()),
            ("TEMP_DIR", temp.display().to_string()),
            ("SHUTDOWN_GRACE_SECONDS", "5".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    /// Starts `binary run` (pass `env!("CARGO_BIN_EXE_scribe")`) on its own SQLite file, with
    /// `extra` settings.
    pub async fn start(binary: &str, fakes: &Fakes, extra: &[(&str, &str)]) -> Scribe {
        let dir = tempfile::tempdir().expect("temp dir");
        let database_url = format!("sqlite:{}?mode=rwc", dir.path().join("scribe.db").display());
        Self::launch(binary, &["run"], fakes, dir, database_url, extra)
    }

    /// Starts `binary <args…>` (a cluster role) on `database_url`, with `extra` settings.
    pub async fn start_role(
        binary: &str,
        args: &[&str],
        fakes: &Fakes,
        database_url: &str,
        extra: &[(&str, &str)],
    ) -> Scribe {
        let dir = tempfile::tempdir().expect("temp dir");
        Self::launch(binary, args, fakes, dir, database_url.to_owned(), extra)
    }

    fn launch(
        binary: &str,
        args: &[&str],
        fakes: &Fakes,
        dir: tempfile::TempDir,
        database_url: String,
        extra: &[(&str, &str)],
    ) -> Scribe {
        let mut env = Self::env_for(fakes, dir.path(), &database_url);
        for (k, v) in extra {
            env.retain(|(name, _)| name != k);
            env.push(((*k).to_owned(), (*v).to_owned()));
        }
        let mut scribe = Scribe {
            binary: PathBuf::from(binary),
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            child: None,
            env,
            dir,
            database_url,
            starts: 0,
        };
        scribe.spawn();
        scribe
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join(format!("scribe-{}.log", self.starts))
    }

    fn spawn(&mut self) {
        self.starts += 1;
        let log = std::fs::File::create(self.log_path()).expect("log file");
        let child = Command::new(&self.binary)
            .args(&self.args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .expect("spawn scribe");
        self.child = Some(child);
    }

    /// The HTTP address of the current start (`LISTEN_ADDR=127.0.0.1:0`): the port the process
    /// listens on, from `/proc`, once it listens — after migrating its store and meeting
    /// Telegram, so this also waits for the process to be up.
    ///
    /// # Panics
    /// If the process is not running, or ends before it listens.
    pub async fn http_addr(&self) -> std::net::SocketAddr {
        let pid = self.pid().expect("scribe is running");
        scribe_fakes::wait_until_async("the HTTP listener", WAIT, || async move {
            assert!(
                !listener::exited(pid).await,
                "scribe exited before it listened on LISTEN_ADDR"
            );
            listener::listening(pid).await.ok()?.into_iter().next()
        })
        .await
    }

    /// The running process's id.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().and_then(Child::id)
    }

    /// SIGKILL: no chance to clean up.
    pub async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.start_kill();
            let _ = child.wait().await;
        }
    }

    /// SIGTERM, then wait for a clean exit.
    pub async fn terminate(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("running");
        let pid = child.id().expect("pid");
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status();
        tokio::time::timeout(Duration::from_secs(30), child.wait())
            .await
            .expect("exits after SIGTERM")
            .expect("status")
    }

    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "stop it first");
        self.spawn();
    }

    /// The process's store (the same SQLite file), once the process has migrated it: a running
    /// process has once it listens; a stopped one's file is opened as it left it.
    pub async fn store(&self) -> Store {
        if self.child.is_some() {
            self.http_addr().await;
        }
        Store::connect(&Secret::new(self.database_url.clone()), 2)
            .await
            .expect("open store")
    }

    /// Every log line of every start so far.
    pub fn logs(&self) -> String {
        (1..=self.starts)
            .map(|n| {
                std::fs::read_to_string(self.dir.path().join(format!("scribe-{n}.log")))
                    .unwrap_or_default()
            })
            .collect::<Vec<_>>()
            .join("")
    }

    /// The ledger of `user`, as `(reason, delta, held_delta)`.
    pub async fn ledger(&self, user: i64) -> Vec<(String, i64, i64)> {
        let store = self.store().await;
        let rows: Vec<LedgerRow> = store.ledger_of(user).await.expect("ledger");
        store.close().await;
        rows.into_iter()
            .map(|r| (r.reason, r.delta, r.held_delta))
            .collect()
    }
}

impl Drop for Scribe {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let logs = self.logs();
            let tail: Vec<&str> = logs.lines().rev().take(60).collect();
            eprintln!("--- last scribe log lines ---");
            for line in tail.into_iter().rev() {
                eprintln!("{line}");
            }
        }
    }
}

/// A private-chat user; the chat id equals the user id.
pub fn user(id: i64) -> TgUser {
    TgUser::new(id, "Tester").lang("en")
}

/// Duration of encoded audio as ffprobe reports it.
pub fn probe_seconds(bytes: &[u8]) -> f64 {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("a");
    std::fs::write(&path, bytes).expect("write");
    let out = std::process::Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "format=duration",
            "-of",
            "csv=p=0",
        ])
        .arg(&path)
        .output()
        .expect("ffprobe");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("duration")
}

/// The ledger rows of `user` with `reason` (trial, hold, settle, release, purchase, refund, …).
pub async fn ledger_rows(store: &Store, user: i64, reason: &str) -> Vec<LedgerRow> {
    let rows = store.ledger_of(user).await.expect("ledger");
    rows.into_iter().filter(|r| r.reason == reason).collect()
}

/// Waits until the newest job of `user` is done, and returns it.
pub async fn finished_job(store: &Store, user: i64) -> scribe_store::Job {
    scribe_fakes::wait_until_async("the job to be done", WAIT, || async {
        store
            .jobs_of_user(user, 1)
            .await
            .ok()?
            .into_iter()
            .find(|j| j.state == JobState::Done)
    })
    .await
}

//! Progress of a job in its status message: one message edited through the stages, at most one
//! edit per chat per interval except when the stage changes, with a `typing` action. Nothing is
//! shown during a job's first [`QUIET`]: a voice note done by then goes from "queued" straight
//! to its text. A failed edit never fails the job.

use std::collections::HashMap;
use std::mem::discriminant;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use scribe_core::i18n::{Lang, Msg, Stage};
use scribe_core::metrics::Metrics;
use scribe_core::telemetry::chain;
use scribe_telegram::{Telegram, TextOptions};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

/// Last edit time per chat, shared by every job of the process.
#[derive(Clone, Default)]
pub struct Throttle {
    last: Arc<Mutex<HashMap<i64, Instant>>>,
}

impl Throttle {
    /// How long `chat` must wait before its next edit; records the edit when it may go now.
    fn reserve(&self, chat: i64, interval: Duration, now: Instant) -> Option<Duration> {
        // A poisoned lock only means another job panicked mid-update of a timestamp.
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        if last.len() > 10_000 {
            last.retain(|_, t| now.duration_since(*t) < interval);
        }
        match last.get(&chat) {
            Some(t) if now.duration_since(*t) < interval => Some(interval - now.duration_since(*t)),
            _ => {
                last.insert(chat, now);
                None
            }
        }
    }

    fn mark(&self, chat: i64, now: Instant) {
        self.last
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(chat, now);
    }
}

/// A running progress display. Call [`Progress::finish`] before delivering the result, so no
/// late progress edit can overwrite it.
pub struct Progress {
    tx: watch::Sender<Stage>,
    stop: CancellationToken,
    task: JoinHandle<()>,
}

pub struct Target {
    pub telegram: Telegram,
    pub metrics: Metrics,
    pub throttle: Throttle,
    pub interval: Duration,
    pub chat_id: i64,
    pub message_id: Option<i64>,
    pub lang: Lang,
}

impl Progress {
    pub fn start(target: Target) -> Progress {
        let (tx, rx) = watch::channel(Stage::Queued);
        let stop = CancellationToken::new();
        let task =
            tokio::spawn(show(target, rx, stop.clone()).instrument(tracing::Span::current()));
        Progress { tx, stop, task }
    }

    pub fn sender(&self) -> &watch::Sender<Stage> {
        &self.tx
    }

    /// Stops showing progress and waits for an edit in flight to land.
    pub async fn finish(self) {
        self.stop.cancel();
        let _ = self.task.await;
    }
}

const TYPING_EVERY: Duration = Duration::from_secs(5);

/// How long a job runs before its stages show. Stages that flash by are worth no request (a
/// short voice note would make five edits and a chat action in its first second, against
/// Telegram's per-chat limits), and an edit still in flight when the job finishes would hold
/// its result back.
const QUIET: Duration = Duration::from_secs(1);

async fn show(target: Target, mut rx: watch::Receiver<Stage>, stop: CancellationToken) {
    let Some(message_id) = target.message_id else {
        return;
    };
    tokio::select! {
        biased;
        () = stop.cancelled() => return,
        () = tokio::time::sleep(QUIET) => {}
    }
    // A stage the job reached meanwhile is an unseen change: the loop shows it at once.
    let mut shown: Option<Stage> = None;
    let mut typed: Option<Instant> = None;
    loop {
        tokio::select! {
            biased;
            () = stop.cancelled() => return,
            changed = rx.changed() => if changed.is_err() { return },
        }
        let stage = *rx.borrow_and_update();
        let stage_changed = shown.is_none_or(|s| discriminant(&s) != discriminant(&stage));
        let now = Instant::now();
        if stage_changed {
            target.throttle.mark(target.chat_id, now);
        } else if let Some(wait) = target
            .throttle
            .reserve(target.chat_id, target.interval, now)
        {
            tokio::select! {
                biased;
                () = stop.cancelled() => return,
                () = tokio::time::sleep(wait) => {}
            }
            target.throttle.mark(target.chat_id, Instant::now());
        }
        let stage = *rx.borrow_and_update();
        if shown == Some(stage) {
            continue;
        }
        if typed.is_none_or(|t| t.elapsed() >= TYPING_EVERY) {
            typed = Some(Instant::now());
            if let Err(e) = target
                .telegram
                .send_chat_action(target.chat_id, "typing")
                .await
            {
                target.metrics.telegram_error("sendChatAction", e.kind());
            }
        }
        let text = Msg::Stage(stage).render(target.lang);
        match target
            .telegram
            .edit_message_text(target.chat_id, message_id, &text, &TextOptions::html())
            .await
        {
            Ok(()) => shown = Some(stage),
            Err(e) => {
                target.metrics.telegram_error("editMessageText", e.kind());
                tracing::debug!(error = %chain(&e), "progress edit failed");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scribe_core::Secret;
    use tokio::net::TcpListener;

    /// A Telegram whose API accepts connections and never answers: each request it was sent
    /// waits in the listener's backlog.
    async fn silent_telegram() -> (Telegram, TcpListener) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let api = format!("http://{}/", listener.local_addr().expect("address"));
        let http = scribe_core::http::client(Duration::from_secs(600)).expect("HTTP client");
        let url = url::Url::parse(&api).expect("URL");
        (
            Telegram::new(http, url, Secret::new("1:token".to_owned())),
            listener,
        )
    }

    fn target(telegram: Telegram) -> Target {
        Target {
            telegram,
            metrics: Metrics::new("test").0,
            throttle: Throttle::default(),
            interval: Duration::from_secs(3),
            chat_id: 1,
            message_id: Some(2),
            lang: Lang::En,
        }
    }

    const RECOGNISING: Stage = Stage::Recognising {
        part: 1,
        parts: 1,
        eta_seconds: None,
    };

    #[tokio::test(start_paused = true)]
    async fn a_job_done_within_the_quiet_time_sends_nothing() {
        let (telegram, listener) = silent_telegram().await;
        let progress = Progress::start(target(telegram));
        // Five stages over half the quiet time (the clock is paused: time passes only when
        // every task waits).
        for stage in [
            Stage::Downloading,
            Stage::Preparing,
            RECOGNISING,
            Stage::Formatting,
            Stage::Sending,
        ] {
            progress.sender().send_replace(stage);
            tokio::time::sleep(QUIET / 10).await;
        }
        progress.finish().await;
        let request = tokio::time::timeout(Duration::ZERO, listener.accept()).await;
        assert!(request.is_err(), "no request reached Telegram");
    }

    #[tokio::test]
    async fn a_longer_job_shows_the_stage_it_reached() {
        let (telegram, listener) = silent_telegram().await;
        let progress = Progress::start(target(telegram));
        progress.sender().send_replace(Stage::Downloading);
        progress.sender().send_replace(RECOGNISING);
        let (mut stream, _) = tokio::time::timeout(Duration::from_secs(60), listener.accept())
            .await
            .expect("a request once the quiet time is over")
            .expect("accept");
        // The first request is the chat action; the edit follows on the same connection once it
        // is answered, which this Telegram never does.
        let mut head = vec![0u8; 512];
        let read = tokio::io::AsyncReadExt::read(&mut stream, &mut head)
            .await
            .expect("read the request");
        let head = String::from_utf8_lossy(&head[..read]);
        assert!(
            head.starts_with("POST /bot1:token/sendChatAction"),
            "{head}"
        );
    }

    #[test]
    fn a_chat_gets_one_edit_per_interval() {
        let throttle = Throttle::default();
        let interval = Duration::from_secs(3);
        let t0 = Instant::now();
        assert_eq!(
            throttle.reserve(1, interval, t0),
            None,
            "the first edit goes at once"
        );
        let wait = throttle
            .reserve(1, interval, t0 + Duration::from_secs(1))
            .expect("throttled");
        assert_eq!(wait, Duration::from_secs(2));
        assert_eq!(
            throttle.reserve(2, interval, t0 + Duration::from_secs(1)),
            None,
            "other chats are independent"
        );
        assert_eq!(
            throttle.reserve(1, interval, t0 + Duration::from_secs(3)),
            None,
            "after the interval"
        );
    }
}

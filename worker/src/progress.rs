//! Progress of a job in its status message: one message edited through the stages, at most one
//! edit per chat per interval except when the stage changes, with a `typing` action. A failed
//! edit never fails the job.

use std::collections::HashMap;
use std::mem::discriminant;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use scribe_core::i18n::{Lang, Msg, Stage};
use scribe_core::metrics::Metrics;
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

async fn show(target: Target, mut rx: watch::Receiver<Stage>, stop: CancellationToken) {
    let Some(message_id) = target.message_id else {
        return;
    };
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
                tracing::debug!(error = %e, "progress edit failed");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

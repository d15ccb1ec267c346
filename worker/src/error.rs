//! What handling an update can fail with, and whether trying again may help. Every handler
//! returns this [`Result`]; the router in `updates` decides what a failure means for the
//! delivery (retry later, dead-letter).

use scribe_core::retry::{Classify, Retry};

/// Why handling an update failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("store error")]
    Store(#[from] scribe_store::Error),
    #[error("Telegram error")]
    Telegram(#[from] scribe_telegram::Error),
    #[error("queue error")]
    Queue(#[from] scribe_queue::Error),
    #[error("export failed")]
    Export(#[from] crate::reports::ExportError),
    #[error("local file error")]
    Io(#[from] std::io::Error),
}

impl Classify for Error {
    fn retry(&self) -> Retry {
        match self {
            Error::Store(e) => e.retry(),
            Error::Telegram(e) => e.retry(),
            Error::Queue(e) => e.retry(),
            Error::Export(e) => e.retry(),
            Error::Io(_) => Retry::Transient { after: None },
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

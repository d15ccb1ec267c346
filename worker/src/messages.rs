//! What travels on the queues besides raw Telegram updates: the transcription job message.
//! Intake and the sweeper publish it; the jobs consumer reads it. Both sides use this module.

use serde::{Deserialize, Serialize};

/// The message on the jobs queue: only the job's id — everything else is in its row.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TranscribeJob {
    pub job_id: i64,
}

impl TranscribeJob {
    pub fn to_bytes(&self) -> Vec<u8> {
        // A struct of one integer always serialises.
        serde_json::to_vec(self).unwrap_or_default()
    }

    pub fn from_bytes(bytes: &[u8]) -> Option<TranscribeJob> {
        serde_json::from_slice(bytes).ok()
    }
}

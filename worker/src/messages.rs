//! What travels on the jobs queue: a transcription job to run, a forwarded batch to close, or a
//! transcript action to answer. Intake, the sweeper, the batch collector and action buttons
//! publish them; the jobs consumer reads them. Both sides use this module.

use serde::{Deserialize, Serialize};

/// A message on the jobs queue.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum JobMessage {
    /// Run the job (everything else is in its row).
    Transcribe { job_id: i64 },
    /// The chat's forwarded batch had `parts` parts when this was scheduled: if it still has
    /// exactly those, they become one job.
    CloseBatch { close_batch: BatchRef },
    /// A claimed press of an action button: answer it.
    Act { act: ActRef },
}

/// A press of an action button (its row in the store says who pressed it).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ActRef {
    pub job_id: i64,
    /// The action's key ([`crate::buttons::Action::key`]).
    pub action: String,
    /// The message whose button was pressed: the answer replies to it.
    pub message_id: Option<i64>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct BatchRef {
    pub chat_id: i64,
    pub parts: i64,
}

impl JobMessage {
    pub fn to_bytes(&self) -> Vec<u8> {
        // Integers and strings only: serialisation cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    pub fn from_bytes(bytes: &[u8]) -> Option<JobMessage> {
        serde_json::from_slice(bytes).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip_and_old_job_messages_still_read() {
        for message in [
            JobMessage::Transcribe { job_id: 7 },
            JobMessage::CloseBatch {
                close_batch: BatchRef {
                    chat_id: -5,
                    parts: 3,
                },
            },
            JobMessage::Act {
                act: ActRef {
                    job_id: 9,
                    action: "translate:de".into(),
                    message_id: Some(12),
                },
            },
        ] {
            assert_eq!(JobMessage::from_bytes(&message.to_bytes()), Some(message));
        }
        assert_eq!(
            JobMessage::from_bytes(br#"{"job_id":42}"#),
            Some(JobMessage::Transcribe { job_id: 42 })
        );
        assert_eq!(JobMessage::from_bytes(b"{}"), None);
    }
}

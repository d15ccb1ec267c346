//! How a provider call fails: one [`Error`] for every provider, and the [`Refusal`] an error
//! answer means, read once from its status and the provider's code. Whether a failure is worth
//! retrying is decided here, through [`Classify`], and nowhere else.

use std::time::Duration;

use scribe_core::retry::{Classify, Retry};

/// What a provider's error answer means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// A rate or burst limit (429: DashScope `Throttling*`, OpenAI `rate_limit_exceeded`,
    /// Gemini `RESOURCE_EXHAUSTED`): slow down and try again.
    Throttled,
    /// The account is out of money or quota (DashScope `Arrearage`, OpenAI
    /// `insufficient_quota`): waiting does not help.
    QuotaExhausted,
    /// A wrong or revoked key (401, 403).
    Unauthorized,
    /// No such model (or endpoint) on this server (404).
    NotFound,
    /// The audio or a parameter was refused (DashScope `InvalidParameter`, OpenAI
    /// `unsupported_value`): worth one transcoded retry of an untouched voice note.
    InvalidInput,
    /// Any other refusal of the request (400, 413, 501, …).
    Rejected,
    /// The server failed or timed out (408, 5xx but 501).
    Unavailable,
}

impl Refusal {
    /// The meaning of a bare status, by the rule every provider shares
    /// ([`Retry::from_status`]); providers refine it with their codes.
    pub(crate) fn from_status(status: u16) -> Self {
        match Retry::from_status(status, None) {
            Retry::Transient { .. } if status == 429 => Refusal::Throttled,
            Retry::Transient { .. } => Refusal::Unavailable,
            Retry::Permanent => match status {
                401 | 403 => Refusal::Unauthorized,
                404 => Refusal::NotFound,
                _ => Refusal::Rejected,
            },
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The provider answered with an error status and body.
    #[error("{provider} answered {status} {code}: {message}")]
    Api {
        provider: &'static str,
        status: u16,
        refusal: Refusal,
        /// The provider's error code, as sent (`Throttling.RateQuota`, `invalid_api_key`).
        code: String,
        message: String,
        retry_after: Option<Duration>,
    },
    #[error("{provider} request failed")]
    Transport {
        provider: &'static str,
        #[source]
        source: reqwest::Error,
    },
    #[error("{provider} answered with an unexpected body")]
    Decode {
        provider: &'static str,
        #[source]
        source: serde_json::Error,
    },
    /// A 200 without a usable answer (blocked prompt, no candidates).
    #[error("{provider} gave no answer: {reason}")]
    NoAnswer {
        provider: &'static str,
        reason: String,
    },
    /// The audio file to send cannot be read, or is shorter than announced.
    #[error("cannot read the audio file for {provider}")]
    Audio {
        provider: &'static str,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    pub fn provider(&self) -> &'static str {
        match self {
            Error::Api { provider, .. }
            | Error::Transport { provider, .. }
            | Error::Decode { provider, .. }
            | Error::NoAnswer { provider, .. }
            | Error::Audio { provider, .. } => provider,
        }
    }

    /// The provider refused the audio itself (format, size): worth one transcoded retry.
    pub fn is_invalid_input(&self) -> bool {
        matches!(
            self,
            Error::Api {
                refusal: Refusal::InvalidInput,
                ..
            }
        )
    }

    /// The provider said to slow down: the [`Budget`](crate::Budget) lowers its rate.
    pub fn is_throttled(&self) -> bool {
        matches!(
            self,
            Error::Api {
                refusal: Refusal::Throttled,
                ..
            }
        )
    }

    /// Bounded label for metrics.
    pub fn outcome(&self) -> &'static str {
        match self {
            Error::Api { refusal, .. } => match refusal {
                Refusal::Throttled | Refusal::QuotaExhausted => "throttled",
                Refusal::Unauthorized => "unauthorized",
                Refusal::NotFound | Refusal::InvalidInput | Refusal::Rejected => "rejected",
                Refusal::Unavailable => "server_error",
            },
            Error::Transport { source, .. } if source.is_timeout() => "timeout",
            Error::Transport { .. } => "transport",
            Error::Decode { .. } => "bad_body",
            Error::NoAnswer { .. } => "no_answer",
            Error::Audio { .. } => "audio_file",
        }
    }
}

impl Classify for Error {
    fn retry(&self) -> Retry {
        match self {
            Error::Api {
                refusal,
                retry_after,
                ..
            } => match refusal {
                Refusal::Throttled | Refusal::Unavailable => Retry::Transient {
                    after: *retry_after,
                },
                Refusal::QuotaExhausted
                | Refusal::Unauthorized
                | Refusal::NotFound
                | Refusal::InvalidInput
                | Refusal::Rejected => Retry::Permanent,
            },
            Error::Transport { source, .. } => Retry::from_reqwest(source),
            Error::Decode { .. } | Error::NoAnswer { .. } | Error::Audio { .. } => Retry::Permanent,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_statuses_follow_the_shared_retry_rule() {
        for status in [400, 401, 403, 404, 408, 413, 429, 500, 501, 502, 503, 504] {
            let error = Error::Api {
                provider: "test",
                status,
                refusal: Refusal::from_status(status),
                code: String::new(),
                message: String::new(),
                retry_after: None,
            };
            assert_eq!(
                error.retry(),
                Retry::from_status(status, None),
                "status {status}"
            );
        }
        assert_eq!(Refusal::from_status(429), Refusal::Throttled);
        assert_eq!(Refusal::from_status(401), Refusal::Unauthorized);
        assert_eq!(Refusal::from_status(404), Refusal::NotFound);
        assert_eq!(Refusal::from_status(501), Refusal::Rejected);
        assert_eq!(Refusal::from_status(503), Refusal::Unavailable);
    }

    fn api(refusal: Refusal, retry_after: Option<Duration>) -> Error {
        Error::Api {
            provider: "test",
            status: 400,
            refusal,
            code: "code".into(),
            message: "message".into(),
            retry_after,
        }
    }

    #[test]
    fn every_refusal_is_classified_and_labelled() {
        let hint = Some(Duration::from_secs(9));
        let cases = [
            (
                Refusal::Throttled,
                Retry::Transient { after: hint },
                "throttled",
            ),
            (
                Refusal::Unavailable,
                Retry::Transient { after: hint },
                "server_error",
            ),
            (Refusal::QuotaExhausted, Retry::Permanent, "throttled"),
            (Refusal::Unauthorized, Retry::Permanent, "unauthorized"),
            (Refusal::NotFound, Retry::Permanent, "rejected"),
            (Refusal::InvalidInput, Retry::Permanent, "rejected"),
            (Refusal::Rejected, Retry::Permanent, "rejected"),
        ];
        for (refusal, retry, outcome) in cases {
            let error = api(refusal, hint);
            assert_eq!(
                (error.retry(), error.outcome()),
                (retry, outcome),
                "{refusal:?}"
            );
            assert_eq!(error.is_throttled(), refusal == Refusal::Throttled);
            assert_eq!(error.is_invalid_input(), refusal == Refusal::InvalidInput);
        }
        assert_eq!(
            api(Refusal::Throttled, None).retry(),
            Retry::Transient { after: None }
        );
    }

    #[test]
    fn answers_we_cannot_use_are_permanent() {
        let not_json = serde_json::from_str::<serde_json::Value>("{").expect_err("not JSON");
        let cases = [
            (
                Error::Decode {
                    provider: "test",
                    source: not_json,
                },
                "bad_body",
            ),
            (
                Error::NoAnswer {
                    provider: "test",
                    reason: "SAFETY".into(),
                },
                "no_answer",
            ),
            (
                Error::Audio {
                    provider: "test",
                    source: std::io::Error::from(std::io::ErrorKind::UnexpectedEof),
                },
                "audio_file",
            ),
        ];
        for (error, outcome) in cases {
            assert_eq!(
                (error.retry(), error.outcome(), error.provider()),
                (Retry::Permanent, outcome, "test"),
                "{error:?}"
            );
        }
    }

    async fn transport(url: &str, timeout: Duration) -> Error {
        let source = scribe_core::http::client(timeout)
            .expect("an HTTP client")
            .post(url)
            .send()
            .await
            .expect_err("no answer");
        Error::Transport {
            provider: "test",
            source,
        }
    }

    #[tokio::test]
    async fn nothing_listening_is_transient() {
        let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}/v1", closed.local_addr().expect("addr"));
        drop(closed);
        let error = transport(&url, Duration::from_secs(10)).await;
        assert_eq!(
            (error.retry(), error.outcome()),
            (Retry::Transient { after: None }, "transport")
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_server_that_never_answers_is_transient() {
        // Connected (the kernel's backlog), never read, never answered.
        let silent = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}/v1", silent.local_addr().expect("addr"));
        let error = transport(&url, Duration::from_secs(60)).await;
        assert_eq!(
            (error.retry(), error.outcome()),
            (Retry::Transient { after: None }, "timeout")
        );
    }
}

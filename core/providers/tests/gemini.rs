//! Gemini formatting against the fake, over real HTTP.

use std::time::Duration;

use scribe_core::retry::{Classify, Retry};
use scribe_core::secret::Secret;
use scribe_fakes::FakeGemini;
use scribe_fakes::gemini::GeminiReply;
use scribe_providers::gemini::Gemini;
use scribe_providers::{Error, Formatter, Refusal};

const KEY: &str = "AIza-test";

fn gemini(fake: &FakeGemini, model: &str) -> Gemini {
    let http = scribe_core::http::client(Duration::from_secs(30)).expect("client");
    let base = fake.base_url().parse().expect("url");
    Gemini::new(http, base, Secret::new(KEY), model.into())
}

#[tokio::test]
async fn answers_truncation_and_refusals() {
    let fake = FakeGemini::start(KEY).await;
    let formatter = gemini(&fake, "gemini-2.5-flash");
    let formatted = formatter
        .format("Format it.", "text")
        .await
        .expect("answer");
    assert_eq!(
        (formatted.text.as_str(), formatted.truncated),
        ("text", false)
    );
    assert_eq!(
        fake.generate_content().calls()[0].call.thinking_budget,
        Some(0)
    );

    fake.generate_content().fail_next(
        1,
        GeminiReply::Exhausted {
            retry_delay_secs: 26,
        },
    );
    let failure = formatter.format("F.", "x").await.expect_err("429");
    assert!(matches!(
        failure,
        Error::Api {
            status: 429,
            refusal: Refusal::Throttled,
            ..
        }
    ));
    assert_eq!(
        failure.retry(),
        Retry::Transient {
            after: Some(Duration::from_secs(26))
        }
    );

    fake.generate_content().fail_next(1, GeminiReply::ModelGone);
    let failure = formatter.format("F.", "x").await.expect_err("404");
    assert!(matches!(
        failure,
        Error::Api {
            refusal: Refusal::NotFound,
            ..
        }
    ));
    assert_eq!(failure.retry(), Retry::Permanent);

    fake.generate_content()
        .fail_next(1, GeminiReply::MaxTokensNoParts);
    let formatted = formatter.format("F.", "x").await.expect("truncated answer");
    assert!(formatted.truncated);

    fake.generate_content().fail_next(1, GeminiReply::Blocked);
    let failure = formatter.format("F.", "x").await.expect_err("blocked");
    assert!(matches!(failure, Error::NoAnswer { .. }));
}

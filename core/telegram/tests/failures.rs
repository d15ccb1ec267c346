//! Which Bot API failures are worth retrying (`Classify` on `scribe_telegram::Error`) and their
//! metric label, from real answers: the client calls the Telegram fake told to fail, a proxy
//! in front of an unreachable Telegram, a port nobody listens on and a server that never
//! answers. Failures no server can be made to send are built directly.

use std::time::Duration;

use scribe_core::Secret;
use scribe_core::retry::{Classify, Retry};
use scribe_fakes::FakeTelegram;
use scribe_fakes::telegram::Failure;
use scribe_telegram::{Error, Telegram};
use url::Url;

const TOKEN: &str = "123456:TEST-token";
const TRANSIENT: Retry = Retry::Transient { after: None };

fn client(api_url: &str, timeout: Duration) -> Telegram {
    let http = scribe_core::http::client(timeout).expect("an HTTP client");
    Telegram::new(
        http,
        Url::parse(api_url).expect("a URL"),
        Secret::new(TOKEN),
    )
}

#[tokio::test]
async fn api_errors_follow_their_status_and_honour_retry_after() {
    let fake = FakeTelegram::start(TOKEN).await;
    let telegram = client(&fake.api_url(), Duration::from_secs(10));
    let status = |code: u16, description: &str| Failure::Status {
        code,
        description: description.to_owned(),
    };
    let cases = [
        (
            Failure::TooManyRequests { retry_after: 7 },
            Retry::Transient {
                after: Some(Duration::from_secs(7)),
            },
            "flood",
        ),
        (
            status(400, "Bad Request: chat not found"),
            Retry::Permanent,
            "rejected",
        ),
        (status(401, "Unauthorized"), Retry::Permanent, "rejected"),
        (
            status(403, "Forbidden: bot was blocked by the user"),
            Retry::Permanent,
            "rejected",
        ),
        (status(404, "Not Found"), Retry::Permanent, "rejected"),
        (
            status(409, "Conflict: terminated by other getUpdates request"),
            Retry::Permanent,
            "rejected",
        ),
        (status(500, "Internal Server Error"), TRANSIENT, "server"),
        (status(501, "Not Implemented"), Retry::Permanent, "server"),
        (status(502, "Bad Gateway"), TRANSIENT, "server"),
        (status(503, "Service Unavailable"), TRANSIENT, "server"),
    ];
    for (failure, retry, kind) in cases {
        let shown = format!("{failure:?}");
        fake.fail_next("getMe", failure);
        let error = telegram.get_me().await.expect_err("a scripted failure");
        assert!(matches!(error, Error::Api { .. }), "{shown}: {error:?}");
        assert_eq!((error.retry(), error.kind()), (retry, kind), "{shown}");
    }
}

#[tokio::test]
async fn a_wrong_token_is_permanent() {
    let fake = FakeTelegram::start("654321:OTHER-token").await;
    let error = client(&fake.api_url(), Duration::from_secs(10))
        .get_me()
        .await
        .expect_err("not our token");
    assert!(matches!(error, Error::Api { code: 401, .. }), "{error:?}");
    assert_eq!(error.retry(), Retry::Permanent);
}

#[tokio::test]
async fn a_proxy_error_page_is_transient() {
    // While Telegram is unreachable, the proxy in front of it answers 502 with HTML.
    let fake = FakeTelegram::start(TOKEN).await;
    fake.set_down(true);
    let error = client(&fake.api_url(), Duration::from_secs(10))
        .get_me()
        .await
        .expect_err("down");
    assert!(
        matches!(error, Error::Status { status: 502, .. }),
        "{error:?}"
    );
    assert_eq!((error.retry(), error.kind()), (TRANSIENT, "server"));
}

#[tokio::test]
async fn nothing_listening_is_transient() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", closed.local_addr().expect("addr"));
    drop(closed);
    let error = client(&url, Duration::from_secs(10))
        .get_me()
        .await
        .expect_err("refused");
    assert!(matches!(error, Error::Http { .. }), "{error:?}");
    assert_eq!((error.retry(), error.kind()), (TRANSIENT, "transport"));
    assert!(
        !format!("{error} {error:?}").contains(TOKEN),
        "the token stays out of errors"
    );
}

#[tokio::test(start_paused = true)]
async fn a_server_that_never_answers_is_transient() {
    // The kernel accepts the connection into the backlog; nobody ever reads or answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", silent.local_addr().expect("addr"));
    let error = client(&url, Duration::from_secs(30))
        .get_me()
        .await
        .expect_err("timed out");
    assert!(
        matches!(&error, Error::Http { source, .. } if source.is_timeout()),
        "{error:?}"
    );
    assert_eq!((error.retry(), error.kind()), (TRANSIENT, "transport"));
}

#[test]
fn a_full_disk_is_worth_another_try() {
    let full = Error::Io(std::io::Error::other("no space left on device"));
    assert_eq!(
        (full.retry(), full.kind()),
        (Retry::Transient { after: None }, "io")
    );
}

#[test]
fn local_failures_are_permanent() {
    let not_json = serde_json::from_str::<serde_json::Value>("<html>").expect_err("not JSON");
    for (error, kind) in [
        (
            Error::Decode {
                method: "getMe",
                source: not_json,
            },
            "decode",
        ),
        (Error::LocalPath, "local_path"),
    ] {
        assert_eq!(
            (error.retry(), error.kind()),
            (Retry::Permanent, kind),
            "{error:?}"
        );
    }
}

//! Every fake stops serving when its last clone is dropped.

use std::time::Duration;

use scribe_fakes::{
    FakeDashScope, FakeGemini, FakeOpenAiAsr, FakeOpenAiChat, FakeTelegram, wait_until_async,
};

/// Waits until nothing accepts connections at `url` any more.
async fn wait_closed(url: String) {
    let address = url.trim_start_matches("http://").to_owned();
    wait_until_async(
        "the fake to stop listening",
        Duration::from_secs(10),
        || {
            let address = address.clone();
            async move { tokio::net::TcpStream::connect(address).await.err() }
        },
    )
    .await;
}

#[tokio::test]
async fn dropping_the_last_clone_stops_the_server() {
    let telegram = FakeTelegram::start("1:x").await;
    let clone = telegram.clone();
    let url = telegram.api_url();
    drop(telegram);
    assert!(
        tokio::net::TcpStream::connect(url.trim_start_matches("http://"))
            .await
            .is_ok()
    );
    drop(clone);
    wait_closed(url).await;

    let dashscope = FakeDashScope::start("k").await;
    let url = dashscope.base_url();
    drop(dashscope);
    wait_closed(url).await;

    let gemini = FakeGemini::start("k").await;
    let url = gemini.base_url();
    drop(gemini);
    wait_closed(url).await;

    let openai = FakeOpenAiAsr::start("k").await;
    let url = openai.base_url();
    drop(openai);
    wait_closed(url).await;

    let chat = FakeOpenAiChat::start("llama3", None).await;
    let url = chat.base_url();
    drop(chat);
    wait_closed(url).await;
}

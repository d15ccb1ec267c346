//! `FakeTelegram` over real HTTP.

use std::time::Duration;

use scribe_fakes::telegram::{
    BOT_USERNAME, Failure, FakeTelegram, FileKind, ForwardedVoice, MemberStatus, Origin,
    TEST_API_METHODS, TgGroup, TgUser, update,
};
use scribe_fakes::wait_until;
use serde_json::{Value, json};

const TOKEN: &str = "123456:TEST-token_abc";
const WAIT: Duration = Duration::from_secs(10);

/// A plain-HTTP client. reqwest is built with `rustls-no-provider`, so even a client that never
/// speaks TLS needs a process-wide crypto provider.
fn client() -> reqwest::Client {
    // Err only means another test installed it first.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("reqwest client")
}

async fn call(tg: &FakeTelegram, method: &str, body: Value) -> (u16, Value) {
    let response = client()
        .post(format!("{}/bot{TOKEN}/{method}", tg.api_url()))
        .json(&body)
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json body"))
}

fn user() -> TgUser {
    TgUser::new(42, "Ann").lang("ru")
}

#[tokio::test]
async fn envelope_auth_and_unknown_methods() {
    let tg = FakeTelegram::start(TOKEN).await;
    let (status, body) = call(&tg, "GETME", json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(body["ok"], true);
    assert_eq!(body["result"]["id"], 123_456);
    assert_eq!(body["result"]["is_bot"], true);

    let response = client()
        .get(format!("{}/botWRONG/getMe", tg.api_url()))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status().as_u16(), 401);
    assert_eq!(
        response.json::<Value>().await.expect("json"),
        json!({"ok": false, "error_code": 401, "description": "Unauthorized"})
    );

    // The Bot API server's wording for a method it does not know.
    let (status, body) = call(&tg, "sendTelepathy", json!({})).await;
    assert_eq!(status, 404);
    assert_eq!(
        body,
        json!({"ok": false, "error_code": 404, "description": "Not Found: method not found"})
    );

    let methods: Vec<_> = tg.calls().into_iter().map(|c| c.method).collect();
    assert_eq!(methods, ["getMe", "getMe", "sendTelepathy"]);
}

#[tokio::test]
async fn long_poll_returns_when_an_update_arrives_and_offset_confirms() {
    let tg = FakeTelegram::start(TOKEN).await;
    let poller = {
        let tg = tg.clone();
        tokio::spawn(async move { call(&tg, "getUpdates", json!({"timeout": 30})).await })
    };
    wait_until("the poll to reach the fake", WAIT, || {
        (!tg.calls_of("getUpdates").is_empty()).then_some(())
    })
    .await;
    let pushed = tg.push_update(update::text(42, &user(), "/start"));
    assert_eq!(pushed.update_id, Some(1));
    assert_eq!(pushed.message_id, Some(1));
    let (status, body) = tokio::time::timeout(WAIT, poller)
        .await
        .expect("poll answered before its timeout")
        .expect("task");
    assert_eq!(status, 200);
    let updates = body["result"].as_array().expect("array");
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0]["update_id"], 1);
    assert_eq!(updates[0]["message"]["text"], "/start");
    assert_eq!(updates[0]["message"]["message_id"], 1);
    assert_eq!(updates[0]["message"]["chat"]["type"], "private");
    assert_eq!(updates[0]["message"]["entities"][0]["type"], "bot_command");

    // Unconfirmed updates are delivered again; limit caps the batch.
    tg.push_update(update::text(42, &user(), "two"));
    let (_, body) = call(&tg, "getUpdates", json!({"limit": 1})).await;
    assert_eq!(body["result"].as_array().map(Vec::len), Some(1));
    assert_eq!(body["result"][0]["update_id"], 1);

    let (_, body) = call(&tg, "getUpdates", json!({"offset": 2})).await;
    assert_eq!(body["result"][0]["update_id"], 2);
    assert_eq!(body["result"][0]["message"]["message_id"], 2);
    let (_, body) = call(&tg, "getUpdates", json!({"offset": 3, "timeout": 0})).await;
    assert_eq!(body["result"], json!([]));
    assert_eq!(tg.pending_updates(), 0);
}

#[tokio::test]
async fn a_newer_poll_ends_an_older_one_with_409() {
    let tg = FakeTelegram::start(TOKEN).await;
    let first = {
        let tg = tg.clone();
        tokio::spawn(async move { call(&tg, "getUpdates", json!({"timeout": 30})).await })
    };
    wait_until("the first poll", WAIT, || {
        (!tg.calls_of("getUpdates").is_empty()).then_some(())
    })
    .await;
    let (status, _) = call(&tg, "getUpdates", json!({"timeout": 0})).await;
    assert_eq!(status, 200);
    let (status, body) = tokio::time::timeout(WAIT, first)
        .await
        .expect("first poll ended")
        .expect("task");
    assert_eq!(status, 409);
    assert_eq!(
        body["description"],
        "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
    );
}

#[tokio::test]
async fn webhooks() {
    let tg = FakeTelegram::start(TOKEN).await;
    let (status, body) = call(&tg, "setWebhook", json!({"url": "http://example.com/hook"})).await;
    assert_eq!(status, 400);
    assert!(
        body["description"]
            .as_str()
            .is_some_and(|d| d.starts_with("Bad Request: bad webhook: "))
    );
    let (status, _) = call(
        &tg,
        "setWebhook",
        json!({"url": "https://example.com/hook", "secret_token": "bad secret!"}),
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = call(
        &tg,
        "setWebhook",
        json!({"url": "https://example.com:9000/"}),
    )
    .await;
    assert_eq!(status, 400);

    let (status, body) = call(
        &tg,
        "setWebhook",
        json!({
            "url": "https://example.com/hook",
            "secret_token": "s3cret_-X",
            "allowed_updates": ["message", "callback_query"],
            "max_connections": 10,
        }),
    )
    .await;
    assert_eq!((status, body["result"].clone()), (200, json!(true)));
    let webhook = tg.webhook().expect("webhook set");
    assert_eq!(webhook.url, "https://example.com/hook");
    assert_eq!(webhook.secret_token.as_deref(), Some("s3cret_-X"));
    assert_eq!(
        webhook.allowed_updates,
        Some(vec!["message".to_owned(), "callback_query".to_owned()])
    );
    assert_eq!(webhook.max_connections, Some(10));

    tg.push_update(update::text(42, &user(), "hi"));
    let (status, body) = call(&tg, "getUpdates", json!({})).await;
    assert_eq!(status, 409);
    assert_eq!(
        body,
        json!({"ok": false, "error_code": 409, "description": "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"})
    );
    let (_, body) = call(&tg, "getWebhookInfo", json!({})).await;
    assert_eq!(
        body["result"],
        json!({
            "url": "https://example.com/hook",
            "has_custom_certificate": false,
            "pending_update_count": 1,
            "max_connections": 10,
            "allowed_updates": ["message", "callback_query"],
        })
    );
    let (status, _) = call(&tg, "deleteWebhook", json!({"drop_pending_updates": true})).await;
    assert_eq!(status, 200);
    assert!(tg.webhook().is_none());
    assert_eq!(tg.pending_updates(), 0);
}

#[tokio::test]
async fn send_message_validates_html_and_length() {
    let tg = FakeTelegram::start(TOKEN).await;
    let (status, body) = call(
        &tg,
        "sendMessage",
        json!({"chat_id": 42, "text": "<b>Привет</b> &amp; <i>мир</i>", "parse_mode": "HTML"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let message = &body["result"];
    assert_eq!(message["message_id"], 1);
    assert_eq!(message["text"], "Привет & мир");
    assert_eq!(message["from"]["is_bot"], true);
    assert_eq!(message["chat"], json!({"id": 42, "type": "private"}));
    assert_eq!(
        message["entities"],
        json!([{"type": "bold", "offset": 0, "length": 6}, {"type": "italic", "offset": 9, "length": 3}])
    );

    let (status, body) = call(
        &tg,
        "sendMessage",
        json!({"chat_id": 42, "text": "a < b", "parse_mode": "HTML"}),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body["description"]
            .as_str()
            .is_some_and(|d| d.starts_with("Bad Request: can't parse entities: ")),
        "{body}"
    );
    let (status, _) = call(
        &tg,
        "sendMessage",
        json!({"chat_id": 42, "text": "R&D", "parse_mode": "HTML"}),
    )
    .await;
    assert_eq!(status, 400);
    // Without parse_mode the same text is fine.
    let (status, _) = call(
        &tg,
        "sendMessage",
        json!({"chat_id": 42, "text": "a < b & c"}),
    )
    .await;
    assert_eq!(status, 200);

    // The limit applies after parsing: 4096 entities decode to 4096 characters.
    let (status, _) = call(
        &tg,
        "sendMessage",
        json!({"chat_id": 42, "text": "&amp;".repeat(4096), "parse_mode": "HTML"}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = call(
        &tg,
        "sendMessage",
        json!({"chat_id": 42, "text": "я".repeat(4097)}),
    )
    .await;
    assert_eq!(
        (status, body["description"].clone()),
        (400, json!("Bad Request: message is too long"))
    );
    let (status, body) = call(&tg, "sendMessage", json!({"chat_id": 42, "text": ""})).await;
    assert_eq!(
        (status, body["description"].clone()),
        (400, json!("Bad Request: message text is empty"))
    );

    let messages = tg.messages(42);
    assert_eq!(messages.len(), 3);
    assert_eq!(
        messages[0].text.as_deref(),
        Some("<b>Привет</b> &amp; <i>мир</i>")
    );
    assert_eq!(messages[0].parse_mode.as_deref(), Some("HTML"));
    assert_eq!(messages[2].message_id, 3);
}

#[tokio::test]
async fn form_and_query_parameters_are_decoded() {
    let tg = FakeTelegram::start(TOKEN).await;
    let markup = json!({"inline_keyboard": [[{"text": "Summary", "callback_data": "sum:1"}]]});
    let response = client()
        .post(format!(
            "{}/bot{TOKEN}/sendMessage?disable_notification=true",
            tg.api_url()
        ))
        .form(&[
            ("chat_id", "42"),
            ("text", "hello & bye"),
            ("reply_markup", &markup.to_string()),
        ])
        .send()
        .await
        .expect("request");
    assert_eq!(response.status().as_u16(), 200);
    let call = &tg.calls_of("sendMessage")[0];
    assert_eq!(
        call.params,
        json!({"chat_id": 42, "text": "hello & bye", "reply_markup": markup, "disable_notification": true})
    );
    assert_eq!(tg.messages(42)[0].reply_markup, Some(markup));

    let (status, body) = call_markup(
        &tg,
        json!({"inline_keyboard": [[{"text": "x", "callback_data": "y".repeat(65)}]]}),
    )
    .await;
    assert_eq!(
        (status, body["description"].clone()),
        (400, json!("Bad Request: BUTTON_DATA_INVALID"))
    );
}

async fn call_markup(tg: &FakeTelegram, markup: Value) -> (u16, Value) {
    call(
        tg,
        "sendMessage",
        json!({"chat_id": 42, "text": "t", "reply_markup": markup}),
    )
    .await
}

#[tokio::test]
async fn send_document_records_the_upload() {
    let tg = FakeTelegram::start(TOKEN).await;
    let part = reqwest::multipart::Part::bytes(b"full transcript".to_vec())
        .file_name("transcript.txt")
        .mime_str("text/plain")
        .expect("mime");
    let form = reqwest::multipart::Form::new()
        .text("chat_id", "42")
        .text("caption", "<b>Transcript</b>")
        .text("parse_mode", "HTML")
        .part("document", part);
    let response = client()
        .post(format!("{}/bot{TOKEN}/sendDocument", tg.api_url()))
        .multipart(form)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["result"]["document"]["file_name"], "transcript.txt");
    assert_eq!(body["result"]["document"]["mime_type"], "text/plain");
    assert_eq!(body["result"]["caption"], "Transcript");

    let call = &tg.calls_of("sendDocument")[0];
    assert_eq!(call.params["chat_id"], 42);
    let message = &tg.messages(42)[0];
    assert_eq!(message.caption.as_deref(), Some("<b>Transcript</b>"));
    let document = message.document.as_ref().expect("document");
    assert_eq!(document.file_name, "transcript.txt");
    assert_eq!(document.mime_type, "text/plain");
    assert_eq!(document.text(), Some("full transcript"));

    let form = reqwest::multipart::Form::new()
        .text("chat_id", "42")
        .text("caption", "x".repeat(1025))
        .part(
            "document",
            reqwest::multipart::Part::bytes(vec![1, 2, 3]).file_name("a.bin"),
        );
    let response = client()
        .post(format!("{}/bot{TOKEN}/sendDocument", tg.api_url()))
        .multipart(form)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status().as_u16(), 400);
    let body: Value = response.json().await.expect("json");
    assert_eq!(
        body["description"],
        "Bad Request: message caption is too long"
    );
}

#[tokio::test]
async fn edits_and_deletes() {
    let tg = FakeTelegram::start(TOKEN).await;
    let (_, body) = call(&tg, "sendMessage", json!({"chat_id": 42, "text": "draft"})).await;
    let id = body["result"]["message_id"].clone();

    let (status, body) = call(
        &tg,
        "editMessageText",
        json!({"chat_id": 42, "message_id": id, "text": "draft"}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["description"],
        "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message"
    );
    let (status, body) = call(
        &tg,
        "editMessageText",
        json!({"chat_id": 42, "message_id": id, "text": "<i>final</i>", "parse_mode": "HTML"}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["result"]["text"], "final");
    assert!(body["result"]["edit_date"].is_i64());
    let (status, body) = call(
        &tg,
        "editMessageText",
        json!({"chat_id": 42, "message_id": 99, "text": "x"}),
    )
    .await;
    assert_eq!(
        (status, body["description"].clone()),
        (400, json!("Bad Request: message to edit not found"))
    );

    let markup = json!({"inline_keyboard": [[{"text": "Go", "url": "https://example.com"}]]});
    let (status, body) = call(
        &tg,
        "editMessageReplyMarkup",
        json!({"chat_id": 42, "message_id": id, "reply_markup": markup}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["result"]["reply_markup"], markup);

    let message = &tg.messages(42)[0];
    assert_eq!(message.text.as_deref(), Some("<i>final</i>"));
    assert_eq!(message.rendered_text.as_deref(), Some("final"));
    assert_eq!(message.edits, 2);

    let (status, _) = call(
        &tg,
        "deleteMessage",
        json!({"chat_id": 42, "message_id": id}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = call(
        &tg,
        "deleteMessage",
        json!({"chat_id": 42, "message_id": id}),
    )
    .await;
    assert_eq!(
        (status, body["description"].clone()),
        (400, json!("Bad Request: message to delete not found"))
    );
    assert!(tg.messages(42)[0].deleted);
}

#[tokio::test]
async fn injected_failures_and_outages() {
    let tg = FakeTelegram::start(TOKEN).await;
    tg.fail_next("sendmessage", Failure::TooManyRequests { retry_after: 7 });
    tg.fail_next(
        "sendMessage",
        Failure::Status {
            code: 403,
            description: "Forbidden: bot was blocked by the user".to_owned(),
        },
    );
    let (status, body) = call(&tg, "sendMessage", json!({"chat_id": 1, "text": "a"})).await;
    assert_eq!(status, 429);
    assert_eq!(
        body,
        json!({"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 7", "parameters": {"retry_after": 7}})
    );
    let (status, body) = call(&tg, "sendMessage", json!({"chat_id": 1, "text": "a"})).await;
    assert_eq!(status, 403);
    assert_eq!(body["error_code"], 403);
    let (status, _) = call(&tg, "sendMessage", json!({"chat_id": 1, "text": "a"})).await;
    assert_eq!(status, 200);
    assert_eq!(tg.messages(1).len(), 1);

    tg.set_down(true);
    let response = client()
        .get(format!("{}/bot{TOKEN}/getMe", tg.api_url()))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status().as_u16(), 502);
    assert!(
        response
            .headers()
            .get("content-type")
            .is_some_and(|v| v.as_bytes().starts_with(b"text/html"))
    );
    tg.set_down(false);
    let (status, _) = call(&tg, "getMe", json!({})).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn chat_actions_are_checked() {
    let tg = FakeTelegram::start(TOKEN).await;
    let (status, _) = call(
        &tg,
        "sendChatAction",
        json!({"chat_id": 1, "action": "typing"}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = call(
        &tg,
        "sendChatAction",
        json!({"chat_id": 1, "action": "dancing"}),
    )
    .await;
    assert_eq!(
        (status, body["description"].clone()),
        (400, json!("Bad Request: wrong parameter action in request"))
    );
}

#[tokio::test]
async fn get_file_and_download() {
    let tg = FakeTelegram::start(TOKEN).await;
    let voice = tg.add_file(FileKind::Voice, b"OggS-voice".to_vec());
    let big = tg.add_file_of_size(FileKind::Video, 20 * 1024 * 1024 + 1);
    let edge = tg.add_file_of_size(FileKind::Audio, 20 * 1024 * 1024);

    let (status, body) = call(&tg, "getFile", json!({"file_id": voice.file_id})).await;
    assert_eq!(status, 200);
    let path = body["result"]["file_path"]
        .as_str()
        .expect("path")
        .to_owned();
    assert!(
        path.starts_with("voice/file_") && path.ends_with(".oga"),
        "{path}"
    );
    assert_eq!(body["result"]["file_size"], 10);
    assert_eq!(
        body["result"]["file_unique_id"],
        voice.file_unique_id.as_str()
    );

    let bytes = client()
        .get(format!("{}/file/bot{TOKEN}/{path}", tg.api_url()))
        .send()
        .await
        .expect("request")
        .bytes()
        .await
        .expect("bytes");
    assert_eq!(bytes.as_ref(), b"OggS-voice");

    let (status, body) = call(&tg, "getFile", json!({"file_id": big.file_id})).await;
    assert_eq!(
        (status, body["description"].clone()),
        (400, json!("Bad Request: file is too big"))
    );
    let (status, body) = call(&tg, "getFile", json!({"file_id": edge.file_id})).await;
    assert_eq!(status, 200);
    let edge_path = body["result"]["file_path"]
        .as_str()
        .expect("path")
        .to_owned();
    assert!(edge_path.starts_with("music/"), "{edge_path}");
    let response = client()
        .get(format!("{}/file/bot{TOKEN}/{edge_path}", tg.api_url()))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status().as_u16(), 404);
    assert_eq!(tg.downloads(), vec![path, edge_path]);

    let (status, body) = call(&tg, "getFile", json!({"file_id": "nope"})).await;
    assert_eq!(
        (status, body["description"].clone()),
        (
            400,
            json!("Bad Request: wrong file identifier/HTTP URL specified")
        )
    );

    let update = tg.register_update(update::voice(42, &user(), &voice, 3));
    assert_eq!(
        update["message"]["voice"]["file_id"],
        voice.file_id.as_str()
    );
    assert_eq!(update["message"]["voice"]["mime_type"], "audio/ogg");
    assert_eq!(update["update_id"], 1);
    assert_eq!(tg.pending_updates(), 0);
}

#[tokio::test]
async fn local_mode_hands_out_absolute_paths_without_the_20_mb_limit() {
    let dir = std::env::temp_dir().join(format!("scribe-fakes-local-{}", std::process::id()));
    let tg = FakeTelegram::start_local(TOKEN, dir.clone()).await;
    let audio = tg.add_named_file(FileKind::Document, "memo.m4a", b"m4a bytes".to_vec());
    let big = tg.add_file_of_size(FileKind::Video, 100 * 1024 * 1024);

    let (status, body) = call(&tg, "getFile", json!({"file_id": audio.file_id})).await;
    assert_eq!(status, 200, "{body}");
    let path = std::path::PathBuf::from(body["result"]["file_path"].as_str().expect("path"));
    assert!(path.is_absolute());
    assert!(path.to_string_lossy().ends_with(".m4a"));
    assert_eq!(std::fs::read(&path).expect("file written"), b"m4a bytes");

    let (status, body) = call(&tg, "getFile", json!({"file_id": big.file_id})).await;
    assert_eq!(status, 200, "{body}");
    let path = std::path::PathBuf::from(body["result"]["file_path"].as_str().expect("path"));
    assert_eq!(
        std::fs::metadata(&path).expect("file").len(),
        100 * 1024 * 1024
    );
    std::fs::remove_dir_all(dir).expect("cleanup");
}

#[tokio::test]
async fn callback_queries_are_answered_once() {
    let tg = FakeTelegram::start(TOKEN).await;
    let (status, body) = call(
        &tg,
        "answerCallbackQuery",
        json!({"callback_query_id": "123"}),
    )
    .await;
    let too_old =
        "Bad Request: query is too old and response timeout expired or query ID is invalid";
    assert_eq!((status, body["description"].clone()), (400, json!(too_old)));

    let markup = json!({"inline_keyboard": [[{"text": "Summary", "callback_data": "sum"}]]});
    let (_, body) = call(
        &tg,
        "sendMessage",
        json!({"chat_id": 42, "text": "transcript", "reply_markup": markup}),
    )
    .await;
    let message_id = body["result"]["message_id"].as_i64().expect("id");
    let (update, query_id) = update::callback(42, &user(), message_id, "sum");
    tg.push_update(update);
    let (_, body) = call(&tg, "getUpdates", json!({})).await;
    let query = &body["result"][0]["callback_query"];
    assert_eq!(query["data"], "sum");
    assert_eq!(query["message"]["text"], "transcript");
    assert_eq!(query["message"]["reply_markup"], markup);

    let (status, _) = call(
        &tg,
        "answerCallbackQuery",
        json!({"callback_query_id": query_id, "text": "ok"}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = call(
        &tg,
        "answerCallbackQuery",
        json!({"callback_query_id": query_id}),
    )
    .await;
    assert_eq!((status, body["description"].clone()), (400, json!(too_old)));
}

#[tokio::test]
async fn commands() {
    let tg = FakeTelegram::start(TOKEN).await;
    let commands = json!([{"command": "start", "description": "Start"}, {"command": "balance", "description": "Баланс"}]);
    let (status, _) = call(&tg, "setMyCommands", json!({"commands": commands})).await;
    assert_eq!(status, 200);
    assert_eq!(Value::Array(tg.commands()), commands);
    let (_, body) = call(&tg, "getMyCommands", json!({})).await;
    assert_eq!(body["result"], commands);

    let (status, _) = call(
        &tg,
        "setMyCommands",
        json!({"commands": [{"command": "Start", "description": "x"}]}),
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = call(
        &tg,
        "setMyCommands",
        json!({"commands": [{"command": "start", "description": ""}]}),
    )
    .await;
    assert_eq!(status, 400);
    let ru = json!([{"command": "start", "description": "Старт"}]);
    let (status, _) = call(
        &tg,
        "setMyCommands",
        json!({"commands": ru, "language_code": "ru"}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        Value::Array(tg.commands_for(&json!({"type": "default"}), "ru")),
        ru
    );
    assert_eq!(Value::Array(tg.commands()), commands);
}

#[tokio::test]
async fn stars_payments() {
    let tg = FakeTelegram::start(TOKEN).await;
    let invoice = json!({
        "chat_id": 42,
        "title": "100 minutes",
        "description": "Transcription credit",
        "payload": "pack:100",
        "currency": "XTR",
        "prices": [{"label": "100 minutes", "amount": 50}],
        "provider_token": "",
    });
    let (status, body) = call(&tg, "sendInvoice", invoice.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"]["invoice"]["total_amount"], 50);
    assert_eq!(body["result"]["invoice"]["currency"], "XTR");
    assert!(tg.messages(42)[0].invoice.is_some());

    let mut two_prices = invoice.clone();
    two_prices["prices"] = json!([{"label": "a", "amount": 1}, {"label": "b", "amount": 2}]);
    assert_eq!(call(&tg, "sendInvoice", two_prices).await.0, 400);
    let mut usd = invoice.clone();
    usd["currency"] = json!("USD");
    assert_eq!(call(&tg, "sendInvoice", usd).await.0, 400);
    let mut long_title = invoice;
    long_title["title"] = json!("t".repeat(33));
    assert_eq!(call(&tg, "sendInvoice", long_title).await.0, 400);

    let (update, query_id) = update::pre_checkout(&user(), "XTR", 50, "pack:100");
    tg.push_update(update);
    let (status, _) = call(
        &tg,
        "answerPreCheckoutQuery",
        json!({"pre_checkout_query_id": query_id, "ok": false}),
    )
    .await;
    assert_eq!(status, 400, "error_message is required when ok is false");
    let (status, _) = call(
        &tg,
        "answerPreCheckoutQuery",
        json!({"pre_checkout_query_id": query_id, "ok": true}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = call(
        &tg,
        "answerPreCheckoutQuery",
        json!({"pre_checkout_query_id": query_id, "ok": true}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(tg.pre_checkout_answers(), vec![(query_id, true, None)]);

    tg.push_successful_payment(42, &user(), 50, "pack:100", "charge-1");
    let refund = json!({"user_id": 42, "telegram_payment_charge_id": "charge-1"});
    let (status, _) = call(&tg, "refundStarPayment", refund.clone()).await;
    assert_eq!(status, 200);
    let (status, body) = call(&tg, "refundStarPayment", refund).await;
    assert_eq!(
        (status, body["description"].clone()),
        (400, json!("Bad Request: CHARGE_ALREADY_REFUNDED"))
    );
    let (status, body) = call(
        &tg,
        "refundStarPayment",
        json!({"user_id": 42, "telegram_payment_charge_id": "nope"}),
    )
    .await;
    assert_eq!(
        (status, body["description"].clone()),
        (400, json!("Bad Request: CHARGE_NOT_FOUND"))
    );
    assert_eq!(tg.refunds(), vec![(42, "charge-1".to_owned())]);

    let (_, body) = call(&tg, "getUpdates", json!({})).await;
    let kinds: Vec<_> = body["result"]
        .as_array()
        .expect("updates")
        .iter()
        .map(|u| {
            let message = &u["message"];
            if message.get("successful_payment").is_some() {
                "paid"
            } else if message.get("refunded_payment").is_some() {
                "refunded"
            } else {
                "other"
            }
        })
        .collect();
    assert_eq!(kinds, ["other", "paid", "refunded"]);
}

/// The bot's user id, from [`TOKEN`].
const BOT_ID: i64 = 123_456;

fn ann() -> TgUser {
    TgUser::new(42, "Ann").lang("ru")
}

fn bob() -> TgUser {
    TgUser::new(43, "Bob").lang("en")
}

fn team() -> TgGroup {
    TgGroup::supergroup(-1_002_471_352_452, "Team")
}

async fn member(tg: &FakeTelegram, chat_id: i64, user_id: i64) -> (u16, Value) {
    call(
        tg,
        "getChatMember",
        json!({"chat_id": chat_id, "user_id": user_id}),
    )
    .await
}

async fn poll(tg: &FakeTelegram) -> Vec<Value> {
    let (status, body) = call(tg, "getUpdates", json!({})).await;
    assert_eq!(status, 200, "{body}");
    body["result"].as_array().expect("updates").clone()
}

#[tokio::test]
async fn long_poll_in_flight_ends_with_409_when_a_webhook_is_set() {
    let tg = FakeTelegram::start(TOKEN).await;
    let poller = {
        let tg = tg.clone();
        tokio::spawn(async move { call(&tg, "getUpdates", json!({"timeout": 30})).await })
    };
    wait_until("the poll to reach the fake", WAIT, || {
        (!tg.calls_of("getUpdates").is_empty()).then_some(())
    })
    .await;
    let (status, _) = call(
        &tg,
        "setWebhook",
        json!({"url": "https://example.com/hook"}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = tokio::time::timeout(WAIT, poller)
        .await
        .expect("poll ended")
        .expect("task");
    assert_eq!(
        (status, body),
        (
            409,
            json!({"ok": false, "error_code": 409, "description": "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"})
        )
    );
}

#[tokio::test]
async fn get_me_reports_the_configured_capabilities() {
    let tg = FakeTelegram::start(TOKEN).await;
    let (_, body) = call(&tg, "getMe", json!({})).await;
    assert_eq!(
        body["result"],
        json!({
            "id": BOT_ID,
            "is_bot": true,
            "first_name": "Scribe",
            "username": BOT_USERNAME,
            "can_join_groups": true,
            "can_read_all_group_messages": false,
            "supports_inline_queries": false,
            "supports_guest_queries": false,
            "can_connect_to_business": false,
            "has_main_web_app": false,
            "has_topics_enabled": false,
            "allows_users_to_create_topics": false,
            "can_manage_bots": false,
        })
    );
    tg.set_privacy_mode(false);
    tg.set_can_join_groups(false);
    let (_, body) = call(&tg, "getMe", json!({})).await;
    assert_eq!(body["result"]["can_read_all_group_messages"], true);
    assert_eq!(body["result"]["can_join_groups"], false);
}

#[tokio::test]
async fn get_chat_member_answers_every_status() {
    let tg = FakeTelegram::start(TOKEN).await;
    let team = team();
    let cases = [
        (TgUser::new(1, "Owner"), MemberStatus::Creator, "creator"),
        (
            TgUser::new(2, "Mod"),
            MemberStatus::Administrator,
            "administrator",
        ),
        (TgUser::new(3, "Max"), MemberStatus::Member, "member"),
        (
            TgUser::new(4, "Mute"),
            MemberStatus::Restricted,
            "restricted",
        ),
        (TgUser::new(5, "Gone"), MemberStatus::Left, "left"),
        (TgUser::new(6, "Spam"), MemberStatus::Kicked, "kicked"),
    ];
    for (user, status, _) in &cases {
        tg.set_member(&team, user, *status);
    }
    for (user, _, name) in &cases {
        let (code, body) = member(&tg, team.id, user.id).await;
        assert_eq!(code, 200, "{body}");
        assert_eq!(body["result"]["status"], *name);
        assert_eq!(body["result"]["user"]["id"], user.id);
        assert_eq!(body["result"]["user"]["is_bot"], false);
    }
    let (_, creator) = member(&tg, team.id, 1).await;
    assert_eq!(creator["result"]["is_anonymous"], false);
    let (_, admin) = member(&tg, team.id, 2).await;
    for right in [
        "can_manage_chat",
        "can_delete_messages",
        "can_restrict_members",
    ] {
        assert_eq!(admin["result"][right], true, "{right}");
    }
    assert_eq!(admin["result"]["can_be_edited"], false);
    assert_eq!(admin["result"]["can_manage_topics"], false);
    let (_, muted) = member(&tg, team.id, 4).await;
    assert_eq!(muted["result"]["is_member"], true);
    assert_eq!(muted["result"]["can_send_messages"], false);
    assert_eq!(muted["result"]["until_date"], 0);
    let (_, kicked) = member(&tg, team.id, 6).await;
    assert_eq!(kicked["result"]["until_date"], 0);
    let (_, member_) = member(&tg, team.id, 3).await;
    assert_eq!(
        member_["result"],
        json!({"user": {"id": 3, "is_bot": false, "first_name": "Max"}, "status": "member"})
    );

    // Basic groups have no topics, and report restricted members without the details.
    let club = TgGroup::group(-4_518_810_793, "Club");
    tg.set_member(&club, &TgUser::new(2, "Mod"), MemberStatus::Administrator);
    tg.set_member(&club, &TgUser::new(4, "Mute"), MemberStatus::Restricted);
    let (_, admin) = member(&tg, club.id, 2).await;
    assert!(admin["result"].get("can_manage_topics").is_none());
    let (_, muted) = member(&tg, club.id, 4).await;
    assert_eq!(
        muted["result"],
        json!({"user": {"id": 4, "is_bot": false, "first_name": "Mute"}, "status": "restricted"})
    );

    // Someone who posted is a member; someone the bot knows elsewhere has left; a stranger is
    // not found; the bot answers for itself.
    tg.push_update(update::text(&team, &ann(), "hello"));
    tg.push_update(update::text(bob().id, &bob(), "/start"));
    assert_eq!(
        member(&tg, team.id, ann().id).await.1["result"]["status"],
        "member"
    );
    assert_eq!(
        member(&tg, team.id, bob().id).await.1["result"]["status"],
        "left"
    );
    let (code, body) = member(&tg, team.id, 999).await;
    assert_eq!(
        (code, body["description"].clone()),
        (400, json!("Bad Request: user not found"))
    );
    let (_, me) = member(&tg, team.id, BOT_ID).await;
    assert_eq!(me["result"]["status"], "member");
    assert_eq!(me["result"]["user"]["username"], BOT_USERNAME);
    tg.set_bot_member(&team, MemberStatus::Administrator);
    let (_, me) = member(&tg, team.id, BOT_ID).await;
    assert_eq!(me["result"]["status"], "administrator");
    assert_eq!(me["result"]["user"]["is_bot"], true);

    let (code, body) = member(&tg, -1_009_999, 3).await;
    assert_eq!(
        (code, body["description"].clone()),
        (400, json!("Bad Request: chat not found"))
    );
    let (code, body) = call(&tg, "getChatMember", json!({"chat_id": team.id})).await;
    assert_eq!(
        (code, body["description"].clone()),
        (400, json!("Bad Request: Invalid user_id specified"))
    );
}

#[tokio::test]
async fn a_bot_removed_from_a_group_cannot_write_there() {
    let tg = FakeTelegram::start(TOKEN).await;
    let team = team();
    let club = TgGroup::group(-4_518_810_793, "Club");
    tg.set_bot_member(&team, MemberStatus::Kicked);
    tg.set_bot_member(&club, MemberStatus::Left);
    let cases = [
        (
            team.id,
            "Forbidden: bot was kicked from the supergroup chat",
        ),
        (club.id, "Forbidden: bot is not a member of the group chat"),
    ];
    for (chat_id, description) in cases {
        let (code, body) = call(
            &tg,
            "sendMessage",
            json!({"chat_id": chat_id, "text": "hi"}),
        )
        .await;
        assert_eq!(
            (code, body),
            (
                403,
                json!({"ok": false, "error_code": 403, "description": description})
            )
        );
        let (code, _) = member(&tg, chat_id, BOT_ID).await;
        assert_eq!(code, 403);
        let (code, _) = call(
            &tg,
            "sendChatAction",
            json!({"chat_id": chat_id, "action": "typing"}),
        )
        .await;
        assert_eq!(code, 403);
    }
    tg.set_bot_member(&club, MemberStatus::Member);
    let (code, _) = call(
        &tg,
        "sendMessage",
        json!({"chat_id": club.id, "text": "hi"}),
    )
    .await;
    assert_eq!(code, 200);
    assert_eq!(tg.messages(club.id).len(), 1);
    assert!(tg.messages(team.id).is_empty());
}

#[tokio::test]
async fn privacy_mode_decides_which_group_messages_arrive() {
    let tg = FakeTelegram::start(TOKEN).await;
    let team = team();
    let voice = tg.add_file(FileKind::Voice, b"OggS".to_vec());

    // Privacy on, bot a plain member: a voice note stays in the group, unseen.
    let hidden = tg.push_update(update::voice(&team, &ann(), &voice, 4));
    assert_eq!(hidden.update_id, None);
    let voice_id = hidden
        .message_id
        .expect("the voice is a message of the group");
    assert_eq!(tg.pending_updates(), 0);

    // A command meant for the bot, replying to it, arrives with the voice inside.
    let asked = tg.push_update(update::replying_to(
        update::text(&team, &bob(), &format!("/t@{BOT_USERNAME}")),
        voice_id,
    ));
    assert_eq!(asked.update_id, Some(1));
    let updates = poll(&tg).await;
    let message = &updates[0]["message"];
    assert_eq!(
        message["chat"],
        json!({"id": team.id, "title": "Team", "type": "supergroup"})
    );
    assert_eq!(message["from"]["id"], bob().id);
    assert_eq!(message["reply_to_message"]["message_id"], voice_id);
    assert_eq!(
        message["reply_to_message"]["voice"]["file_id"],
        voice.file_id.as_str()
    );
    assert_eq!(message["reply_to_message"]["from"]["id"], ann().id);

    // Bare commands arrive; commands for another bot, and chatter, do not.
    assert!(
        tg.push_update(update::text(&team, &ann(), "/t"))
            .update_id
            .is_some()
    );
    assert!(
        tg.push_update(update::text(&team, &ann(), "/t@other_bot"))
            .update_id
            .is_none()
    );
    assert!(
        tg.push_update(update::text(&team, &ann(), "lunch?"))
            .update_id
            .is_none()
    );
    // Mentions and replies to the bot's own messages arrive.
    let mention = format!("hey @{BOT_USERNAME}, what is this");
    assert!(
        tg.push_update(update::text(&team, &ann(), &mention))
            .update_id
            .is_some()
    );
    let (_, body) = call(
        &tg,
        "sendMessage",
        json!({"chat_id": team.id, "text": "transcript"}),
    )
    .await;
    let bot_message = body["result"]["message_id"].as_i64().expect("id");
    let reply = tg.push_update(update::replying_to(
        update::text(&team, &ann(), "thanks"),
        bot_message,
    ));
    assert!(reply.update_id.is_some());

    // As an administrator, or with privacy mode off, the bot sees everything.
    tg.set_bot_member(&team, MemberStatus::Administrator);
    assert!(
        tg.push_update(update::voice(&team, &ann(), &voice, 4))
            .update_id
            .is_some()
    );
    tg.set_bot_member(&team, MemberStatus::Member);
    assert!(
        tg.push_update(update::voice(&team, &ann(), &voice, 4))
            .update_id
            .is_none()
    );
    tg.set_privacy_mode(false);
    assert!(
        tg.push_update(update::voice(&team, &ann(), &voice, 4))
            .update_id
            .is_some()
    );
    // Out of the group, nothing arrives, not even commands.
    tg.set_bot_member(&team, MemberStatus::Left);
    assert!(
        tg.push_update(update::text(&team, &ann(), "/t"))
            .update_id
            .is_none()
    );
    // Private chats are never filtered.
    assert!(
        tg.push_update(update::text(ann().id, &ann(), "hi"))
            .update_id
            .is_some()
    );
}

#[tokio::test]
#[should_panic(expected = "which chat -1002471352452 never had")]
async fn a_reply_to_a_message_the_chat_never_had_is_a_test_bug() {
    let tg = FakeTelegram::start(TOKEN).await;
    tg.push_update(update::replying_to(update::text(&team(), &ann(), "/t"), 77));
}

#[tokio::test]
async fn replies_into_a_group_are_recorded() {
    let tg = FakeTelegram::start(TOKEN).await;
    let team = team();
    tg.set_privacy_mode(false);
    let voice = tg.add_file(FileKind::Voice, b"OggS".to_vec());
    let voice_id = tg
        .push_update(update::voice(&team, &ann(), &voice, 4))
        .message_id
        .expect("message");

    let (status, body) = call(
        &tg,
        "sendMessage",
        json!({
            "chat_id": team.id,
            "text": "<b>Ann:</b> hello",
            "parse_mode": "HTML",
            "reply_parameters": {"message_id": voice_id, "allow_sending_without_reply": true},
        }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let sent = &body["result"];
    assert_eq!(sent["chat"]["type"], "supergroup");
    assert_eq!(sent["message_id"], voice_id + 1);
    assert_eq!(sent["reply_to_message"]["message_id"], voice_id);
    assert_eq!(sent["reply_to_message"]["voice"]["duration"], 4);

    // A reply to nothing fails unless the bot allows sending without it.
    let (status, body) = call(
        &tg,
        "sendMessage",
        json!({"chat_id": team.id, "text": "x", "reply_parameters": {"message_id": 999}}),
    )
    .await;
    assert_eq!(
        (status, body["description"].clone()),
        (400, json!("Bad Request: message to be replied not found"))
    );
    let (status, body) = call(
        &tg,
        "sendMessage",
        json!({"chat_id": team.id, "text": "x", "reply_parameters": {"message_id": 999, "allow_sending_without_reply": true}}),
    )
    .await;
    assert_eq!(status, 200);
    assert!(body["result"].get("reply_to_message").is_none());

    // Documents reply too (multipart: reply_parameters arrives as a JSON string).
    let form = reqwest::multipart::Form::new()
        .text("chat_id", team.id.to_string())
        .text(
            "reply_parameters",
            json!({"message_id": voice_id}).to_string(),
        )
        .part(
            "document",
            reqwest::multipart::Part::bytes(b"1\n00:00:00,000 --> 00:00:02,000\nhello\n".to_vec())
                .file_name("voice.srt")
                .mime_str("application/octet-stream")
                .expect("mime"),
        );
    let response = client()
        .post(format!("{}/bot{TOKEN}/sendDocument", tg.api_url()))
        .multipart(form)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["result"]["reply_to_message"]["message_id"], voice_id);
    assert_eq!(
        body["result"]["document"]["mime_type"],
        "application/x-subrip"
    );

    let sent = tg.messages(team.id);
    assert_eq!(sent.len(), 3);
    assert_eq!(sent[0].reply_to_message_id, Some(voice_id));
    assert_eq!(sent[0].rendered_text.as_deref(), Some("Ann: hello"));
    assert_eq!(sent[1].reply_to_message_id, None);
    let srt = sent[2].document.as_ref().expect("document");
    assert_eq!(
        (srt.file_name.as_str(), srt.mime_type.as_str()),
        ("voice.srt", "application/x-subrip")
    );
    assert!(
        srt.text()
            .is_some_and(|text| text.contains("00:00:00,000 --> 00:00:02,000"))
    );
    assert_eq!(sent[2].reply_to_message_id, Some(voice_id));

    // A reply to a message the bot deleted arrives without `reply_to_message`.
    let (status, _) = call(
        &tg,
        "deleteMessage",
        json!({"chat_id": team.id, "message_id": voice_id}),
    )
    .await;
    assert_eq!(status, 200);
    tg.push_update(update::replying_to(
        update::text(&team, &bob(), "/t"),
        voice_id,
    ));
    let updates = poll(&tg).await;
    let last = &updates.last().expect("updates")["message"];
    assert_eq!(last["text"], "/t");
    assert!(last.get("reply_to_message").is_none());
}

#[tokio::test]
async fn documents_by_file_id_are_recorded_with_their_bytes() {
    let tg = FakeTelegram::start(TOKEN).await;
    let file = tg.add_named_file(FileKind::Document, "notes.vtt", b"WEBVTT\n".to_vec());
    let (status, body) = call(
        &tg,
        "sendDocument",
        json!({"chat_id": 42, "document": file.file_id, "caption": "again"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let document = tg.messages(42)[0].document.clone().expect("document");
    assert_eq!(document.mime_type, "text/vtt");
    assert_eq!(document.text(), Some("WEBVTT\n"));
}

#[tokio::test]
async fn forwards_carry_their_origin() {
    let tg = FakeTelegram::start(TOKEN).await;
    let voice = tg.add_file(FileKind::Voice, b"OggS".to_vec());
    let club = TgGroup::group(-4_518_810_793, "Club");
    let origins = [
        Origin::User {
            user: bob(),
            date: 1_700_000_000,
        },
        Origin::HiddenUser {
            name: "Ghost".to_owned(),
            date: 1_700_000_060,
        },
        Origin::Chat {
            chat: club.clone(),
            date: 1_700_000_120,
            author_signature: Some("Mod".to_owned()),
        },
        Origin::Channel {
            chat_id: -1_001_234_567_890,
            title: "News".to_owned(),
            message_id: 77,
            date: 1_700_000_180,
            author_signature: None,
        },
    ];
    let parts: Vec<_> = origins
        .iter()
        .map(|origin| ForwardedVoice {
            origin: origin.clone(),
            file: voice.clone(),
            duration: 3,
        })
        .collect();
    for update in update::forward_burst(ann().id, &ann(), &parts) {
        tg.push_update(update);
    }
    let updates = poll(&tg).await;
    assert_eq!(updates.len(), 4);
    let messages: Vec<&Value> = updates.iter().map(|u| &u["message"]).collect();
    assert_eq!(
        messages
            .iter()
            .map(|m| m["message_id"].as_i64())
            .collect::<Vec<_>>(),
        [Some(1), Some(2), Some(3), Some(4)]
    );
    assert!(messages.iter().all(|m| m["date"] == messages[0]["date"]));
    assert!(messages.iter().all(|m| m["from"]["id"] == ann().id));
    assert!(
        messages
            .iter()
            .all(|m| m["voice"]["file_id"] == voice.file_id.as_str())
    );
    assert!(messages.iter().all(|m| m.get("forward_from").is_none()));
    assert_eq!(
        messages[0]["forward_origin"],
        json!({"type": "user", "date": 1_700_000_000, "sender_user": {"id": 43, "is_bot": false, "first_name": "Bob", "language_code": "en"}})
    );
    assert_eq!(
        messages[1]["forward_origin"],
        json!({"type": "hidden_user", "date": 1_700_000_060, "sender_user_name": "Ghost"})
    );
    assert_eq!(
        messages[2]["forward_origin"],
        json!({
            "type": "chat",
            "date": 1_700_000_120,
            "sender_chat": {"id": club.id, "title": "Club", "type": "group", "all_members_are_administrators": false},
            "author_signature": "Mod",
        })
    );
    assert_eq!(
        messages[3]["forward_origin"],
        json!({
            "type": "channel",
            "date": 1_700_000_180,
            "chat": {"id": -1_001_234_567_890_i64, "title": "News", "type": "channel"},
            "message_id": 77,
        })
    );
    let single = tg.register_update(update::forwarded(
        update::text(ann().id, &ann(), "fwd"),
        &origins[1],
    ));
    assert_eq!(single["message"]["forward_origin"]["type"], "hidden_user");
}

#[tokio::test]
async fn a_group_upgraded_to_a_supergroup() {
    let tg = FakeTelegram::start(TOKEN).await;
    let club = TgGroup::group(-4_518_810_793, "Club");
    tg.set_member(&club, &ann(), MemberStatus::Creator);
    tg.set_bot_member(&club, MemberStatus::Administrator);
    let (status, _) = call(
        &tg,
        "sendMessage",
        json!({"chat_id": club.id, "text": "before"}),
    )
    .await;
    assert_eq!(status, 200);

    let supergroup = tg.migrate_group(&club, -1_004_518_810_793, &ann());
    assert_eq!(supergroup, TgGroup::supergroup(-1_004_518_810_793, "Club"));
    let updates = poll(&tg).await;
    assert_eq!(updates.len(), 2);
    assert_eq!(
        updates[1]["update_id"].as_i64(),
        updates[0]["update_id"].as_i64().map(|id| id + 1)
    );
    assert_eq!(
        updates[0]["message"],
        json!({
            "message_id": 2,
            "from": {"id": 42, "is_bot": false, "first_name": "Ann", "language_code": "ru"},
            "chat": {"id": club.id, "title": "Club", "type": "group", "all_members_are_administrators": false},
            "date": updates[0]["message"]["date"],
            "migrate_to_chat_id": supergroup.id,
        })
    );
    let chat = json!({"id": supergroup.id, "title": "Club", "type": "supergroup"});
    assert_eq!(
        updates[1]["message"],
        json!({
            "message_id": 1,
            "from": {"id": 1_087_968_824, "is_bot": true, "first_name": "Group", "username": "GroupAnonymousBot"},
            "sender_chat": chat,
            "chat": chat,
            "date": updates[0]["message"]["date"],
            "migrate_from_chat_id": club.id,
        })
    );

    // The old id is gone for good; the supergroup has the members and the bot.
    let (status, body) = call(
        &tg,
        "sendMessage",
        json!({"chat_id": club.id, "text": "after"}),
    )
    .await;
    assert_eq!(
        (status, body),
        (
            400,
            json!({
                "ok": false,
                "error_code": 400,
                "description": "Bad Request: group chat was upgraded to a supergroup chat",
                "parameters": {"migrate_to_chat_id": supergroup.id},
            })
        )
    );
    let (status, body) = member(&tg, club.id, ann().id).await;
    assert_eq!(
        (status, body["parameters"]["migrate_to_chat_id"].clone()),
        (400, json!(supergroup.id))
    );
    assert_eq!(
        member(&tg, supergroup.id, ann().id).await.1["result"]["status"],
        "creator"
    );
    assert_eq!(
        member(&tg, supergroup.id, BOT_ID).await.1["result"]["status"],
        "administrator"
    );
    let (status, body) = call(
        &tg,
        "sendMessage",
        json!({"chat_id": supergroup.id, "text": "after"}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["result"]["message_id"], 2);
    assert_eq!(tg.messages(club.id).len(), 1);
}

#[tokio::test]
#[should_panic(expected = "became supergroup -1004518810793")]
async fn posting_in_an_upgraded_group_is_a_test_bug() {
    let tg = FakeTelegram::start(TOKEN).await;
    let club = TgGroup::group(-4_518_810_793, "Club");
    tg.migrate_group(&club, -1_004_518_810_793, &ann());
    tg.push_update(update::text(&club, &ann(), "/t"));
}

#[tokio::test]
async fn inline_keyboards_deep_links_and_callback_data_limits() {
    let tg = FakeTelegram::start(TOKEN).await;
    let team = team();
    let deep_link = format!("https://t.me/{BOT_USERNAME}?start=topup_42");
    let markup = json!({"inline_keyboard": [
        [{"text": "Top up", "url": deep_link}],
        [{"text": "Summary", "callback_data": "я".repeat(32)}, {"text": "Bad", "url": format!("https://t.me/{BOT_USERNAME}?start=no+spaces")}],
    ]});
    let (status, body) = call(
        &tg,
        "sendMessage",
        json!({"chat_id": team.id, "text": "too little balance", "reply_markup": markup}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"]["reply_markup"], markup);
    let buttons = &tg.messages(team.id)[0].buttons;
    assert_eq!(buttons.len(), 3);
    assert_eq!(buttons[0].url.as_deref(), Some(deep_link.as_str()));
    assert_eq!(buttons[0].start_payload(), Some("topup_42"));
    assert_eq!(
        buttons[1].callback_data.as_deref(),
        Some("я".repeat(32).as_str())
    );
    assert_eq!(buttons[1].start_payload(), None);
    assert_eq!(
        buttons[2].start_payload(),
        None,
        "invalid payload characters"
    );

    // The limit is 64 bytes, not characters: 33 Cyrillic letters are 66 bytes.
    for data in [json!("я".repeat(33)), json!("")] {
        let (status, body) = call_markup(
            &tg,
            json!({"inline_keyboard": [[{"text": "x", "callback_data": data}]]}),
        )
        .await;
        assert_eq!(
            (status, body),
            (
                400,
                json!({"ok": false, "error_code": 400, "description": "Bad Request: BUTTON_DATA_INVALID"})
            )
        );
    }
    let (status, body) = call_markup(
        &tg,
        json!({"inline_keyboard": [[{"text": "x", "callback_data": 7}]]}),
    )
    .await;
    assert_eq!(
        (status, body["description"].clone()),
        (
            400,
            json!(
                "Bad Request: can't parse inline keyboard button: Field \"callback_data\" must be of type String"
            )
        )
    );

    // A member presses a button under the bot's message in the group.
    let message_id = tg.messages(team.id)[0].message_id;
    let (update, query_id) = update::callback(&team, &bob(), message_id, "я".repeat(32).as_str());
    assert!(tg.push_update(update).update_id.is_some());
    let updates = poll(&tg).await;
    let query = &updates[0]["callback_query"];
    assert_eq!(query["from"]["id"], bob().id);
    assert_eq!(query["message"]["chat"]["id"], team.id);
    assert_eq!(query["message"]["text"], "too little balance");
    let (status, _) = call(
        &tg,
        "answerCallbackQuery",
        json!({"callback_query_id": query_id}),
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn an_emulator_lacks_methods() {
    let tg = FakeTelegram::start_emulator(TOKEN, TEST_API_METHODS).await;
    let not_found = json!({"ok": false, "error_code": 404, "description": "Not Found"});
    for method in [
        "getWebhookInfo",
        "getFile",
        "getChatMember",
        "sendDocument",
        "sendTelepathy",
    ] {
        let (status, body) = call(&tg, method, json!({"chat_id": 1})).await;
        assert_eq!((status, body), (404, not_found.clone()), "{method}");
    }
    let (status, _) = call(&tg, "getMe", json!({})).await;
    assert_eq!(status, 200);
    let (status, _) = call(
        &tg,
        "setWebhook",
        json!({"url": "https://example.com/hook"}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = call(&tg, "getUpdates", json!({})).await;
    assert_eq!(status, 409);
    assert_eq!(
        body["description"],
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
    );
}

#[tokio::test]
async fn update_ids_restart_after_a_quiet_week() {
    let tg = FakeTelegram::start(TOKEN).await;
    for text in ["one", "two", "three"] {
        tg.push_update(update::text(42, &user(), text));
    }
    assert_eq!(poll(&tg).await.len(), 3);
    let (_, body) = call(&tg, "getUpdates", json!({"offset": 4})).await;
    assert_eq!(body["result"], json!([]));

    // Telegram picks a new sequence; here it restarts below the last id the bot confirmed.
    tg.reset_update_ids(100);
    let (_, body) = call(&tg, "getUpdates", json!({"offset": 400})).await;
    assert_eq!(body["result"], json!([]));
    tg.reset_update_ids(2);
    assert_eq!(
        tg.push_update(update::text(42, &user(), "four")).update_id,
        Some(2)
    );
    // The bot's old offset is now in the future: the server serves from the head anyway.
    let (_, body) = call(&tg, "getUpdates", json!({"offset": 40})).await;
    assert_eq!(body["result"][0]["update_id"], 2);
    assert_eq!(body["result"][0]["message"]["text"], "four");
    let (_, body) = call(&tg, "getUpdates", json!({"offset": 3})).await;
    assert_eq!(body["result"], json!([]));
}

#[tokio::test]
#[should_panic(expected = "1 updates are pending")]
async fn update_ids_do_not_restart_while_updates_are_pending() {
    let tg = FakeTelegram::start(TOKEN).await;
    tg.push_update(update::text(42, &user(), "one"));
    tg.reset_update_ids(1);
}

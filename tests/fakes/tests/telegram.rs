//! `FakeTelegram` over real HTTP.

use std::time::Duration;

use scribe_fakes::telegram::{Failure, FakeTelegram, FileKind, TgUser, update};
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

    let (status, body) = call(&tg, "sendTelepathy", json!({})).await;
    assert_eq!(status, 404);
    assert_eq!(
        body,
        json!({"ok": false, "error_code": 404, "description": "Not Found"})
    );

    let methods: Vec<_> = tg.calls().into_iter().map(|c| c.method).collect();
    assert_eq!(methods, ["getMe", "getMe", "sendTelepathy"]);
    assert!(tg.calls()[0].response_ok);
    assert!(!tg.calls()[1].response_ok);
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
    let id = tg.push_update(update::text(42, &user(), "/start"));
    assert_eq!(id, 1);
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
    let upload = call.upload.as_ref().expect("upload");
    assert_eq!(upload.field, "document");
    assert_eq!(upload.file_name, "transcript.txt");
    assert_eq!(upload.bytes, b"full transcript");
    assert_eq!(call.params["chat_id"], 42);
    let message = &tg.messages(42)[0];
    assert_eq!(message.caption.as_deref(), Some("<b>Transcript</b>"));
    assert_eq!(
        message.document.as_ref().map(|d| d.bytes.clone()),
        Some(b"full transcript".to_vec())
    );

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
async fn hang_delays_the_call() {
    let tg = FakeTelegram::start(TOKEN).await;
    tg.fail_next("sendChatAction", Failure::Hang(Duration::from_secs(30)));
    let outcome = client()
        .post(format!("{}/bot{TOKEN}/sendChatAction", tg.api_url()))
        .json(&json!({"chat_id": 1, "action": "typing"}))
        .timeout(Duration::from_millis(200))
        .send()
        .await;
    assert!(outcome.is_err_and(|error| error.is_timeout()));
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

//! What someone starting scribe on a new machine meets: logs shaped for where they go, the SQLite
//! file created with its folders by every command that opens a store, a missing ffmpeg named at
//! once, and a Telegram that cannot be reached explained without the token.

use std::path::{Path, PathBuf};
use std::process::Output;

use scribe_fakes::{wait_until, wait_until_async};
use scribe_testkit::bot::{DASHSCOPE_KEY, Fakes, Scribe, TOKEN, WAIT};
use serde_json::Value;
use tokio::process::Command;
use tokio::task::JoinHandle;

const BIN: &str = env!("CARGO_BIN_EXE_scribe");

/// `scribe <args>` with `PATH` and `env` only; its standard error is a pipe, not a terminal.
fn scribe(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().copied())
        .kill_on_drop(true);
    command
}

/// Runs `command` to its end. The bound only keeps a hung process from hanging the test.
async fn finished(mut command: Command) -> Output {
    tokio::time::timeout(WAIT, command.output())
        .await
        .expect("scribe ends by itself")
        .expect("run scribe")
}

/// A SQLite file below folders that do not exist yet, and its `DATABASE_URL`.
fn fresh_sqlite(dir: &Path) -> (PathBuf, String) {
    let file = dir.join("does/not/exist/yet/scribe.db");
    let url = format!("sqlite://{}", file.display());
    assert!(url.starts_with("sqlite:///"), "{url}");
    (file, url)
}

/// The text without terminal colour sequences (`ESC [ … letter`).
fn without_colours(text: &str) -> String {
    let mut plain = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    plain
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test]
async fn logs_are_json_lines_off_a_terminal_and_readable_lines_on_request() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (_, url) = fresh_sqlite(dir.path());
    let migrate = |format: Option<&str>| {
        let mut env = vec![("DATABASE_URL", url.as_str())];
        env.extend(format.map(|f| ("LOG_FORMAT", f)));
        finished(scribe(&["migrate"], &env))
    };

    // Unset means `auto`: standard error is no terminal here, so JSON — as with `json`.
    for format in [None, Some("json")] {
        let out = migrate(format).await;
        let logs = stderr(&out);
        assert!(out.status.success(), "LOG_FORMAT={format:?}: {logs}");
        let entries: Vec<Value> = logs
            .lines()
            .map(|line| {
                serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("LOG_FORMAT={format:?}: not JSON ({e}): {line}"))
            })
            .collect();
        let applied = entries
            .iter()
            .find(|e| e["message"] == "migrations applied")
            .unwrap_or_else(|| panic!("LOG_FORMAT={format:?}: no entry for it in {logs}"));
        assert_eq!(applied["level"], "INFO", "{applied}");
        assert!(applied["timestamp"].is_string(), "{applied}");
        assert!(applied["target"].is_string(), "{applied}");
    }

    // `text`: one readable line per entry, `<time> <LEVEL> <target>: <message>`.
    let out = migrate(Some("text")).await;
    let logs = without_colours(&stderr(&out));
    assert!(out.status.success(), "{logs}");
    assert!(
        logs.lines()
            .all(|line| serde_json::from_str::<Value>(line).is_err()),
        "{logs}"
    );
    let applied = logs
        .lines()
        .find(|line| line.ends_with("migrations applied"))
        .unwrap_or_else(|| panic!("no line for it in {logs}"));
    let words: Vec<&str> = applied.split_whitespace().collect();
    assert!(
        words.len() >= 4 && words[0].contains('T') && words[0].ends_with('Z'),
        "a time first: {applied}"
    );
    assert_eq!(words[1], "INFO", "{applied}");
    assert!(words[2].ends_with(':'), "the target: {applied}");

    let bad = migrate(Some("xml")).await;
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
    assert_eq!(
        stderr(&bad).trim_end(),
        "config: LOG_FORMAT=\"xml\" must be auto, json or text"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_command_that_opens_a_store_creates_the_sqlite_file_and_its_folders() {
    let fakes = Fakes::start().await;

    // `scribe migrate`.
    let dir = tempfile::tempdir().expect("temp dir");
    let (file, url) = fresh_sqlite(dir.path());
    let out = finished(scribe(&["migrate"], &[("DATABASE_URL", &url)])).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(file.is_file(), "migrate created {}", file.display());

    // `scribe report`: the store it reads the report from.
    let dir = tempfile::tempdir().expect("temp dir");
    let (file, url) = fresh_sqlite(dir.path());
    let api = fakes.telegram.api_url();
    let out = finished(scribe(
        &["report", "daily"],
        &[
            ("DATABASE_URL", &url),
            ("TELEGRAM_BOT_TOKEN", TOKEN),
            ("TELEGRAM_API_URL", &api),
            ("ADMIN_IDS", "6100"),
        ],
    ))
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(file.is_file(), "report created {}", file.display());
    fakes.wait_containing(6100, "Daily report").await;

    // `scribe run`: it listens once its store is migrated and Telegram has answered.
    let dir = tempfile::tempdir().expect("temp dir");
    let (file, url) = fresh_sqlite(dir.path());
    let mut run = Scribe::start_role(BIN, &["run"], &fakes, &url, &[]).await;
    run.http_addr().await;
    assert!(file.is_file(), "run created {}", file.display());
    assert_eq!(run.terminate().await.code(), Some(0), "{}", run.logs());

    // `scribe worker`: `/readyz` reports the store once it is open (the broker is not needed).
    let dir = tempfile::tempdir().expect("temp dir");
    let (file, url) = fresh_sqlite(dir.path());
    let nowhere = closed_port_url("amqp");
    let mut worker = Scribe::start_role(
        BIN,
        &["worker", "--queues", "updates"],
        &fakes,
        &url,
        &[("AMQP_URL", &nowhere)],
    )
    .await;
    let readyz = format!("http://{}/readyz", worker.http_addr().await);
    let http = scribe_core::http::client(std::time::Duration::from_secs(10)).expect("client");
    wait_until_async("the worker's store to be ready", WAIT, || async {
        let body = http.get(&readyz).send().await.ok()?.text().await.ok()?;
        body.contains(r#""store":"ok""#).then_some(())
    })
    .await;
    assert!(file.is_file(), "worker created {}", file.display());
    worker.terminate().await;
}

/// `<scheme>://127.0.0.1:<port>` where nothing listens (the port was free a moment ago).
fn closed_port_url(scheme: &str) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    drop(listener);
    format!("{scheme}://127.0.0.1:{port}")
}

#[tokio::test]
async fn without_ffmpeg_run_stops_at_start_and_says_what_to_install() {
    let dir = tempfile::tempdir().expect("temp dir");
    let tools = dir.path().join("bin");
    std::fs::create_dir(&tools).expect("bin");
    let (file, url) = fresh_sqlite(dir.path());
    let api = closed_port_url("http");
    let run = || {
        let mut command = scribe(
            &["run"],
            &[
                ("TELEGRAM_BOT_TOKEN", TOKEN),
                ("TELEGRAM_API_URL", &api),
                ("DASHSCOPE_API_KEY", DASHSCOPE_KEY),
                ("DATABASE_URL", &url),
            ],
        );
        command.env("PATH", &tools);
        finished(command)
    };

    let out = run().await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        "error: ffmpeg and ffprobe not found on PATH; install ffmpeg \
         (Debian/Ubuntu: apt install ffmpeg, macOS: brew install ffmpeg)\n"
    );
    assert!(!file.exists(), "it stopped before opening the store");

    // Only what is missing is named.
    std::fs::write(tools.join("ffmpeg"), b"").expect("ffmpeg");
    let out = run().await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let said = stderr(&out);
    assert_eq!(said.lines().count(), 1, "{said}");
    assert!(
        said.starts_with("error: ffprobe not found on PATH; install ffmpeg"),
        "{said}"
    );
}

/// Starts `scribe run` with Telegram at `api_url` and returns the error of its first "retrying
/// getMe" entry, once it has logged one. The whole log never holds the token.
async fn unreachable_telegram(api_url: &str, extra: &[(&str, &str)]) -> String {
    let fakes = Fakes::start().await;
    let mut env = vec![("TELEGRAM_API_URL", api_url)];
    env.extend_from_slice(extra);
    let mut run = Scribe::start(BIN, &fakes, &env).await;
    let error = wait_until("scribe to log why getMe failed", WAIT, || {
        run.logs()
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .find(|e| e["message"] == "Telegram unreachable; retrying getMe")
            .map(|e| e["error"].as_str().unwrap_or_default().to_owned())
    })
    .await;
    run.terminate().await;
    let logs = run.logs();
    let secret = TOKEN.split_once(':').expect("id:secret").1;
    assert!(
        !logs.contains(TOKEN) && !logs.contains(secret),
        "the token leaked: {logs}"
    );
    assert!(
        fakes.telegram.calls().is_empty(),
        "the fake Telegram was not the one asked"
    );
    error
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refused_connection_to_telegram_is_named_without_the_token() {
    let error = unreachable_telegram(&closed_port_url("http"), &[]).await;
    assert!(
        error.starts_with("Telegram getMe: could not connect"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_telegram_host_that_does_not_resolve_is_named_without_the_token() {
    let error = unreachable_telegram("http://scribe-test.invalid", &[]).await;
    assert!(
        error.starts_with("Telegram getMe: the host name did not resolve (DNS)"),
        "{error}"
    );
}

/// An HTTP server on `127.0.0.1` that answers every request with `status` and an HTML page, as
/// a proxy in front of Telegram would; it stops when the handle is aborted.
async fn answering(status: u16) -> (String, JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let status = axum::http::StatusCode::from_u16(status).expect("status");
    let app = axum::Router::new().fallback(move || async move {
        (status, "<html><body>upstream unavailable</body></html>")
    });
    let server = tokio::spawn(async move {
        axum::serve(listener, app).await.expect("serve");
    });
    (format!("http://{addr}"), server)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_error_status_instead_of_telegram_is_named_without_the_token() {
    let (url, server) = answering(502).await;
    let error = unreachable_telegram(&url, &[]).await;
    server.abort();
    assert_eq!(error, "Telegram getMe: HTTP 502 without a Bot API body");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_telegram_that_never_answers_is_named_without_the_token() {
    // Accepts connections and reads nothing: every request runs into the client's timeout.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let server = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let error = unreachable_telegram(
        &format!("http://{addr}"),
        &[("PROVIDER_TIMEOUT_SECONDS", "1")],
    )
    .await;
    server.abort();
    assert!(error.starts_with("Telegram getMe: timed out"), "{error}");
}

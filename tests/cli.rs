//! The binary's edges: configuration errors at start-up, `scribe transcribe`, the operational
//! endpoints, and secrets kept out of logs.

use std::process::Command;

use scribe_fakes::dashscope::Reply;
use scribe_fakes::telegram::{FileKind, update};
use scribe_testkit::audio::{self, Format};
use scribe_testkit::bot::{DASHSCOPE_KEY, Fakes, GEMINI_KEY, Scribe, TOKEN, user};

const BIN: &str = env!("CARGO_BIN_EXE_scribe");

#[test]
fn every_bad_setting_is_one_line_and_exit_status_2() {
    let out = Command::new(BIN)
        .arg("run")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("WORKER_CONCURRENCY", "lots")
        .env("DASHSCOPE_REGION", "moon")
        .env("TELEGRAM_BOT_TOKEN", "no-colon-here")
        .output()
        .expect("run scribe");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(lines.iter().all(|l| l.starts_with("config: ")), "{stderr}");
    for expected in [
        "TELEGRAM_BOT_TOKEN does not look like a bot token",
        "DASHSCOPE_API_KEY is required",
        "WORKER_CONCURRENCY=\"lots\" is invalid",
        "DASHSCOPE_REGION=\"moon\" is invalid",
    ] {
        assert!(
            stderr.contains(expected),
            "missing {expected:?} in:\n{stderr}"
        );
    }
    assert!(
        !stderr.contains("no-colon-here"),
        "the token itself is never printed"
    );
}

fn provider_env(fakes: &Fakes) -> Vec<(&'static str, String)> {
    vec![
        ("DASHSCOPE_API_KEY", DASHSCOPE_KEY.into()),
        ("DASHSCOPE_BASE_URL", fakes.dashscope.base_url()),
        ("GEMINI_API_KEY", GEMINI_KEY.into()),
        ("GEMINI_BASE_URL", fakes.gemini.base_url()),
        ("PROVIDER_RETRY_BASE_MS", "10".into()),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn transcribe_prints_the_text_and_a_summary() {
    let fakes = Fakes::start().await;
    const SPOKEN: &str = "this file goes through exactly the same pipeline as the bot does and comes back formatted by the language model";
    fakes
        .dashscope
        .asr()
        .set_reply(|_| Reply::Text(SPOKEN.into()));
    fakes
        .dashscope
        .llm()
        .set_reply(|c| Reply::Text(c.user.to_uppercase()));
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("talk.mp3");
    std::fs::write(
        &file,
        audio::encode(
            &audio::say("Transcribe this file please.", "en"),
            Format::Mp3,
        ),
    )
    .expect("write");
    let env = provider_env(&fakes);
    let run = |extra: &[&str]| {
        let env = env.clone();
        let file = file.clone();
        let extra: Vec<String> = extra.iter().map(|s| (*s).to_owned()).collect();
        tokio::task::spawn_blocking(move || {
            Command::new(BIN)
                .arg("transcribe")
                .arg(&file)
                .args(&extra)
                .env_clear()
                .env("PATH", std::env::var("PATH").unwrap_or_default())
                .envs(env)
                .output()
                .expect("transcribe")
        })
    };
    let out = run(&["--language", "en"]).await.expect("joined");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        SPOKEN.to_uppercase()
    );
    let summary = String::from_utf8_lossy(&out.stderr);
    assert!(
        summary.contains("s audio")
            && summary.contains("(qwen-plus)")
            && summary.contains("ASR ≈ $"),
        "{summary}"
    );
    assert_eq!(
        fakes.dashscope.asr().calls()[0].call.language.as_deref(),
        Some("en")
    );

    let raw = run(&["--no-format"]).await.expect("joined");
    assert_eq!(String::from_utf8_lossy(&raw.stdout).trim(), SPOKEN);
    assert_eq!(
        fakes.dashscope.llm().calls().len(),
        1,
        "--no-format asks no model"
    );

    let srt = run(&["--subtitles", "srt"]).await.expect("joined");
    let srt = String::from_utf8_lossy(&srt.stdout);
    assert!(srt.starts_with("1\n00:00:0"), "{srt}");
    assert!(
        srt.contains(" --> ") && srt.contains(&SPOKEN[..20]),
        "{srt}"
    );
    let vtt = run(&["--subtitles", "vtt"]).await.expect("joined");
    assert!(String::from_utf8_lossy(&vtt.stdout).starts_with("WEBVTT\n\n1\n"));

    std::fs::write(&file, b"not audio at all").expect("write");
    let bad = run(&[]).await.expect("joined");
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&bad.stderr).starts_with("error: cannot read"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn run_serves_health_readiness_and_metrics_and_logs_no_secret() {
    let fakes = Fakes::start().await;
    fakes
        .dashscope
        .asr()
        .set_reply(|_| Reply::Text("metrics please".into()));
    let mut scribe = Scribe::start(BIN, &fakes, &[]).await;
    let file = fakes.telegram.add_file(
        FileKind::Voice,
        audio::encode(&audio::say("Count me.", "en"), Format::VoiceNote),
    );
    fakes
        .telegram
        .push_update(update::voice(9101, &user(9101), &file, 2));
    fakes.wait_text(9101, "metrics please").await;
    let http = scribe_core::http::client(std::time::Duration::from_secs(10)).expect("client");
    let base = format!("http://{}", scribe.http_addr().await);
    let get = |path: &str| {
        let (http, url) = (http.clone(), format!("{base}{path}"));
        async move {
            let r = http.get(url).send().await.expect("response");
            (r.status().as_u16(), r.text().await.expect("body"))
        }
    };
    assert_eq!(get("/healthz").await, (200, "ok".to_owned()));
    let (status, ready) = get("/readyz").await;
    assert_eq!(status, 200, "{ready}");
    assert!(ready.contains(r#""store":"ok""#), "{ready}");
    let metrics =
        scribe_fakes::wait_until_async("the job counted", scribe_testkit::bot::WAIT, || {
            let get = &get;
            async move {
                let (_, body) = get("/metrics").await;
                let counted = body.lines().any(|l| {
                    l.starts_with("scribe_jobs_total{")
                        && l.contains("result=\"done\"")
                        && l.contains("bot=\"scribe\"")
                        && l.ends_with(" 1")
                });
                counted.then_some(body)
            }
        })
        .await;
    for family in [
        "scribe_stage_seconds_bucket",
        "scribe_provider_calls_total",
        "scribe_audio_seconds_total",
        "scribe_balance_seconds_total",
    ] {
        assert!(metrics.contains(family), "{family} missing");
    }
    assert_eq!(scribe.terminate().await.code(), Some(0));
    let logs = scribe.logs();
    assert!(logs.contains("\"trace_id\""), "logs carry trace ids");
    for secret in [TOKEN, DASHSCOPE_KEY, GEMINI_KEY, "metrics please"] {
        assert!(!logs.contains(secret), "{secret:?} leaked into the logs");
    }
}

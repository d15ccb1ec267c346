//! A seven-minute recording through `scribe run`: split only at pauses, no chunk over the
//! limit, chunks recognised concurrently, text reassembled in order.

use scribe_store::JobState;
use std::sync::Arc;

use scribe_fakes::dashscope::Reply;
use scribe_fakes::telegram::{FileKind, update};
use scribe_testkit::audio::{self, Format};
use scribe_testkit::bot::{Fakes, Scribe, WAIT, user};

const WORDS: &[&str] = &[
    "apple", "river", "mountain", "window", "garden", "silver", "thunder", "pencil", "orange",
    "castle",
];

/// About seven minutes of sentences separated by pauses of 0.7–1.5 s.
fn seven_minutes() -> Vec<i16> {
    let mut parts = Vec::new();
    let mut total = 0.0;
    let mut i = 0;
    while total < 420.0 {
        let sentence = format!(
            "Sentence {i} talks about the {} and the {} near the {}",
            WORDS[i % WORDS.len()],
            WORDS[(i * 3 + 1) % WORDS.len()],
            WORDS[(i * 7 + 2) % WORDS.len()]
        );
        let speech = audio::say(&sentence, "en");
        let pause = 0.7 + (i % 5) as f64 * 0.2;
        total += audio::seconds(&speech) + pause;
        parts.push((speech, pause));
        i += 1;
    }
    audio::recording(&parts).0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_seven_minute_recording_is_cut_at_pauses_and_recognised_in_parallel_in_order() {
    let source = Arc::new(seven_minutes());
    let length = audio::seconds(&source);
    assert!(length >= 420.0);
    let pauses = audio::quiet_regions(&source, 200, 0.3);

    let fakes = Fakes::start().await;
    let located = Arc::clone(&source);
    // The fake "recognises" a chunk by finding where it sits in the source.
    fakes.dashscope.asr().set_reply(move |call| {
        let chunk = audio::decode_pcm(&call.audio);
        Reply::Text(format!(
            "[{:.2}+{:.2}]",
            audio::locate(&chunk, &located),
            audio::seconds(&chunk)
        ))
    });
    let gate = fakes.dashscope.asr().gate();
    let scribe = Scribe::start(env!("CARGO_BIN_EXE_scribe"), &fakes, &[]).await;
    fakes
        .telegram
        .push_update(update::text(8001, &user(8001), "/start"));
    fakes.wait_containing(8001, "Hi, Tester!").await;
    let file = fakes.telegram.add_named_file(
        FileKind::Audio,
        "talk.mp3",
        audio::encode(&source, Format::Mp3),
    );
    fakes.telegram.push_update(update::audio(
        8001,
        &user(8001),
        &file,
        length.round() as u32,
        "audio/mpeg",
        "talk.mp3",
    ));
    // Chunks overlap at the provider: two are held there at once before any is answered.
    scribe_fakes::wait_until("two chunks at the recogniser", WAIT, || {
        (gate.waiting() >= 2).then_some(())
    })
    .await;
    gate.release_all();

    let result = fakes
        .wait_message(8001, "the reassembled text", |m| {
            m.rendered_text
                .as_deref()
                .is_some_and(|t| t.starts_with('['))
        })
        .await
        .rendered_text
        .expect("text");

    // Each chunk: (offset in the source, length), in the order the text lists them.
    let chunks: Vec<(f64, f64)> = result
        .split_whitespace()
        .map(|part| {
            let inner = part.trim_matches(|c| c == '[' || c == ']');
            let (at, len) = inner.split_once('+').expect("offset+length");
            (at.parse().expect("offset"), len.parse().expect("length"))
        })
        .collect();
    assert!(chunks.len() >= 3, "{result}");
    assert!(
        chunks[0].0 < 0.05,
        "the text starts with the first chunk: {result}"
    );
    for pair in chunks.windows(2) {
        let (start, len) = pair[0];
        let next = pair[1].0;
        assert!(next > start, "text in order: {result}");
        assert!(
            (start + len - next).abs() < 0.15,
            "chunks are contiguous: {result}"
        );
        assert!(
            pauses
                .iter()
                .any(|(a, b)| a - 0.05 <= next && next <= b + 0.05),
            "cut at {next:.2} is inside a pause: {result}"
        );
    }
    for (_, len) in &chunks {
        assert!(*len <= 180.0, "no chunk over the 3-minute limit: {result}");
    }
    let covered: f64 = chunks.iter().map(|(_, l)| l).sum();
    assert!(
        (covered - length).abs() < 0.5,
        "all audio recognised: {covered} of {length}"
    );

    let job = scribe_fakes::wait_until_async("job done", WAIT, || async {
        scribe
            .store()
            .await
            .jobs_of_user(8001, 1)
            .await
            .ok()?
            .into_iter()
            .find(|j| j.state == JobState::Done)
    })
    .await;
    assert_eq!(job.chunks, Some(chunks.len() as i64));
}
